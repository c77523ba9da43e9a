-- 006: full-text search (issue 4). DuckDB's fts index is a snapshot, and its Snowball
-- Indonesian stemmer mangles conflict words (bentrokan -> bentro, penembakan -> embak), so
-- Suar stems with Sastrawi itself: `search_docs` holds each article's analysed terms (kept in
-- step with articles.content_hash, so only new or changed articles are stemmed again) and the
-- fts index (schema fts_main_search_docs, stemmer 'none') is rebuilt from it when it changed.
CREATE TABLE search_docs (
    article_id    BIGINT PRIMARY KEY,
    content_hash  VARCHAR,                -- articles.content_hash the terms were made from
    analyzer      VARCHAR NOT NULL,       -- pipeline.search analyzer version (stopwords, stems)
    terms         VARCHAR NOT NULL,       -- stems separated by spaces; the title counts twice
    analysed_at   TIMESTAMPTZ NOT NULL
);

-- One row: what the current fts index was built from, so a search can tell it is stale.
CREATE TABLE search_index_state (
    id           INTEGER PRIMARY KEY,     -- always 1
    analyzer     VARCHAR NOT NULL,
    n_docs       BIGINT NOT NULL,
    fingerprint  VARCHAR NOT NULL,        -- count and newest analysed_at of search_docs
    built_at     TIMESTAMPTZ NOT NULL
);
