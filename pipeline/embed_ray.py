"""`suar embed --engine ray`: sentence vectors on a Ray cluster, written by the driver.

Embedding is the largest per-article cost of the pipeline (docs/SCALING.md), so it scales out
like enrichment (pipeline/ray_engine.py, same reasons for actors over Ray Data's
map_batches): each worker is an actor that loads the embedding model once and then encodes
chunk after chunk; the driver (where `suar embed` runs, holding the database) plans the
pending articles, reads each chunk's texts, ships them to a free actor
(``ray.util.ActorPool``) and writes each chunk of vectors with the same
``pipeline.embed.write_vectors`` as the local engine (on DuckLake: under the embeddings lock
row, retried on conflict). So it is idempotent (vectors replace this model's vector per
article; a second run finds nothing pending) and restartable (a killed worker's chunk is
retried on a restarted actor; a killed driver loses only unwritten chunks).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

import duckdb

from nlp.embeddings import EmbedSettings, passage_text, prepare_model
from pipeline.db import sql
from pipeline.embed import EmbedStats, pending_ids, remove_stale, write_vectors
from pipeline.ray_engine import start_ray


class EmbedActor:
    """One Ray worker: the embedding model loaded once, then chunk after chunk."""

    def __init__(self, settings: EmbedSettings) -> None:
        from nlp.embeddings import load_embedder

        self.embedder = load_embedder(settings, prepare=False)

    def info(self) -> tuple[str, int]:
        return self.embedder.model_id, int(self.embedder.dim)

    def pid(self) -> int:
        import os

        return os.getpid()

    def encode(self, chunk: tuple[list[int], list[str | None], list[str]]) -> tuple[Any, ...]:
        ids, hashes, texts = chunk
        return ids, hashes, self.embedder.encode_passages(texts)


def run_embed_ray(
    con: duckdb.DuckDBPyConnection,
    settings: EmbedSettings,
    *,
    address: str | None = None,
    workers: int = 2,
    chunk_size: int = 32,
    limit: int | None = None,
    force: bool = False,
    progress: Callable[[int, int], None] | None = None,
    on_actors: Callable[[list[Any]], None] | None = None,
) -> EmbedStats:
    """Embed every pending Indonesian article on ``workers`` Ray actors; returns the counters.

    ``on_actors`` receives the actor handles once they exist (tests kill one midway).
    """
    start = time.monotonic()
    settings = prepare_model(settings)  # build the model and its export once, not per worker
    ray = start_ray(address, workers)
    from ray.util import ActorPool

    remote = ray.remote(num_cpus=1, max_restarts=3, max_task_retries=3)(EmbedActor)
    actors = [remote.remote(settings) for _ in range(workers)]
    try:
        infos = set(ray.get([a.info.remote() for a in actors]))
        if len(infos) != 1:
            raise RuntimeError(f"Ray workers loaded different embedding models: {infos}")
        model_id, dim = infos.pop()
        if on_actors is not None:
            on_actors(actors)
        stats = EmbedStats(model=model_id, dim=dim)
        stats.removed = remove_stale(con, model_id)
        ids = pending_ids(con, model_id, force=force)
        if limit is not None:
            ids = ids[: max(limit, 0)]
        stats.pending = len(ids)
        work = []
        for k in range(0, len(ids), chunk_size):
            rows = con.execute(sql("embed_texts"), {"ids": ids[k : k + chunk_size]}).fetchall()
            work.append(
                (
                    [r[0] for r in rows],
                    [r[3] for r in rows],
                    [passage_text(title, body) for _, title, body, _ in rows],
                )
            )
        pool = ActorPool(actors)
        for got_ids, hashes, vectors in pool.map_unordered(
            lambda a, chunk: a.encode.remote(chunk), work
        ):
            write_vectors(con, model_id, got_ids, hashes, vectors)
            stats.embedded += len(got_ids)
            if progress:
                progress(stats.embedded, stats.pending)
    finally:
        for actor in actors:
            ray.kill(actor)
    stats.seconds = time.monotonic() - start
    return stats
