-- 002: enrichment results of the NLP stage (issue 3), with evidence and the pipeline version.
-- One `enrichments` row per article says which pipeline version saw which content; the other
-- tables hold what it found. `suar enrich` replaces an article's rows in one transaction.

CREATE TABLE enrichments (
    article_id            BIGINT PRIMARY KEY,
    pipeline_version      VARCHAR NOT NULL,     -- nlp.pipeline.PIPELINE_VERSION
    content_hash          VARCHAR,              -- articles.content_hash that was enriched
    language              VARCHAR,              -- detected: 'id', 'en', 'ms', 'unknown'
    status                VARCHAR NOT NULL,     -- 'enriched' | 'skipped_language'
    primary_region_code   VARCHAR,              -- dotted Kemendagri code, NULL: national/none
    primary_region_level  VARCHAR,              -- province | regency | district | village
    primary_province_code VARCHAR,
    escalation_level      INTEGER,              -- 0-4; NULL when not enriched
    escalation_evidence   VARCHAR,              -- the sentence that set the level
    escalation_cue        VARCHAR,
    escalation_start      INTEGER,              -- cue offsets in title || '\n' || body
    escalation_end        INTEGER,
    killed                INTEGER,
    injured               INTEGER,
    arrested              INTEGER,
    crowd                 INTEGER,
    killed_evidence       VARCHAR,              -- the phrase the number came from
    injured_evidence      VARCHAR,
    arrested_evidence     VARCHAR,
    crowd_evidence        VARCHAR,
    topic_codes           VARCHAR[],            -- denormalised for quick filters in digests
    enriched_at           TIMESTAMPTZ NOT NULL
);
CREATE INDEX enrichments_version_idx ON enrichments (pipeline_version);

-- Persons, organisations and non-unit places; bylines are kept, flagged, with no actor class.
CREATE TABLE article_entities (
    article_id   BIGINT NOT NULL,
    text         VARCHAR NOT NULL,
    label        VARCHAR NOT NULL,              -- PER | ORG | LOC
    actor_class  VARCHAR,                       -- TAXONOMY section 5, NULL when unknown
    role         VARCHAR,                       -- 'Gubernur Kaltim' for a titled person
    is_byline    BOOLEAN NOT NULL DEFAULT false,
    start_char   INTEGER NOT NULL,
    end_char     INTEGER NOT NULL
);
CREATE INDEX article_entities_article_idx ON article_entities (article_id);

-- Every region mention, linked to its Kemendagri unit.
CREATE TABLE article_regions (
    article_id     BIGINT NOT NULL,
    code           VARCHAR NOT NULL,
    name           VARCHAR,
    level          VARCHAR,
    province_code  VARCHAR,
    text           VARCHAR,                     -- as written
    start_char     INTEGER NOT NULL,
    end_char       INTEGER NOT NULL,
    is_primary     BOOLEAN NOT NULL DEFAULT false   -- this mention names the primary region
);
CREATE INDEX article_regions_article_idx ON article_regions (article_id);
CREATE INDEX article_regions_code_idx ON article_regions (code);

-- Topics with the sentence and cue that triggered them.
CREATE TABLE article_topics (
    article_id  BIGINT NOT NULL,
    code        VARCHAR NOT NULL,
    score       DOUBLE,
    evidence    VARCHAR,
    cue         VARCHAR,
    start_char  INTEGER,
    end_char    INTEGER
);
CREATE INDEX article_topics_article_idx ON article_topics (article_id);
CREATE INDEX article_topics_code_idx ON article_topics (code);
