-- Terms of articles that no longer exist.
DELETE FROM search_docs WHERE article_id NOT IN (SELECT id FROM articles)
