-- Content changed on the site (or extraction improved): refresh every extracted field.
UPDATE articles SET
    title = $title, published_at = $published_at, modified_at = $modified_at,
    author = $author, editor = $editor, tags = $tags, category = $category,
    dateline = $dateline, body = $body, language = $language, is_indonesian = $is_indonesian,
    content_hash = $content_hash, extraction = $extraction, warnings = $warnings,
    last_fetched = $now, last_changed = $now, lastmod = coalesce($lastmod, lastmod),
    last_run_id = coalesce($run_id, last_run_id)
WHERE id = $id;
