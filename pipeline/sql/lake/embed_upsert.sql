-- DuckLake: embed_upsert's INSERT OR REPLACE on (article, model) as DELETE + INSERT, in the
-- caller's transaction under the embeddings lock row (pipeline/ducklake.py).
DELETE FROM article_embeddings
WHERE model = $model AND article_id IN (SELECT unnest($ids::BIGINT[]));
INSERT INTO article_embeddings (article_id, model, content_hash, dim, vector, embedded_at)
SELECT unnest($ids::BIGINT[]), $model, unnest($hashes::VARCHAR[]), $dim,
       unnest($vectors::FLOAT[][]), $now;
