"""The weekly signal digest: where tension rises, over what, between whom, and how sure we are.

``write_digest`` reads only the aggregated analytics views (v_signals, v_weekly, v_hotspots,
v_coverage, v_actors) filtered to the week and its look-back window, plus the sources of the
handful of stories it shows, so it stays fast on a database of millions of articles. It writes
one self-contained HTML page (inline CSS and SVG: it opens offline and prints), the same content
as Markdown, the data behind every section as CSV, and optionally a PDF (WeasyPrint).
Everything counts stories (events), not articles.
"""

from __future__ import annotations

import csv
import functools
import logging
import math
import re
import time
import tomllib
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import quote, urlsplit

import duckdb

from pipeline import charts, csvsafe, db
from pipeline.weeks import JAKARTA, week_monday, wib_date

log = logging.getLogger(__name__)

DATA_DIR = Path(__file__).with_name("data")
LABELS_FILE = DATA_DIR / "digest_labels.toml"
COORDINATES_FILE = DATA_DIR / "coordinates.csv"
TEMPLATES_DIR = Path(__file__).with_name("templates")
LANGUAGES = ("en", "id")
MAX_BLIND_NAMED = 12  # outlets named in the blind-spot line; the coverage table has them all
_WEEK_RE = re.compile(r"^(\d{4})-?W(\d{1,2})$", re.IGNORECASE)


@dataclass
class DigestOptions:
    """Sizes of the digest's sections (the [digest] config section)."""

    weeks: int = 8
    hotspots: int = 10
    top_stories: int = 15
    min_level: int = 1
    new_actors: int = 20
    actors_per_story: int = 6


def options_from_config(cfg: Any) -> DigestOptions:
    """DigestOptions from a Config's [digest] section (shared by `suar digest` and nightly)."""
    section = cfg.data["digest"]
    return DigestOptions(
        **{k: section[k] for k in DigestOptions.__dataclass_fields__ if k in section}
    )


@dataclass
class DigestResult:
    """Where the digest was written; ``csv`` maps each section to its file."""

    week: str
    out_dir: Path
    html: Path
    markdown: Path
    csv: dict[str, Path] = field(default_factory=dict)
    pdf: Path | None = None
    seconds: float = 0.0


# -- weeks ---------------------------------------------------------------------------------


def parse_week(text: str) -> date:
    """'2024-W27' -> the Monday that starts it; a clear ValueError for anything else."""
    match = _WEEK_RE.match(text.strip())
    if not match:
        raise ValueError(f"week {text!r} is not an ISO week like 2024-W27")
    year, num = int(match.group(1)), int(match.group(2))
    try:
        return date.fromisocalendar(year, num, 1)
    except ValueError as exc:
        raise ValueError(f"week {text!r} does not exist ({exc})") from exc


def week_label(monday: date) -> str:
    """The Monday of a week -> '2024-W27'."""
    year, num, _ = monday.isocalendar()
    return f"{year}-W{num:02d}"


def resolve_week(
    con: duckdb.DuckDBPyConnection, week: str | None, today: date | None = None
) -> tuple[date, bool]:
    """The Monday of the requested week, or of the last complete week that has stories.

    Returns (monday, complete). With no complete week yet, the latest week with data is used
    and marked incomplete, so a digest on a fresh database still says something. ``today`` is
    a date in Jakarta (default: now, in WIB), the calendar the views' weeks use.
    """
    today = today or wib_date()
    if week:
        monday = parse_week(week)
        if monday > today:
            raise ValueError(
                f"week {week_label(monday)} has not started yet (today is in "
                f"{week_label(week_monday(today))})"
            )
        return monday, monday + timedelta(days=7) <= today
    weeks = [row[0] for row in con.execute(db.sql("digest_weeks")).fetchall()]
    if not weeks:
        raise ValueError("no stories in the database yet: run `suar enrich` and `suar stories`")
    for monday in weeks:
        if monday + timedelta(days=7) <= today:
            return monday, True
    return weeks[0], False


VIEWS = ("v_signals", "v_weekly", "v_hotspots", "v_coverage", "v_actors")


def _check_views(con: duckdb.DuckDBPyConnection) -> None:
    """A clear error for a database older than the analytics views (opened read-only, the
    digest cannot upgrade it)."""
    have = db.relations(con)
    missing = [v for v in VIEWS if v not in have]
    if missing:
        raise ValueError(
            f"the database has no {', '.join(missing)}: its schema predates the digest; "
            "upgrade it once with any writing command (e.g. `suar snapshot`) and retry"
        )


