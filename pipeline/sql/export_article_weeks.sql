-- The ISO week each article belongs to in an export: its event date when known, else its
-- publication date in WIB, else the day Suar first saw it (never NULL). Every dataset made
-- of article rows is partitioned by this week, so one week's partitions belong together.
CREATE OR REPLACE TEMP TABLE export_article_weeks AS
SELECT a.id AS article_id,
       strftime(coalesce(d.event_date, wib_day(a.published_at), wib_day(a.first_seen)),
                '%G-W%V') AS week
FROM articles a
LEFT JOIN article_dates d ON d.article_id = a.id
