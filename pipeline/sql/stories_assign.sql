-- Story membership of the assigned articles, column-wise.
INSERT INTO story_articles (article_id, story_id, similarity, added_at)
SELECT unnest($ids::BIGINT[]), unnest($story::BIGINT[]), unnest($sim::DOUBLE[]), $now;
