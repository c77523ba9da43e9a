-- Topics of a batch, column-wise.
INSERT INTO article_topics (article_id, code, score, evidence, cue, start_char, end_char, confidence)
SELECT unnest($article_id::BIGINT[]), unnest($code::VARCHAR[]), unnest($score::DOUBLE[]),
       unnest($evidence::VARCHAR[]), unnest($cue::VARCHAR[]), unnest($start::INTEGER[]),
       unnest($end::INTEGER[]), unnest($confidence::DOUBLE[]);
