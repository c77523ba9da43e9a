-- Record one applied migration (version, name), inside that migration's transaction.
INSERT INTO schema_migrations (version, name) VALUES (?, ?)
