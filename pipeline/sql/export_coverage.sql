-- Per day and outlet crawl coverage (view v_coverage), by the ISO week of the day.
SELECT v.*, strftime(v.day, '%G-W%V') AS week FROM v_coverage v WHERE v.day IS NOT NULL
