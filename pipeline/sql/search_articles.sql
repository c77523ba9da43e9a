-- What a result line shows for an article that stands alone (no story yet); the date is the
-- event date when known, else publication, else when Suar first saw it.
SELECT a.id, a.title, e.escalation_level, e.primary_region_code,
       (SELECT any_value(r.name) FROM article_regions r WHERE r.code = e.primary_region_code)
           AS region_name,
       coalesce(CAST(d.event_date AS TIMESTAMPTZ), a.published_at, a.first_seen) AS seen,
       e.topic_codes
FROM articles a
LEFT JOIN enrichments e ON e.article_id = a.id
LEFT JOIN article_dates d ON d.article_id = a.id
WHERE a.id IN (SELECT unnest($ids))
