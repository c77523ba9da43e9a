-- Rows per week partition, read back from an exported dataset's Parquet files ($glob).
SELECT week, count(*)
FROM read_parquet($glob, hive_partitioning = true, hive_types = {'week': VARCHAR})
GROUP BY week
ORDER BY week
