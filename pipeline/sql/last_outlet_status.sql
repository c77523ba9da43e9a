-- Status of the most recent finished-or-not run that crawled this outlet: 'ok' only when the
-- run finished and this outlet in it was ok (a run is 'partial' when other outlets failed).
SELECT CASE WHEN r.status IN ('ok', 'partial') AND coalesce(o.status, 'ok') = 'ok' THEN 'ok'
            ELSE coalesce(o.status, r.status) END
FROM crawl_run_outlets o JOIN crawl_runs r ON r.id = o.run_id
WHERE o.outlet = $outlet
ORDER BY r.started_at DESC
LIMIT 1;
