-- v_signals: one row per story x region x topic (a story with no topic has one row, topic
-- NULL). The story's primary region names the region; its week is the ISO week of the
-- story's first_seen on the Jakarta (WIB) calendar, as in every view. WIB is UTC+7 all year
-- (no daylight saving), so the views add a fixed 7 hours to the epoch instead of calling the
-- ICU timezone() function, which is ten times slower on every row a week filter reads.
-- Region codes are fixed-width ('64', '64.71', '64.71.01', ...): the first 2 characters are
-- the province, the first 5 the kabupaten/kota.
CREATE OR REPLACE VIEW v_signals AS
WITH s AS (
    SELECT st.*,
           CAST(make_timestamp(epoch_us(st.first_seen) + 25200000000) AS DATE) AS day
    FROM stories st
)
SELECT s.id AS story_id,
       s.title,
       s.primary_region_code AS region_code,
       r.name AS region_name,
       coalesce(s.primary_region_level, r.level) AS region_level,
       coalesce(s.primary_province_code, left(s.primary_region_code, 2)) AS province_code,
       coalesce(r.province_name, p.name) AS province_name,
       CASE WHEN s.primary_region_level IN ('regency', 'district', 'village')
            THEN left(s.primary_region_code, 5) END AS regency_code,
       r.regency_name,
       unnest(CASE WHEN len(s.topic_codes) > 0 THEN s.topic_codes
                   ELSE [NULL::VARCHAR] END) AS topic,
       s.max_level AS level,
       s.killed,
       s.injured,
       s.arrested,
       s.crowd,
       s.first_seen,
       s.last_seen,
       strftime(s.day, '%G-W%V') AS iso_week,
       CAST(date_trunc('week', s.day) AS DATE) AS week_start,
       s.day,
       s.n_articles,
       s.n_outlets,
       s.outlets,
       s.topic_codes,
       s.representative_id,
       -- the link to click: the fetched URL, else the canonical one. Keyed look-ups rather
       -- than joins, so a one-week query never builds a hash table of every article.
       coalesce((SELECT h.fetched_url FROM article_html h
                 WHERE h.article_id = s.representative_id),
                (SELECT a.url FROM articles a WHERE a.id = s.representative_id))
           AS representative_url
FROM s
LEFT JOIN regions r ON r.code = s.primary_region_code
LEFT JOIN regions p ON p.code = s.primary_province_code;
