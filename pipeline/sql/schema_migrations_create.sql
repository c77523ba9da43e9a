-- The migrations ledger; created before migration 001 runs, so it is not itself a migration.
CREATE TABLE IF NOT EXISTS schema_migrations (
    version INTEGER PRIMARY KEY,
    name VARCHAR,
    applied_at TIMESTAMPTZ DEFAULT now()
)
