INSERT INTO crawl_failures (run_id, outlet, url, status, error, failed_at)
VALUES ($run_id, $outlet, $url, $status, $error, $now);
