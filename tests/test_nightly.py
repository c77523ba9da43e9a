"""`suar nightly`: the lock, the failure policy, the log and summary, and a full run.

Runs go through the real CLI in a subprocess (a crawl needs its own Twisted reactor), against
the local demo site, and every check reads the files the run wrote.
"""

from __future__ import annotations

import fcntl
import json
import os
import signal
import subprocess
import sys
import time
from datetime import date
from pathlib import Path

import duckdb
import pytest

from crawler.demosite import DemoSite
from pipeline.config import load_config
from pipeline.nightly import STEP_NAMES, NightlyBusy, digest_due, nightly_lock
from tests.conftest import REPO, run_suar

FAST = {
    "SUAR_CRAWL_RETRY_BACKOFF_BASE": "0.05",
    "SUAR_CRAWL_RETRY_TIMES": "1",
    "SUAR_CRAWL_DOWNLOAD_TIMEOUT": "15",
}
# Steps that need no models: what the quick tests run.
MODEL_STEPS = ("enrich", "embed", "stories")


def _summary(db: Path) -> list[dict]:
    path = db.with_name(db.stem + ".nightly.jsonl")
    return [json.loads(line) for line in path.read_text().splitlines()]


def _steps(summary: dict) -> dict[str, dict]:
    return {s["name"]: s for s in summary["steps"]}


def test_cli_step_names_match_the_orchestration() -> None:
    from pipeline.cli import NIGHTLY_STEPS

    assert NIGHTLY_STEPS == STEP_NAMES
    assert STEP_NAMES[0] == "crawl" and STEP_NAMES[-1] == "digest"


def test_digest_due_on_the_configured_weekday(tmp_path: Path) -> None:
    monday, friday = date(2026, 11, 23), date(2026, 11, 27)
    cfg = load_config(environ={"SUAR_NIGHTLY_DIGEST_WEEKDAY": "Friday"})
    assert digest_due(cfg, friday) and not digest_due(cfg, monday)
    assert digest_due(load_config(environ={"SUAR_NIGHTLY_DIGEST_WEEKDAY": "daily"}), monday)
    assert not digest_due(load_config(environ={"SUAR_NIGHTLY_DIGEST_WEEKDAY": ""}), friday)
    with pytest.raises(ValueError, match="digest_weekday"):
        digest_due(load_config(environ={"SUAR_NIGHTLY_DIGEST_WEEKDAY": "someday"}), monday)


def test_lock_excludes_a_second_holder_and_reports_a_stale_one(tmp_path: Path) -> None:
    lock = tmp_path / "x.nightly.lock"
    with nightly_lock(lock) as stale:
        assert stale is None
        holder = json.loads(lock.read_text())
        assert holder["pid"] == os.getpid() and holder["started_at"]
        with pytest.raises(NightlyBusy, match=f"pid {os.getpid()}"), nightly_lock(lock):
            pass
    assert lock.read_text() == "", "a clean exit empties the lock"
    lock.write_text(json.dumps({"pid": 999999, "started_at": "2026-11-27T02:30:00+00:00"}))
    with nightly_lock(lock) as stale:  # nobody holds the flock: a killed run's leftovers
        assert stale == {"pid": 999999, "started_at": "2026-11-27T02:30:00+00:00"}


def test_second_run_exits_75_while_the_lock_is_held(tmp_path: Path) -> None:
    db = tmp_path / "n.duckdb"
    lock = tmp_path / "n.nightly.lock"
    fd = os.open(lock, os.O_RDWR | os.O_CREAT)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        os.write(fd, b'{"pid": 4242, "started_at": "2026-11-28T02:30:00+00:00"}')
        proc = run_suar("--db", str(db), "nightly", check=False)
    finally:
        os.close(fd)
    assert proc.returncode == 75
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1
    assert "another nightly run is in progress (pid 4242, started 2026-11-28T02:30:00" in lines[0]
    assert not db.exists(), "nothing was started"


