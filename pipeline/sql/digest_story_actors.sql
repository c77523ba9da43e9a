-- Actors named in the given stories (bylines excluded), most mentioned first.
SELECT sa.story_id, e.actor_class, e.text AS actor, count(*) AS mentions
FROM story_articles sa
JOIN article_entities e ON e.article_id = sa.article_id
WHERE sa.story_id IN (SELECT unnest($story_ids::BIGINT[]))
  AND NOT e.is_byline AND e.actor_class IS NOT NULL
GROUP BY ALL
ORDER BY sa.story_id, mentions DESC, actor;
