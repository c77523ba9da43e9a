-- Synthetic analytics data for bench/analytics.py, generated set-wise in DuckDB.
-- Randomness is hash-based (deterministic per row and salt), so builds are reproducible and
-- need no per-row Python. Placeholders :name: are replaced by bench/analytics.py with numbers
-- and dates it computed itself. Inputs prepared by the script: src_regions (Kemendagri
-- provinces and regencies), topic_w (code, weight, words[]), vocab (one row: words[]).
-- Statements are separated by lines holding only ";".

CREATE OR REPLACE TEMP MACRO rnd(i, salt) AS (hash(i, salt) % 1000003) / 1000003.0
;
-- Where events happen: regencies weighted Zipf-like (a few busy regencies, a long tail) and
-- the provinces themselves for province-wide stories (12%). Drawn through slots, so a draw
-- is an equality join.
CREATE OR REPLACE TEMP TABLE place_slots AS
WITH ranked AS (
    SELECT *, row_number() OVER (PARTITION BY level ORDER BY hash(code, 'rank')) AS rk
    FROM src_regions
), weighted AS (
    SELECT code, name, level, province_code,
           CASE WHEN level = 'province' THEN 0.12 / count(*) OVER (PARTITION BY level)
                ELSE 0.88 * pow(rk, -0.8) / sum(pow(rk, -0.8)) OVER (PARTITION BY level)
           END AS w
    FROM ranked
), expanded AS (
    SELECT code, name, level, province_code,
           unnest(range(greatest(1, round(w * 20000))::BIGINT)) AS x
    FROM weighted
)
SELECT row_number() OVER (ORDER BY code, x) - 1 AS slot, code, name, level, province_code
FROM expanded
;
CREATE OR REPLACE TEMP TABLE topic_slots AS
WITH expanded AS (SELECT code, words, unnest(range(weight * 10)) AS x FROM topic_w)
SELECT row_number() OVER (ORDER BY code, x) - 1 AS slot, code, words FROM expanded
;
-- Stories: half are routine (level 0), few are lethal; most have one report, some six;
-- dates over two years with volume growing towards the present.
CREATE OR REPLACE TEMP TABLE gen_stories AS
WITH base AS (
    SELECT s AS id,
           rnd(s, 'level') AS ul, rnd(s, 'k') AS uk, rnd(s, 'day') AS ud,
           rnd(s, 'has_topic') AS uh, rnd(s, 'topic2') AS u2,
           hash(s, 'place') % (SELECT count(*) FROM place_slots) AS place_slot,
           hash(s, 'topic1') % (SELECT count(*) FROM topic_slots) AS t1,
           hash(s, 'topic2b') % (SELECT count(*) FROM topic_slots) AS t2
    FROM range(1, :stories: + 1) r(s)
), leveled AS (
    SELECT *,
           CASE WHEN ul < 0.50 THEN 0 WHEN ul < 0.78 THEN 1 WHEN ul < 0.91 THEN 2
                WHEN ul < 0.98 THEN 3 ELSE 4 END AS level
    FROM base
)
SELECT l.id, l.level,
       CASE WHEN uk < 0.45 THEN 1 WHEN uk < 0.65 THEN 2 WHEN uk < 0.78 THEN 3
            WHEN uk < 0.88 THEN 4 WHEN uk < 0.95 THEN 5 ELSE 6 END AS k,
       TIMESTAMPTZ ':start: 00:00:00+00' + to_seconds(floor(pow(ud, 0.8) * :days: * 86400)::BIGINT)
           AS started,
       p.code AS region_code, p.name AS region_name, p.level AS region_level,
       p.province_code,
       CASE WHEN l.level = 0 AND uh < 0.85 THEN []::VARCHAR[]
            WHEN u2 < 0.25 THEN list_distinct([t1.code, t2.code])
            ELSE [t1.code] END AS topic_codes,
       CASE WHEN l.level = 0 AND uh < 0.85 THEN NULL ELSE t1.words END AS topic_words
