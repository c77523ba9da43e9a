-- The version recorded for a derived object (regions, views, actor_first_seen, ...).
SELECT version FROM schema_state WHERE name = ?
