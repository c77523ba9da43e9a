-- Weeks that have stories, newest first (the digest's default week is chosen from these).
SELECT week_start, any_value(iso_week) AS iso_week
FROM v_weekly
GROUP BY week_start
ORDER BY week_start DESC;
