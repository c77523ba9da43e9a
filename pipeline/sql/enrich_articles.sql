-- The texts of one batch of articles to enrich, with what the crawler stored beside the
-- text: the dateline it stripped from the body and the language it detected (both go to the
-- NLP as input fields, so production sees what `suar annotate` sees on raw text).
SELECT id, title, body, url, outlet, content_hash, dateline,
       CASE WHEN language IN ('', 'unknown') THEN NULL ELSE language END AS language
FROM articles
WHERE id IN (SELECT unnest($ids::BIGINT[]))
ORDER BY id;
