"""`suar demo`: the offline quick start.

Serves the demo site (fixture pages in the page structures of every registered outlet, with
realistic breakage) on loopback addresses and runs the whole nightly pipeline on it (crawl with
the real Scrapy engine, enrich, embed, stories, snapshot, digest) into a fresh database, then
says where the digest and the data are and what to try next.
"""

from __future__ import annotations

import contextlib
import shutil
import sys
import time
from collections.abc import Callable
from pathlib import Path

from pipeline import db
from pipeline.config import Config
from pipeline.nightly import NightlyResult

TRY_QUERY = " ".join(" ".join(db.statements("demo_try_query")).split())  # printed as one line


def _fresh(path: Path) -> None:
    """The demo always starts from an empty database so its output is reproducible."""
    for suffix in ("", ".wal"):
        candidate = Path(str(path) + suffix)
        if candidate.exists():
            candidate.unlink()


def _command(name: str) -> str:
    """The path that runs ``name``: the venv's script when it is not on PATH (a venv that
    was not activated), else the bare name."""
    script = Path(sys.executable).with_name(name)
    if shutil.which(name) == str(script) or not script.exists():
        return name
    return str(script)


def run_demo(
    config: Config,
    *,
    serve: bool = False,
    echo: Callable[[str], None] = print,
    skip: tuple[str, ...] = (),
) -> NightlyResult:
    """Serve the demo site and run the nightly pipeline on it into ``config.db_path``.

    The same orchestration as `suar nightly` (pipeline/nightly.py), with the digest forced on
    (for the last complete week that has stories: the demo's data), so the demo shows every
    stage's output.
    """
    from crawler.demosite import DemoSite
    from pipeline.nightly import NightlyOptions, digest_dir, log_path, run_nightly

    db_path = config.db_path
    _fresh(db_path)
    # The demo site's always-failing page should not make the quick start wait for backoff.
    config.data["crawl"]["retry_backoff_base"] = min(config.crawl["retry_backoff_base"], 0.2)
    if not config.data["digest"]["out_dir"]:
        config.data["digest"]["out_dir"] = str(db_path.with_name(db_path.stem + "-digests"))
    with DemoSite() as site:
        base_urls = site.base_urls
        echo(f"demo site serving {len(base_urls)} outlets on loopback:")
        for outlet, url in base_urls.items():
            echo(f"  {outlet:<16} {url}")
        echo(
            "  (it serves one deleted page (404) and one always-failing page (500) on purpose:"
            " the crawl logs both and counts them as failed)"
        )
        # only the outlets the demo site serves: an outlet added to the registry without demo
        # pages must not be crawled on the internet by the offline demo
        options = NightlyOptions(
            outlets=list(base_urls), base_urls=base_urls, polite=False, digest=True, skip=skip
        )
        result = run_nightly(config, options)
        echo("")
        for step in result.steps:
            text = step.error or step.detail
            echo(f"  {step.name:<12} {step.status:<8} {step.seconds:6.1f} s  {text}")
        echo("")
        echo(f"Database: {db_path.resolve()}   (run log: {log_path(config)})")
        if result.outputs.get("snapshot"):
            echo(f"Analysts' snapshot: {result.outputs['snapshot']}")
        digest = result.outputs.get("digest") or {}
        if digest:
            main = digest.get("html") or digest.get("md") or next(iter(digest.values()))
            echo(f"Digest: {main}")
            for kind, path in digest.items():
                if path != main and kind != "out_dir":
                    echo(f"  {kind}: {path}")
        else:
            echo(f"No digest was written (see the steps above); digests go to {digest_dir(config)}")
        if digest:
            echo(
                "  (its source links point at the demo site above: they work while "
                "`suar demo --serve` keeps it up)"
                if not serve
                else "  (its source links point at the demo site above, served until Ctrl-C)"
            )
        suar, jupyter = _command("suar"), _command("jupyter")
        echo("Next:")
        echo(f"  SUAR_DB={db_path} {jupyter} lab notebooks/analyst.ipynb")
        echo('    (after `pip install -e ".[analyst]"`, see notebooks/README.md)')
        echo(f'  {suar} --db {db_path} query "{TRY_QUERY}"')
        if serve:
            echo("Serving the demo site until Ctrl-C ...")
            with contextlib.suppress(KeyboardInterrupt):
                while True:
                    time.sleep(3600)
    return result
