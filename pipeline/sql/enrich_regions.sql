-- Region mentions of a batch, column-wise.
INSERT INTO article_regions
    (article_id, code, name, level, province_code, text, start_char, end_char, is_primary)
SELECT unnest($article_id::BIGINT[]), unnest($code::VARCHAR[]), unnest($name::VARCHAR[]),
       unnest($level::VARCHAR[]), unnest($province_code::VARCHAR[]), unnest($text::VARCHAR[]),
       unnest($start::INTEGER[]), unnest($end::INTEGER[]), unnest($is_primary::BOOLEAN[]);
