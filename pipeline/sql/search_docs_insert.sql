-- Insert a batch of analysed articles set-wise (the lists are zipped by position).
INSERT INTO search_docs (article_id, content_hash, analyzer, terms, analysed_at)
SELECT unnest($ids), unnest($hashes), $analyzer, unnest($terms), now()
