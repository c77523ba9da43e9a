-- Is the search index up to date? Articles still to analyse, orphaned terms, what the
-- current terms look like (fingerprint) and what the fts index was built from.
SELECT
    (SELECT count(*)
       FROM articles a LEFT JOIN search_docs d ON d.article_id = a.id
      WHERE d.article_id IS NULL
         OR d.content_hash IS DISTINCT FROM a.content_hash
         OR d.analyzer <> $analyzer) AS pending,
    (SELECT count(*) FROM search_docs d
      WHERE NOT EXISTS (SELECT 1 FROM articles a WHERE a.id = d.article_id)) AS orphans,
    (SELECT count(*)::VARCHAR || ':' || coalesce(sum(article_id), 0)::VARCHAR || ':'
            || coalesce(max(analysed_at)::VARCHAR, '')
       FROM search_docs) AS fingerprint,
    (SELECT count(*) FROM search_docs) AS n_docs,
    (SELECT fingerprint FROM search_index_state WHERE id = 1 AND analyzer = $analyzer)
        AS built_fingerprint,
    (SELECT count(*) FROM information_schema.schemata
      WHERE schema_name = 'fts_main_search_docs') AS has_index
