"""Configuration: one TOML file with documented defaults, overridable by env and flags.

The defaults live in ``default_config.toml`` beside this module so that the file a user copies
is the same file the code reads; nothing here repeats a default value.
"""

from __future__ import annotations

import copy
import os
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

DEFAULTS_FILE = Path(__file__).with_name("default_config.toml")
LOCAL_CONFIG = Path("suar.toml")


class ConfigError(ValueError):
    """A configuration file or override is malformed; the message says where."""


@dataclass
class Config:
    """Merged configuration plus where it came from (for error messages and `suar config`)."""

    data: dict[str, Any]
    sources: list[str] = field(default_factory=list)

    def get(self, section: str, key: str) -> Any:
        return self.data[section][key]

    @property
    def db_path(self) -> Path:
        return Path(self.data["database"]["path"])

    @property
    def crawl(self) -> dict[str, Any]:
        return self.data["crawl"]


def _read_toml(path: Path) -> dict[str, Any]:
    try:
        with path.open("rb") as fh:
            return tomllib.load(fh)
    except FileNotFoundError as exc:
        raise ConfigError(f"config file not found: {path}") from exc
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"config file {path} is not valid TOML: {exc}") from exc


def _coerce(value: str, like: Any, name: str) -> Any:
    """Turn an environment string into the type of the default it overrides."""
    try:
        if isinstance(like, bool):
            if value.lower() in {"1", "true", "yes", "on"}:
                return True
            if value.lower() in {"0", "false", "no", "off"}:
                return False
            raise ValueError(value)
        if isinstance(like, int):
            return int(value)
        if isinstance(like, float):
            return float(value)
        if isinstance(like, list):
            return [v.strip() for v in value.split(",") if v.strip()]
    except ValueError as exc:
        raise ConfigError(f"{name}={value!r}: expected {type(like).__name__}") from exc
    return value


def _merge(base: dict[str, Any], override: dict[str, Any], origin: str) -> None:
    for section, values in override.items():
        if section not in base:
            raise ConfigError(f"{origin}: unknown section [{section}] (known: {', '.join(base)})")
        if not isinstance(values, dict):
            raise ConfigError(f"{origin}: [{section}] must be a table")
        for key, value in values.items():
            if key not in base[section]:
                raise ConfigError(f"{origin}: unknown key {section}.{key}")
            default = base[section][key]
            if isinstance(default, bool) != isinstance(value, bool) or (
                not isinstance(value, type(default))
                and not (isinstance(default, float) and isinstance(value, int))
            ):
                raise ConfigError(
                    f"{origin}: {section}.{key} must be {type(default).__name__}, "
                    f"got {type(value).__name__}"
                )
            base[section][key] = value


def load_config(
    config_file: str | Path | None = None,
    db: str | Path | None = None,
    environ: dict[str, str] | None = None,
) -> Config:
    """Defaults < config file (flag, SUAR_CONFIG, or ./suar.toml) < SUAR_* env < flags."""
    env = os.environ if environ is None else environ
    data = copy.deepcopy(_read_toml(DEFAULTS_FILE))
    sources = [str(DEFAULTS_FILE)]
    path = config_file or env.get("SUAR_CONFIG")
    if path:
        _merge(data, _read_toml(Path(path)), str(path))
        sources.append(str(path))
    elif LOCAL_CONFIG.exists():
        _merge(data, _read_toml(LOCAL_CONFIG), str(LOCAL_CONFIG))
        sources.append(str(LOCAL_CONFIG))
    for section, values in data.items():
        for key, default in values.items():
            name = f"SUAR_{section}_{key}".upper()
            if name in env:
                values[key] = _coerce(env[name], default, name)
                sources.append(name)
    if env.get("SUAR_DB"):
        data["database"]["path"] = env["SUAR_DB"]
        sources.append("SUAR_DB")
    if db:
        data["database"]["path"] = str(db)
        sources.append("--db")
    for section, key, allowed in _CHOICES:
        if data[section][key] not in allowed:
            raise ConfigError(
                f"{section}.{key} = {data[section][key]!r}: expected one of {', '.join(allowed)}"
            )
    return Config(data=data, sources=sources)


# Keys that take one of a few words (the scale-out switches, docs/SCALING.md).
_CHOICES = (
    ("database", "backend", ("duckdb", "ducklake")),
    ("crawl", "frontier", ("local", "redis")),
)
