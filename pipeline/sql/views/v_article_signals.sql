-- v_article_signals: one row per enriched article with its signal fields as the analyst last
-- set them (table `corrections`, latest per article and field wins) over the machine's
-- (table `enrichments`). Stories, v_signals, digests and search read this, so a correction
-- survives re-enrichment. A corrected field's confidence is 1.0 (an analyst checked it).
CREATE OR REPLACE VIEW v_article_signals AS
WITH latest AS (
    SELECT article_id, field, value
    FROM corrections
    QUALIFY row_number() OVER (
        PARTITION BY article_id, field ORDER BY corrected_at DESC, id DESC) = 1
),
c AS (
    SELECT article_id,
           bool_or(field = 'topics') AS has_topics,
           bool_or(field = 'level') AS has_level,
           bool_or(field = 'killed') AS has_killed,
           bool_or(field = 'injured') AS has_injured,
           bool_or(field = 'arrested') AS has_arrested,
           bool_or(field = 'crowd') AS has_crowd,
           bool_or(field = 'primary_region') AS has_region,
           max(value) FILTER (WHERE field = 'topics') AS topics,
           max(value) FILTER (WHERE field = 'level') AS level,
           max(value) FILTER (WHERE field = 'killed') AS killed,
           max(value) FILTER (WHERE field = 'injured') AS injured,
           max(value) FILTER (WHERE field = 'arrested') AS arrested,
           max(value) FILTER (WHERE field = 'crowd') AS crowd,
           max(value) FILTER (WHERE field = 'primary_region') AS region,
           list(field ORDER BY field) AS fields
    FROM latest GROUP BY article_id
)
SELECT e.article_id,
       e.status,
       e.language,
       CASE WHEN c.has_region THEN r.code ELSE e.primary_region_code END
           AS primary_region_code,
       CASE WHEN c.has_region THEN r.level ELSE e.primary_region_level END
           AS primary_region_level,
       CASE WHEN c.has_region THEN r.province_code ELSE e.primary_province_code END
           AS primary_province_code,
       CASE WHEN c.has_topics THEN from_json(c.topics, '["VARCHAR"]') ELSE e.topic_codes END
           AS topic_codes,
       CASE WHEN c.has_level THEN CAST(c.level AS INTEGER) ELSE e.escalation_level END
           AS escalation_level,
       CASE WHEN c.has_level THEN 1.0 ELSE e.level_confidence END AS level_confidence,
       CASE WHEN c.has_killed THEN TRY_CAST(c.killed AS INTEGER) ELSE e.killed END AS killed,
       CASE WHEN c.has_injured THEN TRY_CAST(c.injured AS INTEGER) ELSE e.injured END
           AS injured,
       CASE WHEN c.has_arrested THEN TRY_CAST(c.arrested AS INTEGER) ELSE e.arrested END
           AS arrested,
       CASE WHEN c.has_crowd THEN TRY_CAST(c.crowd AS INTEGER) ELSE e.crowd END AS crowd,
       coalesce(c.has_topics, false) AS topics_corrected,
       coalesce(c.fields, []) AS corrected_fields,  -- [] when no analyst checked it
       e.enriched_at
FROM enrichments e
LEFT JOIN c ON c.article_id = e.article_id
LEFT JOIN regions r ON r.code = json_extract_string(c.region, '$');
