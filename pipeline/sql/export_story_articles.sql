-- Which article belongs to which story, by the week of the story.
SELECT sa.*,
       strftime(wib_day(coalesce(s.first_seen, s.updated_at)), '%G-W%V') AS week
FROM story_articles sa JOIN stories s ON s.id = sa.story_id
