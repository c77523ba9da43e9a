-- The same outlet already holds this exact content under another URL (a duplicate page).
SELECT id FROM articles WHERE outlet = $outlet AND content_hash = $content_hash LIMIT 1;
