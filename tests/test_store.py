"""Storage rules shared by crawl, import and reextract: one row per article, atomic writes."""

from __future__ import annotations

import dataclasses

import duckdb
import pytest

from pipeline import db, store


def rec(i: int, **kw) -> store.ArticleRecord:
    base = dict(
        url=f"https://contoh.id/{i}",
        outlet="contoh",
        title=f"Judul {i}",
        body=f"Isi berita nomor {i}.",
        content_hash=f"h{i}",
        tags=["a"],
        html=b"<html>" + str(i).encode() + b"</html>",
    )
    base.update(kw)
    return store.ArticleRecord(**base)


@pytest.fixture
def con(tmp_path):
    c = db.connect(tmp_path / "s.duckdb")
    yield c
    c.close()


def test_migrations_are_recorded_and_idempotent(tmp_path):
    path = tmp_path / "m.duckdb"
    c = db.connect(path)
    assert db.schema_version(c) == max(v for v, _, _ in db.migrations())
    c.close()
    c = db.connect(path)
    assert db.apply_migrations(c) == []
    c.close()


def test_batch_classifies_new_unchanged_updated_and_duplicates(con):
    first = store.save_batch(con, [rec(1), rec(2), rec(1)])  # same URL twice in one batch
    assert [o for o, _ in first] == ["new", "new", "unchanged"]
    assert first[0][1] == first[2][1]
    copy = rec(3, content_hash="h1", alias_urls=[])  # same content as 1 under another URL
    changed = rec(2, body="Isi yang diperbarui.", content_hash="h2b")
    second = store.save_batch(con, [copy, changed, rec(4), rec(4, url="https://contoh.id/4b")])
    assert [o for o, _ in second] == ["duplicate", "updated", "new", "duplicate"]
    assert second[0][1] == first[0][1] and second[3][1] == second[2][1]
    assert con.execute("SELECT count(*) FROM articles").fetchone()[0] == 3
    assert con.execute("SELECT body FROM articles WHERE url = 'https://contoh.id/2'").fetchone()[
        0
    ] == ("Isi yang diperbarui.")
    aliases = dict(con.execute("SELECT url, reason FROM article_aliases").fetchall())
    assert aliases == {
        "https://contoh.id/3": "same-content",
        "https://contoh.id/4b": "same-content",
    }
    # an alias URL is then known: saving it again is 'unchanged', not new
    assert store.save_article(con, rec(3, content_hash="h1"))[0] == "unchanged"


def test_a_bad_record_costs_only_itself(con):
    bad = rec(9, title=object())  # cannot be converted to VARCHAR
    results = store.save_batch(con, [rec(7), bad, rec(8)])
    assert results[0][0] == "new" and results[2][0] == "new"
    assert isinstance(results[1], Exception)
    assert con.execute("SELECT count(*) FROM articles").fetchone()[0] == 2


def test_save_is_atomic(con):
    with pytest.raises(duckdb.Error):
        store.save_article(con, dataclasses.replace(rec(5), tags=[object()]))
    assert con.execute("SELECT count(*) FROM articles").fetchone()[0] == 0
    assert con.execute("SELECT count(*) FROM article_html").fetchone()[0] == 0


@pytest.mark.parametrize("content", [b"", b"not a database at all\n" * 100])
def test_a_file_that_is_not_a_database_gives_one_line_and_stays_untouched(tmp_path, content):
    from tests.conftest import run_suar

    bad = tmp_path / "notes.duckdb"
    bad.write_bytes(content)
    with pytest.raises(db.DatabaseUnreadable, match="notes.duckdb"):
        db.connect(bad, wait=1)
    for args in (["query", "SELECT 1"], ["stories"]):  # a reader, then a writer
        proc = run_suar("--db", str(bad), *args, check=False)
        assert proc.returncode == 2, proc.stderr
        assert proc.stderr.startswith("suar: error: cannot open") and "Traceback" not in proc.stderr
        assert bad.read_bytes() == content
