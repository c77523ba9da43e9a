-- v_coverage: what the crawl did per day (Jakarta calendar, by run start) and outlet, so
-- silence can be told from calm: an outlet with runs but no new articles went quiet; an
-- outlet with failures or no runs at all was not watched.
CREATE OR REPLACE VIEW v_coverage AS
SELECT wib_day(r.started_at) AS day,
       o.outlet,
       CAST(sum(o.fetched) AS BIGINT) AS fetched,
       CAST(sum(o.new) AS BIGINT) AS new,
       CAST(sum(o.updated) AS BIGINT) AS updated,
       CAST(sum(o.failed) AS BIGINT) AS failed,
       count(DISTINCT o.run_id) AS runs,
       CAST(sum(o.discovered) AS BIGINT) AS discovered,
       CAST(sum(o.unchanged) AS BIGINT) AS unchanged,
       CAST(sum(o.not_article) AS BIGINT) AS not_article,
       count(DISTINCT o.run_id) FILTER (WHERE r.status IN ('failed', 'interrupted'))
           AS runs_failed
FROM crawl_run_outlets o
JOIN crawl_runs r ON r.id = o.run_id
GROUP BY ALL;
