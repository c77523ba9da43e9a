-- Per outlet, for one week: what was crawled FOR that week, judged by the articles'
-- publication dates (Jakarta calendar, as in the views) and the runs that fetched them, not
-- by when the runs happened, so a first crawl, a backfill or a catch-up digest covers the
-- week it fetched. The week's runs are those that started in it plus those that first
-- fetched one of its articles; their per-outlet counters (fetched, failed, errors) count,
-- including for outlets that failed in them. new: the week's articles that a crawl fetched
-- (imports are not new); usual_new: the same per week over the $weeks weeks before.
-- $week_begins/$week_ends: the week's bounds in Asia/Jakarta as timestamps; $weeks_begin:
-- the start of the baseline, so every filter is a plain range scan.
WITH week_articles AS (
    SELECT outlet, first_run_id
    FROM articles
    WHERE published_at >= $week_begins AND published_at < $week_ends
),
week_runs AS (
    SELECT id FROM crawl_runs WHERE started_at >= $week_begins AND started_at < $week_ends
    UNION
    SELECT DISTINCT first_run_id FROM week_articles WHERE first_run_id IS NOT NULL
),
runs AS (
    SELECT o.*, r.started_at
    FROM crawl_run_outlets o
    JOIN week_runs w ON w.id = o.run_id
    JOIN crawl_runs r ON r.id = o.run_id
),
cov AS (
    SELECT outlet, count(DISTINCT run_id) AS runs, sum(fetched) AS fetched,
           sum(failed) AS failed,
           arg_max(coalesce(reason, sample_errors[1]), started_at)
               FILTER (WHERE failed > 0 OR status IN ('failed', 'empty')) AS last_error
    FROM runs
    GROUP BY outlet
),
pub AS (
    SELECT outlet, count(*) AS articles,
           count(*) FILTER (WHERE first_run_id IS NOT NULL) AS new
    FROM week_articles
    GROUP BY outlet
),
usual AS (
    SELECT outlet, count(*) / $weeks AS usual_new
    FROM articles
    WHERE published_at >= $weeks_begin AND published_at < $week_begins
      AND first_run_id IS NOT NULL
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
last_seen AS (  -- the outlet's latest article published by the week's end
    SELECT outlet, max(published_at) AS last_article
    FROM articles
    WHERE published_at < $week_ends
    GROUP BY outlet
),
names AS (
    SELECT outlet FROM cov UNION SELECT outlet FROM pub UNION SELECT outlet FROM st
    UNION SELECT outlet FROM last_seen
)
SELECT n.outlet, coalesce(cov.runs, 0) AS runs, coalesce(cov.fetched, 0) AS fetched,
       coalesce(pub.new, 0) AS new, coalesce(cov.failed, 0) AS failed,
       coalesce(usual.usual_new, 0) AS usual_new, coalesce(pub.articles, 0) AS articles,
       coalesce(st.stories, 0) AS stories, ls.last_article, cov.last_error
FROM names n
LEFT JOIN cov USING (outlet)
LEFT JOIN pub USING (outlet)
LEFT JOIN usual USING (outlet)
LEFT JOIN st USING (outlet)
LEFT JOIN last_seen ls USING (outlet)
ORDER BY n.outlet;
