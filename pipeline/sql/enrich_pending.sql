-- Articles that the current pipeline version has not enriched in their current content.
SELECT a.id
FROM articles a
LEFT JOIN enrichments e ON e.article_id = a.id
WHERE $force
   OR e.article_id IS NULL
   OR e.pipeline_version <> $version
   OR e.content_hash IS DISTINCT FROM a.content_hash
ORDER BY a.id;
