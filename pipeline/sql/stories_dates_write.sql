-- Replace the event dates of the given articles, column-wise.
DELETE FROM article_dates WHERE article_id IN (SELECT unnest($ids::BIGINT[]));
INSERT INTO article_dates (article_id, event_date, source, evidence, computed_at)
SELECT unnest($ids::BIGINT[]), unnest($day::DATE[]), unnest($source::VARCHAR[]),
       unnest($evidence::VARCHAR[]), $now;
