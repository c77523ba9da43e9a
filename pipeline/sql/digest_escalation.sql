-- Stories and max escalation level per province and week over the chart's window.
-- Distinct stories first: v_signals has one row per story x region x topic.
WITH s AS (
    SELECT DISTINCT story_id, week_start, iso_week, province_code, province_name, level,
           killed, injured
    FROM v_signals
    WHERE week_start >= $first_week AND week_start <= $week_start
      AND topic IS NOT NULL  -- signal stories only: routine news is not tension
)
SELECT province_code, any_value(province_name) AS province_name, week_start,
       any_value(iso_week) AS iso_week, count(DISTINCT story_id) AS stories,
       max(level) AS max_level, coalesce(sum(killed), 0) AS killed,
       coalesce(sum(injured), 0) AS injured
FROM s
GROUP BY province_code, week_start
ORDER BY province_code NULLS LAST, week_start;
