"""The `suar` command line: thin wrappers; the logic lives in crawler/, nlp/ and pipeline/."""

from __future__ import annotations

import json
import logging
import sys
from typing import Any

import click

from pipeline.config import Config, ConfigError, load_config


def _fail(message: str, code: int = 2) -> None:
    click.echo(f"suar: error: {message}", err=True)
    sys.exit(code)


class SuarGroup(click.Group):
    """Turn the errors a user can fix into one clear line instead of a traceback."""

    def invoke(self, ctx: click.Context) -> Any:
        from crawler.registry import RegistryError
        from pipeline.crawl import UnknownOutlet
        from pipeline.db import DatabaseBusy

        try:
            return super().invoke(ctx)
        except (ConfigError, RegistryError, UnknownOutlet, FileNotFoundError, ValueError) as exc:
            _fail(str(exc))
        except DatabaseBusy as exc:
            _fail(str(exc), code=75)  # EX_TEMPFAIL: try again later


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
    ctx.obj = {"db": db_path, "config_file": config_file}


def _config(ctx: click.Context) -> Config:
    return load_config(ctx.obj["config_file"], ctx.obj["db"])


def _registry(cfg: Config) -> dict:
    from crawler.registry import load_registry

    return load_registry(cfg.crawl["registry"] or None)


def _on_wait(msg: str) -> None:
    click.echo(f"suar: {msg}", err=True)


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
    overrides = {}
    for item in base_urls:
        key, sep, value = item.partition("=")
        if not sep:
            raise click.BadParameter(f"expected ID=URL, got {item!r}", param_hint="--base-url")
        overrides[key] = value
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
    click.echo(f"run {summary.run_id}: {summary.status}; database {summary.db_path}")
    if summary.status != "ok":
        sys.exit(1)


@main.command()
@click.option("--limit", default=5, show_default=True, help="How many recent runs.")
@click.pass_context
def runs(ctx: click.Context, limit: int) -> None:
    """Show recent crawl runs with per-outlet counters and sample errors."""
    from pipeline import db

    cfg = _config(ctx)
    con = db.connect(
        cfg.db_path, read_only=True, wait=cfg.get("database", "lock_timeout"), on_wait=_on_wait
    )
    for row in con.execute(db.sql("runs_recent"), {"limit": limit}).fetchall():
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
                    }
                )
            )
        else:
            click.echo(f"{o.id:<16} {o.province:>3} {o.timezone:<5} {o.base_url:<34} {o.name}")


@outlets.command("check")
@click.argument("source")
@click.option(
    "--outlet", "outlet_id", help="Use this outlet's selectors (default: by host / generic)."
)
@click.option("--json", "as_json", is_flag=True, help="One JSON object with every field.")
@click.pass_context
def outlets_check(ctx: click.Context, source: str, outlet_id: str | None, as_json: bool) -> None:
    """Fetch a URL or read a saved FILE and print every field extracted from it."""
    from pipeline.check import check_page

    cfg = _config(ctx)
    result = check_page(source, _registry(cfg), outlet_id, cfg.crawl)
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


# -- import / reextract --------------------------------------------------------------------


@main.command("import")
@click.argument("file", type=click.Path(dir_okay=False))
@click.option("--format", "fmt", type=click.Choice(["jsonl", "csv"]), help="Default: by extension.")
@click.option("--outlet", "default_outlet", help="Outlet id for rows that name none.")
@click.pass_context
def import_cmd(ctx: click.Context, file: str, fmt: str | None, default_outlet: str | None) -> None:
    """Import articles collected elsewhere (JSON lines or CSV)."""
    from pipeline import db
    from pipeline.importer import import_file

    cfg = _config(ctx)
    con = db.connect(cfg.db_path, wait=cfg.get("database", "lock_timeout"), on_wait=_on_wait)
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
    from pipeline import db
    from pipeline.reextract import reextract as run

    cfg = _config(ctx)
    con = db.connect(cfg.db_path, wait=cfg.get("database", "lock_timeout"), on_wait=_on_wait)
    click.echo(json.dumps(dict(run(con, _registry(cfg), outlet))))


