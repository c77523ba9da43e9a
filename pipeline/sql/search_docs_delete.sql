-- Drop the terms of a batch of articles before they are analysed again.
DELETE FROM search_docs WHERE article_id IN (SELECT unnest($ids))
