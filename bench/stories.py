"""Benchmark `build_stories` on generated articles in a temporary DuckDB file.

    .venv/bin/python bench/stories.py --articles 100000

Generates realistic rows (no real text): events spread over two years across 514 regencies
in 38 provinces with topics and levels; each event is reported 1-6 times by different
outlets over a few days, some reports are syndicated copies (the same text under another
first line), 5% have no publication date and carry "Senin (1/9)"-style dates in the text.
Vectors (dim 384) are unit vectors with clustered structure made in SQL: a topic direction
plus an event direction plus noise, so reports of one event sit close, events of one topic
nearer than unrelated ones. Then times a full build (`--rebuild`), an incremental run that
adds 1% more articles, and a run with nothing to do; prints peak RSS and the pairwise
precision/recall of the grouping against the generated events.
"""

from __future__ import annotations

import argparse
import random
import resource
import statistics
import sys
import tempfile
import time
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from pipeline import db  # noqa: E402
from pipeline.config import load_config  # noqa: E402
from pipeline.stories import build_stories  # noqa: E402

DIM = 384
TOPICS = [
    "conflict.riot", "conflict.communal", "conflict.land_resource", "conflict.armed",
    "election.money_politics", "election.disinformation", "election.dispute",
    "security.force", "conflict.terrorism", "election.neutrality",
]  # fmt: skip
WEEKDAYS = ["Senin", "Selasa", "Rabu", "Kamis", "Jumat", "Sabtu", "Minggu"]
OUTLETS = [f"outlet_{i:02d}" for i in range(60)]
START = date(2024, 1, 1)
DAYS = 730


def _rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _regions(rng: random.Random) -> list[tuple[str, str]]:
    """514 (regency code, province code) pairs over 38 provinces."""
    out = []
    provs = [f"{p:02d}" for p in range(11, 97)][:38]
    for k in range(514):
        p = provs[k % 38]
        out.append((f"{p}.{(k // 38) + 1:02d}", p))
    rng.shuffle(out)
    return out


def _vocab(rng: random.Random, n: int) -> list[str]:
    syll = ["ba", "ka", "ra", "ma", "ta", "sa", "la", "na", "ga", "da", "wa", "pa", "ja", "ha"]
    vowels = ["", "n", "ng", "r", "t", "k", "s", "h"]
    words = set()
    while len(words) < n:
        words.add("".join(rng.choice(syll) for _ in range(rng.randint(2, 4))) + rng.choice(vowels))
    return sorted(words)


def generate(
    con, n: int, seed: int, first_id: int = 1, start: date = START, days: int = DAYS
) -> list[int]:
    """Insert n generated articles (ids from first_id, events from ``start`` over ``days``);
    returns the event id of each."""
    rng = random.Random(seed)
    regions = _regions(random.Random(1))
    vocab = _vocab(random.Random(2), 6000)
    common = vocab[:300]  # words every article uses (the beat's vocabulary)
    rows: dict[str, list] = {k: [] for k in (
        "id", "url", "outlet", "title", "body", "published", "hash", "event", "topic",
        "region", "province", "level", "killed")}  # fmt: skip
    aid = first_id
    event = first_id * 10
    now = datetime(2026, 1, 1, tzinfo=UTC)
    while aid < first_id + n:
        event += 1
        day = start + timedelta(days=rng.randrange(days))
        region, province = rng.choice(regions)
        topic = rng.randrange(len(TOPICS))
        level = rng.choice([0, 0, 1, 1, 2, 3, 3, 4])
        killed = rng.choice([None, None, None, 1, 2, 3])
        words = rng.sample(vocab[300:], 25)  # what makes this event's reports similar
        base = " ".join(rng.choice(words + common) for _ in range(120))
        reports = rng.choices([1, 2, 3, 4, 6], weights=[50, 20, 15, 10, 5])[0]
        for r in range(reports):
            if aid >= first_id + n:
                break
            if r and rng.random() < 0.3:  # a syndicated copy with its own first line
                body = f"Dikutip dari mitra {rng.choice(common)}.\n\n" + base
            else:
                mix = words + rng.sample(common, 40)
                body = " ".join(rng.choice(mix) for _ in range(rng.randint(80, 160)))
            report_day = day + timedelta(days=rng.choice([0, 0, 0, 1, 1, 2]))
            published = datetime.combine(report_day, datetime.min.time(), UTC) + timedelta(
                hours=rng.randrange(24)
            )
            if rng.random() < 0.05:
                body = f"Kejadian pada {WEEKDAYS[day.weekday()]} ({day.day}/{day.month}). " + body
                published = None
            outlet = rng.choice(OUTLETS)
            for k, v in (
                ("id", aid), ("url", f"https://{outlet}.example/{aid}"), ("outlet", outlet),
                ("title", " ".join(rng.sample(words, 6))), ("body", body),
                ("published", published), ("hash", f"h{aid}"), ("event", event),
                ("topic", topic), ("region", region), ("province", province),
                ("level", level), ("killed", killed if rng.random() < 0.8 else None),
            ):  # fmt: skip
                rows[k].append(v)
            aid += 1
    con.execute(
        "INSERT INTO articles (id, url, outlet, title, body, published_at, content_hash, "
        "language, is_indonesian, source, first_seen, last_fetched, last_changed) "
        "SELECT unnest($id::BIGINT[]), unnest($url::VARCHAR[]), unnest($outlet::VARCHAR[]), "
        "unnest($title::VARCHAR[]), unnest($body::VARCHAR[]), "
        "unnest($published::TIMESTAMPTZ[]), unnest($hash::VARCHAR[]), 'id', true, 'import', "
        "$now, $now, $now",
        {k: rows[k] for k in ("id", "url", "outlet", "title", "body", "published", "hash")}
        | {"now": now},
    )
    con.execute(
        "INSERT INTO enrichments (article_id, pipeline_version, status, language, "
        "primary_region_code, primary_region_level, primary_province_code, escalation_level, "
        "killed, topic_codes, enriched_at) "
        "SELECT unnest($id::BIGINT[]), 'bench', 'enriched', 'id', unnest($region::VARCHAR[]), "
        "'regency', unnest($province::VARCHAR[]), unnest($level::INTEGER[]), "
        "unnest($killed::INTEGER[]), unnest($topics::VARCHAR[][]), $now",
        {
            "id": rows["id"], "region": rows["region"], "province": rows["province"],
            "level": rows["level"], "killed": rows["killed"],
            "topics": [[TOPICS[t]] for t in rows["topic"]], "now": now,
        },
    )  # fmt: skip
    con.execute(
        "INSERT INTO article_regions (article_id, code, name, level, province_code, text, "
        "start_char, end_char, is_primary) "
        "SELECT unnest($id::BIGINT[]), unnest($region::VARCHAR[]), 'Kab ' || "
        "unnest($region::VARCHAR[]), 'regency', unnest($province::VARCHAR[]), 'x', 0, 1, true",
        {"id": rows["id"], "region": rows["region"], "province": rows["province"]},
    )
    # clustered unit vectors, made in SQL: topic direction + event direction + noise
    con.execute(
        "CREATE OR REPLACE TEMP TABLE bench_meta AS SELECT unnest($id::BIGINT[]) AS id, "
        "unnest($event::BIGINT[]) AS event, unnest($topic::INTEGER[]) AS topic",
        {"id": rows["id"], "event": rows["event"], "topic": rows["topic"]},
    )
    con.execute(
        f"""
        INSERT INTO article_embeddings (article_id, model, content_hash, dim, vector, embedded_at)
        WITH raw AS (
            SELECT m.id, list_transform(range({DIM}), k ->
                0.55 * ((hash(m.topic, k) % 2000)::DOUBLE / 1000 - 1)
              + 0.75 * ((hash(m.event, k, 7) % 2000)::DOUBLE / 1000 - 1)
              + 0.25 * ((hash(m.id, k, 13) % 2000)::DOUBLE / 1000 - 1)) AS v
            FROM bench_meta m
        ),
        normed AS (SELECT id, v, sqrt(list_sum(list_transform(v, y -> y * y))) AS norm FROM raw)
        SELECT id, 'bench-e5-small', 'h' || id, {DIM},
               list_transform(v, x -> (x / norm)::FLOAT), $now
        FROM normed
        """,
        {"now": now},
    )
    return rows["event"]