# -- data files ----------------------------------------------------------------------------


@functools.cache
def load_labels(lang: str) -> dict[str, Any]:
    """The digest's labels in one language (pipeline/data/digest_labels.toml)."""
    if lang not in LANGUAGES:
        raise ValueError(f"digest language {lang!r} is not one of {', '.join(LANGUAGES)}")
    from nlp.taxonomy import topic_names

    with LABELS_FILE.open("rb") as fh:
        labels = tomllib.load(fh)[lang]
    labels["topic_names"] = topic_names(lang)  # topic names live with the topics (nlp)
    return labels


@functools.cache
def load_coordinates() -> dict[str, tuple[str, str, float, float]]:
    """code -> (name, level, lat, lon) for provinces and regencies (see data/README.md)."""
    out = {}
    with COORDINATES_FILE.open(encoding="utf-8", newline="") as fh:
        for row in csv.DictReader(fh):
            if row["lat"] and row["lon"]:  # blank where the source was wrong (data/README.md)
                out[row["code"]] = (row["name"], row["level"], float(row["lat"]), float(row["lon"]))
    return out


def registry_outlets(registry_path: str | Path | None = None) -> dict[str, str]:
    """id -> display name of every enabled outlet (those that produce nothing are listed).

    Outlets switched off in the registry (not yet verified on the live site) are not crawled
    by default, so they are not reported as blind spots of the crawl.
    """
    from crawler.registry import load_registry

    return {o.id: o.name for o in load_registry(registry_path or None).values() if o.enabled}


# -- collecting ----------------------------------------------------------------------------


def _rows(con: duckdb.DuckDBPyConnection, name: str, params: dict[str, Any]) -> list[dict]:
    cur = con.execute(db.sql(name), params)
    cols = [d[0] for d in cur.description]
    return [dict(zip(cols, row, strict=True)) for row in cur.fetchall()]


def collect(
    con: duckdb.DuckDBPyConnection,
    monday: date,
    *,
    options: DigestOptions,
    outlets: dict[str, str],
) -> dict[str, Any]:
    """Query every section of the digest for the week starting ``monday``."""
    first = monday - timedelta(weeks=options.weeks)
    begins = datetime.combine(monday, datetime.min.time(), tzinfo=JAKARTA)
    bounds = {"week_start": monday, "week_begins": begins, "week_ends": begins + timedelta(7)}
    week = {"week_start": monday}
    window = {"week_start": monday, "first_week": first}
    data: dict[str, Any] = {"monday": monday, "first_week": first}
    data["summary"] = _rows(con, "digest_summary", week)[0]
    data["hotspots"] = _rows(con, "digest_hotspots", {**week, "limit": options.hotspots})
    chart_first = monday - timedelta(weeks=options.weeks - 1)  # the chart shows `weeks` weeks
    data["escalation"] = _rows(
        con, "digest_escalation", {"week_start": monday, "first_week": chart_first}
    )
    stories = _rows(
        con,
        "digest_stories",
        {**week, "limit": options.top_stories, "min_level": options.min_level},
    )
    ids = [s["story_id"] for s in stories]
    sources: dict[int, list[dict]] = defaultdict(list)
    actors: dict[int, list[dict]] = defaultdict(list)
    if ids:
        for row in _rows(con, "digest_sources", {"story_ids": ids}):
            sources[row["story_id"]].append(row)
        for row in _rows(con, "digest_story_actors", {"story_ids": ids}):
            if len(actors[row["story_id"]]) < options.actors_per_story:
                actors[row["story_id"]].append(row)
    for story in stories:
        story["sources"] = sources.get(story["story_id"], [])
        story["actors"] = actors.get(story["story_id"], [])
    data["stories"] = stories
    data["topics"] = _rows(con, "digest_topics", {**window, "weeks": float(options.weeks)})
    data["new_actors"] = _rows(
        con,
        "digest_new_actors",
        {**bounds, "limit": options.new_actors},
    )
    coverage = {
        r["outlet"]: r
        for r in _rows(
            con,
            "digest_coverage",
            {
                **bounds,
                "weeks_begin": begins - timedelta(weeks=options.weeks),
                "weeks": float(options.weeks),
            },
        )
    }
    data["coverage"] = _coverage(coverage, outlets)
    return data


