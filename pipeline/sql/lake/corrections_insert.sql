-- One analyst correction on a DuckLake catalog, which has no sequences: the caller takes the
-- id (ducklake.next_id) under the corrections lock row.
INSERT INTO corrections (id, article_id, field, value, note, corrected_by, corrected_at)
VALUES ($id, $article_id, $field, $value, $note, $by, $now);
