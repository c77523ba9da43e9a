-- 007: analytics (issue 5), continued. When each actor (entity text of a non-byline person
-- or organisation) first appeared in any story: what makes "new actors this week" cheap. Derived from stories, story_articles and
-- article_entities; recomputed by pipeline/db.py (refresh_derived) on a read-write open
-- whenever those changed.
CREATE TABLE actor_first_seen (
    actor            VARCHAR PRIMARY KEY,  -- article_entities.text
    first_seen_ever  TIMESTAMPTZ NOT NULL, -- first_seen of the earliest story naming the actor
    first_story_id   BIGINT                -- that story
);
