-- Stories newest first with their articles' links (the fetched URL an analyst should click);
-- a kecamatan or desa is named with its kabupaten/kota (region_label, macros.sql).
SELECT s.id, s.first_seen, s.last_seen, s.max_level, s.primary_region_code,
       coalesce(region_label(s.primary_region_code),
                (SELECT any_value(r.name) FROM article_regions r
                 WHERE r.code = s.primary_region_code)) AS region_name,
       s.topic_codes, s.title, s.n_articles, s.n_outlets,
       (SELECT list(coalesce(h.fetched_url, a.url) ORDER BY a.id)
        FROM story_articles sa
        JOIN articles a ON a.id = sa.article_id
        LEFT JOIN article_html h ON h.article_id = a.id
        WHERE sa.story_id = s.id) AS urls
FROM stories s
ORDER BY s.last_seen DESC NULLS LAST, s.id DESC
LIMIT coalesce($limit, 1000000000);
