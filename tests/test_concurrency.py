"""Analysts reading while the nightly job writes: real processes on a real DuckDB file.

DuckDB lets one process write, and a reader in another process blocks the writer. Suar's
answer (docs/SCHEMA.md, "Reading while the nightly job writes"): writers wait and announce
it; readers use the live file when free and the published snapshot otherwise.
"""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
import threading
import time
from pathlib import Path

import duckdb
import pytest

from pipeline import db
from pipeline.snapshot import publish_snapshot, snapshot_info
from tests.conftest import REPO, run_suar

INSERT_STORY = (
    "INSERT INTO stories (id, title, first_seen, n_articles, n_outlets, updated_at)"
    " VALUES (?, 'cerita', now(), ?, 1, now())"
)


def python(code: str, *args: str) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "-c", textwrap.dedent(code), *args],
        cwd=REPO,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


@pytest.fixture
def database(tmp_path) -> Path:
    path = tmp_path / "suar.duckdb"
    con = db.connect(path)
    con.execute(INSERT_STORY, [1, 1])
    con.execute("INSERT INTO story_articles VALUES (1, 1, 1.0, now())")
    con.close()
    return path


def test_snapshot_is_a_consistent_copy_published_atomically(database):
    snap = publish_snapshot(database)
    assert snap == database.with_name("suar.read.duckdb")
    info = snapshot_info(snap)
    assert info["schema_version"] == db.schema_version(duckdb.connect(str(snap), read_only=True))
    assert info["includes_html"] is False
    old = duckdb.connect(str(snap), read_only=True)  # an analyst with the old copy open
    con = db.connect(database)
    con.execute(INSERT_STORY, [2, 1])
    con.close()
    assert publish_snapshot(database) == snap  # replaced while the old one is open
    assert old.execute("SELECT count(*) FROM stories").fetchone() == (1,)
    old.close()
    new = duckdb.connect(str(snap), read_only=True)
    assert new.execute("SELECT count(*) FROM stories").fetchone() == (2,)
    # the views and the reference table travel with it
    assert new.execute("SELECT count(*) FROM regions").fetchone()[0] > 90_000
    assert new.execute("SELECT count(*) FROM v_signals").fetchone() == (2,)
    new.close()
    assert not list(database.parent.glob(".*.tmp*"))  # no temp files left behind


def test_writer_waits_for_a_reader_and_new_readers_step_aside(database):
    publish_snapshot(database)
    holder = python(
        """
        import sys, time, duckdb
        con = duckdb.connect(sys.argv[1], read_only=True)
        print("holding", flush=True)
        time.sleep(4)
        con.close()
        """,
        str(database),
    )
    assert holder.stdout.readline().strip() == "holding"
    messages: list[str] = []
    done: dict[str, float] = {}

    def write() -> None:
        con = db.connect(database, wait=60, on_wait=messages.append)
        con.execute(INSERT_STORY, [2, 1])
        con.close()
        done["at"] = time.monotonic()

    writer = threading.Thread(target=write)
    writer.start()
    flag = db.writer_flag_path(database)
    deadline = time.monotonic() + 10
    while not flag.exists() and time.monotonic() < deadline:
        time.sleep(0.05)
    assert flag.exists(), "a waiting writer announces itself"
    # a new reader in another process goes to the snapshot instead of delaying the writer
    reader = python(
        """
        import sys
        from pipeline import db
        con, source = db.connect_reader(sys.argv[1], wait=10)
        print(con.execute("SELECT count(*) FROM stories").fetchone()[0])
        print(source)
        """,
        str(database),
    )
    out, err = reader.communicate(timeout=60)
    assert reader.returncode == 0, err
    count, source = out.strip().split("\n")
    assert count == "1"
    assert source.startswith(f"snapshot {database.with_name('suar.read.duckdb')} published ")
    assert source.endswith("(a writer is waiting for the live database)")
    writer.join(timeout=60)
    holder.wait(timeout=30)
    assert "at" in done
    assert messages and "in use by another process; waiting up to 60 s" in messages[0]
    assert not flag.exists()
    con, source = db.connect_reader(database)
    assert source == f"live database {database}"
    assert con.execute("SELECT count(*) FROM stories").fetchone() == (2,)
    con.close()


