-- Replace the canonical-copy pointers of the given articles, column-wise.
DELETE FROM article_duplicates WHERE article_id IN (SELECT unnest($ids::BIGINT[]));
INSERT INTO article_duplicates (article_id, canonical_id, kind, similarity, detected_at)
SELECT unnest($ids::BIGINT[]), unnest($canonical::BIGINT[]), unnest($kind::VARCHAR[]),
       unnest($sim::DOUBLE[]), $now;