def _coverage(found: dict[str, dict], outlets: dict[str, str]) -> list[dict]:
    """Every registered or seen outlet with a status, blind spots first."""
    rows = []
    for oid in sorted(set(found) | set(outlets)):
        row = found.get(oid) or {
            "outlet": oid,
            "runs": 0,
            "fetched": 0,
            "new": 0,
            "failed": 0,
            "usual_new": 0.0,
            "articles": 0,
            "stories": 0,
            "last_article": None,
            "last_error": None,
        }
        row = dict(row, name=outlets.get(oid, oid), registered=oid in outlets)
        produced = row["new"] > 0 or row["articles"] > 0
        if row["runs"] == 0:
            status = "imported" if produced else "not_crawled"
        elif row["fetched"] == 0 and row["failed"] > 0:
            status = "failed"
        elif not produced:
            status = "silent"
        elif row["failed"] > 0:
            status = "partial"
        else:
            status = "ok"
        row["status"] = status
        row["blind_spot"] = status in {"failed", "silent", "not_crawled"}
        rows.append(row)
    order = {"failed": 0, "silent": 1, "not_crawled": 2, "partial": 3, "imported": 4, "ok": 5}
    rows.sort(key=lambda r: (order[r["status"]], r["outlet"]))
    return rows


# -- presenting ----------------------------------------------------------------------------


def _num(value: float | int | None, lang: str, digits: int = 1) -> str:
    if value is None:
        return ""
    if isinstance(value, int) or float(value).is_integer():
        text = f"{int(value):,}"
        return text.replace(",", ".") if lang == "id" else text
    text = f"{value:,.{digits}f}"
    if lang == "id":
        text = text.replace(",", "\0").replace(".", ",").replace("\0", ".")
    return text


def confidence_text(value: float | None, checked: bool, labels: dict, *, csv: bool = False) -> str:
    """A signal's confidence as the reader sees it: the model's calibrated probability
    ("87%" on the page, "0.87" in CSV), or the word for checked when an analyst set the
    value (its 1.0 is a person's decision, not a model number); "" when there is none."""
    if checked:
        return "checked" if csv else labels["checked"]  # CSV: one word whatever the language
    if value is None:
        return ""
    if csv:
        return f"{value:.2f}"
    return f"{round(value * 100):d}%"


def _reason(h: dict, labels: dict, lang: str) -> str:
    """The view's reason in English; rebuilt from its numbers in other languages."""
    if lang == "en" and h.get("reason"):
        text = h["reason"]
        for code, name in labels["topic_names"].items():  # topic codes read as their names
            text = text.replace(code, name)
        return text
    parts = [
        labels["reason_fmt"].format(
            stories=h["stories"], baseline=_num(h["baseline"] or 0, lang), level=h["max_level"]
        )
    ]
    if h.get("killed"):
        parts.append(labels["reason_killed"].format(n=h["killed"]))
    if h.get("injured"):
        parts.append(labels["reason_injured"].format(n=h["injured"]))
    if h.get("arrested"):
        parts.append(labels["reason_arrested"].format(n=h["arrested"]))
    if h.get("topics"):
        parts.append(", ".join(labels["topic_names"].get(t, t) for t in h["topics"][:3]))
    return "; ".join(parts)


