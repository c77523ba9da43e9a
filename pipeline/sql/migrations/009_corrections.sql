-- 009: the signal model's confidences and analysts' corrections (issue 13, items 1 and 4).
-- Confidences are the trained signal model's probabilities (NULL where no model decided).
ALTER TABLE enrichments ADD COLUMN level_confidence DOUBLE;
ALTER TABLE article_topics ADD COLUMN confidence DOUBLE;

-- An analyst's value for one field of one article, kept apart from the machine's results so
-- that it survives re-enrichment. Every correction is kept; the latest per article and field
-- wins (v_article_signals applies it).
CREATE SEQUENCE IF NOT EXISTS correction_id_seq START 1;
CREATE TABLE corrections (
    id            BIGINT PRIMARY KEY DEFAULT nextval('correction_id_seq'),
    article_id    BIGINT NOT NULL,
    field         VARCHAR NOT NULL,       -- topics | level | killed | injured | arrested | crowd | primary_region
    value         VARCHAR NOT NULL,       -- JSON: a list of codes, an integer, null, or a code
    note          VARCHAR,
    corrected_by  VARCHAR NOT NULL,
    corrected_at  TIMESTAMPTZ NOT NULL
);
CREATE INDEX corrections_article_idx ON corrections (article_id);
