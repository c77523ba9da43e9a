INSERT INTO articles (
    url, outlet, title, published_at, modified_at, author, editor, tags, category, dateline,
    body, language, is_indonesian, content_hash, extraction, warnings, source,
    first_seen, last_fetched, last_changed, lastmod, first_run_id, last_run_id)
VALUES (
    $url, $outlet, $title, $published_at, $modified_at, $author, $editor, $tags, $category,
    $dateline, $body, $language, $is_indonesian, $content_hash, $extraction, $warnings, $source,
    $now, $now, $now, $lastmod, $run_id, $run_id)
RETURNING id;
