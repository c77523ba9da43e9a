"""`suar nightly`: the unattended run (crawl, enrich, embed, stories, search index, snapshot,
weekly digest).

The run is a list of named steps. Each step commits its own work before the next starts, so a
run killed at any point loses nothing that a finished step wrote, and the next night picks up
what is missing (every step is incremental). A failed step does not stop the steps that do not
depend on it: analysts still get a snapshot of what was crawled when enrichment breaks, but the
run exits non-zero with one line naming the step and the reason. Steps that need a failed step
(stories on half-enriched data, a digest from stale stories) are skipped instead, because their
output would look complete and be wrong.

On the DuckLake backend (docs/SCALING.md) the run is crawl, enrich, embed, stories and
digest; the search index and the snapshot need the DuckDB file and are skipped with a logged
note (``LAKE_SKIPS``), not failed.

Two runs never overlap: a lock FILE beside the database (``data/suar.nightly.lock``) is held
with ``flock``; the kernel releases it when the holder dies, so a killed run's lock is taken
over by the next run, which says so in the log.
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import logging
import os
import signal
import socket
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import asdict, dataclass, field
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

from pipeline.config import Config
from pipeline.weeks import wib_date

log = logging.getLogger("suar.nightly")
# Tracebacks and the JSON summary go to the log file only: stderr (cron mail) gets one line
# per step, stdout the summary.
filelog = logging.getLogger("suar.nightly.file")
filelog.propagate = False

EXIT_OK = 0
EXIT_FAILED = 1
EXIT_BUSY = 75  # EX_TEMPFAIL: another run holds the lock; cron may simply try again later
WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")


class NightlyBusy(RuntimeError):
    """Another nightly run holds the lock; the message names its pid and start time."""


class RunInterrupted(RuntimeError):
    """A signal (Ctrl-C, `systemctl stop`) asked the run to stop: no further step starts."""


class StepUnavailable(RuntimeError):
    """A step's module or function is not installed in this version of Suar."""


# -- paths ---------------------------------------------------------------------------------


def _beside_db(config: Config, suffix: str) -> Path:
    db = config.db_path
    return db.with_name(db.stem + suffix)


def lock_path(config: Config) -> Path:
    """``data/suar.duckdb`` -> ``data/suar.nightly.lock`` (one lock per database)."""
    return _beside_db(config, ".nightly.lock")


def log_path(config: Config) -> Path:
    return Path(config.get("nightly", "log_file") or _beside_db(config, ".nightly.log"))


def summary_path(config: Config) -> Path:
    return Path(config.get("nightly", "summary_file") or _beside_db(config, ".nightly.jsonl"))


def digest_dir(config: Config) -> Path:
    """[digest] out_dir, else data/digests beside the database (as `suar digest`)."""
    return Path(config.get("digest", "out_dir") or config.db_path.parent / "digests")


# -- lock ----------------------------------------------------------------------------------


