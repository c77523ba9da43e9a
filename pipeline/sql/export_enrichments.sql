SELECT e.*, w.week
FROM enrichments e JOIN export_article_weeks w ON w.article_id = e.article_id
