-- Stories by the ISO week of their first report (as v_signals does).
SELECT s.*,
       strftime(wib_day(coalesce(s.first_seen, s.updated_at)), '%G-W%V') AS week
FROM stories s
