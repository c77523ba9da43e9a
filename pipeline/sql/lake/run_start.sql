-- DuckLake: a new crawl run with the id the writer chose (inside ducklake.locked).
INSERT INTO crawl_runs (id, started_at, status, pid, outlets)
VALUES ($id, $now, 'running', $pid, $outlets);
