-- What a result line shows for an article that stands alone (no story yet); the date is the
-- event date when known, else publication, else when Suar first saw it.
-- The ids come first, so the joins read the few articles by key instead of scanning.
WITH ids AS (SELECT DISTINCT unnest($ids) AS id)
SELECT a.id, a.title, e.escalation_level, e.primary_region_code,
       region_label(e.primary_region_code) AS region_name,
       coalesce(CAST(d.event_date AS TIMESTAMPTZ), a.published_at, a.first_seen) AS seen,
       e.topic_codes
FROM ids
JOIN articles a ON a.id = ids.id
LEFT JOIN v_article_signals e ON e.article_id = a.id  -- analysts' corrections applied
LEFT JOIN article_dates d ON d.article_id = a.id
