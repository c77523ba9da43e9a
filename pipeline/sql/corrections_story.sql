-- The story an article belongs to, to refresh its aggregates after a correction.
SELECT story_id FROM story_articles WHERE article_id = $id;
