-- The tables and views of the open database's main schema (pipeline.db.relations): the one
-- catalogue probe behind "does this database have table X yet".
SELECT table_name AS name
FROM duckdb_tables()
WHERE database_name = current_database() AND schema_name = 'main'
UNION
SELECT view_name
FROM duckdb_views()
WHERE database_name = current_database() AND schema_name = 'main' AND NOT internal
