INSERT INTO crawl_runs (id, started_at, status, pid, outlets)
VALUES (nextval('crawl_run_id_seq'), $now, 'running', $pid, $outlets)
RETURNING id;
