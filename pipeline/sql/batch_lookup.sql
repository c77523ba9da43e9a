-- For a batch of URLs: the article each one already names (directly or as an alias).
SELECT q.url, coalesce(a.id, al.article_id) AS id,
       coalesce(a.content_hash, a2.content_hash) AS content_hash
FROM (SELECT unnest($urls) AS url) q
LEFT JOIN articles a ON a.url = q.url
LEFT JOIN article_aliases al ON al.url = q.url
LEFT JOIN articles a2 ON a2.id = al.article_id
WHERE a.id IS NOT NULL OR al.article_id IS NOT NULL;
