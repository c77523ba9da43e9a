-- (Re)build the BM25 index over the analysed terms. The terms are already lower-case stems
-- without stopwords, separated by single spaces, so fts must not stem, lower, strip or drop.
PRAGMA create_fts_index(
    'search_docs', 'article_id', 'terms',
    stemmer = 'none', stopwords = 'none', ignore = '\s+', strip_accents = 0, lower = 0,
    overwrite = 1
);
-- fts writes its postings in document order. Ordered by term instead, each row group's
-- min/max lets a query read only the posting lists of its own terms (search_bm25.sql): at a
-- million articles this halves a search for some ten seconds more of indexing.
CREATE OR REPLACE TABLE fts_main_search_docs.terms AS
SELECT * FROM fts_main_search_docs.terms ORDER BY termid, docid;
