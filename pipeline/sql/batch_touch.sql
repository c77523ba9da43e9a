-- Fetched again, content unchanged (or a duplicate URL): only the bookkeeping moves.
UPDATE articles SET
    last_fetched = $now,
    lastmod = coalesce(t.lastmod, articles.lastmod),
    last_run_id = coalesce($run_id, articles.last_run_id)
FROM (SELECT unnest($id) AS id, unnest($lastmod::TIMESTAMPTZ[]) AS lastmod) t
WHERE articles.id = t.id;
