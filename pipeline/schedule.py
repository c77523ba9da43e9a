"""`suar schedule install`: run `suar nightly` every night from cron or a systemd user timer.

Everything in the generated entries is absolute (the venv's `suar`, the working directory, the
config and the database) because cron and systemd start with an empty environment and `/` or
`$HOME` as the working directory. The text comes from templates in ``pipeline/templates/``.
A cron line carries a marker naming its database, so installing again replaces our line and
leaves every other line of the user's crontab as it was.
"""

from __future__ import annotations

import os
import re
import shlex
import shutil
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path
from string import Template

from pipeline.nightly import WEEKDAYS

TEMPLATES = Path(__file__).with_name("templates")
UNIT = "suar-nightly"


class ScheduleError(ValueError):
    """The schedule cannot be installed; the message says what to do instead."""


@dataclass
class Job:
    """What the scheduler runs: all paths absolute."""

    executable: list[str]
    workdir: Path
    db: Path
    config: Path | None = None
    time: str = "02:30"
    weekday: str | None = None  # digest weekday passed to the run; None = the config's
    env: dict[str, str] = field(default_factory=dict)

    @property
    def command(self) -> list[str]:
        args = [*self.executable, "--db", str(self.db)]
        if self.config:
            args += ["--config", str(self.config)]
        return args

    @property
    def environment(self) -> dict[str, str]:
        env = dict(self.env)
        if self.weekday:
            env["SUAR_NIGHTLY_DIGEST_WEEKDAY"] = self.weekday
        return env


def parse_time(value: str) -> tuple[int, int]:
    """'02:30' -> (2, 30); anything else is a clear error."""
    match = re.fullmatch(r"(\d{1,2}):(\d{2})", value.strip())
    if not match or int(match.group(1)) > 23 or int(match.group(2)) > 59:
        raise ScheduleError(f"--time must be HH:MM (24-hour), got {value!r}")
    return int(match.group(1)), int(match.group(2))


def parse_weekday(value: str | None) -> str | None:
    if value is None:
        return None
    day = value.strip().lower()[:3]
    if day not in WEEKDAYS:
        raise ScheduleError(f"--weekday must be one of {', '.join(WEEKDAYS)}, got {value!r}")
    return day


def suar_executable() -> list[str]:
    """The `suar` script of the running interpreter's environment (the venv), made absolute.

    Not resolved through symlinks: a venv's python is a symlink to the system one, and only the
    venv path keeps the venv's packages.
    """
    bindir = Path(os.path.abspath(sys.executable)).parent
    script = bindir / "suar"
    if script.exists():
        return [str(script)]
    return [str(Path(os.path.abspath(sys.executable))), "-m", "pipeline.cli"]


def make_job(
    db: Path,
    config: Path | None,
    *,
    time: str = "02:30",
    weekday: str | None = None,
    workdir: Path | None = None,
) -> Job:
    hour, minute = parse_time(time)
    return Job(
        executable=suar_executable(),
        workdir=Path(os.path.abspath(workdir or Path.cwd())),
        db=Path(os.path.abspath(db)),
        config=Path(os.path.abspath(config)) if config else None,
        time=f"{hour:02d}:{minute:02d}",
        weekday=parse_weekday(weekday),
    )


def _template(name: str) -> Template:
    return Template((TEMPLATES / name).read_text(encoding="utf-8"))


def _cron_quote(text: str) -> str:
    # cron turns an unescaped % into a newline
    return shlex.quote(text).replace("%", r"\%")


# -- cron ----------------------------------------------------------------------------------


def cron_marker(job: Job) -> str:
    return f"# suar-nightly db={job.db}"


def render_cron(job: Job) -> str:
    """The one crontab line (no trailing newline)."""
    hour, minute = parse_time(job.time)
    env = "".join(f"{k}={_cron_quote(v)} " for k, v in job.environment.items())
    return (
        _template("schedule.cron")
        .substitute(
            minute=minute,
            hour=hour,
            workdir=_cron_quote(str(job.workdir)),
            env=env,
            command=" ".join(_cron_quote(a) for a in job.command),
            db=str(job.db),
        )
        .strip()
    )


