"""The analyst notebook runs top to bottom against the database `suar demo` builds.

`suar demo` is the whole offline pipeline (crawl, enrich, embed, stories, search index,
snapshot, digest) through the nightly orchestration, so this test also checks the demo's
promise: it ends by saying where the digest is and what to try next.
"""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path

import duckdb
import nbformat
import pytest
from nbclient import NotebookClient

from tests.conftest import REPO, run_suar

NOTEBOOK = REPO / "notebooks" / "analyst.ipynb"


@pytest.fixture(scope="module")
def demo_db(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, str, str]:
    db = tmp_path_factory.mktemp("demo") / "demo.duckdb"
    proc = run_suar("--db", str(db), "demo", timeout=1200)
    return db, proc.stdout, proc.stderr


def test_notebook_is_committed_without_outputs() -> None:
    nb = nbformat.read(NOTEBOOK, as_version=4)
    for cell in nb.cells:
        if cell.cell_type == "code":
            assert cell.outputs == [] and cell.execution_count is None, cell.source[:60]
    assert nb.metadata["kernelspec"]["name"] == "python3"


@pytest.mark.slow
def test_demo_reports_the_digest_and_next_steps(demo_db: tuple[Path, str, str]) -> None:
    db, out, err = demo_db
    match = re.search(r"^Digest: (\S+)$", out, flags=re.M)
    assert match, out
    digest = Path(match.group(1))
    assert digest.exists() and digest.suffix == ".html"
    assert digest.is_relative_to(db.parent / "demo-digests")
    assert "notebooks/analyst.ipynb" in out and f"suar --db {db} query" in out
    suar = re.search(r"^  (\S*suar) --db", out, flags=re.M).group(1)
    assert shutil.which(suar), f"the printed {suar!r} does not run from here"
    assert "demo site" in out and "--serve" in out  # where the source links point
    assert not re.search(r" (INFO|DEBUG) ", err), err[:2000]  # quiet unless -v
    summary = json.loads(db.with_name("demo.nightly.jsonl").read_text().splitlines()[-1])
    assert [s["status"] for s in summary["steps"]] == ["ok"] * len(summary["steps"])


@pytest.mark.slow
def test_notebook_runs_against_the_demo_database(
    demo_db: tuple[Path, str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    db, _, _ = demo_db
    monkeypatch.setenv("SUAR_DB", str(db))
    monkeypatch.delenv("SUAR_PROVINCE", raising=False)
    monkeypatch.delenv("SUAR_STORY_ID", raising=False)
    monkeypatch.setenv("MPLBACKEND", "module://matplotlib_inline.backend_inline")
    nb = nbformat.read(NOTEBOOK, as_version=4)
    client = NotebookClient(
        nb, timeout=180, kernel_name="python3", resources={"metadata": {"path": str(REPO)}}
    )
    client.execute()  # raises CellExecutionError on the first failing cell

    outputs = [o for c in nb.cells if c.cell_type == "code" for o in c.outputs]
    assert not [o for o in outputs if o.output_type == "error"]
    text = "".join(o.get("text", "") for o in outputs if o.output_type == "stream")
    assert "reading the analysts' snapshot" in text  # the notebook never holds the live file
    figures = [o for o in outputs if "image/png" in o.get("data", {})]
    assert len(figures) == 1

    with duckdb.connect(str(db), read_only=True) as con:
        sid, n_articles = con.execute(
            "SELECT id, n_articles FROM stories "
            "ORDER BY n_outlets DESC, n_articles DESC, max_level DESC, id LIMIT 1"
        ).fetchone()
        links = [
            r[0]
            for r in con.execute(
                "SELECT coalesce(h.fetched_url, a.url) FROM story_articles sa "
                "JOIN articles a ON a.id = sa.article_id "
                "LEFT JOIN article_html h ON h.article_id = a.id WHERE sa.story_id = ?",
                [sid],
            ).fetchall()
        ]
        evidence = con.execute(
            "SELECT e.escalation_evidence FROM story_articles sa "
            "JOIN enrichments e ON e.article_id = sa.article_id "
            "WHERE sa.story_id = ? AND e.escalation_evidence IS NOT NULL LIMIT 1",
            [sid],
        ).fetchone()
    assert n_articles >= 2, "the demo site reports some events in several outlets"
    assert f"Sources of story {sid} ({n_articles}):" in text
    for link in links:
        assert link in text
    if evidence:
        assert " ".join(evidence[0].split())[:40] in " ".join(text.split())
