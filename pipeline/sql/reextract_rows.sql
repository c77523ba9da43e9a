-- Articles whose raw HTML we kept, optionally for one outlet.
SELECT a.id, a.url, a.outlet, h.fetched_url, h.encoding, h.html_gz, a.lastmod
FROM articles a JOIN article_html h ON h.article_id = a.id
WHERE $outlet IS NULL OR a.outlet = $outlet
ORDER BY a.id;
