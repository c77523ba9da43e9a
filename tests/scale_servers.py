"""Real PostgreSQL and Redis for the scale-out tests (started by .ci/run on loopback).

Where they listen: SUAR_TEST_POSTGRES (a libpq string for an admin role) and SUAR_TEST_REDIS
(a redis:// URL); the defaults are the ports .ci/run uses. Tests skip cleanly when a server is
not reachable, so a laptop without them still runs the rest of the suite.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import uuid

import pytest

POSTGRES = os.environ.get(
    "SUAR_TEST_POSTGRES", "host=127.0.0.1 port=55432 user=postgres dbname=postgres"
)
REDIS = os.environ.get("SUAR_TEST_REDIS", "redis://127.0.0.1:56379/0")


def _dsn_parts(dsn: str) -> dict[str, str]:
    return dict(part.split("=", 1) for part in dsn.split())


def _reachable(host: str, port: int) -> bool:
    try:
        with socket.create_connection((host, port), timeout=1):
            return True
    except OSError:
        return False


def postgres_database() -> str:
    """A fresh, empty PostgreSQL database; returns its libpq connection string."""
    parts = _dsn_parts(POSTGRES)
    if not _reachable(parts.get("host", "127.0.0.1"), int(parts.get("port", 5432))):
        pytest.skip(f"no PostgreSQL at {POSTGRES} (.ci/run starts one)")
    if shutil.which("psql") is None:
        pytest.skip("psql is not installed")
    name = f"suar_test_{uuid.uuid4().hex[:10]}"
    subprocess.run(
        ["psql", POSTGRES, "-q", "-c", f"CREATE DATABASE {name}"],
        check=True,
        capture_output=True,
        timeout=30,
    )
    return " ".join(f"{k}={v}" for k, v in {**parts, "dbname": name}.items())


def redis_client():  # type: ignore[no-untyped-def]
    """A client of the test Redis, with a unique key prefix free for this test."""
    redis = pytest.importorskip("redis")
    client = redis.Redis.from_url(REDIS)
    try:
        client.ping()
    except redis.exceptions.ConnectionError:
        pytest.skip(f"no Redis at {REDIS} (.ci/run starts one)")
    return client
