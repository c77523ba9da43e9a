-- Every report of the stories found (and the standalone articles): outlet, the link an
-- analyst should click (the fetched URL when we have it), title, body for the snippet.
-- The ids are gathered first, so the articles are read by key rather than scanned whole.
WITH ids AS (
    SELECT sa.story_id, sa.article_id
    FROM story_articles sa
    WHERE sa.story_id IN (SELECT unnest($story_ids))
    UNION
    SELECT sa.story_id, a.id
    FROM (SELECT unnest($article_ids) AS id) a
    LEFT JOIN story_articles sa ON sa.article_id = a.id
)
SELECT ids.story_id, a.id, a.outlet, coalesce(h.fetched_url, a.url) AS url, a.title,
       a.published_at, a.body
FROM ids
JOIN articles a ON a.id = ids.article_id
LEFT JOIN article_html h ON h.article_id = a.id
ORDER BY a.published_at NULLS LAST, a.id
