-- What an article's event date is computed from (nlp.textdates.event_date).
SELECT a.id, a.title, a.body, coalesce(h.fetched_url, a.url), a.published_at, a.first_seen,
       a.source
FROM articles a
LEFT JOIN article_html h ON h.article_id = a.id
WHERE a.id IN (SELECT unnest($ids::BIGINT[]));
