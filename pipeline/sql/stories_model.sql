-- The embedding model with most stored vectors (used when no embedder is given).
SELECT model FROM article_embeddings GROUP BY model ORDER BY count(*) DESC, model LIMIT 1;
