-- Title and body of a batch of articles, to be analysed into search terms.
SELECT a.id, a.content_hash, a.title, a.body
FROM articles a
WHERE a.id IN (SELECT unnest($ids))
ORDER BY a.id
