"""The DuckLake backend on a real PostgreSQL: schema, views, concurrent writers, migrate.

A real crawl of the demo site fills a DuckDB file; `suar migrate --to ducklake` moves it into a
catalog in PostgreSQL with Parquet files in a directory, `suar query` reads it there, and
`suar migrate --to duckdb` brings it back into a new file with the same rows and hashes.
"""

from __future__ import annotations

import os
import subprocess
import sys

import duckdb
import pytest

from pipeline import ducklake
from pipeline.config import load_config
from tests.conftest import REPO, run_suar
from tests.scale_servers import postgres_database

pytest.importorskip("duckdb_extension_ducklake")


@pytest.fixture
def lake(tmp_path):
    dsn = postgres_database()
    env = {
        "SUAR_DATABASE_DUCKLAKE_POSTGRES": dsn,
        "SUAR_DATABASE_DUCKLAKE_DATA_PATH": str(tmp_path / "lake"),
    }
    return env


def fingerprints(path) -> dict[str, tuple[int, str]]:
    con = duckdb.connect(str(path), read_only=True)
    try:
        tables = ducklake.base_tables(con, con.execute("SELECT current_database()").fetchone()[0])
        name = con.execute("SELECT current_database()").fetchone()[0]
        return {t: ducklake.table_fingerprint(con, name, t) for t in tables}
    finally:
        con.close()


def test_translated_migrations_drop_only_what_ducklake_lacks() -> None:
    text = (
        "CREATE SEQUENCE IF NOT EXISTS s START 1;\n"
        "CREATE TABLE t (\n  id BIGINT PRIMARY KEY DEFAULT nextval('s'),\n"
        "  url VARCHAR NOT NULL UNIQUE, -- canonical\n  n INTEGER NOT NULL DEFAULT 0,\n"
        "  PRIMARY KEY (id, url)\n);\nCREATE INDEX t_idx ON t (url);\n"
    )
    out = ducklake.translate(text)
    assert "SEQUENCE" not in out and "INDEX" not in out and "PRIMARY" not in out
    assert "UNIQUE" not in out and "nextval" not in out
    assert "url VARCHAR NOT NULL" in out and "n INTEGER NOT NULL DEFAULT 0" in out
    duckdb.connect().execute(out)  # still valid SQL


def test_schema_views_and_concurrent_writers(lake, tmp_path) -> None:
    cfg = load_config(environ=lake)
    con = ducklake.connect(cfg)
    tables = set(ducklake.base_tables(con, ducklake.ALIAS))
    assert {"articles", "enrichments", "stories", "schema_state", "regions"} <= tables
    assert con.execute("SELECT max(version) FROM schema_migrations").fetchone()[0] == max(
        v for v, _, _ in __import__("pipeline.db", fromlist=["x"]).migrations()
    )
    for view in ("v_weekly", "v_signals", "v_hotspots", "v_coverage", "v_actors"):
        con.execute(f"SELECT * FROM {view} LIMIT 1").fetchall()  # the views run on the lake
    assert not ducklake.create_views(con), "unchanged views are not recreated"
    con.close()
    # Two processes append to the same table at once, 20 transactions each.
    script = (
        "import sys; from pipeline import ducklake, db; from pipeline.config import load_config\n"
        "con = ducklake.connect(load_config(), migrate=False)\n"
        "for i in range(20):\n"
        "    with db.transaction(con):\n"
        "        con.execute(\"INSERT INTO crawl_failures SELECT ?, 'w', 'u' || range, NULL,"
        " 'e', now() FROM range(10)\", [int(sys.argv[1])])\n"
    )
    env = {**os.environ, **lake}
    procs = [
        subprocess.Popen([sys.executable, "-c", script, str(w)], cwd=REPO, env=env) for w in (1, 2)
    ]
    assert [p.wait(timeout=180) for p in procs] == [0, 0]
    con = ducklake.connect(cfg, read_only=True)
    assert con.execute(
        "SELECT run_id, count(*) FROM crawl_failures GROUP BY 1 ORDER BY 1"
    ).fetchall() == [(1, 200), (2, 200)]
    con.close()


