-- Find an article by canonical URL, directly or through a recorded alias.
SELECT a.id, a.content_hash
FROM articles a
WHERE a.url = $url
   OR a.id = (SELECT article_id FROM article_aliases WHERE url = $url)
LIMIT 1;
