-- (Re)build the BM25 index over the analysed terms. The terms are already lower-case stems
-- without stopwords, separated by single spaces, so fts must not stem, lower, strip or drop.
PRAGMA create_fts_index(
    'search_docs', 'article_id', 'terms',
    stemmer = 'none', stopwords = 'none', ignore = '\s+', strip_accents = 0, lower = 0,
    overwrite = 1
)
