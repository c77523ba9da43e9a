-- The most recent crawl runs with their per-outlet counters (for `suar runs`).
SELECT r.id, r.started_at, r.finished_at, r.status, o.outlet, o.discovered, o.fetched, o.new,
       o.updated, o.failed, o.not_article, o.sample_errors
FROM crawl_runs r LEFT JOIN crawl_run_outlets o ON o.run_id = r.id
WHERE r.id IN (SELECT id FROM crawl_runs ORDER BY id DESC LIMIT $limit)
ORDER BY r.id DESC, o.outlet;
