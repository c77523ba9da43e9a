INSERT OR REPLACE INTO article_html (article_id, fetched_url, encoding, html_gz, fetched_at)
VALUES ($id, $fetched_url, $encoding, $html_gz, $now);
