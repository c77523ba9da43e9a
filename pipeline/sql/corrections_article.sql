-- Does the article exist?
SELECT id FROM articles WHERE id = $id;
