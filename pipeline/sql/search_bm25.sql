-- BM25 over the analysed terms of the candidate articles, best first.
SELECT article_id, score
FROM (
    SELECT d.article_id, fts_main_search_docs.match_bm25(d.article_id, $query) AS score
    FROM search_docs d
    WHERE d.article_id IN (SELECT article_id FROM search_candidates)
)
WHERE score IS NOT NULL
ORDER BY score DESC, article_id
LIMIT $pool