def test_suar_query_reads_the_snapshot_while_the_file_is_written(database):
    env = {"SUAR_DATABASE_READER_WAIT": "0.5"}
    sql = "SELECT count(*) AS n FROM stories"
    writer = db.connect(database)  # this process holds the file for writing
    try:
        proc = run_suar("--db", str(database), "query", sql, "--format", "csv", env=env,
                        check=False)  # fmt: skip
        assert proc.returncode == 75
        assert "no analysts' snapshot exists yet" in proc.stderr
        assert "Traceback" not in proc.stderr
    finally:
        writer.close()
    proc = run_suar("--db", str(database), "snapshot")
    assert proc.stdout.strip() == f"snapshot published: {database.with_name('suar.read.duckdb')}"
    writer = db.connect(database)
    try:
        writer.execute(INSERT_STORY, [2, 1])  # not in the snapshot
        proc = run_suar("--db", str(database), "query", sql, "--format", "csv", env=env)
        assert proc.stdout.split() == ["n", "1"]
        assert "suar: reading the snapshot" in proc.stderr
        assert "published" in proc.stderr and "ago" in proc.stderr
    finally:
        writer.close()
    proc = run_suar("--db", str(database), "query", sql, "--format", "csv", env=env)
    assert proc.stdout.split() == ["n", "2"] and "snapshot" not in proc.stderr


WRITER = """
import sys, time
from pipeline import db
from pipeline.snapshot import publish_snapshot
path, n = sys.argv[1], int(sys.argv[2])
waits = []
for i in range(n):
    con = db.connect(path, wait=120, on_wait=waits.append)
    k = i % 3 + 1
    con.execute("BEGIN TRANSACTION")
    con.execute(
        "INSERT INTO stories (id, title, first_seen, n_articles, n_outlets, updated_at)"
        " VALUES (?, 'cerita', now(), ?, 1, now())", [1000 + i, k])
    con.execute(
        "INSERT INTO story_articles SELECT 100000 + ? * 10 + j, ?, 1.0, now() FROM range(?) t(j)",
        [i, 1000 + i, k])
    con.execute("COMMIT")
    con.close()
    if i % 10 == 9:
        publish_snapshot(path, wait=120)
print(len(waits))
"""

READER = """
import json, sys, time
from pathlib import Path
from pipeline import db
path, stop = sys.argv[1], Path(sys.argv[2])
reads, errors, inconsistent, sources = 0, [], 0, {}
while not stop.exists():
    try:
        con, source = db.connect_reader(path, wait=0.3)
        try:
            stories, claimed = con.execute(
                "SELECT count(*), coalesce(sum(n_articles), 0) FROM stories").fetchone()
            linked = con.execute("SELECT count(*) FROM story_articles").fetchone()[0]
            time.sleep(0.05)  # an analyst's query takes a moment
        finally:
            con.close()
        kind = source.split()[0]
        sources[kind] = sources.get(kind, 0) + 1
        reads += 1
        if claimed != linked:
            inconsistent += 1
    except Exception as exc:
        errors.append(repr(exc))
    time.sleep(0.01)
print(json.dumps({"reads": reads, "errors": errors, "inconsistent": inconsistent,
                  "sources": sources}))
"""


@pytest.mark.slow
def test_a_looping_reader_never_fails_and_never_loses_the_writers_data(database, tmp_path):
    publish_snapshot(database)
    stop = tmp_path / "stop"
    reader = python(READER, str(database), str(stop))
    time.sleep(1.0)  # the reader is looping before the writer starts
    n = 40
    writer = python(WRITER, str(database), str(n))
    w_out, w_err = writer.communicate(timeout=600)
    stop.touch()
    r_out, r_err = reader.communicate(timeout=120)
    assert writer.returncode == 0, w_err[-3000:]
    assert reader.returncode == 0, r_err[-3000:]
    report = json.loads(r_out)
    assert report["errors"] == []
    assert report["inconsistent"] == 0  # every read saw whole transactions only
    assert report["reads"] >= 20
    assert report["sources"].get("live", 0) > 0 and report["sources"].get("snapshot", 0) > 0, report
    con = db.connect(database)
    assert con.execute("SELECT count(*) FROM stories WHERE id >= 1000").fetchone() == (n,)
    expected = sum(i % 3 + 1 for i in range(n))
    assert con.execute("SELECT count(*) FROM story_articles WHERE story_id >= 1000").fetchone() == (
        expected,
    )
    con.close()
    snap = duckdb.connect(str(database.with_name("suar.read.duckdb")), read_only=True)
    stories, claimed = snap.execute(
        "SELECT count(*), sum(n_articles) FROM stories WHERE id >= 1000"
    ).fetchone()
    linked = snap.execute("SELECT count(*) FROM story_articles WHERE story_id >= 1000").fetchone()
    snap.close()
    assert stories == n and (claimed,) == linked  # the last publish saw every transaction
