-- Corrected articles with their signal fields as v_article_signals gives them (the analyst's
-- value where corrected, the machine's elsewhere), for news-dev-format training rows.
SELECT a.id, coalesce(h.fetched_url, a.url) AS url, a.outlet, a.title, a.body,
       sa.story_id, v.topic_codes, v.escalation_level,
       v.killed, v.injured, v.arrested, v.crowd,
       story_province(v.primary_province_code, v.primary_region_code) AS province_code,
       p.name AS province_name,
       story_regency(v.primary_region_level, v.primary_region_code) AS regency_code,
       g.name AS regency_name,
       v.corrected_fields
FROM v_article_signals v
JOIN articles a ON a.id = v.article_id
LEFT JOIN article_html h ON h.article_id = a.id
LEFT JOIN story_articles sa ON sa.article_id = a.id
LEFT JOIN regions p ON p.code = story_province(v.primary_province_code, v.primary_region_code)
LEFT JOIN regions g ON g.code = story_regency(v.primary_region_level, v.primary_region_code)
WHERE len(v.corrected_fields) > 0
ORDER BY a.id;
