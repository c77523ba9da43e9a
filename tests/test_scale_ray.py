"""Enrichment on Ray: two workers give the same results as one process, a killed worker
loses nothing, and a second run finds nothing to do.

A real local Ray cluster (2 CPUs, a 200 MB object store) and the real NLP pipeline, over
generated demo-site articles (the project's own vocabulary, no real news text).
"""

from __future__ import annotations

import hashlib
import threading
import time

import pytest

from crawler.demosite import generate_site
from pipeline import db
from pipeline.enrich import run_enrich
from pipeline.store import ArticleRecord, save_batch

ray = pytest.importorskip("ray")

TABLES = {
    "enrichments": "SELECT * EXCLUDE (enriched_at) FROM enrichments ORDER BY ALL",
    "article_entities": "SELECT * FROM article_entities ORDER BY ALL",
    "article_regions": "SELECT * FROM article_regions ORDER BY ALL",
    "article_topics": "SELECT * FROM article_topics ORDER BY ALL",
}


def _records(n: int) -> list[ArticleRecord]:
    out = []
    for rec in generate_site(n, seed=7):
        body = "\n\n".join(rec["paragraphs"])
        out.append(
            ArticleRecord(
                url=f"https://demo.invalid/{rec['outlet']}/{rec['slug']}-{rec['id']}",
                outlet=rec["outlet"],
                title=rec["title"],
                body=body,
                content_hash=hashlib.sha256((rec["title"] + body).encode()).hexdigest(),
                language="id",
            )
        )
    return out


def _database(path, records):
    con = db.connect(path)
    save_batch(con, records)
    return con


def _contents(con) -> dict[str, list]:
    return {t: con.execute(q).fetchall() for t, q in TABLES.items()}


@pytest.fixture(scope="module")
def ray_cluster():
    from pipeline.ray_engine import start_ray

    start_ray(None, 2)
    yield
    ray.shutdown()


@pytest.mark.slow
def test_two_ray_workers_equal_one_process_and_survive_a_kill(tmp_path, ray_cluster) -> None:
    from pipeline.ray_engine import run_enrich_ray

    records = _records(48)
    local = _database(tmp_path / "local.duckdb", records)
    summary = run_enrich(local, batch_size=8, workers=1)
    assert summary.enriched + summary.skipped_language == len(records)
    expected = _contents(local)
    assert expected["enrichments"] and expected["article_entities"]

    on_ray = _database(tmp_path / "ray.duckdb", records)
    killed: list[int] = []

    def kill_one(actors) -> None:
        """Kill one worker process after the first results arrive (Ray restarts it)."""

        def later() -> None:
            deadline = time.monotonic() + 120
            while time.monotonic() < deadline:
                if on_ray_written():
                    break
                time.sleep(0.2)
            ray.kill(actors[0], no_restart=False)
            killed.append(written["n"])

        threading.Thread(target=later, daemon=True).start()

    written = {"n": 0}

    def progress(done: int, total: int) -> None:
        written["n"] = done

    def on_ray_written() -> bool:
        return written["n"] > 0

    result = run_enrich_ray(on_ray, workers=2, batch_size=4, progress=progress, on_actors=kill_one)
    assert killed and killed[0] < len(records), f"the worker was killed midway ({killed})"
    assert result.failed == 0 and result.enriched + result.skipped_language == len(records)
    assert _contents(on_ray) == expected
    again = run_enrich_ray(on_ray, workers=2)
    assert again.pending == 0


@pytest.mark.slow
def test_embed_on_two_ray_workers_equals_local_and_survives_a_kill(tmp_path, ray_cluster) -> None:
    """`suar embed --engine ray`: the same vectors as the local engine, one per article, even
    when a worker is killed midway; a second run embeds nothing."""
    import numpy as np

    from pipeline.embed import configured_embedder, embed_settings, run_embed
    from pipeline.embed_ray import run_embed_ray

    records = _records(12)
    local = _database(tmp_path / "local.duckdb", records)
    stats = run_embed(local, configured_embedder())
    assert stats.embedded == len(records)
    vectors = "SELECT article_id, model, content_hash, vector FROM article_embeddings ORDER BY 1"
    want = local.execute(vectors).fetchall()

    on_ray = _database(tmp_path / "ray.duckdb", records)
    written = {"n": 0}
    killed: list[int] = []

    def kill_one(actors) -> None:
        def later() -> None:
            deadline = time.monotonic() + 300
            while time.monotonic() < deadline and written["n"] == 0:
                time.sleep(0.2)
            ray.kill(actors[0], no_restart=False)
            killed.append(written["n"])

        threading.Thread(target=later, daemon=True).start()

    def progress(done: int, total: int) -> None:
        written["n"] = done

    pids = []

    def on_actors(actors) -> None:
        pids.extend(ray.get([a.pid.remote() for a in actors]))
        kill_one(actors)

    result = run_embed_ray(
        on_ray, embed_settings(), workers=2, chunk_size=2, progress=progress, on_actors=on_actors
    )
    assert len(set(pids)) == 2, "two worker processes, the model loaded in each"
    assert killed and killed[0] < len(records), f"the worker was killed midway ({killed})"
    assert result.embedded == len(records) and result.model == stats.model
    got = on_ray.execute(vectors).fetchall()
    assert [r[:3] for r in got] == [r[:3] for r in want]  # one vector per article
    for a, b in zip(got, want, strict=True):
        np.testing.assert_allclose(np.asarray(a[3]), np.asarray(b[3]), atol=1e-5)
    assert run_embed_ray(on_ray, embed_settings(), workers=2).pending == 0
