-- The query `suar demo` suggests trying afterwards (printed as one line).
SELECT outlet, count(*) AS articles, min(published_at) AS first, max(published_at) AS last
FROM articles GROUP BY outlet ORDER BY articles DESC
