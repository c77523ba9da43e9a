-- Cosine similarity (vectors are L2-normalised: a dot product) of the candidate articles'
-- embeddings under one model to the query vector, best first ($filtered = false: every
-- article is a candidate).
SELECT article_id, score
FROM (
    SELECT v.article_id, list_dot_product(v.vector, $vector::FLOAT[]) AS score
    FROM article_embeddings v
    WHERE v.model = $model
      AND (NOT $filtered OR v.article_id IN (SELECT article_id FROM search_candidates))
)
WHERE score >= $min_similarity
ORDER BY score DESC, article_id
LIMIT $pool
