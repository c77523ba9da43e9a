-- One row per story x region x topic (view v_signals), already carrying its ISO week.
SELECT v.*, v.iso_week AS week FROM v_signals v WHERE v.iso_week IS NOT NULL
