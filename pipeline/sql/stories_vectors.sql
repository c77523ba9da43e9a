-- Current vectors of the model in use (a vector of older text is ignored).
SELECT v.article_id, v.vector
FROM article_embeddings v
JOIN articles a ON a.id = v.article_id
WHERE v.model = $model
  AND v.article_id IN (SELECT unnest($ids::BIGINT[]))
  AND v.content_hash IS NOT DISTINCT FROM a.content_hash;
