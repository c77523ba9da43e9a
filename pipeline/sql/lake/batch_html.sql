-- DuckLake: INSERT OR REPLACE as DELETE + INSERT (same transaction).
DELETE FROM article_html WHERE article_id IN (SELECT unnest($id));
INSERT INTO article_html (article_id, fetched_url, encoding, html_gz, fetched_at)
SELECT unnest($id), unnest($fetched_url), unnest($encoding), unnest($html_gz::BLOB[]), $now;