def test_failed_step_is_named_later_steps_still_run(tmp_path: Path) -> None:
    """A broken registry fails the crawl; the search index over what exists is still built."""
    db = tmp_path / "n.duckdb"
    lock = tmp_path / "n.nightly.lock"
    lock.write_text('{"pid": 999999, "started_at": "2026-11-27T02:30:00+00:00"}')  # killed run
    env = {"SUAR_CRAWL_REGISTRY": str(tmp_path / "missing.toml")}
    skip = [a for step in MODEL_STEPS for a in ("--skip", step)]
    proc = run_suar("--db", str(db), "nightly", "--no-digest", *skip, env=env, check=False)
    assert proc.returncode == 1
    last = proc.stderr.strip().splitlines()[-1]
    assert last.startswith("suar: error: nightly: step crawl failed: ")
    assert "missing.toml" in last
    (summary,) = _summary(db)
    steps = _steps(summary)
    assert list(steps) == list(STEP_NAMES)
    assert steps["crawl"]["status"] == "failed" and "missing.toml" in steps["crawl"]["error"]
    assert steps["search_index"]["status"] == "ok", steps["search_index"]
    assert steps["snapshot"]["status"] == "ok", steps["snapshot"]
    assert (tmp_path / "n.read.duckdb").exists(), "analysts still get a snapshot"
    assert steps["enrich"]["status"] == "skipped" and steps["digest"]["status"] == "skipped"
    assert all(s["seconds"] >= 0 for s in summary["steps"])
    assert summary["status"] == "failed" and summary["exit_code"] == 1
    log = db.with_name("n.nightly.log").read_text()
    assert "did not finish; taking over its lock" in log and "pid 999999" in log
    assert "step crawl: failed" in log and "Traceback" in log  # traceback in the file only
    assert "Traceback" not in proc.stderr
    assert lock.read_text() == ""


def test_quiet_run_writes_only_its_log_file(tmp_path: Path) -> None:
    db = tmp_path / "n.duckdb"
    log = tmp_path / "logs" / "night.log"
    skip = [a for step in STEP_NAMES for a in ("--skip", step)]
    proc = run_suar(
        "--db", str(db), "nightly", "--quiet", *skip, env={"SUAR_NIGHTLY_LOG_FILE": str(log)}
    )  # fmt: skip
    assert proc.stdout == "" and proc.stderr == "", "quiet and successful: cron mails nothing"
    assert "nightly run ok" in log.read_text()
    assert [s["status"] for s in _summary(db)[0]["steps"]] == ["skipped"] * len(STEP_NAMES)


@pytest.mark.slow
def test_full_nightly_run_on_the_demo_site(tmp_path: Path) -> None:
    db = tmp_path / "night.duckdb"
    with DemoSite(slow_seconds=0) as site:
        args = ["--db", str(db), "nightly", "--impolite"]
        for outlet, url in site.base_urls.items():
            args += ["--base-url", f"{outlet}={url}"]
        first = run_suar(*args, "--digest", env=FAST, timeout=900, check=False)
        assert first.returncode == 0, first.stderr[-3000:]
        summary = json.loads(first.stdout.strip().splitlines()[-1])
        assert summary["status"] == "ok"
        steps = _steps(summary)
        assert all(s["status"] == "ok" for s in steps.values()), steps
        assert "new=40" in steps["crawl"]["detail"]
        html = Path(summary["outputs"]["digest"]["html"])
        assert html.exists() and html.is_relative_to(tmp_path / "digests")
        assert Path(summary["outputs"]["snapshot"]).exists()
        with duckdb.connect(str(db), read_only=True) as con:
            counts = con.execute(
                "SELECT (SELECT count(*) FROM articles), (SELECT count(*) FROM enrichments),"
                " (SELECT count(*) FROM article_embeddings), (SELECT count(*) FROM stories)"
            ).fetchone()
        assert counts[0] == counts[1] == counts[2] == 40 and 0 < counts[3] < 40

        # the next night adds nothing and does not re-do the work
        second = run_suar(*args, "--no-digest", "--quiet", env=FAST, timeout=900)
        assert second.stdout == ""
    again = _steps(_summary(db)[-1])
    assert "new=0" in again["crawl"]["detail"]
    assert "enriched=0" in again["enrich"]["detail"]
    assert again["digest"]["status"] == "skipped"
    assert again["enrich"]["seconds"] < steps["enrich"]["seconds"]


