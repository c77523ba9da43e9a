-- Highest applied migration (0 when none is recorded yet).
SELECT coalesce(max(version), 0) FROM schema_migrations
