-- Region mentions of a batch, column-wise.
-- One JSON parameter ($cols: an object of column arrays, see pipeline/enrich.py): DuckDB
-- parses one string far faster than it binds Python lists element by element.
INSERT INTO article_regions
    (article_id, code, name, level, province_code, text, start_char, end_char, is_primary)
SELECT unnest(c."article_id"), unnest(c."code"), unnest(c."name"),
       unnest(c."level"), unnest(c."province_code"), unnest(c."text"),
       unnest(c."start"), unnest(c."end"), unnest(c."is_primary")
FROM (SELECT from_json($cols, '{"article_id":"BIGINT[]","code":"VARCHAR[]","name":"VARCHAR[]","level":"VARCHAR[]","province_code":"VARCHAR[]","text":"VARCHAR[]","start":"INTEGER[]","end":"INTEGER[]","is_primary":"BOOLEAN[]"}') AS c);
