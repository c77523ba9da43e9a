-- Articles that pass the search filters (NULL parameter = no filter), as a temporary table
-- the BM25 and vector rankings both start from, so filters never shrink a finished ranking.
-- Date: the event date when known, else the publication date in WIB.
-- Region: a dotted Kemendagri prefix matching the primary region or any mentioned region.
-- Topic: an exact code, or a prefix ('conflict.') when $topic_prefix is set.
-- Level: the story's highest level when the article belongs to a story, else its own.
CREATE OR REPLACE TEMP TABLE search_candidates AS
SELECT a.id AS article_id
FROM articles a
LEFT JOIN enrichments e ON e.article_id = a.id
LEFT JOIN article_dates d ON d.article_id = a.id
LEFT JOIN story_articles sa ON sa.article_id = a.id
LEFT JOIN stories s ON s.id = sa.story_id
WHERE ($date_from IS NULL
       OR coalesce(d.event_date, wib_day(a.published_at)) >= $date_from)
  AND ($date_to IS NULL
       OR coalesce(d.event_date, wib_day(a.published_at)) <= $date_to)
  AND ($region IS NULL
       OR e.primary_region_code = $region
       OR starts_with(e.primary_region_code, $region || '.')
       OR EXISTS (SELECT 1 FROM article_regions r
                   WHERE r.article_id = a.id
                     AND (r.code = $region OR starts_with(r.code, $region || '.'))))
  AND ($topic IS NULL
       OR EXISTS (SELECT 1 FROM article_topics t
                   WHERE t.article_id = a.id
                     AND (t.code = $topic
                          OR ($topic_prefix IS NOT NULL
                              AND starts_with(t.code, $topic_prefix)))))
  AND ($min_level IS NULL OR coalesce(s.max_level, e.escalation_level) >= $min_level)