@contextlib.contextmanager
def nightly_lock(path: Path) -> Iterator[dict[str, Any] | None]:
    """Hold an exclusive flock on ``path`` for the run; yields the stale holder's info, if any.

    The file keeps ``{"pid", "started_at", "host"}`` of the holder while it runs and is emptied
    on a clean exit, so content found on entry means the previous run was killed.
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            holder = _read_holder(fd)
            who = (
                f"pid {holder.get('pid')}, started {holder.get('started_at')}"
                if holder
                else "holder unknown"
            )
            raise NightlyBusy(
                f"another nightly run is in progress ({who}; lock {path}); not starting"
            ) from None
        stale = _read_holder(fd)
        os.ftruncate(fd, 0)
        info = {
            "pid": os.getpid(),
            "started_at": datetime.now(UTC).isoformat(timespec="seconds"),
            "host": socket.gethostname(),
        }
        os.pwrite(fd, json.dumps(info).encode(), 0)
        os.fsync(fd)
        try:
            yield stale
        finally:
            os.ftruncate(fd, 0)
            fcntl.flock(fd, fcntl.LOCK_UN)
    finally:
        os.close(fd)


def _read_holder(fd: int) -> dict[str, Any] | None:
    raw = os.pread(fd, 4096, 0)
    if not raw.strip():
        return None
    try:
        return json.loads(raw)
    except ValueError:
        return {"pid": "?", "started_at": raw[:60].decode(errors="replace")}


# -- steps ---------------------------------------------------------------------------------


@dataclass
class StepResult:
    name: str
    status: str  # ok | partial (ran; some items failed) | failed | skipped
    seconds: float = 0.0
    detail: str = ""
    error: str = ""


@dataclass
class NightlyOptions:
    """What a caller (cron, `suar demo`, a test) can change about one run."""

    outlets: list[str] | None = None
    base_urls: dict[str, str] | None = None
    polite: bool = True
    digest: bool | None = None  # None: on the configured weekday
    digest_week: str | None = None  # None: the last complete week with stories
    now: datetime | None = None  # None: the clock (tests pin it); weeks and weekdays are WIB
    skip: tuple[str, ...] = ()
    progress: bool = True
    on_wait: Callable[[str], None] | None = None


@dataclass
class NightlyContext:
    """Shared state for one run: config, a lazily opened connection, a lazily loaded model."""

    config: Config
    options: NightlyOptions
    outputs: dict[str, Any] = field(default_factory=dict)
    _con: Any = None
    _embedder: Any = None

    def con(self) -> Any:
        if self._con is None:
            from pipeline import db

            self._con = db.connect_configured(self.config, on_wait=self.options.on_wait)
        return self._con

    def close(self) -> None:
        """Release the database (the snapshot copies the file; readers need it closed)."""
        if self._con is not None:
            self._con.close()
            self._con = None

    def embedder(self) -> Any:
        if self._embedder is None:
            configured_embedder = _require("pipeline.embed", "configured_embedder")
            self._embedder = configured_embedder(self.config)
        return self._embedder


def _require(module: str, name: str) -> Any:
    """Import ``module.name``, or fail the step with a line saying what is missing."""
    import importlib

    try:
        mod = importlib.import_module(module)
    except ModuleNotFoundError as exc:
        if exc.name and module.startswith(exc.name):
            raise StepUnavailable(f"{module} is not installed in this version of Suar") from exc
        raise
    try:
        return getattr(mod, name)
    except AttributeError:
        raise StepUnavailable(f"{module}.{name} does not exist in this version of Suar") from None


def _describe(obj: Any) -> str:
    """A short `key=value` line from a stats object (dataclass, dict or anything else)."""
    if hasattr(obj, "as_dict"):
        obj = obj.as_dict()
    elif hasattr(obj, "__dataclass_fields__"):
        obj = asdict(obj)
    if isinstance(obj, dict):
        parts = []
        for key, value in obj.items():
            if isinstance(value, int | float | str | bool) and len(str(value)) <= 60:
                parts.append(f"{key}={round(value, 1) if isinstance(value, float) else value}")
        return " ".join(parts)
    return str(obj)[:200]


def step_crawl(ctx: NightlyContext) -> tuple[str, str]:
    from pipeline.crawl import run_crawl
    from pipeline.progress import Progress, plain_lines

    ctx.close()  # the crawl opens its own connection and commits batch by batch
    opts = ctx.options
    saved = {sig: signal.getsignal(sig) for sig in (signal.SIGINT, signal.SIGTERM)}
    try:
        with Progress() if opts.progress else contextlib.nullcontext() as progress:
            summary = run_crawl(
                ctx.config,
                opts.outlets,
                base_urls=opts.base_urls,
                polite=opts.polite,
                progress=progress,
                on_wait=opts.on_wait,
            )
    finally:
        # Scrapy turns SIGINT/SIGTERM into "stop the crawl gracefully" and leaves its handlers
        # installed; without the defaults back, a later step could not be stopped at all.
        signalled = any(
            signal.getsignal(sig) is not handler
            and getattr(signal.getsignal(sig), "__name__", "") != "_signal_shutdown"
            for sig, handler in saved.items()
        )
        for sig, handler in saved.items():
            signal.signal(sig, handler)
    if signalled:
        raise RunInterrupted(f"stopped by a signal during crawl run {summary.run_id}")
    for line in plain_lines(summary.stats):
        log.info("crawl %s", line)
    totals: dict[str, int] = {}
    for row in summary.stats.values():
        for key in ("fetched", "new", "updated", "failed"):
            totals[key] = totals.get(key, 0) + int(row.get(key, 0) or 0)
    ctx.outputs["crawl_run"] = summary.run_id
    detail = f"run {summary.run_id} {summary.status}: " + " ".join(
        f"{k}={v}" for k, v in totals.items()
    )
    return ("ok" if summary.status == "ok" else "partial"), detail


def step_enrich(ctx: NightlyContext) -> tuple[str, str]:
    from nlp.annotate import default_workers
    from pipeline.enrich import EnrichProgress, run_enrich

    with EnrichProgress() if ctx.options.progress else contextlib.nullcontext() as progress:
        summary = run_enrich(ctx.con(), workers=default_workers(), progress=progress)
    detail = (
        f"enriched={summary.enriched} not_indonesian={summary.skipped_language} "
        f"failed={summary.failed} version={summary.version}"
    )
    return ("partial" if summary.failed else "ok"), detail


def step_embed(ctx: NightlyContext) -> tuple[str, str]:
    run_embed = _require("pipeline.embed", "run_embed")
    stats = run_embed(ctx.con(), ctx.embedder())
    failed = getattr(stats, "failed", 0) or 0
    return ("partial" if failed else "ok"), _describe(stats)


def step_stories(ctx: NightlyContext) -> tuple[str, str]:
    build_stories = _require("pipeline.stories", "build_stories")
    stats = build_stories(ctx.con(), ctx.config, embedder=ctx.embedder())
    return "ok", _describe(stats)


def on_lake(config: Config) -> bool:
    """Whether the run writes a DuckLake catalog (docs/SCALING.md) rather than the file."""
    return config.data["database"].get("backend") == "ducklake"


# Steps that still need the DuckDB file: on DuckLake they are skipped with a note, not failed
# (the rest of the night is still useful, and nothing they would write is lost).
LAKE_SKIPS = {
    "search_index": "the search index (fts BM25) needs the DuckDB file",
    "snapshot": "readers query the catalog live; there is no file to snapshot",
}


def step_search_index(ctx: NightlyContext) -> tuple[str, str]:
    """Searches never wait for stemming the night's articles or rebuilding the BM25 index."""
    refresh_index = _require("pipeline.search", "refresh_index")
    return "ok", _describe(refresh_index(ctx.con()))


