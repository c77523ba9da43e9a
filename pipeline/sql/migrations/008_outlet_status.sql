-- 009: a per-run, per-outlet verdict, so an outlet that discovered nothing is never 'ok'.
-- status: ok | failed (discovery requests failed and nothing was found) | empty (the site
-- answered but no article URL was found); NULL while the run is still going. reason: why.
ALTER TABLE crawl_run_outlets ADD COLUMN status VARCHAR;
ALTER TABLE crawl_run_outlets ADD COLUMN reason VARCHAR;
