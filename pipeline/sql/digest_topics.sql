-- Stories per topic this week against the weekly average of the previous weeks.
SELECT topic,
       coalesce(sum(stories) FILTER (WHERE week_start = $week_start), 0) AS this_week,
       coalesce(sum(stories) FILTER (WHERE week_start < $week_start), 0) / $weeks AS baseline,
       max(max_level) FILTER (WHERE week_start = $week_start) AS max_level
FROM v_weekly
WHERE week_start >= $first_week AND week_start <= $week_start AND topic IS NOT NULL
GROUP BY topic
ORDER BY topic;  -- ranked by rise in pipeline/digest.py
