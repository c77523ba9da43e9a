-- Drop a batch's previous results before writing the new ones (same transaction).
DELETE FROM article_entities WHERE article_id IN (SELECT unnest($ids::BIGINT[]));
DELETE FROM article_regions WHERE article_id IN (SELECT unnest($ids::BIGINT[]));
DELETE FROM article_topics WHERE article_id IN (SELECT unnest($ids::BIGINT[]));
DELETE FROM enrichments WHERE article_id IN (SELECT unnest($ids::BIGINT[]));
