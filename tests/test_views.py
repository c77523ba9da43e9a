"""The analyst views on a small database whose expected figures are worked out by hand.

Calendar: the week under test W is ISO 2025-W11 (Monday 10 March 2025, Jakarta time); the
database's history starts in 2025-W02 (6 January), so W has a full 8-week baseline.

Stories (first_seen, primary region, topics, level, killed/injured/arrested, n_articles):
  Kota Balikpapan (64.71), nothing before W, three stories in W:
    1  2025-03-09 18:00 UTC = Monday 01:00 WIB, so in W although Sunday in UTC
       64.71, [election.dispute, conflict.protest], level 3, killed 2, n_articles 2
    2  2025-03-11, kecamatan Balikpapan Timur 64.71.01 (rolls up to 64.71), [conflict.protest],
       level 1, arrested 4, n_articles 1
    3  2025-03-12, 64.71, no topic, level 0, n_articles 1: routine news, which v_signals and
       v_weekly list (topic NULL) but v_hotspots does not count
  Kalimantan Timur (64) itself: one story a week in W-4 .. W-1 (stories 10-13), level 1.
  Kota Jayapura (91.71): two stories a week in W-8 .. W-1 (20-35) and two in W (36, 37),
    level 1, [conflict.communal].
  A national story (99) in W: no region.
  History starts in 2025-W02 (6 January) with two stories in Kota Jayapura: 50 routine, 51 a
  signal (conflict.communal, level 1).

Hand-computed v_hotspots for W (score = rise + 0.5 x max level + 1 if killed), signal
stories only:
  64.71  stories 2 (not story 3), baseline 0 -> rise 2 / sqrt(1) = 2; + 1.5 + 1 = 4.5
  64     stories 2, previous 8 weeks: 4 province-level stories -> baseline 0.5;
         rise 1.5 / sqrt(1.5) = 1.2247; + 1.5 + 1 = 3.72
  91.71  stories 2, baseline 16 / 8 = 2 -> rise 0; + 0.5 = 0.5   (province 91 the same)
"""

from __future__ import annotations

import datetime as dt
import math

import duckdb
import pytest

from pipeline import db

W = dt.date(2025, 3, 10)
UTC = dt.UTC


def ts(day: dt.date, hour: int = 9) -> dt.datetime:
    """09:00 UTC = 16:00 WIB: the same calendar day in Jakarta."""
    return dt.datetime(day.year, day.month, day.day, hour, tzinfo=UTC)


def story(
    sid: int,
    first_seen: dt.datetime,
    region: str | None,
    level_name: str | None,
    topics: list[str],
    max_level: int,
    *,
    killed: int | None = None,
    injured: int | None = None,
    arrested: int | None = None,
    n_articles: int = 1,
) -> tuple:
    province = region[:2] if region else None
    return (
        sid,
        f"Cerita {sid}",
        sid * 100,
        first_seen,
        first_seen,
        n_articles,
        n_articles,
        ["contoh"],
        region,
        level_name,
        province,
        topics,
        max_level,
        killed,
        injured,
        arrested,
        None,
        first_seen,
    )


