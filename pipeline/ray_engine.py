"""`suar enrich --engine ray`: the NLP stage on a Ray cluster, results written by the driver.

Why Ray actors (and not Ray Data's map_batches): the pipeline costs seconds to build and
hundreds of MB, so each worker is an actor that builds it once and then enriches batch after
batch; the driver keeps the database, reads each batch's articles, ships them to a free actor
(``ray.util.ActorPool``), and writes each result batch in one transaction with the same
``pipeline.enrich.write_results`` as the local engine. So:

* idempotent: results replace the articles' rows (delete + insert per article), and a second
  run finds nothing pending;
* restartable: a killed worker loses only the batch it held, which Ray retries on a restarted
  actor (``max_restarts`` / ``max_task_retries``); a killed driver loses only unwritten
  batches, which the next run finds pending again. Nothing is ever written twice.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from typing import Any

import duckdb

from pipeline.enrich import (
    EnrichSummary,
    batch_articles,
    plan_run,
    write_results,
)

log = logging.getLogger(__name__)

# A small object store: batches are text, a few MB at most (the machine is shared).
OBJECT_STORE_BYTES = 200 * 1024 * 1024


class EnrichActor:
    """One Ray worker: the pipeline built once, then batch after batch."""

    def __init__(self) -> None:
        from pipeline.enrich import registry_nlp

        self.nlp = registry_nlp()

    def pid(self) -> int:
        import os

        return os.getpid()

    def enrich(self, batch: list[dict[str, Any]]) -> list[dict[str, Any]]:
        from nlp.annotate import enrich_articles

        return enrich_articles(batch, self.nlp)


def start_ray(address: str | None, workers: int) -> Any:
    """Join the cluster at ``address``, or start a local one with ``workers`` CPUs."""
    import ray

    if ray.is_initialized():
        return ray
    kwargs: dict[str, Any] = {"include_dashboard": False, "log_to_driver": False}
    if address:
        ray.init(address=address, **kwargs)
    else:
        ray.init(num_cpus=workers, object_store_memory=OBJECT_STORE_BYTES, **kwargs)
    return ray


def run_enrich_ray(
    con: duckdb.DuckDBPyConnection,
    *,
    address: str | None = None,
    workers: int = 2,
    batch_size: int = 64,
    limit: int | None = None,
    force: bool = False,
    version: str | None = None,
    progress: Callable[[int, int], None] | None = None,
    on_actors: Callable[[list[Any]], None] | None = None,
) -> EnrichSummary:
    """Enrich every pending article on Ray with ``workers`` actors; returns the counters.

    ``on_actors`` receives the actor handles once they exist (tests kill one midway).
    """
    summary, ids, started = plan_run(con, version, force, limit)
    if not ids:
        return summary
    version = summary.version
    ray = start_ray(address, workers)
    from ray.util import ActorPool

    remote = ray.remote(num_cpus=1, max_restarts=3, max_task_retries=3)(EnrichActor)
    actors = [remote.remote() for _ in range(workers)]
    if on_actors is not None:
        on_actors(actors)
    pool = ActorPool(actors)

    def batches():  # type: ignore[no-untyped-def]
        for k in range(0, len(ids), batch_size):
            yield batch_articles(con, ids[k : k + batch_size])

    hashes: dict[int, str | None] = {}
    done = 0
    try:
        work = []
        for arts, h in batches():
            hashes.update(h)
            work.append(arts)
        for results in pool.map_unordered(lambda a, batch: a.enrich.remote(batch), work):
            write_results(con, results, hashes, version)
            for r in results:
                if r.get("enriched"):
                    summary.enriched += 1
                else:
                    summary.skipped_language += 1
            done += len(results)
            if progress:
                progress(done, len(ids))
    finally:
        for actor in actors:
            ray.kill(actor)
    summary.seconds = time.monotonic() - started
    return summary
