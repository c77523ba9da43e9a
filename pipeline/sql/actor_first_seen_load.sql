-- Recompute actor_first_seen from all stories (set-wise; the caller deleted the old rows).
INSERT INTO actor_first_seen
SELECT e.text AS actor,
       min(s.first_seen) AS first_seen_ever,
       arg_min(s.id, s.first_seen) AS first_story_id
FROM article_entities e
JOIN story_articles sa ON sa.article_id = e.article_id
JOIN stories s ON s.id = sa.story_id
WHERE NOT e.is_byline AND e.label IN ('PER', 'ORG') AND s.first_seen IS NOT NULL
GROUP BY e.text;
