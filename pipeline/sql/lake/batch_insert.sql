-- DuckLake: a batch of new articles with ids given by the writer (no sequences there); run
-- inside ducklake.locked, where the URLs are known to be absent.
INSERT INTO articles (
    id, url, outlet, title, published_at, modified_at, author, editor, tags, category, dateline,
    body, language, is_indonesian, content_hash, extraction, warnings, source,
    first_seen, last_fetched, last_changed, lastmod, first_run_id, last_run_id)
SELECT unnest($id::BIGINT[]), unnest($url), unnest($outlet), unnest($title),
       unnest($published_at::TIMESTAMPTZ[]),
       unnest($modified_at::TIMESTAMPTZ[]), unnest($author), unnest($editor),
       unnest($tags::VARCHAR[][]), unnest($category), unnest($dateline),
       unnest($body), unnest($language), unnest($is_indonesian), unnest($content_hash),
       unnest($extraction), unnest($warnings::VARCHAR[][]), unnest($source),
       $now, $now, $now, unnest($lastmod::TIMESTAMPTZ[]), $run_id, $run_id;
