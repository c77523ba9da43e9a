-- Every report of the stories found (and the standalone articles): outlet, the link an
-- analyst should click (the fetched URL when we have it), title, body for the snippet.
SELECT sa.story_id, a.id, a.outlet, coalesce(h.fetched_url, a.url) AS url, a.title,
       a.published_at, a.body
FROM articles a
LEFT JOIN story_articles sa ON sa.article_id = a.id
LEFT JOIN article_html h ON h.article_id = a.id
WHERE sa.story_id IN (SELECT unnest($story_ids))
   OR a.id IN (SELECT unnest($article_ids))
ORDER BY a.published_at NULLS LAST, a.id
