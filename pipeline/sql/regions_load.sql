-- Fill `regions` from the registered column relation `regions_source` (code, name, level,
-- parent_code, province_code: nlp.regions_build.load_regions), adding the names and codes
-- of the province, kabupaten/kota and kecamatan each unit lies in, for one-join rollups.
INSERT INTO regions
WITH src AS (
    SELECT code, name, level, parent_code, province_code,
           CASE WHEN level IN ('regency', 'district', 'village')
                THEN split_part(code, '.', 1) || '.' || split_part(code, '.', 2) END AS regency_code,
           CASE WHEN level IN ('district', 'village')
                THEN split_part(code, '.', 1) || '.' || split_part(code, '.', 2) || '.'
                     || split_part(code, '.', 3) END AS district_code
    FROM regions_source
)
SELECT s.code, s.name, s.level, s.parent_code, s.province_code, p.name AS province_name,
       s.regency_code, r.name AS regency_name, s.district_code, d.name AS district_name
FROM src s
LEFT JOIN src p ON p.code = s.province_code
LEFT JOIN src r ON r.code = s.regency_code
LEFT JOIN src d ON d.code = s.district_code;
