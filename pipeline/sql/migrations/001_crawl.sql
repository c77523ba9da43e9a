-- 001: articles and crawl bookkeeping (the crawl issue).
CREATE SEQUENCE IF NOT EXISTS article_id_seq START 1;
CREATE SEQUENCE IF NOT EXISTS crawl_run_id_seq START 1;

-- One row per article, keyed by its canonical URL. Re-fetches update in place.
CREATE TABLE articles (
    id               BIGINT PRIMARY KEY DEFAULT nextval('article_id_seq'),
    url              VARCHAR NOT NULL UNIQUE,     -- canonical URL
    outlet           VARCHAR NOT NULL,            -- outlet id from crawler/outlets.toml
    title            VARCHAR,
    published_at     TIMESTAMPTZ,
    modified_at      TIMESTAMPTZ,
    author           VARCHAR,
    editor           VARCHAR,
    tags             VARCHAR[],
    category         VARCHAR,
    dateline         VARCHAR,                     -- place as written, e.g. BALIKPAPAN
    body             VARCHAR,                     -- clean paragraphs joined by blank lines
    language         VARCHAR,                     -- ISO 639-1 or 'unknown'
    is_indonesian    BOOLEAN,                     -- false: kept but flagged, not enriched
    content_hash     VARCHAR,                     -- sha256 of normalised title + body
    extraction       VARCHAR,                     -- 'selectors' | 'generic' | 'import'
    warnings         VARCHAR[],
    source           VARCHAR NOT NULL DEFAULT 'crawl',   -- 'crawl' | 'import'
    first_seen       TIMESTAMPTZ NOT NULL,
    last_fetched     TIMESTAMPTZ NOT NULL,
    last_changed     TIMESTAMPTZ NOT NULL,
    lastmod          TIMESTAMPTZ,                 -- last sitemap/feed date seen for this URL
    first_run_id     BIGINT,
    last_run_id      BIGINT
);
CREATE INDEX articles_outlet_idx ON articles (outlet);
CREATE INDEX articles_hash_idx ON articles (content_hash);

-- Raw HTML, compressed, so `suar reextract` can improve old articles without crawling again.
CREATE TABLE article_html (
    article_id   BIGINT PRIMARY KEY,
    fetched_url  VARCHAR,
    encoding     VARCHAR,
    html_gz      BLOB,
    fetched_at   TIMESTAMPTZ
);

-- Other URLs under which the same article was found (tracking variants, AMP, copies).
CREATE TABLE article_aliases (
    url         VARCHAR PRIMARY KEY,
    article_id  BIGINT NOT NULL,
    reason      VARCHAR,                          -- 'canonical-link' | 'same-content'
    seen_at     TIMESTAMPTZ
);

CREATE TABLE crawl_runs (
    id           BIGINT PRIMARY KEY,
    started_at   TIMESTAMPTZ NOT NULL,
    finished_at  TIMESTAMPTZ,
    status       VARCHAR NOT NULL,                -- running | ok | failed | interrupted
    pid          INTEGER,
    outlets      VARCHAR[],
    error        VARCHAR
);

-- Per run, per outlet counters: what lets a digest say which outlets went silent.
CREATE TABLE crawl_run_outlets (
    run_id         BIGINT NOT NULL,
    outlet         VARCHAR NOT NULL,
    discovered     INTEGER NOT NULL DEFAULT 0,   -- article URLs found by discovery
    fetched        INTEGER NOT NULL DEFAULT 0,   -- article pages downloaded (2xx)
    new            INTEGER NOT NULL DEFAULT 0,
    updated        INTEGER NOT NULL DEFAULT 0,
    unchanged      INTEGER NOT NULL DEFAULT 0,
    failed         INTEGER NOT NULL DEFAULT 0,
    not_article    INTEGER NOT NULL DEFAULT 0,
    discovery      VARCHAR[],                     -- methods that yielded URLs
    sample_errors  VARCHAR[],
    PRIMARY KEY (run_id, outlet)
);

-- Every failed fetch or extraction, so nothing fails silently.
CREATE TABLE crawl_failures (
    run_id   BIGINT NOT NULL,
    outlet   VARCHAR,
    url      VARCHAR NOT NULL,
    status   INTEGER,
    error    VARCHAR,
    failed_at TIMESTAMPTZ NOT NULL
);
