-- Articles without their raw HTML, plus the link to click and the event date.
SELECT a.*, h.fetched_url, d.event_date, w.week
FROM articles a
JOIN export_article_weeks w ON w.article_id = a.id
LEFT JOIN article_html h ON h.article_id = a.id
LEFT JOIN article_dates d ON d.article_id = a.id