def present(data: dict[str, Any], labels: dict[str, Any], options: DigestOptions) -> dict:
    """Turn queried rows into what the templates show (labels, names, charts)."""
    lang = labels["lang"]
    monday = data["monday"]
    mondays = [monday - timedelta(weeks=options.weeks - 1 - i) for i in range(options.weeks)]
    level_names = [labels["levels"][str(i)] for i in range(5)]
    topic_name = labels["topic_names"]
    coords = load_coordinates()

    def region_name(code: str | None, fallback: str | None) -> str:
        if fallback:
            return fallback
        return coords[code][0] if code in coords else (code or labels["no_region"])

    hotspots = []
    for rank, h in enumerate(data["hotspots"], 1):
        hotspots.append(
            dict(
                h,
                rank=rank,
                name=region_name(h["region_code"], h["region_name"]),
                province=region_name(h["province_code"], None),
                level_name=level_names[h["max_level"] or 0],
                level_badge=h["max_level"] or 0,
                killed_text=h["killed"] or "",
                injured_text=h["injured"] or "",
                place_note=region_name(h["province_code"], None)
                if h["region_level"] == "regency"
                else labels["region_levels"]["province"],
                baseline_text=_num(h["baseline"] or 0, lang),
                score_text=_num(h["score"] or 0, lang, 2),
                why=_reason(h, labels, lang),
            )
        )

    # escalation grid: one row per province with stories in the window, busiest first
    by_prov: dict[str | None, dict] = {}
    for r in data["escalation"]:
        p = by_prov.setdefault(
            r["province_code"],
            {
                "code": r["province_code"],
                "name": region_name(r["province_code"], r["province_name"]),
                "weeks": {},
            },
        )
        p["weeks"][r["week_start"]] = (r["stories"], r["max_level"])
    provinces = sorted(
        by_prov.values(),
        key=lambda p: (
            -p["weeks"].get(monday, (0, 0))[0],
            -sum(s for s, _ in p["weeks"].values()),
            p["name"],
        ),
    )
    grid_rows = [
        charts.GridRow(p["name"], [p["weeks"].get(m, (0, None)) for m in mondays])
        for p in provinces
    ]
    columns = [week_label(m)[2:] for m in mondays]
    grid_svg = charts.heat_grid(
        grid_rows,
        columns,
        level_names=level_names,
        legend_title=labels["legend_level"],
        total_label=labels["col"]["stories"],
        aria_label=labels["escalation"].format(weeks=options.weeks),
    )

    points = []
    base = [(lat, lon) for _, level, lat, lon in coords.values() if level == "regency"]
    for h in hotspots:
        code = h["region_code"]
        if code in coords:
            _, level, lat, lon = coords[code]
            points.append(
                charts.MapPoint(
                    h["name"], lat, lon, float(h["score"] or 0), h["max_level"], level == "province"
                )
            )
    map_svg = (
        charts.hotspot_map(
            points,
            base,
            level_names=level_names,
            legend_title=labels["legend_level"],
            aria_label=labels["map"],
        )
        if points
        else ""
    )

    stories = []
    for s in data["stories"]:
        mags = []
        for key in ("killed", "injured", "arrested", "crowd"):
            if s.get(key) is not None:
                mags.append(
                    {
                        "label": labels["col"][key],
                        "value": _num(s[key], lang),
                        "evidence": s.get(f"{key}_evidence"),
                    }
                )
        region = region_name(s["region_code"], s["region_name"])
        if s.get("province_name") and s["province_name"] != region:
            region = f"{region}, {s['province_name']}"
        signals = s.get("topic_signals") or []
        level_checked = bool(s.get("level_checked"))
        stories.append(
            dict(
                s,
                region=region if s["region_code"] else labels["no_region"],
                level_name=level_names[s["level"] or 0],
                topic_names=[topic_name.get(t, t) for t in s["topics"] or []],
                level_conf=confidence_text(s.get("level_confidence"), level_checked, labels),
                level_confidence=confidence_text(
                    s.get("level_confidence"), level_checked, labels, csv=True
                ),
                topic_confs=[
                    {
                        "name": topic_name.get(t["topic"], t["topic"]),
                        "conf": confidence_text(t["confidence"], bool(t["checked"]), labels),
                    }
                    for t in signals
                ],
                topic_confidence=[
                    f"{t['topic']}="
                    + confidence_text(t["confidence"], bool(t["checked"]), labels, csv=True)
                    for t in signals
                ],
                actor_list=[
                    f"{a['actor']} ({labels['actor_classes'].get(a['actor_class'], a['actor_class'])})"
                    for a in s["actors"]
                ],
                mags=mags,
                sources=[dict(src, date=_date(src["published_at"])) for src in s["sources"]],
                outlet_list=", ".join(s["outlets"] or []),
            )
        )

    topics = []
    for t in data["topics"]:
        change = t["this_week"] - t["baseline"]
        # how unusual, in Poisson standard deviations (as v_hotspots' rise): +8 on a usual 100
        # is noise, +3 on a usual 0.5 is not
        rise = change / math.sqrt(t["baseline"] + 1)
        rising = rise >= 1.0 and change >= 1
        change_text = ("+" if change >= 0 else "") + _num(change, lang)
        topics.append(
            dict(
                t,
                name=topic_name.get(t["topic"], t["topic"]),
                baseline_text=_num(t["baseline"], lang),
                change=change,
                change_text=change_text,
                change_cell=("▲ " if rising else "") + change_text,
                rise=round(rise, 2),
                rising=rising,
                rising_cls="rising" if rising else "",
            )
        )
    topics.sort(key=lambda t: (-t["rise"], -t["this_week"], t["topic"]))
    new_actors = [
        dict(
            a,
            class_name=labels["actor_classes"].get(a["actor_class"], a["actor_class"]) or "–",
            first=_date(a["first_seen_ever"]),
        )
        for a in data["new_actors"]
    ]
    coverage = [
        dict(
            c,
            status_name=labels["status"][c["status"]],
            usual_text=_num(c["usual_new"], lang),
            last=_date(c["last_article"]),
        )
        for c in data["coverage"]
    ]
    # registered outlets first: those are the ones the analyst expects to hear from
    blind = [
        c["name"] for c in sorted(coverage, key=lambda c: not c["registered"]) if c["blind_spot"]
    ]
    if len(blind) > MAX_BLIND_NAMED:  # the header names the first; the table lists them all
        blind = [*blind[:MAX_BLIND_NAMED], labels["more"].format(n=len(blind) - MAX_BLIND_NAMED)]
    summ = data["summary"]
    return {
        "labels": labels,
        "lang": lang,
        "week": week_label(monday),
        "week_line": labels["week"].format(
            week=week_label(monday),
            start=monday.isoformat(),
            end=(monday + timedelta(days=6)).isoformat(),
        ),
        "summary": labels["summary"].format(
            **{k: _num(v, lang) for k, v in summ.items()},
        ),
        "weeks": options.weeks,
        "tables": load_tables(COLUMNS_FILE),
        "hotspots": hotspots,
        "grid_svg": grid_svg,
        "grid_rows": grid_rows,
        "grid_columns": [week_label(m) for m in mondays],
        "map_svg": map_svg,
        "stories": stories,
        "topics": topics,
        "new_actors": new_actors,
        "coverage": coverage,
        "blind_spots": blind,
        "local_links": any(_is_local(src["url"]) for story in stories for src in story["sources"]),
    }