FROM leveled l
JOIN place_slots p ON p.slot = l.place_slot
JOIN topic_slots t1 ON t1.slot = l.t1
JOIN topic_slots t2 ON t2.slot = l.t2
;
-- Reports: the first carries the story's level and figures; later ones sometimes less.
CREATE OR REPLACE TEMP TABLE gen_articles AS
WITH expanded AS (
    SELECT s.*, unnest(range(s.k)) AS j FROM gen_stories s
), numbered AS (
    SELECT row_number() OVER (ORDER BY id, j) AS article_id, * FROM expanded
)
SELECT n.article_id AS id, n.id AS story_id, n.j, n.region_code, n.region_name, n.region_level,
       n.province_code, n.topic_codes, n.topic_words,
       n.started + to_seconds(floor(n.j * rnd(n.article_id, 'lag') * 36 * 3600)::BIGINT)
           AS published_at,
       'o' || n.province_code || '_' || (hash(n.article_id, 'outlet') % 4) AS outlet,
       CASE WHEN n.j = 0 THEN n.level
            ELSE greatest(0, n.level - (hash(n.article_id, 'lv') % 3 = 0)::INTEGER) END AS level,
       CASE WHEN n.level = 4 AND (n.j = 0 OR rnd(n.article_id, 'kd') < 0.6)
            THEN 1 + hash(n.id, 'killed') % 6 END AS killed,
       CASE WHEN n.level >= 3 AND rnd(n.article_id, 'inj') < 0.7
            THEN 1 + hash(n.article_id, 'injured') % 25 END AS injured,
       CASE WHEN n.level >= 2 AND rnd(n.article_id, 'arr') < 0.3
            THEN 1 + hash(n.article_id, 'arrested') % 40 END AS arrested,
       CASE WHEN n.level = 2 AND rnd(n.article_id, 'crowd') < 0.5
            THEN 50 + hash(n.article_id, 'crowd_n') % 3000 END AS crowd
