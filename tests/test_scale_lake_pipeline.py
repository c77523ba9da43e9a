"""The whole pipeline on DuckLake equals the pipeline on the DuckDB file.

The demo site is crawled, enriched, embedded, grouped into stories and digested twice: by one
`suar nightly` into a DuckDB file, and on a DuckLake catalog (real PostgreSQL) by a nightly
for crawl + enrich, then two `suar embed` and two `suar stories` processes at once (they take
turns through their lock rows and retries), then a nightly that writes the digest. Story ids
depend on crawl order, so stories are compared as sets of article URLs and the digest's CSVs
without their id columns.
"""

from __future__ import annotations

import csv
import json
import os
import subprocess
import sys
from pathlib import Path

import duckdb
import numpy as np
import pytest

from pipeline import ducklake
from pipeline.config import load_config
from tests.conftest import REPO, run_suar
from tests.scale_servers import postgres_database

pytest.importorskip("duckdb_extension_ducklake")

FAST = {
    "SUAR_CRAWL_RETRY_BACKOFF_BASE": "0.05",
    "SUAR_CRAWL_RETRY_TIMES": "1",
    "SUAR_CRAWL_DOWNLOAD_TIMEOUT": "15",
}
ENRICHED = (
    "SELECT a.url, e.* EXCLUDE (article_id, enriched_at) FROM enrichments e "
    "JOIN articles a ON a.id = e.article_id ORDER BY ALL"
)
VECTORS = (
    "SELECT a.url, v.model, v.content_hash, v.vector FROM article_embeddings v "
    "JOIN articles a ON a.id = v.article_id ORDER BY a.url"
)
STORY_URLS = (
    "SELECT list(a.url ORDER BY a.url) FROM story_articles s JOIN articles a "
    "ON a.id = s.article_id GROUP BY s.story_id"
)
FIRST_SEEN = "SELECT actor, first_seen_ever FROM actor_first_seen ORDER BY ALL"


def _lake_env(tmp_path: Path) -> dict[str, str]:
    return {
        "SUAR_DATABASE_BACKEND": "ducklake",
        "SUAR_DATABASE_DUCKLAKE_POSTGRES": postgres_database(),
        "SUAR_DATABASE_DUCKLAKE_DATA_PATH": str(tmp_path / "lake-data"),
    }


def _nightly(site, db: Path, *extra: str) -> list[str]:  # type: ignore[no-untyped-def]
    args = ["--db", str(db), "nightly", "--impolite", *extra]
    for outlet, url in site.base_urls.items():
        args += ["--base-url", f"{outlet}={url}"]
    return args


def _steps(proc: subprocess.CompletedProcess) -> dict[str, dict]:
    summary = json.loads(proc.stdout.strip().splitlines()[-1])
    return {s["name"]: s for s in summary["steps"]}


