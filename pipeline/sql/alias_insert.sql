INSERT OR IGNORE INTO article_aliases (url, article_id, reason, seen_at)
VALUES ($url, $id, $reason, $now);
