-- The texts of one batch of articles to enrich.
SELECT id, title, body, url, outlet, content_hash
FROM articles
WHERE id IN (SELECT unnest($ids::BIGINT[]))
ORDER BY id;
