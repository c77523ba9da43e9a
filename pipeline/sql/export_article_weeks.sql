-- The ISO week each article belongs to in an export: its event date when known, else its
-- publication date in WIB, else the day Suar first saw it (never NULL). Every dataset made
-- of article rows is partitioned by this week, so one week's partitions belong together.
CREATE OR REPLACE TEMP TABLE export_article_weeks AS
SELECT a.id AS article_id,
       strftime(coalesce(d.event_date,
                         CAST(timezone('Asia/Jakarta', a.published_at) AS DATE),
                         CAST(timezone('Asia/Jakarta', a.first_seen) AS DATE)), '%G-W%V') AS week
FROM articles a
LEFT JOIN article_dates d ON d.article_id = a.id
