-- Actors whose first appearance in any story falls in this week. $week_begins/$week_ends:
-- Monday 00:00 and the next Monday in Asia/Jakarta (the views' calendar), as timestamps.
SELECT actor_class, actor, stories, articles, max_level, first_seen_ever
FROM v_actors
WHERE week_start = $week_start
  AND first_seen_ever >= $week_begins AND first_seen_ever < $week_ends
ORDER BY max_level DESC NULLS LAST, stories DESC, articles DESC, actor
LIMIT $limit;