@main.command()
@click.argument("statement")
@click.option("--format", "fmt", type=click.Choice(["table", "csv", "json"]), default="table")
@click.pass_context
def query(ctx: click.Context, statement: str, fmt: str) -> None:
    """Run SQL on a read-only connection (never blocks or endangers a running crawl's data)."""
    from pipeline import db

    cfg = _config(ctx)
    con = db.connect(
        cfg.db_path, read_only=True, wait=cfg.get("database", "lock_timeout"), on_wait=_on_wait
    )
    rel = con.sql(statement)
    if rel is None:
        return
    if fmt == "table":
        rel.show(max_rows=200, max_width=200)
        return
    cols, rows = rel.columns, rel.fetchall()
    if fmt == "json":
        for row in rows:
            click.echo(
                json.dumps(dict(zip(cols, row, strict=True)), default=str, ensure_ascii=False)
            )
    else:
        import csv

        writer = csv.writer(sys.stdout)
        writer.writerow(cols)
        writer.writerows(rows)


# -- nlp: enrich / annotate / eval / models ------------------------------------------------


@main.command()
@click.option("--batch-size", default=128, show_default=True, help="Articles per transaction.")
@click.option("--limit", type=int, help="Enrich at most N articles this run.")
@click.option("--force", is_flag=True, help="Re-enrich everything, even if up to date.")
@click.option("--workers", type=int, help="Worker processes (default: 2, or 1 on one core).")
@click.pass_context
def enrich(
    ctx: click.Context, batch_size: int, limit: int | None, force: bool, workers: int | None
) -> None:
    """Run the NLP stage on every article not yet enriched by the current pipeline version."""
    from nlp.annotate import default_workers
    from pipeline import db
    from pipeline.enrich import EnrichProgress, run_enrich

    cfg = _config(ctx)
    con = db.connect(cfg.db_path, wait=cfg.get("database", "lock_timeout"), on_wait=_on_wait)
    with EnrichProgress() as progress:
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
    from nlp.annotate import annotate_file, default_workers

    if hasattr(sys.stdout, "reconfigure"):
        sys.stdout.reconfigure(encoding="utf-8")  # names and quotes are written as is
    _, malformed = annotate_file(
        file, sys.stdout, batch_size=batch_size, n_process=workers or default_workers()
    )
    if malformed:
        sys.exit(1)


@main.command("eval")
@click.option("--shared", default="../shared", show_default=True, help="Shared data directory.")
@click.option("--out", default="models/eval", show_default=True, help="Report directory.")
@click.option("--skip-ner", is_flag=True, help="Skip the NER test-split section (slow).")
@click.option("--errors", is_flag=True, help="Also print each news-dev article missed.")
def eval_cmd(shared: str, out: str, skip_ner: bool, errors: bool) -> None:
    """Score NER on the corpora's test splits and the whole stage on news-dev."""
    from nlp.evaluate import run_eval

    report = run_eval(shared, out, ner=not skip_ner)
    click.echo(report["markdown"])
    if errors:
        for err in report["news_dev"].get("errors", []):
            click.echo(json.dumps(err, ensure_ascii=False))
        seed = report["seed"]
        for key in ("entities_missing", "entities_extra"):
            if seed.get(key):
                click.echo(f"seed {key}: {seed[key]}")
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


# -- demo ----------------------------------------------------------------------------------


@main.command()
@click.option("--serve", is_flag=True, help="Keep serving the demo site after the crawl.")
@click.pass_context
def demo(ctx: click.Context, serve: bool) -> None:
    """Serve the offline demo site and run the pipeline on it with the real Scrapy engine."""
    from pipeline.demo import run_demo

    db_path = ctx.obj["db"] or "data/demo.duckdb"
    cfg = load_config(ctx.obj["config_file"], db_path)
    run_demo(cfg, serve=serve, echo=click.echo)


if __name__ == "__main__":
    main()
