-- 004: near-duplicates, event dates and stories (issue 4): count events, not articles.

-- The date an article's event happened on: its publication date, else a date the text gives
-- ("Senin (1/9/2025)", "Kamis (6/7)" with the year inferred), else NULL (content alone).
CREATE TABLE article_dates (
    article_id   BIGINT PRIMARY KEY,
    event_date   DATE,
    source       VARCHAR NOT NULL,        -- 'published' | 'text' | 'first_seen' | 'none'
    evidence     VARCHAR,                 -- the text the date came from
    computed_at  TIMESTAMPTZ NOT NULL
);

-- Each article points to its canonical copy; canonical articles point to themselves.
CREATE TABLE article_duplicates (
    article_id    BIGINT PRIMARY KEY,
    canonical_id  BIGINT NOT NULL,
    kind          VARCHAR NOT NULL,       -- 'self' | 'exact' | 'near' (MinHash) | 'semantic'
    similarity    DOUBLE,                 -- Jaccard estimate or cosine that decided it
    detected_at   TIMESTAMPTZ NOT NULL
);
CREATE INDEX article_duplicates_canonical_idx ON article_duplicates (canonical_id);

CREATE SEQUENCE IF NOT EXISTS story_id_seq START 1;

-- One row per event. Magnitudes are the best-supported figure across reports, not their sum.
CREATE TABLE stories (
    id                     BIGINT PRIMARY KEY,
    title                  VARCHAR,       -- title of the representative article
    representative_id      BIGINT,        -- the article that best stands for the story
    first_seen             TIMESTAMPTZ,   -- earliest event date / publication of its articles
    last_seen              TIMESTAMPTZ,
    n_articles             INTEGER NOT NULL,
    n_outlets              INTEGER NOT NULL,
    outlets                VARCHAR[],
    primary_region_code    VARCHAR,
    primary_region_level   VARCHAR,
    primary_province_code  VARCHAR,
    topic_codes            VARCHAR[],
    max_level              INTEGER,
    killed                 INTEGER,
    injured                INTEGER,
    arrested               INTEGER,
    crowd                  INTEGER,
    killed_article_id      BIGINT,        -- the report each figure was taken from
    injured_article_id     BIGINT,
    arrested_article_id    BIGINT,
    crowd_article_id       BIGINT,
    updated_at             TIMESTAMPTZ NOT NULL
);
CREATE INDEX stories_province_idx ON stories (primary_province_code);

CREATE TABLE story_articles (
    article_id   BIGINT PRIMARY KEY,      -- an article belongs to one story
    story_id     BIGINT NOT NULL,
    similarity   DOUBLE,                  -- how strongly it joined (1.0 for the founder)
    added_at     TIMESTAMPTZ NOT NULL
);
CREATE INDEX story_articles_story_idx ON story_articles (story_id);
