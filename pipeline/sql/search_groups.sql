-- The story of each hit article (NULL: the article has no story yet and stands alone).
-- The ids come first, so story_articles is probed by key instead of joined whole.
WITH ids AS (SELECT DISTINCT unnest($ids) AS id)
SELECT ids.id, sa.story_id
FROM ids
LEFT JOIN story_articles sa ON sa.article_id = ids.id
