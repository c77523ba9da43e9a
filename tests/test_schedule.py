"""`suar schedule install`: the cron line and systemd units it writes, with absolute paths.

Every check runs the real CLI with --dry-run or a temporary HOME, so the user's own crontab
and systemd units are never touched.
"""

from __future__ import annotations

import json
import os
import shlex
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from pipeline.schedule import Job, merge_crontab, render_cron
from tests.conftest import REPO, run_suar

SUAR = Path(os.path.abspath(sys.executable)).parent / "suar"


def _env(home: Path) -> dict[str, str]:
    return {"HOME": str(home), "XDG_CONFIG_HOME": str(home / ".config")}


def test_cron_dry_run_prints_one_absolute_line(tmp_path: Path) -> None:
    db = tmp_path / "data" / "s.duckdb"
    cfg = tmp_path / "my suar.toml"
    cfg.write_text("[nightly]\ndigest_weekday = 'fri'\n")
    proc = run_suar(
        "--db", str(db), "--config", str(cfg),
        "schedule", "install", "--cron", "--dry-run", "--time", "3:15", "--weekday", "Tuesday",
        env=_env(tmp_path),
    )  # fmt: skip
    line = proc.stdout.strip()
    assert "\n" not in line
    fields = line.split(None, 5)
    assert fields[:5] == ["15", "3", "*", "*", "*"]
    assert f"cd {REPO} && " in line
    assert "SUAR_NIGHTLY_DIGEST_WEEKDAY=tue " in line
    assert str(SUAR if SUAR.exists() else sys.executable) in line
    assert f"--db {db}" in line and f"--config '{cfg}'" in line  # quoted: it has a space
    assert line.endswith(f"nightly --quiet # suar-nightly db={db}")
    assert not (tmp_path / ".config").exists(), "a dry run changes nothing"


def test_cron_command_runs_from_an_empty_environment(tmp_path: Path) -> None:
    """cron gives a bare environment and cwd: the absolute command must still find everything."""
    db = tmp_path / "s.duckdb"
    line = run_suar(
        "--db", str(db), "schedule", "install", "--cron", "--dry-run", env=_env(tmp_path)
    ).stdout.strip()  # fmt: skip
    command = line.split(None, 5)[5].split(" # suar-nightly")[0]
    assert command.endswith(" nightly --quiet")
    # same command, asking for the effective configuration instead of running the pipeline
    probe = command.removesuffix(" nightly --quiet") + " config"
    proc = subprocess.run(
        ["/bin/sh", "-c", probe], env={"PATH": "/usr/bin:/bin"}, cwd="/", capture_output=True,
        text=True, timeout=120,
    )  # fmt: skip
    assert proc.returncode == 0, proc.stderr
    assert json.loads(proc.stdout)["database"]["path"] == str(db)


def test_merge_crontab_replaces_our_line_and_keeps_the_rest() -> None:
    job = Job(executable=["/v/bin/suar"], workdir=Path("/w"), db=Path("/w/data/suar.duckdb"))
    other = Job(executable=["/v/bin/suar"], workdir=Path("/x"), db=Path("/x/data/suar.duckdb"))
    existing = (
        "MAILTO=me@example.org\n"
        "0 * * * * /usr/bin/backup\n"
        + render_cron(Job(**{**job.__dict__, "time": "01:00"}))
        + "\n"
        + render_cron(other)
        + "\n\n"
    )
    line = render_cron(job)
    merged = merge_crontab(existing, line, f"# suar-nightly db={job.db}")
    rows = merged.splitlines()
    assert rows[:2] == ["MAILTO=me@example.org", "0 * * * * /usr/bin/backup"]
    assert sum("db=/w/data/suar.duckdb" in r for r in rows) == 1 and rows[-1] == line
    assert sum("db=/x/data/suar.duckdb" in r for r in rows) == 1, "another database's line stays"
    assert merge_crontab(merged, line, f"# suar-nightly db={job.db}") == merged  # idempotent
    assert merge_crontab("", line, "m") == line + "\n"


