-- Stories that articles about to be re-assigned belonged to (refreshed afterwards).
SELECT DISTINCT story_id FROM story_articles WHERE article_id IN (SELECT unnest($ids::BIGINT[]));
