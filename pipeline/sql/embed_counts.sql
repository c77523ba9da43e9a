-- Stored vectors per model (for `suar embed --status` and reports).
SELECT model, any_value(dim) AS dim, count(*) AS articles, max(embedded_at) AS last_embedded
FROM article_embeddings
GROUP BY model
ORDER BY last_embedded DESC;
