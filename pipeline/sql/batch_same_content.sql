-- For a batch: articles of the same outlet that already hold one of these contents.
SELECT outlet, content_hash, min(id) AS id
FROM articles
WHERE content_hash IN (SELECT unnest($hashes))
GROUP BY outlet, content_hash;
