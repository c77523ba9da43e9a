-- Per outlet: crawl runs and counters this week, the usual weekly new articles before it,
-- articles published this week (Jakarta calendar, as in the views), stories it reported,
-- its last new article and its latest error. $week_begins/$week_ends: the week's bounds in
-- Asia/Jakarta as timestamps (the views' calendar), so the filters are plain range scans.
WITH cov AS (
    SELECT outlet,
           coalesce(sum(runs) FILTER (WHERE day >= $week_start), 0) AS runs,
           coalesce(sum(fetched) FILTER (WHERE day >= $week_start), 0) AS fetched,
           coalesce(sum(new) FILTER (WHERE day >= $week_start), 0) AS new,
           coalesce(sum(failed) FILTER (WHERE day >= $week_start), 0) AS failed,
           coalesce(sum(new) FILTER (WHERE day < $week_start), 0) / $weeks AS usual_new
    FROM v_coverage
    WHERE day >= $first_week AND day < $week_start + INTERVAL 7 DAY
    GROUP BY outlet
),
pub AS (
    SELECT outlet, count(*) AS articles
    FROM articles
    WHERE published_at >= $week_begins AND published_at < $week_ends
    GROUP BY outlet
),
week_stories AS (
    SELECT DISTINCT story_id FROM v_signals WHERE week_start = $week_start
),
st AS (  -- join first, then unnest: unnesting every story's outlets is slow
    SELECT outlet, count(*) AS stories
    FROM (SELECT unnest(s.outlets) AS outlet
          FROM stories s JOIN week_stories w ON w.story_id = s.id)
    GROUP BY outlet
),
last_seen AS (
    SELECT outlet, max(first_seen) AS last_article FROM articles GROUP BY outlet
),
err AS (
    SELECT o.outlet, arg_max(o.sample_errors[1], r.started_at) AS last_error
    FROM crawl_run_outlets o JOIN crawl_runs r ON r.id = o.run_id
    WHERE r.started_at >= $week_begins AND r.started_at < $week_ends
      AND o.failed > 0
    GROUP BY o.outlet
),
names AS (
    SELECT outlet FROM cov UNION SELECT outlet FROM pub UNION SELECT outlet FROM st
    UNION SELECT outlet FROM last_seen
)
SELECT n.outlet, coalesce(cov.runs, 0) AS runs, coalesce(cov.fetched, 0) AS fetched,
       coalesce(cov.new, 0) AS new, coalesce(cov.failed, 0) AS failed,
       coalesce(cov.usual_new, 0) AS usual_new, coalesce(pub.articles, 0) AS articles,
       coalesce(st.stories, 0) AS stories, ls.last_article, err.last_error
FROM names n
LEFT JOIN cov USING (outlet)
LEFT JOIN pub USING (outlet)
LEFT JOIN st USING (outlet)
LEFT JOIN last_seen ls USING (outlet)
LEFT JOIN err USING (outlet)
ORDER BY n.outlet;
