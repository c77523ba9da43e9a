"""`suar query` formats and `suar export` Parquet on real DuckDB files, read back with DuckDB."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import duckdb
import pytest

from pipeline import db
from pipeline.export import QueryError, export_parquet, run_query
from tests.conftest import run_suar
from tests.search_corpus import ARTICLES, build_corpus


@pytest.fixture
def corpus(tmp_path: Path) -> Path:
    path = tmp_path / "suar.duckdb"
    build_corpus(path)
    return path


def _read(glob: Path | str, sql: str = "SELECT count(*) FROM t") -> list[tuple]:
    con = duckdb.connect()
    hive = ", hive_partitioning = true, hive_types = {'week': VARCHAR}" if "*" in str(glob) else ""
    con.execute(f"CREATE VIEW t AS SELECT * FROM read_parquet('{glob}'{hive})")
    return con.execute(sql).fetchall()


# -- query -----------------------------------------------------------------------------------


def test_query_formats(corpus: Path, tmp_path: Path) -> None:
    env = {"SUAR_DB": str(corpus)}
    sql = "SELECT id, outlet, title, published_at FROM articles ORDER BY id"
    as_json = run_suar("query", sql, "--format", "json", env=env).stdout.splitlines()
    rows = [json.loads(line) for line in as_json]
    assert len(rows) == len(ARTICLES) and rows[0]["id"] == 1
    assert rows[0]["title"] == ARTICLES["clash_a"][1]
    as_csv = list(
        csv.reader(io.StringIO(run_suar("query", sql, "--format", "csv", env=env).stdout))
    )
    assert as_csv[0] == ["id", "outlet", "title", "published_at"]
    assert len(as_csv) == len(ARTICLES) + 1 and as_csv[1][2] == ARTICLES["clash_a"][1]
    table = run_suar("query", "SELECT count(*) AS n FROM articles", env=env).stdout
    assert "n" in table and str(len(ARTICLES)) in table
    # parquet through DuckDB's COPY, read back: same rows, same types
    out = tmp_path / "out" / "articles.parquet"
    proc = run_suar("query", sql + ";", "--format", "parquet", "--out", str(out), env=env)
    assert f"wrote {len(ARTICLES)} rows" in proc.stderr
    back = _read(out, "SELECT id, title, typeof(published_at) FROM t ORDER BY id")
    assert back[0] == (1, ARTICLES["clash_a"][1], "TIMESTAMP WITH TIME ZONE")
    assert len(back) == len(ARTICLES)
    # csv and json to a file as well
    json_out = tmp_path / "rows.jsonl"
    run_suar("query", sql, "--format", "json", "--out", str(json_out), env=env)
    assert len(json_out.read_text(encoding="utf-8").splitlines()) == len(ARTICLES)


def test_query_errors_are_one_line_exit_2(corpus: Path, tmp_path: Path) -> None:
    env = {"SUAR_DB": str(corpus)}
    for args in (
        ("SELEC 1",),
        ("SELECT nope FROM articles", "--format", "json"),
        ("DELETE FROM articles",),  # read-only: nothing can be written
        ("SELECT 1", "--format", "parquet"),  # no --out
        ("SELECT nope", "--format", "parquet", "--out", str(tmp_path / "x.parquet")),
    ):
        proc = run_suar("query", *args, env=env, check=False)
        assert proc.returncode == 2, (args, proc.stderr)
        assert proc.stderr.startswith("suar: error: ") and proc.stderr.count("\n") == 1, args
        assert "Traceback" not in proc.stderr
    assert not (tmp_path / "x.parquet").exists()  # a failed query leaves no file behind
    con = db.connect(corpus, read_only=True)
    assert con.execute("SELECT count(*) FROM articles").fetchone()[0] == len(ARTICLES)
    with pytest.raises(QueryError, match="^Parser Error"):
        run_query(con, "SELEC", "csv", io.StringIO())
    con.close()


# -- export ----------------------------------------------------------------------------------


def test_export_layout_manifest_and_read_back(corpus: Path, tmp_path: Path) -> None:
    out = tmp_path / "export"
    con = db.connect(corpus, read_only=True)
    manifest = export_parquet(con, out)
    con.close()
    # articles by ISO week of their event date (else publication): 2025-02-14 is W07,
    # 02-20 W08, 03-03..03-05 W10, the protest published 03-10 W11
    weeks = sorted(p.name for p in (out / "articles").iterdir())
    assert weeks == ["week=2025-W07", "week=2025-W08", "week=2025-W10", "week=2025-W11"]
    assert all(list(p.glob("*.parquet")) for p in (out / "articles").iterdir())
    got = dict(
        _read(out / "articles" / "*" / "*.parquet", "SELECT week, count(*) FROM t GROUP BY 1")
    )
    assert got == {"2025-W07": 1, "2025-W08": 1, "2025-W10": 3, "2025-W11": 1}
    assert manifest["datasets"]["articles"]["partitions"] == got
    # the story of the clash (articles 03-03 and 03-04) is one row in its first week
    stories = _read(out / "stories" / "*" / "*.parquet", "SELECT id, week FROM t ORDER BY id")
    assert stories == [(1, "2025-W10"), (2, "2025-W08"), (3, "2025-W10"), (4, "2025-W07")]
    on_disk = json.loads((out / "manifest.json").read_text(encoding="utf-8"))
    assert on_disk["schema_version"] == manifest["schema_version"] >= 4
    assert on_disk["datasets"]["enrichments"]["rows"] == len(ARTICLES)
    assert on_disk["datasets"]["topics"]["rows"] == sum(len(a[6]) for a in ARTICLES.values())
    assert on_disk["datasets"]["story_articles"]["rows"] == 5
    columns = {c["name"] for c in on_disk["datasets"]["articles"]["columns"]}
    assert {"id", "url", "fetched_url", "event_date", "week"} <= columns
    assert "html_gz" not in columns
    # views that do not exist in this database are skipped and named, not silently missing
    for name in ("signals", "weekly", "hotspots", "actors", "coverage"):
        if name in on_disk["skipped"]:
            assert "does not exist" in on_disk["skipped"][name]
        else:  # the view exists: exported, or listed as empty
            assert name in on_disk["datasets"] or name in on_disk["empty"]
    assert not list(out.glob(".staging-*"))


def test_export_rerun_replaces_partitions_and_since_keeps_older_ones(
    corpus: Path, tmp_path: Path
) -> None:
    out = tmp_path / "export"
    con = db.connect(corpus, read_only=True)
    export_parquet(con, out, tables=["articles", "stories"])
    con.close()
    w07 = sorted((out / "articles" / "week=2025-W07").glob("*.parquet"))
    w07_bytes = [p.read_bytes() for p in w07]
    # the database changes: a W11 title is edited, the W08 article and its story disappear
    con = db.connect(corpus)
    con.execute("UPDATE articles SET title = 'Judul baru' WHERE url LIKE '%/protest'")
    con.execute("DELETE FROM stories WHERE id = 2")
    con.execute("UPDATE articles SET title = 'Diubah' WHERE url LIKE '%/riot'")  # W07
    con.close()
    con = db.connect(corpus, read_only=True)
    manifest = export_parquet(con, out, tables=["articles", "stories"], since="2025-W08")
    con.close()
    titles = dict(_read(out / "articles" / "*" / "*.parquet", "SELECT week, title FROM t"))
    assert titles["2025-W11"] == "Judul baru"  # rewritten
    # W07 is older than --since: untouched (old title, same bytes)
    assert [p.read_bytes() for p in sorted((out / "articles" / "week=2025-W07").glob("*"))] == (
        w07_bytes
    )
    assert titles["2025-W07"] == ARTICLES["riot"][1]
    # story 2 was the only story of W08: its partition is gone, not left stale
    assert not (out / "stories" / "week=2025-W08").exists()
    assert manifest["datasets"]["stories"]["rows"] == 3
    assert manifest["since"] == "2025-W08"
    # a full rerun picks the W07 change up as well; row counts stay exact (no duplicates)
    con = db.connect(corpus, read_only=True)
    manifest = export_parquet(con, out, tables=["articles"])
    con.close()
    assert _read(out / "articles" / "*" / "*.parquet") == [(len(ARTICLES),)]
    titles = dict(_read(out / "articles" / "*" / "*.parquet", "SELECT week, title FROM t"))
    assert titles["2025-W07"] == "Diubah"
    # the manifest still describes the stories exported by the earlier run
    assert manifest["datasets"]["stories"]["written_this_run"] is False
    assert not list(out.glob(".staging-*"))


def test_export_views_and_cli(corpus: Path, tmp_path: Path) -> None:
    con = db.connect(corpus)
    has_view = con.execute(
        "SELECT count(*) FROM information_schema.tables WHERE table_name = 'v_signals'"
    ).fetchone()[0]
    con.close()
    env = {"SUAR_DB": str(corpus)}
    out = tmp_path / "export"
    proc = run_suar("export", "--out", str(out), "--tables", "signals,articles", env=env)
    assert f"articles: {len(ARTICLES)} rows in 4 weeks" in proc.stdout
    manifest = json.loads((out / "manifest.json").read_text(encoding="utf-8"))
    if has_view:
        assert "signals" in manifest["datasets"] or "signals" in manifest["empty"]
    else:
        assert "skipped signals: v_signals does not exist" in proc.stderr
    assert set(manifest["datasets"]) <= {"signals", "articles"}
    bad = run_suar("export", "--out", str(out), "--since", "2025-27", env=env, check=False)
    assert bad.returncode == 2 and "ISO week" in bad.stderr
    bad = run_suar("export", "--out", str(out), "--tables", "nope", env=env, check=False)
    assert bad.returncode == 2 and "unknown dataset" in bad.stderr
