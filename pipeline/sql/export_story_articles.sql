-- Which article belongs to which story, by the week of the story.
SELECT sa.*,
       strftime(CAST(timezone('Asia/Jakarta', coalesce(s.first_seen, s.updated_at)) AS DATE),
                '%G-W%V') AS week
FROM story_articles sa JOIN stories s ON s.id = sa.story_id
