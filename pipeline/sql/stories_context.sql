-- Already-assigned articles the new ones are compared with: those dated near them, and the
-- undated ones (everything when a new article is undated itself).
SELECT s.article_id, s.story_id
FROM story_articles s
LEFT JOIN article_dates d ON d.article_id = s.article_id
WHERE $everything
   OR d.event_date IS NULL
   OR d.event_date BETWEEN $lo AND $hi;
