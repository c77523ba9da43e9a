-- Insert a batch of new articles, column-wise (one list parameter per column).
INSERT INTO articles (
    url, outlet, title, published_at, modified_at, author, editor, tags, category, dateline,
    body, language, is_indonesian, content_hash, extraction, warnings, source,
    first_seen, last_fetched, last_changed, lastmod, first_run_id, last_run_id)
SELECT unnest($url), unnest($outlet), unnest($title), unnest($published_at::TIMESTAMPTZ[]),
       unnest($modified_at::TIMESTAMPTZ[]), unnest($author), unnest($editor),
       unnest($tags::VARCHAR[][]), unnest($category), unnest($dateline),
       unnest($body), unnest($language), unnest($is_indonesian), unnest($content_hash),
       unnest($extraction), unnest($warnings::VARCHAR[][]), unnest($source),
       $now, $now, $now, unnest($lastmod::TIMESTAMPTZ[]), $run_id, $run_id
RETURNING id, url;
