-- Record what the fts index was just built from (compared by search_status.sql).
INSERT OR REPLACE INTO search_index_state (id, analyzer, n_docs, fingerprint, built_at)
VALUES (1, $analyzer, $n_docs, $fingerprint, now())
