-- Articles that pass the search filters (NULL parameter = no filter), as a temporary table
-- the BM25 and vector rankings both start from, so filters never shrink a finished ranking.
-- Date: the event date when known, else the publication date in WIB.
-- Region: a dotted Kemendagri prefix matching the primary region or any mentioned region.
-- Topic: an exact code, or a prefix ('conflict.') when $topic_prefix is set.
-- Level: the story's highest level when the article belongs to a story, else its own.
-- Confidence ($min_confidence): the trained signal model's calibrated probability of the
-- signal being filtered on, at least the given value: with a topic filter, the confidence
-- of a matching topic (article_topics.confidence); without one, the level's
-- (enrichments.level_confidence). A value an analyst corrected counts 1.0
-- (v_article_signals); NULL (no model decided: rules only) never passes.
-- Each filter is a semi-join on the one narrow table it needs, and its subquery is empty when
-- the filter is unset (`$x IS NOT NULL` folds to false), so an unset filter costs nothing; one
-- join of every table for every article took ~0.4 s at a million articles whatever was set.
CREATE OR REPLACE TEMP TABLE search_candidates AS
SELECT a.id AS article_id
FROM articles a
WHERE ($date_from IS NULL AND $date_to IS NULL
       OR a.id IN (SELECT ad.id
                     FROM articles ad LEFT JOIN article_dates d ON d.article_id = ad.id
                    WHERE ($date_from IS NOT NULL OR $date_to IS NOT NULL)
                      AND ($date_from IS NULL
                           OR coalesce(d.event_date, wib_day(ad.published_at)) >= $date_from)
                      AND ($date_to IS NULL
                           OR coalesce(d.event_date, wib_day(ad.published_at)) <= $date_to)))
  AND ($region IS NULL
       OR a.id IN (SELECT article_id FROM v_article_signals  -- corrections applied
                    WHERE $region IS NOT NULL
                      AND (primary_region_code = $region
                           OR starts_with(primary_region_code, $region || '.'))
                   UNION ALL
                   SELECT article_id FROM article_regions
                    WHERE $region IS NOT NULL
                      AND (code = $region OR starts_with(code, $region || '.'))))
  AND ($topic IS NULL
       OR a.id IN (SELECT article_id FROM article_topics  -- the machine's, unless corrected
                    WHERE $topic IS NOT NULL
                      AND (code = $topic
                           OR ($topic_prefix IS NOT NULL AND starts_with(code, $topic_prefix)))
                      AND article_id NOT IN (SELECT article_id FROM corrections
                                              WHERE field = 'topics')
                   UNION ALL
                   SELECT article_id
                     FROM (SELECT article_id, unnest(topic_codes) AS code
                             FROM v_article_signals WHERE topics_corrected)
                    WHERE $topic IS NOT NULL
                      AND (code = $topic
                           OR ($topic_prefix IS NOT NULL AND starts_with(code, $topic_prefix)))))
  AND ($min_level IS NULL
       OR a.id IN (SELECT sa.article_id
                     FROM story_articles sa JOIN stories s ON s.id = sa.story_id
                    WHERE $min_level IS NOT NULL AND s.max_level >= $min_level
                   UNION ALL
                   SELECT e.article_id FROM v_article_signals e  -- no story level: its own
                    WHERE $min_level IS NOT NULL AND e.escalation_level >= $min_level
                      AND NOT EXISTS (SELECT 1
                                        FROM story_articles sa JOIN stories s ON s.id = sa.story_id
                                       WHERE sa.article_id = e.article_id
                                         AND s.max_level IS NOT NULL)))
  AND ($min_confidence IS NULL
       OR a.id IN (SELECT article_id FROM article_topics  -- the topic's confidence
                    WHERE $min_confidence IS NOT NULL AND $topic IS NOT NULL
                      AND (code = $topic
                           OR ($topic_prefix IS NOT NULL AND starts_with(code, $topic_prefix)))
                      AND confidence >= $min_confidence
                      AND article_id NOT IN (SELECT article_id FROM corrections
                                              WHERE field = 'topics')
                   UNION ALL
                   SELECT article_id FROM v_article_signals  -- topics an analyst set: 1.0
                    WHERE $min_confidence IS NOT NULL AND $topic IS NOT NULL
                      AND topics_corrected AND $min_confidence <= 1.0
                   UNION ALL
                   SELECT article_id FROM v_article_signals  -- no topic filter: the level's
                    WHERE $min_confidence IS NOT NULL AND $topic IS NULL
                      AND level_confidence >= $min_confidence))
