-- The story of each hit article (NULL: the article has no story yet and stands alone).
SELECT a.id, sa.story_id
FROM articles a
LEFT JOIN story_articles sa ON sa.article_id = a.id
WHERE a.id IN (SELECT unnest($ids))
