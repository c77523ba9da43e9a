-- Title, body and content hash of one batch of articles.
SELECT id, title, body, content_hash
FROM articles
WHERE id IN (SELECT unnest($ids::BIGINT[]))
ORDER BY id;
