-- The column schema of an exported dataset, read back from its Parquet files ($glob).
DESCRIBE SELECT * FROM read_parquet($glob, hive_partitioning = true, hive_types = {'week': VARCHAR})
