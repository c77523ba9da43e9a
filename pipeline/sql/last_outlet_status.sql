-- Status of the most recent finished-or-not run that crawled this outlet.
SELECT r.status
FROM crawl_run_outlets o JOIN crawl_runs r ON r.id = o.run_id
WHERE o.outlet = $outlet
ORDER BY r.started_at DESC
LIMIT 1;
