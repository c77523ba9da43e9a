-- Shared expressions of the analyst views and exports, as SQL macros so each rule is written
-- once and analysts can use the same calendar and places in their own queries
-- (SELECT wib_week(published_at), ... FROM articles). Created before the views, with them.
--
-- The calendar is Jakarta's (WIB). WIB is UTC+7 all year (no daylight saving), so the
-- macros add a fixed 7 hours to the epoch instead of calling the ICU timezone() function,
-- which is ten times slower on every row a week filter reads.

-- wib_day(ts): the calendar day of a TIMESTAMPTZ in Jakarta.
CREATE OR REPLACE MACRO wib_day(ts) AS
    CAST(make_timestamp(epoch_us(ts) + 25200000000) AS DATE);

-- wib_week(ts): the Monday that starts the ISO week of ts in Jakarta.
CREATE OR REPLACE MACRO wib_week(ts) AS
    CAST(date_trunc('week', make_timestamp(epoch_us(ts) + 25200000000)) AS DATE);

-- Region codes are fixed-width ('64', '64.71', '64.71.01', ...): the first 2 characters are
-- the province, the first 5 the kabupaten/kota.

-- story_province(province_code, region_code): a story's province, from its own province
-- column or else from its primary region's code.
CREATE OR REPLACE MACRO story_province(province_code, region_code) AS
    coalesce(province_code, left(region_code, 2));

-- story_regency(region_level, region_code): the kabupaten/kota a story is placed in, NULL
-- when it is placed at province level only (or nowhere).
CREATE OR REPLACE MACRO story_regency(region_level, region_code) AS
    CASE WHEN region_level IN ('regency', 'district', 'village')
         THEN left(region_code, 5) END;

-- region_label(place): a region's name as people read it; a kecamatan or desa carries its
-- kabupaten/kota ("Sungai Kunjang, Kota Samarinda"), since district names repeat.
CREATE OR REPLACE MACRO region_label(place) AS
    (SELECT g.name || CASE WHEN length(place) > 5
                           THEN coalesce(', ' || (SELECT r.name FROM regions r
                                                  WHERE r.code = left(place, 5)), '')
                           ELSE '' END
     FROM regions g WHERE g.code = place);
