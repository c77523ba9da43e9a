-- Entities of a batch, column-wise.
INSERT INTO article_entities
    (article_id, text, label, actor_class, role, is_byline, start_char, end_char)
SELECT unnest($article_id::BIGINT[]), unnest($text::VARCHAR[]), unnest($label::VARCHAR[]),
       unnest($actor_class::VARCHAR[]), unnest($role::VARCHAR[]),
       unnest($is_byline::BOOLEAN[]), unnest($start::INTEGER[]), unnest($end::INTEGER[]);
