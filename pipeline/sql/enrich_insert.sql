-- One enrichments row per article of the batch, column-wise.
INSERT INTO enrichments (
    article_id, pipeline_version, content_hash, language, status,
    primary_region_code, primary_region_level, primary_province_code,
    escalation_level, escalation_evidence, escalation_cue, escalation_start, escalation_end,
    killed, injured, arrested, crowd,
    killed_evidence, injured_evidence, arrested_evidence, crowd_evidence,
    topic_codes, level_confidence, enriched_at)
SELECT unnest($article_id::BIGINT[]), $version, unnest($content_hash::VARCHAR[]),
       unnest($language::VARCHAR[]), unnest($status::VARCHAR[]),
       unnest($primary_region_code::VARCHAR[]), unnest($primary_region_level::VARCHAR[]),
       unnest($primary_province_code::VARCHAR[]),
       unnest($escalation_level::INTEGER[]), unnest($escalation_evidence::VARCHAR[]),
       unnest($escalation_cue::VARCHAR[]), unnest($escalation_start::INTEGER[]),
       unnest($escalation_end::INTEGER[]),
       unnest($killed::INTEGER[]), unnest($injured::INTEGER[]), unnest($arrested::INTEGER[]),
       unnest($crowd::INTEGER[]),
       unnest($killed_evidence::VARCHAR[]), unnest($injured_evidence::VARCHAR[]),
       unnest($arrested_evidence::VARCHAR[]), unnest($crowd_evidence::VARCHAR[]),
       unnest($topic_codes::VARCHAR[][]), unnest($level_confidence::DOUBLE[]), $now;
