-- Every article of the given stories, with the link an analyst should click and the sentence
-- its signal rests on (the escalation evidence, else its strongest topic's evidence).
WITH a AS (
    SELECT sa.story_id, sa.article_id
    FROM story_articles sa
    WHERE sa.story_id IN (SELECT unnest($story_ids::BIGINT[]))
),
t AS (
    SELECT article_id, arg_max(evidence, score) AS evidence
    FROM article_topics
    WHERE article_id IN (SELECT article_id FROM a) AND evidence IS NOT NULL
    GROUP BY article_id
)
SELECT a.story_id, ar.id AS article_id, ar.outlet, ar.title, ar.published_at,
       coalesce(h.fetched_url, ar.url) AS url, v.escalation_level,  -- corrected, else machine's
       coalesce(e.escalation_evidence, t.evidence) AS evidence
FROM a
JOIN articles ar ON ar.id = a.article_id
LEFT JOIN article_html h ON h.article_id = a.article_id
LEFT JOIN enrichments e ON e.article_id = a.article_id
LEFT JOIN v_article_signals v ON v.article_id = a.article_id
LEFT JOIN t ON t.article_id = a.article_id
ORDER BY a.story_id, ar.published_at NULLS LAST, ar.id;
