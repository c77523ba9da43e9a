-- Articles whose search terms are missing, were made from older content or by another
-- analyzer version: the only ones `pipeline.search.sync_docs` stems again.
SELECT a.id
FROM articles a
LEFT JOIN search_docs d ON d.article_id = a.id
WHERE d.article_id IS NULL
   OR d.content_hash IS DISTINCT FROM a.content_hash
   OR d.analyzer <> $analyzer
ORDER BY a.id
