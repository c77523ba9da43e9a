-- Existing duplicate pointers of the context articles (kept when a new copy joins a group).
SELECT article_id, canonical_id, kind, similarity
FROM article_duplicates
WHERE kind <> 'self' AND article_id IN (SELECT unnest($ids::BIGINT[]));
