-- v_hotspots: per ISO week, every province and kabupaten/kota with stories, measured against
-- its own recent past. A story counts for its province and, when placed in a kabupaten/kota
-- (or a kecamatan/desa of one), for that kabupaten/kota too. Only signal stories count: those
-- with at least one TAXONOMY topic. Routine news (no topic, level 0) measures how much an
-- outlet publishes, not tension, so a busy newsroom never makes its city a hotspot.
--   baseline  stories/week over the region's previous 8 weeks (fewer when the database holds
--             less history: baseline_weeks says how many; 0 weeks -> baseline 0)
--   rise      (stories - baseline) / sqrt(baseline + 1): how far above its normal the region
--             is, in Poisson standard deviations with one story of smoothing
--   score     rise + 0.5 x max escalation level + 1 if anyone was killed (higher = hotter)
--   reason    the same in words: '3 stories vs 0.4/week baseline; max level 3; 2 killed'
-- Speed: a filter on week_start or iso_week reaches the stories scan for the week's own
-- figures; the baseline joins each week to narrow story counts of its 8 predecessors (one
-- grouped pass over stories), so a one-week query never aggregates history in full.
CREATE OR REPLACE VIEW v_hotspots AS
-- `counts`: story counts of every week and region, all the baseline needs, kept narrow.
WITH
counts AS MATERIALIZED (
    SELECT wib_week(first_seen) AS week_start,
           story_province(primary_province_code, primary_region_code) AS province_code,
           story_regency(primary_region_level, primary_region_code) AS regency_code,
           count(*) AS n
    FROM stories
    WHERE first_seen IS NOT NULL
      AND coalesce(primary_province_code, primary_region_code) IS NOT NULL
      AND len(topic_codes) > 0
    GROUP BY ALL
),
region_counts AS (
    SELECT regency_code AS region_code, week_start, sum(n) AS n
    FROM counts WHERE regency_code IS NOT NULL GROUP BY ALL
    UNION ALL
    SELECT province_code AS region_code, week_start, sum(n) AS n
    FROM counts GROUP BY ALL
),
weekly AS (
    SELECT week_start,
           coalesce(regency_code, province_code) AS region_code,
           CASE WHEN grouping(regency_code) = 0 THEN 'regency' ELSE 'province' END
               AS region_level,
           province_code,
           count(*) AS stories,
           CAST(sum(n_articles) AS BIGINT) AS articles,
           max(max_level) AS max_level,
           CAST(coalesce(sum(killed), 0) AS BIGINT) AS killed,
           CAST(coalesce(sum(injured), 0) AS BIGINT) AS injured,
           CAST(coalesce(sum(arrested), 0) AS BIGINT) AS arrested,
           flatten(list(topic_codes)) AS all_topics
    FROM (
        SELECT wib_week(first_seen) AS week_start,
               story_province(primary_province_code, primary_region_code) AS province_code,
               story_regency(primary_region_level, primary_region_code) AS regency_code,
               n_articles, max_level, killed, injured, arrested, topic_codes
        FROM stories
        WHERE first_seen IS NOT NULL
          AND coalesce(primary_province_code, primary_region_code) IS NOT NULL
          AND len(topic_codes) > 0
    )
    GROUP BY GROUPING SETS ((week_start, province_code),
                            (week_start, province_code, regency_code))
    HAVING grouping(regency_code) = 1 OR regency_code IS NOT NULL
),
history AS (
    SELECT w.*,
           (SELECT coalesce(sum(p.n), 0)
            FROM region_counts p
            WHERE p.region_code = w.region_code
              AND p.week_start >= w.week_start - 56
              AND p.week_start <= w.week_start - 7) AS previous_stories,
           least(8, (w.week_start - f.first_week) // 7) AS baseline_weeks
    FROM weekly w
    CROSS JOIN (
        SELECT wib_week(min(first_seen)) AS first_week
        FROM stories
    ) f
),
scored AS (
    SELECT h.*,
           CASE WHEN baseline_weeks > 0 THEN previous_stories / baseline_weeks ELSE 0.0 END
               AS baseline,
           coalesce(list_transform(
               list_sort(list_transform(map_entries(list_aggregate(all_topics, 'histogram')),
                                        x -> {'n': -x.value, 'topic': x.key})),
               x -> x.topic), []) AS topics
    FROM history h
),
risen AS (
    SELECT sc.*, (stories - baseline) / sqrt(baseline + 1) AS rise FROM scored sc
)
SELECT strftime(r.week_start, '%G-W%V') AS iso_week,
       r.week_start,
       r.region_code,
       n.name AS region_name,
       r.region_level,
       r.province_code,
       p.name AS province_name,
       r.stories,
       round(r.baseline, 2) AS baseline,
       r.max_level,
       r.killed,
       r.injured,
       round(r.rise + 0.5 * coalesce(r.max_level, 0) + CASE WHEN r.killed > 0 THEN 1 ELSE 0 END,
             2) AS score,
       format('{} {} vs {}/week baseline', r.stories,
              CASE WHEN r.stories = 1 THEN 'story' ELSE 'stories' END,
              printf('%.1f', r.baseline))
       || CASE WHEN r.baseline_weeks = 0 THEN ' (no earlier weeks in the database)'
               WHEN r.baseline_weeks = 1 THEN ' (over 1 week)'
               WHEN r.baseline_weeks < 8 THEN format(' (over {} weeks)', r.baseline_weeks)
               ELSE '' END
       || CASE WHEN r.max_level IS NOT NULL THEN format('; max level {}', r.max_level) ELSE '' END
       || CASE WHEN r.killed > 0 THEN format('; {} killed', r.killed) ELSE '' END
       || CASE WHEN r.injured > 0 THEN format('; {} injured', r.injured) ELSE '' END
       || CASE WHEN r.arrested > 0 THEN format('; {} arrested', r.arrested) ELSE '' END
       || CASE WHEN len(r.topics) > 0
               THEN '; ' || array_to_string(r.topics[1:3], ', ') ELSE '' END AS reason,
       round(r.rise, 2) AS rise,
       r.baseline_weeks,
       r.articles,
       r.arrested,
       r.topics
FROM risen r
LEFT JOIN regions n ON n.code = r.region_code
LEFT JOIN regions p ON p.code = r.province_code;
