-- Every user table of a database (the parameter: its name), in a stable order, for the snapshot copy.
SELECT schema_name, table_name
FROM duckdb_tables()
WHERE database_name = ? AND NOT internal
ORDER BY schema_name, table_name
