-- DuckLake: INSERT OR REPLACE on (run_id, outlet) as DELETE + INSERT (same transaction).
DELETE FROM crawl_run_outlets WHERE run_id = $run_id AND outlet = $outlet;
INSERT INTO crawl_run_outlets (
    run_id, outlet, discovered, fetched, new, updated, unchanged, failed, not_article,
    discovery, sample_errors, status, reason)
VALUES ($run_id, $outlet, $discovered, $fetched, $new, $updated, $unchanged, $failed,
        $not_article, $discovery, $sample_errors, $status, $reason);
