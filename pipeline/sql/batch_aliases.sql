INSERT OR IGNORE INTO article_aliases (url, article_id, reason, seen_at)
SELECT unnest($url), unnest($id), unnest($reason), $now;
