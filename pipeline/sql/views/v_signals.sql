-- v_signals: one row per story x region x topic (a story with no topic has one row, topic
-- NULL). The story's primary region names the region; its week is the ISO week of the
-- story's first_seen on the Jakarta (WIB) calendar, as in every view (macros.sql holds the
-- calendar and the province/regency rules).
CREATE OR REPLACE VIEW v_signals AS
WITH s AS (
    SELECT st.*,
           wib_day(st.first_seen) AS day
    FROM stories st
),
base AS (
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
LEFT JOIN regions p ON p.code = s.primary_province_code
),
-- confidences (issue 13): the topic's highest confidence among the story's reports, and the
-- level's confidence from the reports at the story's level; an analyst-checked value counts
-- 1.0 (v_article_signals). n_checked: reports of the story an analyst corrected;
-- level_checked / topic_checked: the value shown rests on an analyst's correction, so its
-- confidence is not a model number (the digest shows "checked").
tc AS (
    SELECT sa.story_id, u.code,
           max(CASE WHEN v.topics_corrected THEN 1.0 ELSE t.confidence END) AS confidence,
           bool_or(v.topics_corrected) AS checked
    FROM story_articles sa
    JOIN v_article_signals v ON v.article_id = sa.article_id
    CROSS JOIN unnest(v.topic_codes) AS u(code)
    LEFT JOIN article_topics t ON t.article_id = sa.article_id AND t.code = u.code
    GROUP BY sa.story_id, u.code
)
SELECT b.*,
       tc.confidence AS topic_confidence,
       coalesce(tc.checked, false) AS topic_checked,
       (SELECT max(v.level_confidence)
        FROM story_articles sa JOIN v_article_signals v ON v.article_id = sa.article_id
        WHERE sa.story_id = b.story_id AND v.escalation_level = b.level) AS level_confidence,
       coalesce((SELECT bool_or(list_contains(v.corrected_fields, 'level'))
                 FROM story_articles sa JOIN v_article_signals v ON v.article_id = sa.article_id
                 WHERE sa.story_id = b.story_id AND v.escalation_level = b.level), false)
           AS level_checked,
       (SELECT count(*)
        FROM story_articles sa JOIN v_article_signals v ON v.article_id = sa.article_id
        WHERE sa.story_id = b.story_id AND len(v.corrected_fields) > 0) AS n_checked
FROM base b
LEFT JOIN tc ON tc.story_id = b.story_id AND tc.code = b.topic;
