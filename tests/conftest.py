"""Shared fixtures: paths to the repo, the read-only ../shared data, and the `suar` CLI."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
SHARED = Path(os.environ.get("SUAR_SHARED", REPO.parent / "shared"))


@pytest.fixture
def shared_dir() -> Path:
    """../shared (read-only project data); tests that need it skip cleanly without it."""
    if not (SHARED / "TAXONOMY.md").exists():
        pytest.skip("../shared is not present")
    return SHARED


def run_suar(
    *args: str, env: dict[str, str] | None = None, timeout: float = 300, check: bool = True
):
    """Run the real `suar` command line in a subprocess (each crawl needs its own reactor)."""
    full_env = {**os.environ, **(env or {})}
    proc = subprocess.run(
        [sys.executable, "-m", "pipeline.cli", *args],
        capture_output=True,
        text=True,
        env=full_env,
        timeout=timeout,
        cwd=REPO,
    )
    if check and proc.returncode != 0:
        raise AssertionError(
            f"suar {' '.join(args)} exited {proc.returncode}\nstdout:\n{proc.stdout}\n"
            f"stderr:\n{proc.stderr[-4000:]}"
        )
    return proc
