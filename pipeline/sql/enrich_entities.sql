-- Entities of a batch, column-wise.
-- One JSON parameter ($cols: an object of column arrays, see pipeline/enrich.py): DuckDB
-- parses one string far faster than it binds Python lists element by element.
INSERT INTO article_entities
    (article_id, text, label, actor_class, role, is_byline, start_char, end_char)
SELECT unnest(c."article_id"), unnest(c."text"), unnest(c."label"),
       unnest(c."actor_class"), unnest(c."role"),
       unnest(c."is_byline"), unnest(c."start"), unnest(c."end")
FROM (SELECT from_json($cols, '{"article_id":"BIGINT[]","text":"VARCHAR[]","label":"VARCHAR[]","actor_class":"VARCHAR[]","role":"VARCHAR[]","is_byline":"BOOLEAN[]","start":"INTEGER[]","end":"INTEGER[]"}') AS c);
