-- Indonesian articles without a vector from this model for their current content.
SELECT a.id
FROM articles a
LEFT JOIN article_embeddings e ON e.article_id = a.id AND e.model = $model
WHERE a.is_indonesian
  AND ($force OR e.article_id IS NULL OR e.content_hash IS DISTINCT FROM a.content_hash)
ORDER BY a.id;
