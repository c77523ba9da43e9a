-- Stories by the ISO week of their first report (as v_signals does).
SELECT s.*,
       strftime(CAST(timezone('Asia/Jakarta', coalesce(s.first_seen, s.updated_at)) AS DATE),
                '%G-W%V') AS week
FROM stories s