FROM numbered n
WHERE n.article_id <= :articles:
;
-- A long tail of rare words (4 syllables each, 20,000 of them), so that common words are not
-- in every article and the search index has realistic posting lists.
CREATE OR REPLACE TEMP TABLE tail AS
WITH syl AS (SELECT ['ka', 'lo', 'mu', 'ra', 'su', 'tu', 'po', 'ne', 'gu', 'ba', 'ri', 'wa'] AS s)
SELECT list(s[1 + k % 12] || s[1 + (k // 12) % 12] || s[1 + (k // 144) % 12]
            || s[1 + (k // 1728) % 12] ORDER BY k) AS words
FROM range(20000) r(k), syl
;
CREATE OR REPLACE TEMP TABLE gen_text AS
SELECT id, upper(left(title, 1)) || substr(title, 2) AS title, body FROM (
SELECT a.id,
       (array_to_string(list_transform(range(5), x ->
           CASE WHEN a.topic_words IS NOT NULL AND x < 2
                THEN a.topic_words[1 + (hash(a.id, x, 'tt') % len(a.topic_words))::INTEGER]
                ELSE v.words[1 + floor(len(v.words) * pow(rnd(a.id * 64 + x, 'tw'), 2))::INTEGER]
           END), ' ')) || ' di ' || a.region_name AS title,
       array_to_string(list_transform(range(60), x ->
           CASE WHEN a.topic_words IS NOT NULL AND hash(a.id, x, 'bt') % 5 = 0
                THEN a.topic_words[1 + (hash(a.id, x, 'bw') % len(a.topic_words))::INTEGER]
                WHEN hash(a.id, x, 'tail') % 2 = 0
                THEN tl.words[1 + floor(len(tl.words) * pow(rnd(a.id * 64 + x, 'r'), 2))::INTEGER]
                ELSE v.words[1 + floor(len(v.words) * pow(rnd(a.id * 64 + x, 'w'), 1.5))::INTEGER]
           END), ' ') AS body
FROM gen_articles a, vocab v, tail tl
)
;
INSERT INTO articles (id, url, outlet, title, published_at, body, language, is_indonesian,
                      content_hash, extraction, source, first_seen, last_fetched, last_changed,
                      first_run_id, last_run_id)
SELECT a.id, 'https://' || a.outlet || '.example/' || a.story_id || '/' || a.id, a.outlet,
       t.title, a.published_at, t.body, 'id', true, md5(t.title || t.body), 'selectors', 'crawl',
       a.published_at + INTERVAL 3 HOUR, a.published_at + INTERVAL 3 HOUR,
       a.published_at + INTERVAL 3 HOUR,
       1 + datediff('day', TIMESTAMPTZ ':start: 00:00:00+00', a.published_at + INTERVAL 3 HOUR),
       1 + datediff('day', TIMESTAMPTZ ':start: 00:00:00+00', a.published_at + INTERVAL 3 HOUR)
FROM gen_articles a JOIN gen_text t USING (id)
;
INSERT INTO article_html (article_id, fetched_url, encoding, html_gz, fetched_at)
SELECT id, url, 'utf-8', NULL, first_seen FROM articles
;
INSERT INTO enrichments (article_id, pipeline_version, content_hash, language, status,
                         primary_region_code, primary_region_level, primary_province_code,
                         escalation_level, escalation_evidence, escalation_cue, killed, injured,
                         arrested, crowd, killed_evidence, injured_evidence, arrested_evidence,
                         crowd_evidence, topic_codes, enriched_at)
SELECT a.id, 'bench', md5(t.title || t.body), 'id', 'enriched', a.region_code, a.region_level,
       a.province_code, a.level,
       CASE WHEN a.level > 0 THEN left(t.body, 120) END,
       CASE WHEN a.level > 0 THEN split_part(t.body, ' ', 3) END,
       a.killed, a.injured, a.arrested, a.crowd,
       CASE WHEN a.killed IS NOT NULL THEN a.killed || ' orang tewas' END,
       CASE WHEN a.injured IS NOT NULL THEN a.injured || ' orang luka-luka' END,
       CASE WHEN a.arrested IS NOT NULL THEN a.arrested || ' orang diamankan' END,
       CASE WHEN a.crowd IS NOT NULL THEN a.crowd || ' orang massa' END,
       a.topic_codes, a.published_at + INTERVAL 4 HOUR
FROM gen_articles a JOIN gen_text t USING (id)
;
INSERT INTO article_topics (article_id, code, score, evidence, cue, start_char, end_char)
SELECT id, code, 0.5 + 0.5 * rnd(id, code), 'kalimat bukti ' || code, split_part(code, '.', 2), 0, 10
FROM (SELECT id, unnest(topic_codes) AS code FROM gen_articles)
;
INSERT INTO article_regions (article_id, code, name, level, province_code, text, start_char,
                             end_char, is_primary)
SELECT id, region_code, region_name, region_level, province_code, region_name, 0,
       length(region_name), true
FROM gen_articles
UNION ALL
SELECT a.id, r.code, r.name, r.level, r.province_code, r.name, 40, 40 + length(r.name), false
FROM gen_articles a JOIN src_regions r ON r.code = a.province_code
WHERE a.region_level = 'regency' AND rnd(a.id, 'second_region') < 0.5
;
-- Actors: three per report, named after the place where that suits the class.
INSERT INTO article_entities (article_id, text, label, actor_class, role, is_byline,
                              start_char, end_char)
WITH picks AS (
    SELECT id, region_name, e, hash(id, e, 'class') % 20 AS c, hash(id, e, 'who') AS who
    FROM (SELECT id, region_name, unnest(range(3)) AS e FROM gen_articles)
)
SELECT id,
       CASE WHEN c < 4 THEN 'Polres ' || region_name
            WHEN c < 7 THEN 'Pemkab ' || region_name
            WHEN c < 9 THEN 'Bawaslu ' || region_name
            WHEN c < 11 THEN 'warga ' || region_name
            WHEN c < 12 THEN 'DPRD ' || region_name
            WHEN c < 13 THEN 'BEM Universitas ' || (who % 300)
            WHEN c < 14 THEN 'Partai ' || (who % 18)
            WHEN c < 15 THEN 'PT Tambang ' || (who % 500)
            WHEN c < 16 THEN 'KKB kelompok ' || (who % 40)
            WHEN c < 17 THEN 'Kejari ' || region_name
            ELSE 'Tokoh ' || (who % 60000) END,
       CASE WHEN c >= 17 THEN 'PER' ELSE 'ORG' END,
       CASE WHEN c < 4 THEN 'security' WHEN c < 7 THEN 'government'
            WHEN c < 9 THEN 'election_body' WHEN c < 11 THEN 'community'
            WHEN c < 12 THEN 'legislature' WHEN c < 13 THEN 'civil_society'
            WHEN c < 14 THEN 'party' WHEN c < 15 THEN 'company' WHEN c < 16 THEN 'armed_group'
            WHEN c < 17 THEN 'judiciary' WHEN c < 18 THEN 'candidate' END,
       NULL, false, e * 50, e * 50 + 12
FROM picks
;
INSERT INTO article_dates (article_id, event_date, source, evidence, computed_at)
SELECT id, published_at::DATE, 'published', NULL, now() FROM gen_articles
;
INSERT INTO article_duplicates (article_id, canonical_id, kind, similarity, detected_at)
SELECT a.id,
       CASE WHEN a.j > 0 AND hash(a.id, 'dup') % 10 = 0 THEN a.id - a.j ELSE a.id END,
       CASE WHEN a.j > 0 AND hash(a.id, 'dup') % 10 = 0 THEN 'near' ELSE 'self' END,
       CASE WHEN a.j > 0 AND hash(a.id, 'dup') % 10 = 0 THEN 0.9 ELSE 1.0 END,
       now()
FROM gen_articles a
;
INSERT INTO stories (id, title, representative_id, first_seen, last_seen, n_articles, n_outlets,
                     outlets, primary_region_code, primary_region_level, primary_province_code,
                     topic_codes, max_level, killed, injured, arrested, crowd,
                     killed_article_id, injured_article_id, arrested_article_id,
                     crowd_article_id, updated_at)
SELECT a.story_id, arg_min(t.title, a.id), min(a.id), min(a.published_at), max(a.published_at),
       count(*), count(DISTINCT a.outlet), list(DISTINCT a.outlet), any_value(a.region_code),
       any_value(a.region_level), any_value(a.province_code), any_value(a.topic_codes),
       max(a.level), max(a.killed), max(a.injured), max(a.arrested), max(a.crowd),
       arg_max(a.id, a.killed), arg_max(a.id, a.injured), arg_max(a.id, a.arrested),
       arg_max(a.id, a.crowd), now()
FROM gen_articles a JOIN gen_text t USING (id)
GROUP BY a.story_id
;
INSERT INTO story_articles (article_id, story_id, similarity, added_at)
SELECT id, story_id, CASE WHEN j = 0 THEN 1.0 ELSE 0.8 + 0.2 * rnd(id, 'sim') END,
       published_at + INTERVAL 5 HOUR
FROM gen_articles
;
-- Coverage: one crawl a night, every outlet in it; a few nights fail, a few pages fail.
INSERT INTO crawl_runs (id, started_at, finished_at, status, pid, outlets, error)
SELECT d + 1, TIMESTAMPTZ ':start: 02:30:00+00' + to_days(d::INTEGER),
       TIMESTAMPTZ ':start: 03:10:00+00' + to_days(d::INTEGER),
       CASE WHEN hash(d, 'run') % 100 = 0 THEN 'failed' ELSE 'ok' END, 1000 + d::INTEGER,
       (SELECT list(DISTINCT outlet ORDER BY outlet) FROM gen_articles), NULL
FROM range(0, :days: + 1) r(d)
;
INSERT INTO crawl_run_outlets (run_id, outlet, discovered, fetched, new, updated, unchanged,
                               failed, not_article, discovery, sample_errors)
WITH outlets AS (SELECT DISTINCT outlet FROM gen_articles),
counts AS (
    SELECT first_run_id AS run_id, outlet, count(*) AS new FROM articles GROUP BY ALL
)
SELECT r.id, o.outlet, coalesce(c.new, 0) + 3 + hash(r.id, o.outlet, 'disc') % 5,
       coalesce(c.new, 0) + hash(r.id, o.outlet, 'fetch') % 3, coalesce(c.new, 0),
       hash(r.id, o.outlet, 'upd') % 2, 0,
       CASE WHEN hash(r.id, o.outlet, 'fail') % 20 = 0 THEN 1 + hash(r.id, o.outlet) % 4
            ELSE 0 END,
       0, ['sitemap'], []::VARCHAR[]
FROM crawl_runs r CROSS JOIN outlets o
LEFT JOIN counts c ON c.run_id = r.id AND c.outlet = o.outlet
