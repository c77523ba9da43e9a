-- Region mentions (article_regions), by the week of their article.
SELECT x.*, w.week
FROM article_regions x JOIN export_article_weeks w ON w.article_id = x.article_id
