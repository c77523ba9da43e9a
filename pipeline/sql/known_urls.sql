-- What the crawler already holds for one outlet: URL -> the freshest date we know for it.
SELECT url, greatest(lastmod, modified_at, published_at) AS known_date, last_fetched
FROM articles WHERE outlet = $outlet
UNION ALL
SELECT al.url, greatest(a.lastmod, a.modified_at, a.published_at), a.last_fetched
FROM article_aliases al JOIN articles a ON a.id = al.article_id
WHERE a.outlet = $outlet;
