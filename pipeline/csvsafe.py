"""CSV that people open in spreadsheets: page text can never become a live formula.

A cell that starts with ``=``, ``+``, ``-``, ``@``, a tab or a carriage return is read as a
formula by spreadsheet programs (``=HYPERLINK(...)`` from an author field). Following the
usual guidance (OWASP, "CSV injection"), such text cells get a leading apostrophe; numbers
stay numbers, so a negative count is still ``-3``.
"""

from __future__ import annotations

import csv
from collections.abc import Iterable
from typing import Any, TextIO

FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def cell(value: Any) -> Any:
    """The value to write: text that a spreadsheet would evaluate is neutralised."""
    if isinstance(value, str) and value.startswith(FORMULA_START):
        return "'" + value
    return value


class Writer:
    """``csv.writer`` with every cell passed through :func:`cell`."""

    def __init__(self, fh: TextIO) -> None:
        self._writer = csv.writer(fh)

    def writerow(self, row: Iterable[Any]) -> None:
        self._writer.writerow([cell(v) for v in row])
