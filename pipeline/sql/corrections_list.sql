-- The most recent corrections, newest first.
SELECT corrected_at, article_id, field, value, note, corrected_by
FROM corrections
ORDER BY corrected_at DESC, id DESC
LIMIT $limit;