def _start_slow_nightly(site: DemoSite, db: Path) -> subprocess.Popen:
    args = ["--db", str(db), "nightly", "--no-digest"]
    args += [a for step in MODEL_STEPS for a in ("--skip", step)]
    for outlet, url in site.base_urls.items():
        args += ["--base-url", f"{outlet}={url}"]
    env = {
        **os.environ,
        **FAST,
        "SUAR_CRAWL_AUTOTHROTTLE": "false",
        "SUAR_CRAWL_DOWNLOAD_DELAY": "0.4",
        "SUAR_CRAWL_CONCURRENT_REQUESTS_PER_DOMAIN": "1",
        "SUAR_CRAWL_WRITE_BATCH_SIZE": "3",
    }
    return subprocess.Popen(
        [sys.executable, "-m", "pipeline.cli", *args],
        cwd=REPO,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def _wait_for_articles(site: DemoSite, proc: subprocess.Popen, n: int) -> None:
    """Until this run has fetched ``n`` article pages (earlier runs' requests not counted)."""
    paths = {e["path"] for e in site.expected_articles()}
    before = len(site.request_log)
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline and proc.poll() is None:
        mine = site.request_log[before:]
        if sum(1 for (_o, p, s) in mine if p in paths and s == 200) >= n:
            break
        time.sleep(0.05)
    time.sleep(0.3)  # let the crawler write the batches of what it has fetched
    assert proc.poll() is None, "the crawl finished before it could be stopped; slow it down"


@pytest.mark.slow
def test_stopped_and_killed_runs_lose_nothing(tmp_path: Path) -> None:
    db = tmp_path / "k.duckdb"
    lock = tmp_path / "k.nightly.lock"
    with DemoSite(slow_seconds=0.2) as site:
        # SIGTERM (systemctl stop): the crawl stops gracefully, no later step starts
        proc = _start_slow_nightly(site, db)
        _wait_for_articles(site, proc, 8)
        proc.send_signal(signal.SIGTERM)
        _, err = proc.communicate(timeout=120)
        assert proc.returncode == 1
        assert (
            err.strip()
            .splitlines()[-1]
            .startswith("suar: error: nightly: step crawl failed: interrupted: stopped by a signal")
        )
        steps = _steps(_summary(db)[-1])
        assert steps["search_index"]["error"] == "not run: the run was interrupted"
        assert lock.read_text() == ""

        # SIGKILL: nothing can run, the lock stays behind; the next run takes it over
        proc = _start_slow_nightly(site, db)
        _wait_for_articles(site, proc, 10)
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait()
        assert json.loads(lock.read_text())["pid"] == proc.pid
        with duckdb.connect(str(db), read_only=True) as con:
            kept = con.execute("SELECT count(*) FROM articles").fetchone()[0]
        assert kept > 0

        run_suar("--db", str(db), "nightly", "--no-digest", "--impolite",
                 *[a for step in MODEL_STEPS for a in ("--skip", step)],
                 *[a for o, u in site.base_urls.items() for a in ("--base-url", f"{o}={u}")],
                 env=FAST)  # fmt: skip
    assert f"previous nightly run (pid {proc.pid}" in db.with_name("k.nightly.log").read_text()
    with duckdb.connect(str(db), read_only=True) as con:
        urls = [r[0] for r in con.execute("SELECT url FROM articles").fetchall()]
        runs = con.execute("SELECT status FROM crawl_runs ORDER BY id").fetchall()
    assert len(urls) == len(set(urls)) == 40 >= kept
    assert runs[-1] == ("ok",) and len(runs) == 3
    assert _steps(_summary(db)[-1])["search_index"]["status"] == "ok"


def test_monday_night_in_jakarta_digests_the_week_that_just_ended(tmp_path: Path) -> None:
    """02:30 WIB on Monday is still Sunday 19:30 UTC: in WIB the digest is due and its week
    (2024-W27, Monday 1 to Sunday 7 July) is complete; by the UTC date neither holds."""
    from datetime import UTC, datetime

    from pipeline.nightly import STEPS, NightlyOptions, run_nightly
    from pipeline.weeks import current_week, wib_date
    from tests.test_digest import build_db

    db = tmp_path / "n.duckdb"
    build_db(db)
    cfg = load_config(db=db, environ={"SUAR_NIGHTLY_DIGEST_WEEKDAY": "mon"})
    digest_only = tuple(s for s in STEPS if s.name == "digest")
    monday_night = datetime(2024, 7, 7, 19, 30, tzinfo=UTC)  # Monday 8 July, 02:30 WIB
    assert wib_date(monday_night) == date(2024, 7, 8)
    assert current_week(monday_night) == date(2024, 7, 8)
    assert digest_due(cfg, wib_date(monday_night))
    result = run_nightly(cfg, NightlyOptions(now=monday_night, progress=False), steps=digest_only)
    (step,) = result.steps
    assert step.status == "ok" and step.detail.startswith("week 2024-W27 "), step
    assert (tmp_path / "digests" / "2024-W27" / "digest.html").exists()
    assert not (tmp_path / "digests" / "2024-W26").exists()

    # Monday 18:00 UTC is Tuesday 01:00 in Jakarta: a Monday digest is not due then.
    tuesday_night = datetime(2024, 7, 8, 18, 0, tzinfo=UTC)
    result = run_nightly(cfg, NightlyOptions(now=tuesday_night, progress=False), steps=digest_only)
    assert result.steps[0].status == "skipped", result.steps
    assert "not due" in result.steps[0].detail
