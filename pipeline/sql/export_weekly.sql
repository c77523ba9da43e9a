SELECT v.*, v.iso_week AS week FROM v_weekly v WHERE v.iso_week IS NOT NULL
