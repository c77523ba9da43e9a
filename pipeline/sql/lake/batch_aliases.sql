-- DuckLake: INSERT OR IGNORE as an anti-join (the first row per URL wins, as with the key).
INSERT INTO article_aliases (url, article_id, reason, seen_at)
SELECT url, id, reason, $now
FROM (SELECT unnest($url) AS url, unnest($id) AS id, unnest($reason) AS reason,
             unnest(range(len($url))) AS k) q
WHERE url NOT IN (SELECT url FROM article_aliases)
QUALIFY row_number() OVER (PARTITION BY url ORDER BY k) = 1;
