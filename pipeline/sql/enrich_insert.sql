-- One enrichments row per article of the batch, column-wise.
-- One JSON parameter ($cols: an object of column arrays, see pipeline/enrich.py): DuckDB
-- parses one string far faster than it binds Python lists element by element.
INSERT INTO enrichments (
    article_id, pipeline_version, content_hash, language, status,
    primary_region_code, primary_region_level, primary_province_code,
    escalation_level, escalation_evidence, escalation_cue, escalation_start, escalation_end,
    killed, injured, arrested, crowd,
    killed_evidence, injured_evidence, arrested_evidence, crowd_evidence,
    topic_codes, level_confidence, enriched_at)
SELECT unnest(c."article_id"), $version, unnest(c."content_hash"),
       unnest(c."language"), unnest(c."status"),
       unnest(c."primary_region_code"), unnest(c."primary_region_level"),
       unnest(c."primary_province_code"),
       unnest(c."escalation_level"), unnest(c."escalation_evidence"),
       unnest(c."escalation_cue"), unnest(c."escalation_start"),
       unnest(c."escalation_end"),
       unnest(c."killed"), unnest(c."injured"), unnest(c."arrested"),
       unnest(c."crowd"),
       unnest(c."killed_evidence"), unnest(c."injured_evidence"),
       unnest(c."arrested_evidence"), unnest(c."crowd_evidence"),
       unnest(c."topic_codes"), unnest(c."level_confidence"), $now
FROM (SELECT from_json($cols, '{"article_id":"BIGINT[]","content_hash":"VARCHAR[]","language":"VARCHAR[]","status":"VARCHAR[]","primary_region_code":"VARCHAR[]","primary_region_level":"VARCHAR[]","primary_province_code":"VARCHAR[]","escalation_level":"INTEGER[]","escalation_evidence":"VARCHAR[]","escalation_cue":"VARCHAR[]","escalation_start":"INTEGER[]","escalation_end":"INTEGER[]","killed":"INTEGER[]","injured":"INTEGER[]","arrested":"INTEGER[]","crowd":"INTEGER[]","killed_evidence":"VARCHAR[]","injured_evidence":"VARCHAR[]","arrested_evidence":"VARCHAR[]","crowd_evidence":"VARCHAR[]","topic_codes":"VARCHAR[][]","level_confidence":"DOUBLE[]"}') AS c);