@pytest.mark.skipif(shutil.which("crontab") is not None, reason="would edit the real crontab")
def test_cron_install_without_crontab_says_what_to_do(tmp_path: Path) -> None:
    proc = run_suar("schedule", "install", "--cron", env=_env(tmp_path), check=False)
    assert proc.returncode == 2
    assert proc.stderr.strip().count("\n") == 0
    assert "crontab command is not installed" in proc.stderr and "--dry-run" in proc.stderr


def test_schedule_needs_a_kind_and_a_valid_time(tmp_path: Path) -> None:
    proc = run_suar("schedule", "install", "--dry-run", env=_env(tmp_path), check=False)
    assert proc.returncode == 2 and "choose --cron or --systemd" in proc.stderr
    proc = run_suar(
        "schedule", "install", "--cron", "--dry-run", "--time", "25:00", env=_env(tmp_path),
        check=False,
    )  # fmt: skip
    assert proc.returncode == 2 and "--time must be HH:MM" in proc.stderr
    proc = run_suar(
        "schedule", "install", "--systemd", "--dry-run", "--weekday", "someday",
        env=_env(tmp_path), check=False,
    )  # fmt: skip
    assert proc.returncode == 2 and "--weekday must be one of" in proc.stderr


def test_broken_config_fails_at_install_not_at_night(tmp_path: Path) -> None:
    bad = tmp_path / "bad.toml"
    bad.write_text("[nightly]\nno_such_key = 1\n")
    proc = run_suar(
        "--config", str(bad), "schedule", "install", "--cron", "--dry-run", env=_env(tmp_path),
        check=False,
    )  # fmt: skip
    assert proc.returncode == 2 and "nightly.no_such_key" in proc.stderr


def test_systemd_dry_run_and_install_write_valid_units(tmp_path: Path) -> None:
    home = tmp_path / "home"
    db = tmp_path / "data dir" / "suar.duckdb"
    args = ("--db", str(db), "schedule", "install", "--systemd", "--time", "04:45")
    dry = run_suar(*args, "--dry-run", env=_env(home)).stdout
    unit_dir = home / ".config" / "systemd" / "user"
    assert f"# {unit_dir / 'suar-nightly.service'}" in dry
    assert not unit_dir.exists(), "a dry run writes nothing"

    out = run_suar(*args, "--no-enable", "--weekday", "sun", env=_env(home)).stdout
    assert "systemctl --user enable --now suar-nightly.timer" in out
    service = (unit_dir / "suar-nightly.service").read_text()
    timer = (unit_dir / "suar-nightly.timer").read_text()
    assert service.replace("Environment=SUAR_NIGHTLY_DIGEST_WEEKDAY=sun\n", "") in dry
    assert f"WorkingDirectory={REPO}\n" in service
    exec_line = next(x for x in service.splitlines() if x.startswith("ExecStart="))
    argv = shlex.split(exec_line.removeprefix("ExecStart="))
    assert Path(argv[0]).is_absolute() and Path(argv[0]).exists()
    assert argv[argv.index("--db") + 1] == str(db)  # the space survives systemd's quoting
    assert argv[-1] == "nightly"
    assert "Type=oneshot" in service and "SuccessExitStatus=75" in service
    assert "OnCalendar=*-*-* 04:45:00" in timer and "Persistent=true" in timer
    assert "WantedBy=timers.target" in timer

    analyze = shutil.which("systemd-analyze")
    if analyze is None:
        pytest.skip("systemd-analyze is not installed; unit syntax not verified")
    proc = subprocess.run(
        [analyze, "verify", "suar-nightly.service", "suar-nightly.timer"],
        cwd=unit_dir, capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    assert proc.returncode == 0, proc.stderr
    assert "suar-nightly" not in proc.stderr, proc.stderr  # no warnings about our units
