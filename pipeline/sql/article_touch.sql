-- Fetched again, content unchanged: only the bookkeeping moves.
UPDATE articles SET
    last_fetched = $now, lastmod = coalesce($lastmod, lastmod),
    last_run_id = coalesce($run_id, last_run_id)
WHERE id = $id;
