-- Secondary indexes of the snapshot being built (the parameter: its database name): dropped before the
-- copy, since filling them row by row is most of its cost and readers do not need them.
SELECT index_name FROM duckdb_indexes() WHERE database_name = ? AND NOT is_primary AND NOT is_unique