def build(path) -> None:
    con = db.connect(path)
    stories = [
        story(1, dt.datetime(2025, 3, 9, 18, tzinfo=UTC), "64.71", "regency",
              ["election.dispute", "conflict.protest"], 3, killed=2, n_articles=2),
        story(2, ts(W + dt.timedelta(days=1)), "64.71.01", "district", ["conflict.protest"], 1,
              arrested=4),
        story(3, ts(W + dt.timedelta(days=2)), "64.71", "regency", [], 0),
        story(99, ts(W + dt.timedelta(days=3)), None, None, ["conflict.protest"], 2),
    ]  # fmt: skip
    for i, weeks_back in enumerate(range(4, 0, -1)):
        stories.append(story(10 + i, ts(W - dt.timedelta(weeks=weeks_back)), "64", "province",
                             ["conflict.land_resource"], 1))  # fmt: skip
    sid = 20
    for weeks_back in range(8, -1, -1):
        for _ in range(2):
            day = W - dt.timedelta(weeks=weeks_back) + dt.timedelta(days=2)
            stories.append(story(sid, ts(day), "91.71", "regency", ["conflict.communal"], 1))
            sid += 1
    # history starts in 2025-W02: one story in Kota Jayapura on 6 January
    stories.append(story(50, ts(dt.date(2025, 1, 6)), "91.71", "regency", [], 0))
    stories.append(story(51, ts(dt.date(2025, 1, 6)), "91.71", "regency", ["conflict.communal"], 1))
    con.executemany(
        "INSERT INTO stories (id, title, representative_id, first_seen, last_seen, n_articles,"
        " n_outlets, outlets, primary_region_code, primary_region_level, primary_province_code,"
        " topic_codes, max_level, killed, injured, arrested, crowd, updated_at)"
        " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        stories,
    )
    # articles: story s has articles s*100 (+1); the representative of story 1 has its
    # fetched URL in article_html, the others only their canonical URL
    arts = []
    links = []
    for row in stories:
        sid, n = row[0], row[5]
        for k in range(n):
            aid = sid * 100 + k
            arts.append((aid, f"https://contoh.id/{aid}", "contoh", row[3], row[3], row[3], row[3]))
            links.append((aid, sid))
    con.executemany(
        "INSERT INTO articles (id, url, outlet, title, first_seen, last_fetched, last_changed,"
        " published_at) VALUES (?, ?, ?, 'judul', ?, ?, ?, ?)",
        arts,
    )
    con.execute(
        "INSERT INTO article_html (article_id, fetched_url) VALUES (100, 'https://m.contoh.id/100?amp')"
    )
    con.executemany(
        "INSERT INTO story_articles VALUES (?, ?, 1.0, now())",
        links,
    )
    # actors: Budi Santoso first named in story 11 (W-3), again in story 1 (W);
    # Forum Warga Manggar first named in W (story 2); a byline and a place are not actors
    ents = [
        (1100, "Budi Santoso", "PER", "security"),
        (100, "Budi Santoso", "PER", "security"),
        (101, "Budi Santoso", "PER", "security"),
        (200, "Forum Warga Manggar", "ORG", "community"),
        (200, "Rina Wartawati", "PER", None, True),
        (300, "Lapangan Merdeka", "LOC", None),
    ]
    con.executemany(
        "INSERT INTO article_entities (article_id, text, label, actor_class, is_byline,"
        " start_char, end_char) VALUES (?, ?, ?, ?, ?, 0, 5)",
        [(*e[:4], e[4] if len(e) > 4 else False) for e in ents],
    )
    # crawl runs: two on 10 March (WIB), one of them interrupted; one on 11 March at 23:30
    # UTC, which is 12 March 06:30 WIB
    con.executemany(
        "INSERT INTO crawl_runs (id, started_at, finished_at, status) VALUES (?, ?, ?, ?)",
        [
            (1, ts(W, 1), ts(W, 2), "ok"),
            (2, ts(W, 10), ts(W, 11), "interrupted"),
            (3, dt.datetime(2025, 3, 11, 23, 30, tzinfo=UTC), None, "ok"),
        ],
    )
    con.executemany(
        "INSERT INTO crawl_run_outlets (run_id, outlet, discovered, fetched, new, updated,"
        " unchanged, failed) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
        [
            (1, "contoh", 10, 8, 5, 1, 2, 1),
            (2, "contoh", 4, 3, 1, 0, 2, 2),
            (1, "sunyi", 3, 0, 0, 0, 0, 3),
            (3, "contoh", 6, 6, 6, 0, 0, 0),
        ],
    )
    con.close()


@pytest.fixture(scope="module")
def con(tmp_path_factory):
    path = tmp_path_factory.mktemp("views") / "v.duckdb"
    build(path)
    db.connect(path).close()  # a read-write open recomputes actor_first_seen
    c = duckdb.connect(str(path), read_only=True)
    yield c
    c.close()


def rows(con, sql: str, *params) -> list[dict]:
    rel = con.execute(sql, list(params))
    cols = [d[0] for d in rel.description]
    return [dict(zip(cols, r, strict=True)) for r in rel.fetchall()]


