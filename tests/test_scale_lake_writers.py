"""Writers on DuckLake: two `suar crawl` processes write one catalog at once, then enrich.

DuckLake has no keys, so uniqueness is the writers' job (pipeline/ducklake.py: a lock row per
keyed table, conflicts retried). Two crawlers over the same demo site, without a shared
frontier, race on every URL: the catalog must end with exactly the article set of one run
into a DuckDB file, each URL once, ids unique, and enrichment must write one row per article.
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


def _lake_env(tmp_path) -> dict[str, str]:
    return {
        "SUAR_DATABASE_BACKEND": "ducklake",
        "SUAR_DATABASE_DUCKLAKE_POSTGRES": postgres_database(),
        "SUAR_DATABASE_DUCKLAKE_DATA_PATH": str(tmp_path / "lake"),
    }


def test_concurrent_anti_join_inserts_are_serialised(tmp_path) -> None:
    """Two sessions insert the same URL in overlapping transactions: one wins, one retries."""
    env = _lake_env(tmp_path)
    cfg = load_config(environ=env)
    a, b = ducklake.connect(cfg), ducklake.connect(cfg)
    insert = (
        "INSERT INTO article_aliases SELECT 'https://x.test/1', ?, 'r', now() "
        "WHERE 'https://x.test/1' NOT IN (SELECT url FROM article_aliases)"
    )
    with ducklake.locked(a, "articles"):
        a.execute(insert, [1])
        b.execute("BEGIN TRANSACTION")
        b.execute("UPDATE schema_state SET updated_at = now() WHERE name = 'lock:articles'")
        b.execute(insert, [2])  # b's snapshot does not see a's row yet
    with pytest.raises(duckdb.Error, match="(?i)conflict"):
        b.execute("COMMIT")

    def again() -> None:
        with ducklake.locked(b, "articles"):
            b.execute(insert, [2])

    ducklake.retry(b, again)
    assert b.execute("SELECT url, article_id FROM article_aliases").fetchall() == [
        ("https://x.test/1", 1)
    ]
    a.close()
    b.close()


@pytest.mark.slow
def test_two_crawlers_into_one_catalog_equal_one_duckdb_run(tmp_path) -> None:
    from crawler.demosite import DemoSite
    from tests.test_crawl import FAST, crawl_args

    lake = _lake_env(tmp_path)
    ducklake.connect(load_config(environ=lake)).close()  # schema once, before the writers
    file_db = tmp_path / "one.duckdb"
    with DemoSite() as site:
        run_suar(*crawl_args(site, file_db), env=FAST, timeout=240)
        # --db is ignored by the ducklake backend; both write the catalog, at the same time.
        args = [sys.executable, "-m", "pipeline.cli", *crawl_args(site, tmp_path / "x.duckdb")]
        env = {**os.environ, **FAST, **lake}
        procs = [
            subprocess.Popen(
                args, cwd=REPO, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE
            )
            for _ in range(2)
        ]
        outs = [p.communicate(timeout=300) for p in procs]
        assert [p.returncode for p in procs] == [0, 0], outs[0][1][-2000:] + outs[1][1][-2000:]
    assert not (tmp_path / "x.duckdb").exists(), "the lake backend never writes the file"

    with duckdb.connect(str(file_db), read_only=True) as con:
        want = con.execute("SELECT url, content_hash FROM articles ORDER BY url").fetchall()
        want_aliases = con.execute("SELECT url FROM article_aliases ORDER BY url").fetchall()
    assert len(want) > 10
    con = ducklake.connect(load_config(environ=lake), read_only=True)
    got = con.execute("SELECT url, content_hash FROM articles ORDER BY url").fetchall()
    assert got == want  # same article set, each URL once
    assert con.execute("SELECT count(DISTINCT id) = count(*) FROM articles").fetchone()[0]
    assert con.execute("SELECT url FROM article_aliases ORDER BY url").fetchall() == want_aliases
    html = con.execute("SELECT count(*), count(DISTINCT article_id) FROM article_html").fetchone()
    assert html[0] == html[1] == len(want)
    runs = con.execute("SELECT id, status FROM crawl_runs ORDER BY id").fetchall()
    assert [r[0] for r in runs] == [1, 2] and {r[1] for r in runs} <= {"ok", "partial"}
    con.close()

    # Two enrichers at once on the catalog, both planning every article, race on each one:
    # the catalog ends with one enrichment per article, equal to the file's.
    enrich = [sys.executable, "-m", "pipeline.cli", "enrich"]
    procs = [
        subprocess.Popen(enrich, cwd=REPO, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        for _ in range(2)
    ]
    run_suar("--db", str(file_db), "enrich", timeout=600)
    outs = [p.communicate(timeout=600) for p in procs]
    assert [p.returncode for p in procs] == [0, 0], outs[0][1][-2000:] + outs[1][1][-2000:]
    by_url = (
        "SELECT a.url, e.* EXCLUDE (article_id, enriched_at) FROM enrichments e "
        "JOIN articles a ON a.id = e.article_id ORDER BY ALL"
    )
    entities = (
        "SELECT a.url, x.* EXCLUDE (article_id) FROM article_entities x "
        "JOIN articles a ON a.id = x.article_id ORDER BY ALL"
    )
    with duckdb.connect(str(file_db), read_only=True) as con:
        want_enriched, want_entities = (
            con.execute(by_url).fetchall(),
            con.execute(entities).fetchall(),
        )
    assert len(want_enriched) == len(want) and want_entities
    con = ducklake.connect(load_config(environ=lake), read_only=True)
    assert con.execute(by_url).fetchall() == want_enriched
    assert con.execute(entities).fetchall() == want_entities
    con.close()
