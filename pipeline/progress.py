"""Crawl progress: a live table in a terminal, plain log lines under cron."""

from __future__ import annotations

import logging
import sys
import time
from typing import Any

log = logging.getLogger("suar.progress")

COLUMNS = ("discovered", "fetched", "new", "updated", "failed", "not_article")


def stats_table(stats: dict[str, dict[str, Any]], title: str = "crawl") -> Any:
    """A rich Table of per-outlet counters (used live and for the final summary)."""
    from rich.table import Table

    table = Table(title=title)
    table.add_column("outlet")
    for col in COLUMNS:
        table.add_column(col.replace("_", " "), justify="right")
    for outlet, row in stats.items():
        table.add_row(outlet, *(str(row.get(c, 0)) for c in COLUMNS))
    return table


def plain_lines(stats: dict[str, dict[str, Any]]) -> list[str]:
    """One greppable line per outlet, for logs."""
    return [
        f"{outlet}: " + " ".join(f"{c}={row.get(c, 0)}" for c in COLUMNS)
        for outlet, row in stats.items()
    ]


class Progress:
    """Callable sink for live counters; picks the display by whether stderr is a terminal."""

    def __init__(self, interval_tty: float = 0.5, interval_log: float = 30.0) -> None:
        self.tty = sys.stderr.isatty()
        self.interval = interval_tty if self.tty else interval_log
        self._last = 0.0
        self._live: Any = None

    def __enter__(self) -> Progress:
        if self.tty:
            from rich.console import Console
            from rich.live import Live

            self._live = Live(console=Console(stderr=True), refresh_per_second=4)
            self._live.start()
        return self

    def __call__(self, stats: dict[str, dict[str, Any]]) -> None:
        now = time.monotonic()
        if now - self._last < self.interval:
            return
        self._last = now
        if self._live is not None:
            self._live.update(stats_table(stats))
        else:
            for line in plain_lines(stats):
                log.info("progress %s", line)

    def __exit__(self, *exc: object) -> None:
        if self._live is not None:
            self._live.stop()


def plural(n: int, word: str, many: str | None = None) -> str:
    """'1 report', '2 reports': counts read as English ('1 reports' does not)."""
    return f"{n} {word if n == 1 else (many or word + 's')}"
