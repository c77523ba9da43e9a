-- v_actors: who appears in the week's stories. One row per ISO week (of the story's
-- first_seen, Jakarta calendar) x actor class x actor text, over persons and organisations
-- that are not bylines. first_seen_ever is the first_seen of the earliest story the actor
-- text appears in, with any class (table actor_first_seen, recomputed on every read-write
-- open after stories or enrichments changed; an actor newer than that table falls back to
-- its earliest story in this view). is_new: first_seen_ever falls in this row's week.
CREATE OR REPLACE VIEW v_actors AS
WITH weekly AS (
    SELECT wib_week(s.first_seen) AS week_start,
           e.actor_class,
           e.text AS actor,
           count(DISTINCT s.id) AS stories,
           count(DISTINCT e.article_id) AS articles,
           max(s.max_level) AS max_level,
           min(s.first_seen) AS first_seen_here
    FROM article_entities e
    JOIN story_articles sa ON sa.article_id = e.article_id
    JOIN stories s ON s.id = sa.story_id
    WHERE NOT e.is_byline AND e.label IN ('PER', 'ORG') AND s.first_seen IS NOT NULL
    GROUP BY ALL
),
firsts AS (
    SELECT w.*, least(f.first_seen_ever, w.first_seen_here) AS first_seen_ever
    FROM weekly w
    LEFT JOIN actor_first_seen f ON f.actor = w.actor
)
SELECT strftime(week_start, '%G-W%V') AS iso_week,
       week_start,
       actor_class,
       actor,
       stories,
       articles,
       max_level,
       first_seen_ever,
       wib_week(first_seen_ever) = week_start AS is_new
FROM firsts;
