-- Recompute the aggregates of the given stories from their member articles. A story with no
-- member left disappears. Magnitudes are the best-supported figure, not the sum of reports:
-- among original reports (syndicated copies do not vote), the value most reports give, ties
-- to the latest report; the article it came from is recorded.
DELETE FROM stories WHERE id IN (SELECT unnest($ids::BIGINT[]));
INSERT INTO stories (
    id, title, representative_id, first_seen, last_seen, n_articles, n_outlets, outlets,
    primary_region_code, primary_region_level, primary_province_code, topic_codes, max_level,
    killed, injured, arrested, crowd,
    killed_article_id, injured_article_id, arrested_article_id, crowd_article_id, updated_at)
WITH m AS (
    SELECT s.story_id, a.id, a.outlet, a.title,
           coalesce(a.published_at, CAST(d.event_date AS TIMESTAMP) AT TIME ZONE 'Asia/Jakarta',
                    a.first_seen) AS seen,
           e.primary_region_code AS region, e.primary_region_level AS level,
           e.primary_province_code AS province, e.topic_codes, e.escalation_level,
           e.killed, e.injured, e.arrested, e.crowd,
           coalesce(dup.kind, 'self') = 'self' AS original
    FROM story_articles s
    JOIN articles a ON a.id = s.article_id
    LEFT JOIN v_article_signals e ON e.article_id = a.id
    LEFT JOIN article_dates d ON d.article_id = a.id
    LEFT JOIN article_duplicates dup ON dup.article_id = a.id
    WHERE s.story_id IN (SELECT unnest($ids::BIGINT[]))
),
base AS (
    SELECT story_id, min(seen) AS first_seen, max(seen) AS last_seen,
           count(*) AS n_articles, count(DISTINCT outlet) AS n_outlets,
           list(DISTINCT outlet ORDER BY outlet) AS outlets,
           max(escalation_level) AS max_level
    FROM m GROUP BY story_id
),
rep AS (
    SELECT story_id, id AS representative_id, title
    FROM m
    QUALIFY row_number() OVER (PARTITION BY story_id ORDER BY original DESC, seen, id) = 1
),
region AS (
    SELECT story_id, region, level, province
    FROM (SELECT story_id, region, any_value(level) AS level, any_value(province) AS province,
                 count(*) AS n
          FROM m WHERE region IS NOT NULL GROUP BY story_id, region)
    QUALIFY row_number() OVER (
        PARTITION BY story_id ORDER BY n DESC, length(region) DESC, region) = 1
),
topics AS (
    SELECT story_id, list(DISTINCT t ORDER BY t) AS topic_codes
    FROM (SELECT story_id, unnest(topic_codes) AS t FROM m)
    GROUP BY story_id
),
figures AS (
    SELECT story_id, 'killed' AS f, killed AS v, id, seen FROM m WHERE killed IS NOT NULL AND original
    UNION ALL
    SELECT story_id, 'injured', injured, id, seen FROM m WHERE injured IS NOT NULL AND original
    UNION ALL
    SELECT story_id, 'arrested', arrested, id, seen FROM m WHERE arrested IS NOT NULL AND original
    UNION ALL
    SELECT story_id, 'crowd', crowd, id, seen FROM m WHERE crowd IS NOT NULL AND original
),
votes AS (
    SELECT story_id, f, v, count(*) AS n, max(seen) AS latest, arg_max(id, seen) AS article
    FROM figures GROUP BY story_id, f, v
    QUALIFY row_number() OVER (PARTITION BY story_id, f ORDER BY n DESC, latest DESC, v DESC) = 1
),
mags AS (
    SELECT story_id,
           max(v) FILTER (WHERE f = 'killed') AS killed,
           max(v) FILTER (WHERE f = 'injured') AS injured,
           max(v) FILTER (WHERE f = 'arrested') AS arrested,
           max(v) FILTER (WHERE f = 'crowd') AS crowd,
           max(article) FILTER (WHERE f = 'killed') AS killed_article_id,
           max(article) FILTER (WHERE f = 'injured') AS injured_article_id,
           max(article) FILTER (WHERE f = 'arrested') AS arrested_article_id,
           max(article) FILTER (WHERE f = 'crowd') AS crowd_article_id
    FROM votes GROUP BY story_id
)
SELECT b.story_id, rep.title, rep.representative_id, b.first_seen, b.last_seen,
       b.n_articles, b.n_outlets, b.outlets,
       region.region, region.level, region.province, coalesce(topics.topic_codes, []),
       b.max_level,
       mags.killed, mags.injured, mags.arrested, mags.crowd,
       mags.killed_article_id, mags.injured_article_id, mags.arrested_article_id,
       mags.crowd_article_id, $now
FROM base b
JOIN rep ON rep.story_id = b.story_id
LEFT JOIN region ON region.story_id = b.story_id
LEFT JOIN topics ON topics.story_id = b.story_id
LEFT JOIN mags ON mags.story_id = b.story_id;
