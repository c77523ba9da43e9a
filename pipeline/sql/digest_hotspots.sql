-- The week's hotspots, hottest first, with the view's own reason. SELECT *: the digest uses
-- the contract's columns and, where the view offers them, extras such as arrested or topics.
SELECT *
FROM v_hotspots
WHERE week_start = $week_start
ORDER BY score DESC, stories DESC, region_code
LIMIT $limit;
