-- Article records for the story clustering (pipeline/stories.py StoryArticle).
WITH ids AS (SELECT unnest($ids::BIGINT[]) AS id),
reg AS (
    SELECT r.article_id, list(DISTINCT r.code) AS codes
    FROM article_regions r JOIN ids ON ids.id = r.article_id
    GROUP BY r.article_id
),
per AS (
    SELECT x.article_id, list(DISTINCT lower(x.text)) AS persons
    FROM article_entities x JOIN ids ON ids.id = x.article_id
    WHERE x.label = 'PER' AND NOT x.is_byline
    GROUP BY x.article_id
)
SELECT a.id, a.outlet, a.title, a.body, a.content_hash, a.published_at, a.first_seen,
       e.primary_region_code, e.primary_region_level, e.primary_province_code,
       reg.codes, per.persons, d.event_date, e.killed, e.injured, e.arrested
FROM ids
JOIN articles a ON a.id = ids.id
LEFT JOIN v_article_signals e ON e.article_id = a.id
LEFT JOIN reg ON reg.article_id = a.id
LEFT JOIN per ON per.article_id = a.id
LEFT JOIN article_dates d ON d.article_id = a.id
ORDER BY a.id;
