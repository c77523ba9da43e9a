-- DuckLake: which of a chunk's articles still need this model's vector, checked right before
-- encoding it, so embedders running at once do not embed what another just wrote.
SELECT a.id
FROM articles a
LEFT JOIN article_embeddings e ON e.article_id = a.id AND e.model = $model
WHERE a.id IN (SELECT unnest($ids::BIGINT[]))
  AND a.is_indonesian
  AND (e.article_id IS NULL OR e.content_hash IS DISTINCT FROM a.content_hash)
ORDER BY a.id;
