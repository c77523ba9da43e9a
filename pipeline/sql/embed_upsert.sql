-- One batch of vectors, column-wise; replaces this model's previous vector of each article.
INSERT OR REPLACE INTO article_embeddings (article_id, model, content_hash, dim, vector, embedded_at)
SELECT unnest($ids::BIGINT[]), $model, unnest($hashes::VARCHAR[]), $dim,
       unnest($vectors::FLOAT[][]), $now;
