-- Stored article vectors per embedding model: which models semantic ranking can use.
SELECT model, count(*) FROM article_embeddings GROUP BY model