def step_snapshot(ctx: NightlyContext) -> tuple[str, str]:
    publish_snapshot = _require("pipeline.snapshot", "publish_snapshot")
    ctx.close()
    path = publish_snapshot(ctx.config.db_path, cfg=ctx.config, on_wait=ctx.options.on_wait)
    ctx.outputs["snapshot"] = str(path)
    return "ok", f"published {path}"


def step_digest(ctx: NightlyContext) -> tuple[str, str]:
    """The week's digest, configured by [digest] like `suar digest`."""
    write_digest = _require("pipeline.digest", "write_digest")
    from pipeline.digest import DigestOptions, registry_outlets

    cfg = ctx.config
    source = str(cfg.db_path)
    if on_lake(cfg):
        from pipeline import ducklake

        # The session was opened before stories ran: bring the derived tables up to date
        # (on the file, the snapshot step's reopen does that).
        ducklake.refresh_derived(ctx.con())
        source = f"DuckLake catalog ({ducklake.settings(cfg)[1]})"
    section = cfg.data["digest"]
    options = DigestOptions(
        **{k: section[k] for k in DigestOptions.__dataclass_fields__ if k in section}
    )
    result = write_digest(
        ctx.con(),
        digest_dir(cfg),
        week=ctx.options.digest_week,
        lang=section["lang"],
        pdf=cfg.get("nightly", "digest_pdf"),
        options=options,
        outlets=registry_outlets(cfg.crawl["registry"] or None),
        source=source,
        today=wib_date(ctx.options.now),
    )
    paths = _digest_paths(result)
    ctx.outputs["digest"] = paths
    shown = paths.get("html") or paths.get("markdown") or str(result)[:200]
    return "ok", f"week {getattr(result, 'week', '?')} written to {shown}"


