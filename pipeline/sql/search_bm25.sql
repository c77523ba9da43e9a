-- BM25 over the analysed terms of the candidate articles, best first. The same formula and
-- index as the fts extension's match_bm25 (Okapi BM25, k1 = 1.2, b = 0.75, its idf), but
-- computed only for the documents that hold a query term: match_bm25 is evaluated for every
-- document in search_docs, which costs a second at a million articles. The index's `terms`
-- table is kept ordered by term (search_index_build.sql), so the posting lists of a few
-- terms are a few row groups, not a scan of every posting. tests/test_search.py checks
-- that the scores equal match_bm25's. $filtered = false skips the candidate filter.
WITH
query_terms AS (
    SELECT DISTINCT unnest(string_split($query, ' ')) AS term
),
qdict AS (
    SELECT d.termid, d.df
    FROM fts_main_search_docs.dict d
    JOIN query_terms q ON q.term = d.term
),
postings AS (
    SELECT t.docid, t.termid, count(*) AS tf
    FROM fts_main_search_docs.terms t
    WHERE t.termid IN (SELECT termid FROM qdict)
    GROUP BY ALL
),
scored AS (
    SELECT p.docid,
           sum(log((s.num_docs - q.df + 0.5) / (q.df + 0.5) + 1)
               * (p.tf * (1.2 + 1))
               / (p.tf + 1.2 * (1 - 0.75 + 0.75 * (doc.len / s.avgdl)))) AS score
    FROM postings p
    JOIN qdict q ON q.termid = p.termid
    JOIN fts_main_search_docs.docs doc ON doc.docid = p.docid
    CROSS JOIN fts_main_search_docs.stats s
    GROUP BY p.docid
)
SELECT doc.name AS article_id, sc.score
FROM scored sc
JOIN fts_main_search_docs.docs doc ON doc.docid = sc.docid
WHERE NOT $filtered OR doc.name IN (SELECT article_id FROM search_candidates)
ORDER BY sc.score DESC, article_id
LIMIT $pool