def pairwise(con, events: dict[int, int]) -> tuple[float, float]:
    """Pairwise precision/recall of the stories against the generated events."""
    rows = con.execute("SELECT article_id, story_id FROM story_articles").fetchall()
    story = dict(rows)
    from collections import Counter

    def pairs(groups: Counter) -> int:
        return sum(c * (c - 1) // 2 for c in groups.values())

    both = Counter((events[a], story[a]) for a in events)
    tp = pairs(both)
    pred = pairs(Counter(story[a] for a in events))
    gold = pairs(Counter(events.values()))
    return tp / pred if pred else 1.0, tp / gold if gold else 1.0


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--articles", type=int, default=100_000)
    ap.add_argument("--seed", type=int, default=4)
    ap.add_argument("--profile", help="Write a cProfile of the full build here and stop.")
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "bench.duckdb"
        con = db.connect(path)
        t0 = time.perf_counter()
        ev = generate(con, args.articles, args.seed)
        events = dict(zip(range(1, args.articles + 1), ev, strict=True))
        gen_s = time.perf_counter() - t0
        rss_before = _rss_mb()
        cfg = load_config(db=path)
        t0 = time.perf_counter()
        if args.profile:
            import cProfile

            cProfile.runctx(
                "build_stories(con, cfg, rebuild=True, today=date(2026, 1, 1))",
                globals(), locals(), args.profile,
            )  # fmt: skip
            return
        full = build_stories(con, cfg, rebuild=True, today=date(2026, 1, 1))
        full_s = time.perf_counter() - t0
        rss_full = _rss_mb()
        p, r = pairwise(con, events)
        extra = max(1, args.articles // 100)
        # a night's worth: new reports of the last week (some of events already stored)
        generate(
            con, extra, args.seed + 1, first_id=args.articles + 1,
            start=START + timedelta(days=DAYS - 7), days=7,
        )  # fmt: skip
        times = []
        t0 = time.perf_counter()
        inc = build_stories(con, cfg, today=date(2026, 1, 1))
        times.append(time.perf_counter() - t0)
        t0 = time.perf_counter()
        idle = build_stories(con, cfg, today=date(2026, 1, 1))
        idle_s = time.perf_counter() - t0
        con.close()
    print(f"generated {args.articles} articles in {gen_s:.1f} s (RSS {rss_before:.0f} MB)")
    print(
        f"full build: {full_s:.1f} s ({full.as_dict()['phases']}), {full.stories_total} "
        "stories, duplicates "
        f"{full.duplicates}, undated {full.undated}, with vector {full.with_vector}"
    )
    print(f"pairwise vs generated events: precision {p:.3f} recall {r:.3f}")
    print(
        f"incremental +{extra} articles of the last week: {statistics.median(times):.1f} s "
        f"(context {inc.context} assigned articles, {inc.new_stories} new stories, "
        f"{inc.joined_existing} joined existing)"
    )
    print(f"nothing to do: {idle_s:.2f} s (pending {idle.pending})")
    print(f"peak RSS: {max(rss_full, _rss_mb()):.0f} MB (after generation {rss_before:.0f} MB)")


if __name__ == "__main__":
    main()
