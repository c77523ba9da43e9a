-- Articles to (re-)assign: never assigned, or changed since (text, enrichment, or a vector of
-- the model in use made after the assignment).
SELECT a.id
FROM articles a
LEFT JOIN story_articles s ON s.article_id = a.id
LEFT JOIN enrichments e ON e.article_id = a.id
LEFT JOIN article_embeddings v ON v.article_id = a.id AND v.model = $model
WHERE s.article_id IS NULL
   OR a.last_changed > s.added_at
   OR e.enriched_at > s.added_at
   OR v.embedded_at > s.added_at
ORDER BY a.id;
