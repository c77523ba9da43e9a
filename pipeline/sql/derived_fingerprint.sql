-- What the derived tables (actor_first_seen) are computed from; a change means recompute.
SELECT (SELECT count(*) FROM stories) AS stories,
       (SELECT max(updated_at) FROM stories) AS stories_updated,
       (SELECT count(*) FROM story_articles) AS story_articles,
       (SELECT max(added_at) FROM story_articles) AS story_articles_added,
       (SELECT count(*) FROM article_entities) AS entities,
       (SELECT max(enriched_at) FROM enrichments) AS enriched;