def _date(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, datetime):
        return value.date().isoformat()
    return str(value)[:10]


# -- writing -------------------------------------------------------------------------------


def _environment(markdown: bool):
    import jinja2

    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(TEMPLATES_DIR),
        autoescape=not markdown,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
        undefined=jinja2.StrictUndefined,
    )
    env.filters["md"] = _md_escape
    env.globals["cell_class"] = _cell_class
    env.filters["md_url"] = _md_url
    env.tests["web_url"] = is_web_url
    return env


def _md_escape(value: Any) -> str:
    """Text safe inside a Markdown table cell or link label: page text (titles, authors,
    evidence) never becomes a link, emphasis, an entity or raw HTML."""
    text = " ".join(str(value if value is not None else "").split())
    return re.sub(r"([\\|\[\]*_`<>&~!#])", r"\\\1", text)


def _is_local(url: Any) -> bool:
    """A link to this machine (the demo site): it breaks once that server stops."""
    host = urlsplit(url).hostname if isinstance(url, str) else None
    return host in {"localhost", "::1"} or bool(host and host.startswith("127."))


def is_web_url(value: Any) -> bool:
    """Only http(s) URLs become links: a page may carry ``javascript:`` or ``data:`` ones."""
    if not isinstance(value, str):
        return False
    parts = urlsplit(value.strip())
    return parts.scheme.lower() in {"http", "https"} and bool(parts.netloc)


def _md_url(value: str) -> str:
    """A URL safe inside ``<...>`` in a Markdown link: no space, angle bracket or newline."""
    return quote(value.strip(), safe="/:?#[]@!$&'()*+,;=%-._~")


COLUMNS_FILE = DATA_DIR / "digest_columns.toml"


def load_tables(path: Path = COLUMNS_FILE) -> dict[str, dict[str, Any]]:
    """The digest's table declarations (data/digest_columns.toml): one entry per column
    drives the HTML table, the Markdown table and the CSV, so they cannot drift apart."""
    with open(path, "rb") as fh:
        tables = tomllib.load(fh)
    col_defaults = {"show": None, "badge": None, "note": None, "strong": False, "num": False}
    for name, table in tables.items():
        for key in ("css", "row_class", "row_data"):
            table.setdefault(key, "")
        table.setdefault("column", [])
        for col in table["column"]:
            if "label" not in col:
                raise ValueError(f"{path}: a column of {name!r} has no label")
            for key, value in col_defaults.items():
                col.setdefault(key, value)
            col.setdefault("cls", "")
            col.setdefault("csv", [])
        table["csv_fields"] = [f for c in table["column"] for f in c["csv"]] + list(
            table.get("csv_extra", [])
        )
        if not table["csv_fields"]:
            raise ValueError(f"{path}: section {name!r} writes no CSV field")
    return tables


