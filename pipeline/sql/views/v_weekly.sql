-- v_weekly: stories per ISO week x province x kabupaten/kota x topic (the week and region
-- rules of macros.sql, as in v_signals). regency_code is NULL for stories placed at province level only;
-- province_code is NULL for national stories (no primary region); topic is NULL for stories
-- without a topic. A story with several topics counts once under each, so add `stories`
-- across topics only knowing that; for all-topic totals count distinct story_id in
-- v_signals, or read v_hotspots.
CREATE OR REPLACE VIEW v_weekly AS
SELECT strftime(w.week_start, '%G-W%V') AS iso_week,
       w.week_start,
       w.province_code,
       p.name AS province_name,
       w.regency_code,
       r.name AS regency_name,
       w.topic,
       w.stories,
       w.articles,
       w.max_level,
       w.killed,
       w.injured,
       w.arrested
FROM (
    SELECT week_start, province_code, regency_code, topic,
           count(*) AS stories,
           CAST(sum(n_articles) AS BIGINT) AS articles,
           max(max_level) AS max_level,
           CAST(coalesce(sum(killed), 0) AS BIGINT) AS killed,
           CAST(coalesce(sum(injured), 0) AS BIGINT) AS injured,
           CAST(coalesce(sum(arrested), 0) AS BIGINT) AS arrested
    FROM (
        SELECT wib_week(first_seen) AS week_start,
               story_province(primary_province_code, primary_region_code) AS province_code,
               story_regency(primary_region_level, primary_region_code) AS regency_code,
               unnest(CASE WHEN len(topic_codes) > 0 THEN topic_codes
                           ELSE [NULL::VARCHAR] END) AS topic,
               n_articles, max_level, killed, injured, arrested
        FROM stories
        WHERE first_seen IS NOT NULL
    )
    GROUP BY ALL
) w
LEFT JOIN regions p ON p.code = w.province_code
LEFT JOIN regions r ON r.code = w.regency_code;