def test_contract_columns_come_first_in_every_view(con):
    contract = {
        "v_signals": "story_id, title, region_code, region_name, region_level, province_code, "
        "province_name, topic, level, killed, injured, arrested, crowd, first_seen, last_seen, "
        "iso_week, week_start, n_articles, n_outlets, representative_url",
        "v_weekly": "iso_week, week_start, province_code, province_name, regency_code, "
        "regency_name, topic, stories, articles, max_level, killed, injured",
        "v_hotspots": "iso_week, week_start, region_code, region_name, region_level, "
        "province_code, stories, baseline, max_level, killed, injured, score, reason",
        "v_coverage": "day, outlet, fetched, new, updated, failed, runs",
        "v_actors": "iso_week, week_start, actor_class, actor, stories, articles, max_level, "
        "first_seen_ever",
    }
    for view, cols in contract.items():
        have = [d[0] for d in con.execute(f"SELECT * FROM {view} LIMIT 0").description]
        missing = [c for c in cols.split(", ") if c not in have]
        assert not missing, f"{view} lacks {missing}"


def test_hotspots_rank_a_rise_from_nothing_first_with_its_reason(con):
    top = rows(
        con,
        "SELECT * FROM v_hotspots WHERE iso_week = '2025-W11' ORDER BY score DESC, region_code",
    )
    assert [(r["region_code"], r["region_level"]) for r in top] == [
        ("64.71", "regency"),
        ("64", "province"),
        ("91", "province"),
        ("91.71", "regency"),
    ]
    first = top[0]
    assert first["region_name"] == "Kota Balikpapan"
    assert first["province_name"] == "Kalimantan Timur"
    assert first["week_start"] == W
    assert (first["stories"], first["baseline"], first["max_level"]) == (2, 0.0, 3)
    assert (first["killed"], first["injured"], first["arrested"]) == (2, 0, 4)
    assert first["score"] == 4.5
    assert first["reason"] == (
        "2 stories vs 0.0/week baseline; max level 3; 2 killed; 4 arrested; "
        "conflict.protest, election.dispute"
    )
    prov = top[1]
    assert prov["stories"] == 2 and prov["baseline"] == 0.5 and prov["baseline_weeks"] == 8
    assert prov["score"] == round(1.5 / math.sqrt(1.5) + 1.5 + 1, 2) == 3.72
    assert prov["reason"].startswith("2 stories vs 0.5/week baseline; max level 3; 2 killed")
    jayapura = top[3]
    assert (jayapura["stories"], jayapura["baseline"], jayapura["score"]) == (2, 2.0, 0.5)
    assert jayapura["reason"] == ("2 stories vs 2.0/week baseline; max level 1; conflict.communal")


def test_hotspots_early_weeks_say_how_much_history_the_baseline_has(con):
    first_week = rows(con, "SELECT * FROM v_hotspots WHERE week_start = DATE '2025-01-06'")
    assert {r["region_code"] for r in first_week} == {"91", "91.71"}
    assert all(r["baseline_weeks"] == 0 and r["baseline"] == 0 for r in first_week)
    assert first_week[0]["stories"] == 1  # story 51; the routine story 50 does not count
    assert first_week[0]["reason"] == (
        "1 story vs 0.0/week baseline (no earlier weeks in the database); max level 1; "
        "conflict.communal"
    )
    # 13 January (W-8): two stories, and one week of history holding one story
    second = rows(
        con,
        "SELECT * FROM v_hotspots WHERE region_code = '91.71' AND week_start = DATE '2025-01-13'",
    )
    assert (second[0]["stories"], second[0]["baseline_weeks"], second[0]["baseline"]) == (2, 1, 1.0)
    assert second[0]["reason"].startswith("2 stories vs 1.0/week baseline (over 1 week);")


def test_signals_one_row_per_story_and_topic_with_names_and_link(con):
    got = rows(
        con,
        "SELECT story_id, topic, region_name, region_level, province_code, province_name,"
        " regency_code, regency_name, iso_week, week_start, day, representative_url, level,"
        " killed FROM v_signals WHERE iso_week = '2025-W11' ORDER BY story_id, topic NULLS LAST",
    )
    by_story = {}
    for r in got:
        by_story.setdefault(r["story_id"], []).append(r)
    assert sorted(by_story) == [1, 2, 3, 36, 37, 99]
    assert [r["topic"] for r in by_story[1]] == ["conflict.protest", "election.dispute"]
    assert [r["topic"] for r in by_story[3]] == [None]  # a story without topic keeps one row
    s1 = by_story[1][0]
    # first seen on Sunday 9 March in UTC, Monday 10 March in Jakarta
    assert (s1["day"], s1["week_start"], s1["iso_week"]) == (W, W, "2025-W11")
    assert s1["region_name"] == "Kota Balikpapan" and s1["province_name"] == "Kalimantan Timur"
    assert s1["representative_url"] == "https://m.contoh.id/100?amp"  # the link to click
    assert (s1["level"], s1["killed"]) == (3, 2)
    s2 = by_story[2][0]
    assert (s2["region_name"], s2["region_level"]) == ("Balikpapan Timur", "district")
    assert (s2["regency_code"], s2["regency_name"]) == ("64.71", "Kota Balikpapan")
    assert s2["representative_url"] == "https://contoh.id/200"
    national = by_story[99][0]
    assert national["province_code"] is None and national["region_name"] is None


