-- Vectors of this model for articles that are gone or no longer flagged Indonesian.
DELETE FROM article_embeddings
WHERE model = $model
  AND article_id NOT IN (SELECT id FROM articles WHERE is_indonesian);
