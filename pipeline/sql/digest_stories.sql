-- Top stories of one week: highest level first, then the most widely reported. Magnitudes
-- come with the phrase of the report each figure was taken from; the level and each topic with
-- their confidence (v_signals).
WITH s AS (
    SELECT story_id, any_value(title) AS title, any_value(region_code) AS region_code,
           any_value(region_name) AS region_name, any_value(region_level) AS region_level,
           any_value(province_name) AS province_name,
           list(DISTINCT topic ORDER BY topic) FILTER (WHERE topic IS NOT NULL) AS topics,
           any_value(level) AS level, any_value(n_articles) AS n_articles,
           any_value(n_outlets) AS n_outlets, any_value(representative_url) AS representative_url,
           min(first_seen) AS first_seen,
           -- confidences (issue 13): the model's calibrated probability, or checked by an analyst
           any_value(level_confidence) AS level_confidence,
           bool_or(level_checked) AS level_checked,
           list({'topic': topic, 'confidence': topic_confidence, 'checked': topic_checked}
                ORDER BY topic) FILTER (WHERE topic IS NOT NULL) AS topic_signals
    FROM v_signals
    WHERE week_start = $week_start
    GROUP BY story_id
    HAVING coalesce(any_value(level), 0) >= $min_level
    ORDER BY level DESC NULLS LAST, n_outlets DESC, n_articles DESC, story_id
    LIMIT $limit
)
SELECT s.*, st.outlets, st.killed, st.injured, st.arrested, st.crowd,
       ek.killed_evidence, ei.injured_evidence, ea.arrested_evidence, ec.crowd_evidence
FROM s
JOIN stories st ON st.id = s.story_id
LEFT JOIN enrichments ek ON ek.article_id = st.killed_article_id
LEFT JOIN enrichments ei ON ei.article_id = st.injured_article_id
LEFT JOIN enrichments ea ON ea.article_id = st.arrested_article_id
LEFT JOIN enrichments ec ON ec.article_id = st.crowd_article_id
ORDER BY s.level DESC NULLS LAST, s.n_outlets DESC, s.n_articles DESC, s.story_id;