def test_weekly_rolls_up_per_province_regency_and_topic(con):
    got = rows(
        con,
        "SELECT province_code, province_name, regency_code, regency_name, topic, stories,"
        " articles, max_level, killed, injured, arrested FROM v_weekly"
        " WHERE week_start = ? ORDER BY province_code NULLS LAST, regency_code, topic NULLS LAST",
        W,
    )
    assert [
        (r["province_code"], r["regency_code"], r["topic"], r["stories"], r["articles"])
        for r in got
    ] == [
        ("64", "64.71", "conflict.protest", 2, 3),
        ("64", "64.71", "election.dispute", 1, 2),
        ("64", "64.71", None, 1, 1),
        ("91", "91.71", "conflict.communal", 2, 2),
        (None, None, "conflict.protest", 1, 1),
    ]
    protest = got[0]
    assert (protest["max_level"], protest["killed"], protest["arrested"]) == (3, 2, 4)
    assert protest["province_name"] == "Kalimantan Timur"
    assert protest["regency_name"] == "Kota Balikpapan"


def test_coverage_per_day_on_the_jakarta_calendar(con):
    got = rows(con, "SELECT * FROM v_coverage ORDER BY day, outlet")
    assert [
        (r["day"], r["outlet"], r["runs"], r["fetched"], r["new"], r["updated"], r["failed"])
        for r in got
    ] == [
        (W, "contoh", 2, 11, 6, 1, 3),
        (W, "sunyi", 1, 0, 0, 0, 3),
        (dt.date(2025, 3, 12), "contoh", 1, 6, 6, 0, 0),
    ]
    assert got[0]["runs_failed"] == 1 and got[0]["discovered"] == 14


def test_actors_name_new_and_returning_actors_without_bylines(con):
    got = rows(con, "SELECT * FROM v_actors WHERE iso_week = '2025-W11' ORDER BY actor")
    assert [(r["actor"], r["actor_class"], r["stories"], r["articles"]) for r in got] == [
        ("Budi Santoso", "security", 1, 2),
        ("Forum Warga Manggar", "community", 1, 1),
    ]
    budi, forum = got
    assert budi["first_seen_ever"] == ts(W - dt.timedelta(weeks=3)) and not budi["is_new"]
    assert forum["first_seen_ever"] == ts(W + dt.timedelta(days=1)) and forum["is_new"]
    assert (budi["max_level"], forum["max_level"]) == (3, 1)


def test_actor_first_seen_refreshes_and_the_view_never_waits_for_it(tmp_path):
    path = tmp_path / "a.duckdb"
    build(path)
    con = db.connect(path)
    assert con.execute("SELECT count(*) FROM actor_first_seen").fetchone()[0] == 2
    assert not db.refresh_derived(con)  # nothing changed: no work
    # a story added behind the table's back (a writer that has not reopened yet)
    con.execute(
        "INSERT INTO stories (id, title, first_seen, n_articles, n_outlets, updated_at, max_level)"
        " VALUES (60, 'baru', TIMESTAMPTZ '2025-03-12 05:00:00+00', 1, 1, now(), 2)"
    )
    con.execute("INSERT INTO story_articles VALUES (6000, 60, 1.0, now())")
    con.execute(
        "INSERT INTO article_entities (article_id, text, label, actor_class, start_char,"
        " end_char) VALUES (6000, 'Paguyuban Baru', 'ORG', 'civil_society', 0, 5)"
    )
    new = con.execute(
        "SELECT first_seen_ever, is_new FROM v_actors WHERE actor = 'Paguyuban Baru'"
    ).fetchone()
    assert new == (dt.datetime(2025, 3, 12, 5, tzinfo=UTC), True)
    assert db.refresh_derived(con)
    assert con.execute(
        "SELECT first_story_id FROM actor_first_seen WHERE actor = 'Paguyuban Baru'"
    ).fetchone() == (60,)
    con.close()
