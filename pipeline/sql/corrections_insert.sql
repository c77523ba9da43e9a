-- One analyst correction; earlier ones stay as history.
INSERT INTO corrections (article_id, field, value, note, corrected_by, corrected_at)
VALUES ($article_id, $field, $value, $note, $by, $now);