@pytest.mark.slow
def test_migrate_round_trip_loses_nothing(lake, tmp_path) -> None:
    from crawler.demosite import DemoSite
    from tests.test_crawl import FAST, crawl_args

    src = tmp_path / "src.duckdb"
    with DemoSite() as site:
        run_suar(*crawl_args(site, src), env=FAST, timeout=240)
    before = fingerprints(src)
    assert before["articles"][0] > 10

    out = run_suar("--db", str(src), "migrate", "--to", "ducklake", env=lake, timeout=240)
    assert "content hashes match" in out.stdout
    q = run_suar(
        "query",
        "SELECT count(*) AS n FROM articles",
        "--format",
        "csv",
        env={**lake, "SUAR_DATABASE_BACKEND": "ducklake"},
    )
    assert q.stdout.split() == ["n", str(before["articles"][0])]
    # A writer command on the lake says it cannot run there yet, and writes nothing.
    refused = run_suar("snapshot", env={**lake, "SUAR_DATABASE_BACKEND": "ducklake"}, check=False)
    assert refused.returncode == 2 and "ducklake backend" in refused.stderr

    back = tmp_path / "back.duckdb"
    run_suar("--db", str(back), "migrate", "--to", "duckdb", env=lake, timeout=240)
    assert fingerprints(back) == before
    again = run_suar("--db", str(back), "migrate", "--to", "duckdb", env=lake, check=False)
    assert again.returncode == 2 and "exists" in again.stderr
    # New rows in the file get fresh ids after the copied ones.
    con = duckdb.connect(str(back))
    top = con.execute("SELECT max(id) FROM articles").fetchone()[0]
    assert con.execute("SELECT nextval('article_id_seq')").fetchone()[0] > top
    con.close()
    # Analysts correct on the lake at once: three processes, three distinct ids (the lake has
    # no sequence), and a migration back carries them and moves the file's sequence past them.
    on_lake = {**os.environ, **lake, "SUAR_DATABASE_BACKEND": "ducklake", **FAST}
    con = duckdb.connect(str(src), read_only=True)
    ids = [r[0] for r in con.execute("SELECT id FROM articles ORDER BY id LIMIT 3").fetchall()]
    con.close()
    procs = [
        subprocess.Popen(
            [sys.executable, "-m", "pipeline.cli", "correct", str(i), "level", "1", "--note", "n"],
            cwd=REPO,
            env=on_lake,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
        )
        for i in ids
    ]
    outcomes = [(p.wait(timeout=240), p.stderr.read().decode()) for p in procs]
    assert [code for code, _ in outcomes] == [0, 0, 0], outcomes
    q = run_suar(
        "query",
        "SELECT id, article_id FROM corrections ORDER BY id",
        "--format",
        "csv",
        env={**lake, "SUAR_DATABASE_BACKEND": "ducklake"},
    )
    rows = [line.split(",") for line in q.stdout.split()[1:]]
    assert sorted(int(a) for _, a in rows) == ids
    assert sorted(int(i) for i, _ in rows) == [1, 2, 3]
    # Processes that create the lock rows at once may each add one (no keys on the lake):
    # the file, whose schema_state is keyed, gets one per name.
    lake_con = ducklake.connect(load_config(environ=lake))
    lake_con.execute("INSERT INTO schema_state VALUES ('lock:stories', 'lock', NULL, now())")
    lake_con.close()
    back2 = tmp_path / "back2.duckdb"
    run_suar("--db", str(back2), "migrate", "--to", "duckdb", env=lake, timeout=240)
    con = duckdb.connect(str(back2))
    assert con.execute("SELECT count(*) FROM corrections").fetchone()[0] == 3
    assert con.execute("SELECT nextval('correction_id_seq')").fetchone()[0] > 3  # never reused
    con.close()
