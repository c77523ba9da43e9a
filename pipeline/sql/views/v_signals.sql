-- v_signals: one row per story x region x topic (a story with no topic has one row, topic
-- NULL). The story's primary region names the region; its week is the ISO week of the
-- story's first_seen on the Jakarta (WIB) calendar, as in every view (macros.sql holds the
-- calendar and the province/regency rules).
CREATE OR REPLACE VIEW v_signals AS
WITH s AS (
    SELECT st.*,
           wib_day(st.first_seen) AS day
    FROM stories st
)
SELECT s.id AS story_id,
       s.title,
       s.primary_region_code AS region_code,
       r.name AS region_name,
       coalesce(s.primary_region_level, r.level) AS region_level,
       story_province(s.primary_province_code, s.primary_region_code) AS province_code,
       coalesce(r.province_name, p.name) AS province_name,
       story_regency(s.primary_region_level, s.primary_region_code) AS regency_code,
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
