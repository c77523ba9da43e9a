INSERT OR REPLACE INTO article_html (article_id, fetched_url, encoding, html_gz, fetched_at)
SELECT unnest($id), unnest($fetched_url), unnest($encoding), unnest($html_gz::BLOB[]), $now;