def _digest_paths(result: Any) -> dict[str, str]:
    """The files a DigestResult names (html/md/csv/pdf), whatever its exact shape."""
    if hasattr(result, "__dataclass_fields__"):
        result = asdict(result)
    if not isinstance(result, dict):
        return {}
    return {
        k: str(v)
        for k, v in result.items()
        if v and (isinstance(v, Path) or (isinstance(v, str) and "/" in v))
    }


@dataclass(frozen=True)
class Step:
    name: str
    run: Callable[[NightlyContext], tuple[str, str]]
    needs: tuple[str, ...] = ()  # steps whose failure makes this one meaningless


# Order matters: each step reads what the previous ones committed. `needs` is deliberately
# short: enrichment, embedding and the snapshot are useful on their own.
STEPS: tuple[Step, ...] = (
    Step("crawl", step_crawl),
    Step("enrich", step_enrich),
    Step("embed", step_embed),
    Step("stories", step_stories, needs=("enrich", "embed")),
    Step("search_index", step_search_index),
    Step("snapshot", step_snapshot),
    Step("digest", step_digest, needs=("stories",)),
)
STEP_NAMES = tuple(s.name for s in STEPS)


# -- the run -------------------------------------------------------------------------------


@dataclass
class NightlyResult:
    started_at: str
    finished_at: str = ""
    seconds: float = 0.0
    status: str = "ok"  # ok | failed
    steps: list[StepResult] = field(default_factory=list)
    outputs: dict[str, Any] = field(default_factory=dict)
    exit_code: int = EXIT_OK

    @property
    def reason(self) -> str:
        """One line: the first failed step and why, then how many others went wrong."""
        bad = [s for s in self.steps if s.status in {"failed", "partial"}]
        if not bad:
            return ""
        first = bad[0]
        why = first.error or first.detail
        more = f" (+{len(bad) - 1} more: {', '.join(s.name for s in bad[1:])})" if bad[1:] else ""
        verb = "failed" if first.status == "failed" else "had failures"
        return f"step {first.name} {verb}: {why}{more}"

    def as_dict(self) -> dict[str, Any]:
        out = asdict(self)
        out["seconds"] = round(self.seconds, 1)
        for s in out["steps"]:
            s["seconds"] = round(s["seconds"], 2)
        out["reason"] = self.reason
        return out


def digest_due(config: Config, today: date | None = None) -> bool:
    """True on the configured weekday ("" = never, "daily" = every run).

    ``today`` is a date in Jakarta (default: now, in WIB), whatever the machine's time zone:
    the weekday belongs to the same calendar as the digest's weeks.
    """
    day = config.get("nightly", "digest_weekday").strip().lower()[:3]
    if not day:
        return False
    if day == "dai":
        return True
    if day not in WEEKDAYS:
        raise ValueError(
            f"nightly.digest_weekday must be one of {', '.join(WEEKDAYS)}, 'daily' or '', "
            f"got {config.get('nightly', 'digest_weekday')!r}"
        )
    return WEEKDAYS[(today or wib_date()).weekday()] == day


def _file_handler(path: Path) -> logging.Handler:
    path.parent.mkdir(parents=True, exist_ok=True)
    handler = logging.FileHandler(path, encoding="utf-8")
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    return handler


