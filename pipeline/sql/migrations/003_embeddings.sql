-- 003: article embeddings (issue 4). One vector per article per embedding model version, so a
-- model change never mixes vector spaces; `content_hash` says which text the vector was made of.
CREATE TABLE article_embeddings (
    article_id    BIGINT NOT NULL,
    model         VARCHAR NOT NULL,       -- nlp.embeddings model version id (name + weights hash)
    content_hash  VARCHAR,                -- articles.content_hash that was embedded
    dim           INTEGER NOT NULL,
    vector        FLOAT[] NOT NULL,       -- L2-normalised, so a dot product is the cosine
    embedded_at   TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (article_id, model)
);