def merge_crontab(existing: str, line: str, marker: str) -> str:
    """``existing`` with our previous line for this database replaced by ``line``."""
    kept = [row for row in existing.splitlines() if not row.rstrip().endswith(marker)]
    while kept and not kept[-1].strip():
        kept.pop()
    return "\n".join([*kept, line]) + "\n"


def read_crontab() -> str:
    """The user's current crontab ('' when they have none)."""
    crontab = shutil.which("crontab")
    if not crontab:
        raise ScheduleError(
            "the crontab command is not installed here; install cron, use --systemd, or "
            "print the line with --dry-run and add it yourself"
        )
    proc = subprocess.run([crontab, "-l"], capture_output=True, text=True)
    if proc.returncode != 0:
        if "no crontab" in proc.stderr.lower():
            return ""
        raise ScheduleError(f"crontab -l failed: {proc.stderr.strip()}")
    return proc.stdout


def install_cron(job: Job) -> str:
    """Merge our line into the user's crontab via `crontab -`; returns the installed crontab."""
    merged = merge_crontab(read_crontab(), render_cron(job), cron_marker(job))
    proc = subprocess.run(["crontab", "-"], input=merged, capture_output=True, text=True)
    if proc.returncode != 0:
        raise ScheduleError(f"crontab - refused the new crontab: {proc.stderr.strip()}")
    return merged


# -- systemd -------------------------------------------------------------------------------


def systemd_dir(home: Path | None = None) -> Path:
    """Where systemd looks for a user's own units: $XDG_CONFIG_HOME/systemd/user."""
    base = os.environ.get("XDG_CONFIG_HOME") if home is None else None
    config = Path(base) if base else (home or Path.home()) / ".config"
    return config / "systemd" / "user"


def _unit_quote(arg: str) -> str:
    """systemd's ExecStart quoting: double quotes, backslash escapes, %% for %."""
    text = arg.replace("%", "%%")
    if re.fullmatch(r"[\w@%+=:,./-]+", text):
        return text
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


def render_systemd(job: Job) -> dict[str, str]:
    """{'suar-nightly.service': text, 'suar-nightly.timer': text}."""
    environment = "".join(
        f"Environment={_unit_quote(f'{k}={v}')}\n" for k, v in job.environment.items()
    )
    service = _template("schedule.service").substitute(
        workdir=str(job.workdir),
        environment=environment,
        command=" ".join(_unit_quote(a) for a in job.command),
    )
    timer = _template("schedule.timer").substitute(time=job.time)
    return {f"{UNIT}.service": service, f"{UNIT}.timer": timer}


def install_systemd(job: Job, *, enable: bool = True, home: Path | None = None) -> list[str]:
    """Write the unit files; enable the timer when asked. Returns lines to show the user."""
    target = systemd_dir(home)
    target.mkdir(parents=True, exist_ok=True)
    lines = []
    for name, text in render_systemd(job).items():
        (target / name).write_text(text, encoding="utf-8")
        lines.append(f"wrote {target / name}")
    commands = [
        ["systemctl", "--user", "daemon-reload"],
        ["systemctl", "--user", "enable", "--now", f"{UNIT}.timer"],
    ]
    if not enable:
        lines.append("enable it with: " + " && ".join(" ".join(c) for c in commands))
        return lines
    for cmd in commands:
        proc = subprocess.run(cmd, capture_output=True, text=True)
        if proc.returncode != 0:
            raise ScheduleError(
                f"wrote the units to {target} but `{' '.join(cmd)}` failed "
                f"({proc.stderr.strip() or proc.returncode}); run it in your login session"
            )
    lines.append(f"enabled {UNIT}.timer (see `systemctl --user list-timers {UNIT}.timer`)")
    lines.append(
        "to run while you are logged out: loginctl enable-linger " + os.environ.get("USER", "")
    )
    return lines
