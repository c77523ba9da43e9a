-- The views and macros the open database holds (db.create_views recreates missing ones).
SELECT view_name
FROM duckdb_views()
WHERE database_name = current_database() AND NOT internal
UNION ALL
SELECT function_name
FROM duckdb_functions()
WHERE database_name = current_database() AND function_type = 'macro' AND NOT internal
