-- Fresh story ids.
SELECT nextval('story_id_seq') FROM range($n);