def _at_once(command: str, env: dict[str, str], n: int = 2) -> list[dict]:
    """``n`` `suar <command>` processes started together; their JSON summaries."""
    procs = [
        subprocess.Popen(
            [sys.executable, "-m", "pipeline.cli", command],
            cwd=REPO,
            env={**os.environ, **env},
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for _ in range(n)
    ]
    outs = [p.communicate(timeout=900) for p in procs]
    assert [p.returncode for p in procs] == [0] * n, "\n".join(e[-2000:] for _, e in outs)
    return [json.loads(o.strip().splitlines()[-1]) for o, _ in outs]


# Columns that differ between two crawls whatever the storage: which of an outlet's failed
# discovery URLs is reported as its last error depends on the order the responses arrive.
CRAWL_ORDER = {"last_error"}


def _digest_rows(week_dir: Path) -> dict[str, list[tuple[str, ...]]]:
    """Every digest CSV as a sorted list of rows, id columns (``id``, ``*_id``) left out."""
    out = {}
    for path in sorted(week_dir.glob("*.csv")):
        with path.open(encoding="utf-8", newline="") as fh:
            rows = list(csv.reader(fh))
        keep = [
            i
            for i, c in enumerate(rows[0])
            if c != "id" and not c.endswith("_id") and c not in CRAWL_ORDER
        ]
        out[path.name] = sorted(tuple(r[i] for i in keep) for r in rows[1:])
    return out


def _contents(con: duckdb.DuckDBPyConnection) -> dict[str, object]:
    return {
        "articles": con.execute("SELECT url, content_hash FROM articles ORDER BY url").fetchall(),
        "enriched": con.execute(ENRICHED).fetchall(),
        "stories": sorted(tuple(r[0]) for r in con.execute(STORY_URLS).fetchall()),
        "first_seen": con.execute(FIRST_SEEN).fetchall(),
        "regions": con.execute("SELECT count(*) FROM regions").fetchone()[0],
    }


@pytest.mark.slow
def test_pipeline_on_the_lake_equals_the_file(tmp_path: Path) -> None:
    from crawler.demosite import DemoSite

    lake = _lake_env(tmp_path)
    file_db = tmp_path / "file" / "suar.duckdb"
    lake_db = tmp_path / "lake" / "suar.duckdb"  # only the nightly's lock, log and digests
    ducklake.connect(load_config(environ=lake)).close()  # schema once, before the writers
    with DemoSite(slow_seconds=0) as site:
        on_file = run_suar(*_nightly(site, file_db, "--digest"), env=FAST, timeout=900)
        assert all(s["status"] == "ok" for s in _steps(on_file).values()), on_file.stdout
        first = run_suar(
            *_nightly(site, lake_db, "--skip", "embed", "--skip", "stories", "--no-digest"),
            env={**FAST, **lake},
            timeout=900,
        )
    steps = _steps(first)
    assert steps["crawl"]["status"] == steps["enrich"]["status"] == "ok", steps
    for name in ("search_index", "snapshot"):  # need the file: skipped, with the reason
        assert steps[name]["status"] == "skipped" and "DuckLake" in steps[name]["detail"]
    assert "not on DuckLake" in (lake_db.parent / "suar.nightly.log").read_text()

    embedded = _at_once("embed", lake)
    built = _at_once("stories", lake)
    assert sum(s["new_stories"] for s in built) > 0
    last = run_suar(
        *_nightly(site, lake_db, "--skip", "crawl", "--skip", "enrich", "--digest"),
        env=lake,
        timeout=900,
    )
    steps = _steps(last)
    assert steps["digest"]["status"] == "ok", steps
    assert "embedded=0" in steps["embed"]["detail"] and "pending=0" in steps["stories"]["detail"]
    assert not lake_db.exists(), "the lake backend never writes the file"

    with duckdb.connect(str(file_db), read_only=True) as con:
        want = _contents(con)
        want_vectors = con.execute(VECTORS).fetchall()
    assert len(want["articles"]) == 40 and want["stories"] and want["first_seen"]
    assert want["regions"] > 80_000
    con = ducklake.connect(load_config(environ=lake), read_only=True)
    try:
        got = _contents(con)
        got_vectors = con.execute(VECTORS).fetchall()
        ids = con.execute("SELECT count(*), count(DISTINCT id), max(id) FROM stories").fetchone()
        top = ducklake.mark(con, "stories")
        per_article = con.execute(
            "SELECT count(*) = count(DISTINCT (article_id, model)) FROM article_embeddings"
        ).fetchone()[0]
    finally:
        con.close()
    for key in want:
        assert got[key] == want[key], key
    # one vector per article and model, whichever embedder wrote it, equal to the file's
    assert per_article and sum(e["embedded"] for e in embedded) >= len(got_vectors)
    assert [r[:3] for r in got_vectors] == [r[:3] for r in want_vectors]
    for (_, _, _, a), (_, _, _, b) in zip(got_vectors, want_vectors, strict=True):
        np.testing.assert_allclose(np.asarray(a), np.asarray(b), atol=1e-5)
    assert ids[0] == ids[1] and top >= ids[2]  # unique ids, none above the high-water mark

    weeks = [p.name for p in (file_db.parent / "digests").iterdir()]
    assert len(weeks) == 1
    assert [p.name for p in (lake_db.parent / "digests").iterdir()] == weeks
    want_digest = _digest_rows(file_db.parent / "digests" / weeks[0])
    got_digest = _digest_rows(lake_db.parent / "digests" / weeks[0])
    assert set(want_digest) == set(got_digest) and any(want_digest.values())
    for name, rows in want_digest.items():
        assert got_digest[name] == rows, name


def test_story_ids_never_come_back_across_migrations(tmp_path: Path) -> None:
    """The high-water mark travels: lake -> file moves the sequence past it, file -> lake
    sets it from the sequence (both past ids whose stories were deleted)."""
    from pipeline import db

    lake = _lake_env(tmp_path)
    cfg = load_config(environ=lake)
    con = ducklake.connect(cfg)
    try:
        # the three story ids handed out before; two of those stories are gone again
        assert ducklake.take_ids(con, "stories", 3) == [1, 2, 3]
        con.execute(
            "INSERT INTO stories (id, n_articles, n_outlets, updated_at) VALUES (1, 1, 1, now())"
        )
        assert ducklake.mark(con, "stories") == 3
        # locks, regions and derived tables present after connect
        locks = {r[0] for r in con.execute("SELECT name FROM schema_state").fetchall()}
        assert {"lock:embeddings", "lock:stories", "regions", "actor_first_seen"} <= locks
        assert con.execute("SELECT count(*) FROM regions").fetchone()[0] > 80_000
    finally:
        con.close()

    back = tmp_path / "back.duckdb"
    ducklake.migrate_to_duckdb(load_config(environ=lake), back)
    file_con = db.connect(back, wait=0)
    try:
        with db.transaction(file_con):  # the file hands out ids past the lake's mark ...
            assert file_con.execute("SELECT nextval('story_id_seq')").fetchone()[0] > 3
            file_con.execute("SELECT max(nextval('story_id_seq')) FROM range(5)")
        marks = "SELECT count(*) FROM schema_state WHERE name LIKE 'seq:%'"
        assert file_con.execute(marks).fetchone()[0] == 0  # the sequence carries the mark
        last = file_con.execute(
            "SELECT last_value FROM duckdb_sequences() WHERE sequence_name = 'story_id_seq'"
        ).fetchone()[0]
    finally:
        file_con.close()
    assert last > 8
    lake2 = _lake_env(tmp_path)
    cfg2 = load_config(environ=lake2)
    ducklake.connect(cfg2).close()
    ducklake.migrate_to_ducklake(back, cfg2)
    con = ducklake.connect(cfg2)
    try:
        top = ducklake.mark(con, "stories")
        assert top >= last  # ... and the lake goes on after them
        assert ducklake.take_ids(con, "stories", 2) == [top + 1, top + 2]
    finally:
        con.close()
