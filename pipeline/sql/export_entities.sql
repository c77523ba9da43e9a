SELECT x.*, w.week
FROM article_entities x JOIN export_article_weeks w ON w.article_id = x.article_id
