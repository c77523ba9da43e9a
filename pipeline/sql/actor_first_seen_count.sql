-- How many actors actor_first_seen holds after a recompute (recorded in schema_state).
SELECT count(*) FROM actor_first_seen
