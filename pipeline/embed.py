"""`suar embed`: one sentence vector per Indonesian article and embedding model version.

Vectors land in ``article_embeddings`` (migration 003) keyed by (article, model id). An article
is embedded when this model has no vector for its current ``content_hash``, so a second run
does nothing, an edited article is embedded again, and a new model (or new weights, which
change the model id) embeds everything without touching the old model's vectors. Each chunk
is written in one transaction with one set-wise statement: a killed run keeps what it wrote.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from typing import Any

import duckdb
import numpy as np

from nlp.embeddings import Embedder, EmbedSettings, load_embedder, passage_text
from pipeline import db, ducklake
from pipeline.config import Config, load_config
from pipeline.db import sql

log = logging.getLogger(__name__)


def embed_settings(cfg: Config | None = None) -> EmbedSettings:
    """nlp's embedding settings from the [embeddings] section (environment overrides are
    applied by load_config); the default configuration when ``cfg`` is None."""
    cfg = cfg if cfg is not None else load_config()
    return EmbedSettings.from_section(cfg.data.get("embeddings"))


def configured_embedder(cfg: Config | None = None, *, prepare: bool = True) -> Embedder:
    """The embedder the configuration names (``prepare``: build the offline default if
    missing, ~30 s once)."""
    return load_embedder(embed_settings(cfg), prepare=prepare)


@dataclass
class EmbedStats:
    """What a run did; ``as_dict()`` is what the CLI prints."""

    model: str
    dim: int
    pending: int = 0
    embedded: int = 0
    removed: int = 0  # vectors of articles deleted or no longer flagged Indonesian
    seconds: float = 0.0

    @property
    def articles_per_second(self) -> float:
        return self.embedded / self.seconds if self.seconds > 0 else 0.0

    def as_dict(self) -> dict[str, Any]:
        out = asdict(self)
        out["seconds"] = round(self.seconds, 1)
        out["articles_per_second"] = round(self.articles_per_second, 1)
        return out


def pending_ids(con: duckdb.DuckDBPyConnection, model_id: str, *, force: bool = False) -> list[int]:
    """Indonesian articles this model has not embedded in their current content."""
    rows = con.execute(sql("embed_pending"), {"model": model_id, "force": force}).fetchall()
    return [r[0] for r in rows]


def write_vectors(
    con: duckdb.DuckDBPyConnection,
    model_id: str,
    ids: list[int],
    hashes: list[str | None],
    vectors: np.ndarray,
) -> None:
    """Upsert one chunk of vectors in one transaction.

    On DuckLake (no keys to replace on) the transaction takes the embeddings lock row and
    deletes then inserts; a commit that conflicts with another embedder is retried.
    """
    if not ids:
        return
    params = {
        "ids": ids,
        "model": model_id,
        "hashes": hashes,
        "dim": int(vectors.shape[1]),
        "vectors": vectors.astype(np.float32).tolist(),
        "now": datetime.now(UTC),
    }
    if not ducklake.is_lake(con):
        with db.transaction(con):
            con.execute(sql("embed_upsert"), params)
        return

    def write() -> None:
        with ducklake.locked(con, "embeddings"):
            for stmt in db.statements("lake/embed_upsert"):
                con.execute(stmt, {k: v for k, v in params.items() if f"${k}" in stmt})

    ducklake.retry(con, write)


def remove_stale(con: duckdb.DuckDBPyConnection, model_id: str) -> int:
    """Delete this model's vectors of articles gone or no longer Indonesian; how many."""

    def write() -> int:
        with ducklake.writing(con, "embeddings"):
            return con.execute(sql("embed_stale"), {"model": model_id}).fetchone()[0]

    return ducklake.retry(con, write)


def run_embed(
    con: duckdb.DuckDBPyConnection,
    embedder: Embedder,
    *,
    limit: int | None = None,
    force: bool = False,
    chunk_size: int = 256,
    progress: Callable[[int, int], None] | None = None,
) -> EmbedStats:
    """Embed every pending Indonesian article (at most ``limit``), ``chunk_size`` per commit."""
    start = time.monotonic()
    model_id = embedder.model_id
    stats = EmbedStats(model=model_id, dim=embedder.dim)
    stats.removed = remove_stale(con, model_id)
    ids = pending_ids(con, model_id, force=force)
    lake = ducklake.is_lake(con)
    if limit is not None:
        ids = ids[: max(limit, 0)]
    stats.pending = len(ids)
    last_log = time.monotonic()
    for i in range(0, len(ids), chunk_size):
        chunk = ids[i : i + chunk_size]
        if lake and not force:  # another embedder may have written some since we planned
            params = {"ids": chunk, "model": model_id}
            chunk = [r[0] for r in con.execute(sql("lake/embed_still_pending"), params).fetchall()]
            stats.pending -= len(ids[i : i + chunk_size]) - len(chunk)
        if not chunk:
            continue
        rows = con.execute(sql("embed_texts"), {"ids": chunk}).fetchall()
        texts = [passage_text(title, body) for _, title, body, _ in rows]
        vectors = embedder.encode_passages(texts)
        write_vectors(con, model_id, [r[0] for r in rows], [r[3] for r in rows], vectors)
        stats.embedded += len(rows)
        if progress:
            progress(stats.embedded, stats.pending)
        if time.monotonic() - last_log >= 30:
            last_log = time.monotonic()
            log.info("progress embed: %d/%d articles", stats.embedded, stats.pending)
    stats.seconds = time.monotonic() - start
    return stats


def embedding_counts(con: duckdb.DuckDBPyConnection) -> list[dict[str, Any]]:
    """Stored vectors per model, newest first."""
    cur = con.execute(sql("embed_counts"))
    cols = [d[0] for d in cur.description]
    return [dict(zip(cols, row, strict=True)) for row in cur.fetchall()]
