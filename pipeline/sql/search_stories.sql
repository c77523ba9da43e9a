-- What a result line shows for each story found.
SELECT s.id, s.title, s.max_level, s.primary_region_code,
       region_label(s.primary_region_code) AS region_name,
       s.first_seen, s.last_seen, s.n_articles, s.n_outlets, s.topic_codes
FROM stories s
WHERE s.id IN (SELECT unnest($ids))
