-- Topics of a batch, column-wise.
-- One JSON parameter ($cols: an object of column arrays, see pipeline/enrich.py): DuckDB
-- parses one string far faster than it binds Python lists element by element.
INSERT INTO article_topics (article_id, code, score, evidence, cue, start_char, end_char, confidence)
SELECT unnest(c."article_id"), unnest(c."code"), unnest(c."score"),
       unnest(c."evidence"), unnest(c."cue"), unnest(c."start"),
       unnest(c."end"), unnest(c."confidence")
FROM (SELECT from_json($cols, '{"article_id":"BIGINT[]","code":"VARCHAR[]","score":"DOUBLE[]","evidence":"VARCHAR[]","cue":"VARCHAR[]","start":"INTEGER[]","end":"INTEGER[]","confidence":"DOUBLE[]"}') AS c);
