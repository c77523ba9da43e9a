INSERT OR REPLACE INTO crawl_run_outlets (
    run_id, outlet, discovered, fetched, new, updated, unchanged, failed, not_article,
    discovery, sample_errors, status, reason)
VALUES ($run_id, $outlet, $discovered, $fetched, $new, $updated, $unchanged, $failed,
        $not_article, $discovery, $sample_errors, $status, $reason);