def _cell_class(col: dict[str, Any], row: dict[str, Any]) -> str:
    """The HTML cell's classes: ``num`` for numbers plus the declared ``cls`` (formatted
    with the row's fields)."""
    parts = ["num"] if col.get("num") else []
    if col.get("cls"):
        parts.append(col["cls"].format(**row))
    return " ".join(p for p in parts if p)


def _write_csvs(out: Path, view: dict[str, Any]) -> dict[str, Path]:
    paths = {}
    for section, table in view["tables"].items():
        path = out / f"{section}.csv"
        with path.open("w", encoding="utf-8", newline="") as fh:
            writer = csvsafe.Writer(fh)
            writer.writerow(table["csv_fields"])
            for row in view[section]:
                writer.writerow(
                    [
                        "|".join(map(str, v)) if isinstance(v, list) else v
                        for v in (row.get(c) for c in table["csv_fields"])
                    ]
                )
        paths[section] = path
    # escalation in long form: one row per province and week
    path = out / "escalation.csv"
    with path.open("w", encoding="utf-8", newline="") as fh:
        writer = csvsafe.Writer(fh)
        writer.writerow(["province", "iso_week", "stories", "max_level"])
        for row in view["grid_rows"]:
            for wk, (stories, level) in zip(view["grid_columns"], row.cells, strict=True):
                writer.writerow([row.label, wk, stories, level])
    paths["escalation"] = path
    # sources: every article of every story shown, with its link and evidence
    path = out / "sources.csv"
    with path.open("w", encoding="utf-8", newline="") as fh:
        writer = csvsafe.Writer(fh)
        writer.writerow(
            ["story_id", "article_id", "outlet", "title", "published_at", "url", "evidence"]
        )
        for story in view["stories"]:
            for s in story["sources"]:
                writer.writerow(
                    [story["story_id"], s["article_id"], s["outlet"], s["title"],
                     s["published_at"], s["url"], s["evidence"]]
                )  # fmt: skip
    paths["sources"] = path
    return paths


def write_digest(
    con: duckdb.DuckDBPyConnection,
    out_dir: str | Path,
    *,
    week: str | None = None,
    lang: str = "en",
    pdf: bool = False,
    options: DigestOptions | None = None,
    outlets: dict[str, str] | None = None,
    source: str = "",
    today: date | None = None,
) -> DigestResult:
    """Write the week's digest into ``out_dir/<ISO week>/`` (html, md, csv, optional pdf).

    ``outlets`` (id -> name) are the registered outlets, so those that produced nothing are
    listed as blind spots; by default the shipped registry.
    """
    started = time.perf_counter()
    labels = load_labels(lang)
    options = options or DigestOptions()
    if outlets is None:
        outlets = registry_outlets()
    _check_views(con)
    monday, complete = resolve_week(con, week, today)
    data = collect(con, monday, options=options, outlets=outlets)
    view = present(data, labels, options)
    view["complete"] = complete
    view["generated"] = labels["generated"].format(
        at=datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"), db=source or "DuckDB"
    )
    out = Path(out_dir) / view["week"]
    out.mkdir(parents=True, exist_ok=True)
    html_text = _environment(False).get_template("digest.html.j2").render(**view)
    html_path = out / "digest.html"
    html_path.write_text(html_text, encoding="utf-8")
    md_path = out / "digest.md"
    md_path.write_text(
        _environment(True).get_template("digest.md.j2").render(**view), encoding="utf-8"
    )
    result = DigestResult(
        week=view["week"], out_dir=out, html=html_path, markdown=md_path, csv=_write_csvs(out, view)
    )
    if pdf:
        result.pdf = write_pdf(html_text, out / "digest.pdf")
    result.seconds = time.perf_counter() - started
    return result


def write_pdf(html_text: str, path: Path) -> Path:
    """Render the (self-contained) HTML to PDF; nothing is fetched from the network."""
    for name in ("weasyprint", "weasyprint.progress", "fontTools"):  # per-page chatter
        logging.getLogger(name).setLevel(logging.WARNING)
    import weasyprint

    def no_network(url: str, *args: Any, **kwargs: Any) -> dict:
        raise ValueError(f"the digest must not fetch {url}")

    weasyprint.HTML(string=html_text, url_fetcher=no_network).write_pdf(path)
    return path
