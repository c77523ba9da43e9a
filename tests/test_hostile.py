"""A hostile page through the real pipeline: crawled over HTTP from a local site, enriched,
grouped, digested (HTML, Markdown, CSV, PDF) and exported. Page text carrying markup or
formulas must come out as text: no live Markdown link, no raw HTML, no spreadsheet formula."""

from __future__ import annotations

import csv
import re
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from crawler.demosite import DemoSite
from tests.conftest import run_suar

HOSTILE_TITLE = "Bentrok warga x](javascript:alert(3))<img src=x onerror=alert(4)> di Samarinda"
HOSTILE_AUTHOR = '=HYPERLINK("http://evil.invalid/","klik")'


def _last_week_wednesday() -> datetime:
    today = datetime.now(UTC).date()
    monday = today - timedelta(days=today.weekday() + 7)
    return datetime.combine(monday + timedelta(days=2), datetime.min.time()).replace(
        hour=10, tzinfo=UTC
    )


def _articles() -> list[dict]:
    when = _last_week_wednesday()
    text = [  # written for this test
        "Dua kelompok warga bentrok di Kelurahan Sungai Kunjang, Samarinda, Rabu pagi. "
        "Empat orang luka-luka dan dua rumah rusak dilempari batu. <script>alert(1)</script>",
        "Polisi mengerahkan seratus personel untuk meredam bentrokan | warga | diminta tenang. "
        "[klik](javascript:alert(2)) dan @mention serta +62 tidak boleh jadi rumus.",
        "Kapolresta Samarinda menyatakan situasi sudah kondusif dan sepuluh orang diperiksa.",
    ]
    return [
        dict(
            outlet="niaga_asia",
            slug="bentrok-warga-sungai-kunjang-samarinda",
            title=HOSTILE_TITLE,
            published=when.isoformat(),
            author=HOSTILE_AUTHOR,
            tags=["Samarinda", "bentrok"],
            category="Hukum",
            dateline="SAMARINDA",
            paragraphs=text,
        )
    ]


@pytest.fixture(scope="module")
def digested(tmp_path_factory: pytest.TempPathFactory) -> dict:
    tmp = tmp_path_factory.mktemp("hostile")
    db = tmp / "h.duckdb"
    week = _last_week_wednesday().strftime("%G-W%V")
    with DemoSite(_articles(), breakage=False) as site:
        run_suar(
            "--db", str(db), "crawl", "--impolite", "--outlet", "niaga_asia",
            "--base-url", f"niaga_asia={site.base_urls['niaga_asia']}",
        )  # fmt: skip
    run_suar("--db", str(db), "enrich")
    run_suar("--db", str(db), "embed")
    run_suar("--db", str(db), "stories")
    out = tmp / "digests"
    run_suar("--db", str(db), "digest", "--week", week, "--out", str(out), "--pdf")
    csv_out = tmp / "q.csv"
    run_suar(
        "--db", str(db), "query", "SELECT title, author, editor FROM articles",
        "--format", "csv", "--out", str(csv_out),
    )  # fmt: skip
    run_suar("--db", str(db), "export", "--out", str(tmp / "export"))
    return {"db": db, "dir": out / week, "query_csv": csv_out, "export": tmp / "export"}


def test_the_hostile_article_was_crawled_as_text(digested) -> None:
    import duckdb

    with duckdb.connect(str(digested["db"]), read_only=True) as con:
        title, author = con.execute("SELECT title, author FROM articles").fetchone()
    assert "javascript:alert(3)" in title and "<img" in title  # stored as the page said it
    assert author.startswith("=HYPERLINK")


def test_markdown_digest_has_no_live_link_or_html_from_the_page(digested) -> None:
    md = (digested["dir"] / "digest.md").read_text("utf-8")
    assert "Sungai Kunjang" in md or "Samarinda" in md
    assert "Source links point at a local server" in md  # crawled from a loopback site
    assert re.search(r"\\\]\(javascript:alert\(3\)\)\\<img", md)  # shown, escaped
    assert not re.search(r"(?<!\\)\]\(javascript:", md)
    assert not re.search(r"(?<!\\)<img", md) and not re.search(r"(?<!\\)<script", md)
    for target in re.findall(r"(?<!\\)\]\(<?([^)>\s]+)", md):  # every link Markdown would make
        assert target.startswith(("http://", "https://")), target


def test_html_and_pdf_digest_escape_the_page(digested) -> None:
    html = (digested["dir"] / "digest.html").read_text("utf-8")
    assert "<img src=x" not in html and "<script" not in html.lower()
    assert "&lt;img src=x onerror=alert(4)&gt;" in html
    assert 'href="javascript:' not in html
    pdf = digested["dir"] / "digest.pdf"
    assert pdf.read_bytes().startswith(b"%PDF") and b"/JavaScript" not in pdf.read_bytes()


def _cells(path: Path) -> list[str]:
    with path.open(encoding="utf-8", newline="") as fh:
        return [c for row in csv.reader(fh) for c in row]


def test_no_csv_cell_is_a_spreadsheet_formula(digested) -> None:
    paths = [*digested["dir"].glob("*.csv"), digested["query_csv"]]
    assert len(paths) >= 7
    cells = [c for p in paths for c in _cells(p)]
    assert any(HOSTILE_AUTHOR in c for c in _cells(digested["query_csv"]))
    assert any(c == "'" + HOSTILE_AUTHOR for c in cells)
    for c in cells:
        assert not c.startswith(("=", "+", "@", "\t", "\r")), c
        assert not c.startswith("-") or re.fullmatch(r"-[\d.]+", c), c


def test_parquet_export_keeps_the_text_exactly(digested) -> None:
    import duckdb

    files = list((digested["export"] / "articles").rglob("*.parquet"))
    assert files
    with duckdb.connect() as con:
        titles = [
            r[0] for r in con.execute(f"SELECT title FROM read_parquet('{files[0]}')").fetchall()
        ]
    assert HOSTILE_TITLE in titles


def test_csv_cells_are_neutralised_the_spreadsheet_way() -> None:
    from pipeline.csvsafe import cell

    for text in ("=1+1", "+62 811", "-Redaksi", "@SUM(A1)", "\tx", "\rx"):
        assert cell(text) == "'" + text
    assert cell("Samarinda") == "Samarinda" and cell(-3) == -3 and cell(None) is None
