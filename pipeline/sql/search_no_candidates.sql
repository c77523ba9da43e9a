-- No filters: every article is a candidate. The rankings skip the candidate filter
-- ($filtered = false) but still name the table, so it exists, empty, instead of being
-- filled with every article id.
CREATE OR REPLACE TEMP TABLE search_candidates (article_id BIGINT)
