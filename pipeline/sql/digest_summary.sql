-- Headline counts of one week, over distinct stories (never articles).
WITH s AS (
    SELECT story_id, any_value(province_code) AS province_code, any_value(level) AS level,
           any_value(killed) AS killed, any_value(injured) AS injured,
           any_value(n_articles) AS n_articles, any_value(n_checked) AS n_checked
    FROM v_signals
    WHERE week_start = $week_start AND topic IS NOT NULL  -- signal stories only
    GROUP BY story_id
),
-- outlets of the week's stories: join first, then unnest (unnesting all stories is slow)
o AS (
    SELECT count(DISTINCT outlet) AS outlets
    FROM (SELECT unnest(st.outlets) AS outlet FROM stories st JOIN s ON s.story_id = st.id)
)
SELECT count(*) AS stories,
       coalesce(sum(n_articles), 0) AS articles,
       count(DISTINCT province_code) AS provinces,
       count(*) FILTER (WHERE level >= 3) AS violent,
       coalesce(sum(killed), 0) AS killed,
       coalesce(sum(injured), 0) AS injured,
       count(*) FILTER (WHERE n_checked > 0) AS checked,  -- stories an analyst corrected
       (SELECT outlets FROM o) AS outlets  -- 0, not NULL, in a week without stories
FROM s;
