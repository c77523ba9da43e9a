SELECT v.*, v.iso_week AS week FROM v_actors v WHERE v.iso_week IS NOT NULL