def run_nightly(
    config: Config,
    options: NightlyOptions | None = None,
    *,
    steps: tuple[Step, ...] = STEPS,
) -> NightlyResult:
    """Run every step under the lock; raises NightlyBusy if another run holds it.

    Returns the per-step results; ``exit_code`` is 0 only when every step that ran succeeded
    and none was skipped for a failed dependency.
    """
    options = options or NightlyOptions()
    unknown = set(options.skip) - {s.name for s in steps}
    if unknown:
        raise ValueError(
            f"unknown step(s) {', '.join(sorted(unknown))}; steps are {', '.join(STEP_NAMES)}"
        )
    today = wib_date(options.now)
    want_digest = digest_due(config, today) if options.digest is None else options.digest
    if not options.progress or not sys.stderr.isatty():
        # model-loading progress bars (tqdm) are noise in a log file and in cron mail
        os.environ.setdefault("TQDM_DISABLE", "1")
    handler = _file_handler(log_path(config))
    root = logging.getLogger()
    root.addHandler(handler)
    filelog.addHandler(handler)
    if root.level > logging.INFO or root.level == logging.NOTSET:
        root.setLevel(logging.INFO)
    result = NightlyResult(started_at=datetime.now(UTC).isoformat(timespec="seconds"))
    started = time.monotonic()
    try:
        with nightly_lock(lock_path(config)) as stale:
            log.info(
                "nightly run started (pid %d, database %s, log %s)",
                os.getpid(),
                config.db_path,
                log_path(config),
            )
            if stale:
                log.warning(
                    "previous nightly run (pid %s, started %s) did not finish; taking over its lock",
                    stale.get("pid"),
                    stale.get("started_at"),
                )
            ctx = NightlyContext(config, options)
            try:
                _run_steps(ctx, steps, options, want_digest, result)
            finally:
                ctx.close()
            result.outputs = ctx.outputs
            result.seconds = time.monotonic() - started
            result.finished_at = datetime.now(UTC).isoformat(timespec="seconds")
            bad = any(s.status in {"failed", "partial"} for s in result.steps)
            result.status = "failed" if bad else "ok"
            result.exit_code = EXIT_FAILED if bad else EXIT_OK
            line = json.dumps(result.as_dict(), ensure_ascii=False, default=str)
            filelog.info("nightly summary %s", line)
            summary = summary_path(config)
            summary.parent.mkdir(parents=True, exist_ok=True)
            with summary.open("a", encoding="utf-8") as fh:
                fh.write(line + "\n")
            log.info(
                "nightly run %s in %.1f s%s",
                result.status,
                result.seconds,
                f": {result.reason}" if result.reason else "",
            )
    finally:
        root.removeHandler(handler)
        filelog.removeHandler(handler)
        handler.close()
    return result


def _run_steps(
    ctx: NightlyContext,
    steps: tuple[Step, ...],
    options: NightlyOptions,
    want_digest: bool,
    result: NightlyResult,
) -> None:
    from pipeline.db import DatabaseBusy

    status: dict[str, str] = {}
    busy: str | None = None
    for step in steps:
        res = StepResult(step.name, "skipped")
        blocked = [n for n in step.needs if status.get(n) == "failed"]
        if step.name in options.skip:
            res.detail = "skipped on request"
        elif step.name in LAKE_SKIPS and on_lake(ctx.config):
            res.detail = f"not on DuckLake: {LAKE_SKIPS[step.name]}"
        elif step.name == "digest" and not want_digest:
            res.detail = "not due today (nightly.digest_weekday)"
        elif busy:
            res.status, res.error = "failed", f"not run: {busy}"
        elif blocked:
            res.status = "failed"
            res.error = f"not run because {', '.join(blocked)} failed"
        else:
            log.info("step %s: started", step.name)
            t0 = time.monotonic()
            try:
                res.status, res.detail = step.run(ctx)
            except DatabaseBusy as exc:  # every later step would wait just as long
                res.status, res.error = "failed", _one_line(exc)
                busy = "the database is held by another process"
            except (RunInterrupted, KeyboardInterrupt) as exc:
                res.status, res.error = "failed", f"interrupted: {exc}".rstrip(": ")
                busy = "the run was interrupted"
            except Exception as exc:  # a step's failure is reported, the run goes on
                res.status, res.error = "failed", _one_line(exc)
                filelog.error("step %s failed", step.name, exc_info=True)
                ctx.close()  # a failed transaction must not leak into the next step
            res.seconds = time.monotonic() - t0
        status[step.name] = res.status
        result.steps.append(res)
        level = logging.INFO if res.status in {"ok", "skipped"} else logging.ERROR
        text = res.error or res.detail
        extra = f" ({text})" if text else ""
        log.log(level, "step %s: %s in %.1f s%s", step.name, res.status, res.seconds, extra)


def _one_line(exc: BaseException) -> str:
    text = " ".join(str(exc).split()) or type(exc).__name__
    name = type(exc).__name__
    return text if isinstance(exc, StepUnavailable) else f"{name}: {text}"[:500]
