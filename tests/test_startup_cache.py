"""The start-up caches (nlp/startup.py) must never change a result: a pipeline built with an
empty cache directory, one built from the cache it wrote, and one built after the cache files
were corrupted give the same tokens, entities and annotate output; a cache directory that
cannot be written costs time, not correctness."""

from __future__ import annotations

import hashlib
import pickle
import shutil
from pathlib import Path

import pytest
import spacy

from nlp import entities, startup
from nlp import pipeline as nlp_pipeline
from nlp.annotate import enrich_articles
from nlp.text import AffixTable, SuarTokenizer, add_special_cases, make_base_nlp

# written for these tests: reduplicated and hyphenated words (spaCy's Indonesian special
# cases keep them whole), abbreviations, titles, institutions and places
TEXTS = (
    "Warga luka-luka setelah bentrok antar-kampung di Kabupaten Mimika, Papua Tengah. "
    "Kapolres Mimika AKBP I Gede Putra mengatakan anak-anak dan ibu-ibu sudah diungsikan.",
    "SAMARINDA, Contoh.id - Ketua KPU Kaltim Sri Wulandari meminta para calon tidak "
    "saling serang. Massa dari BEM Universitas Mulawarman berunjuk rasa di depan kantor "
    "Pemprov Kaltim, Senin (6/5), dan sempat dorong-dorongan dengan petugas.",
    "Prajurit Kodam IV/Mulawarman membantu warga di Kec. Palaran. Dr. H. Andi S.H. "
    "menyebut kerugian Rp1,5 miliar; kader PDI-P dan Gerindra saling klaim kemenangan.",
    "Kejari Balikpapan menahan dua tersangka. Penulis: Dewi | Editor: Bayu",
)


@pytest.fixture
def cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """An empty cache directory for this test, and no lexicon left from an earlier build."""
    path = tmp_path / "cache"
    monkeypatch.setenv("SUAR_CACHE_DIR", str(path))
    monkeypatch.setattr(entities, "_LEXICON", None)
    nlp_pipeline.pipeline_version.cache_clear()  # computed again: it reads the cache
    return path


def _read(path: Path) -> object:
    """A cache file's object (its first 32 bytes are the pickle's sha256)."""
    data = path.read_bytes()
    assert hashlib.sha256(data[32:]).digest() == data[:32]
    return pickle.loads(data[32:])


def _write(path: Path, value: object) -> None:
    """A well-formed cache file holding ``value``."""
    data = pickle.dumps(value)
    path.write_bytes(hashlib.sha256(data).digest() + data)


def _fresh_pipeline(monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setattr(entities, "_LEXICON", None)  # as in a new process
    nlp_pipeline.pipeline_version.cache_clear()
    return nlp_pipeline.build_nlp()


def _outputs(nlp) -> tuple:
    docs = [nlp(text) for text in TEXTS]
    tokens = [[(t.text, t.whitespace_, t.norm_, t.is_sent_start) for t in doc] for doc in docs]
    ents = [[(e.start, e.end, e.label_, e._.actor_class, e._.role) for e in d.ents] for d in docs]
    rows = [{"id": f"t{k}", "text": text} for k, text in enumerate(TEXTS)]
    return tokens, ents, enrich_articles(rows, nlp, batch_size=2)


def _index(lex: entities.Lexicon) -> tuple:
    return tuple(
        sorted((k, list(v)) for k, v in idx.by_first.items())
        for idx in (lex.institutions, lex.titles, lex.places)
    )


def test_pipeline_from_an_empty_a_written_and_a_corrupt_cache_gives_the_same_output(
    cache: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    cold = _outputs(_fresh_pipeline(monkeypatch))
    written = sorted(p.name.split("-")[0] + "-" + p.name.split("-")[1] for p in cache.iterdir())
    assert {"entity-words", "content-hash", "tokenizer-affixes"} <= set(written)
    tokens = [t for doc in cold[0] for t, *_ in doc]
    assert {"luka-luka", "anak-anak", "Kec.", "Dr."} <= set(tokens)

    warm = _outputs(_fresh_pipeline(monkeypatch))
    assert warm == cold

    for path in cache.glob("entity-words-*.pickle"):
        path.write_bytes(b"\x80\x05 truncated")
    for path in cache.glob("content-hash-*.pickle"):
        path.write_bytes(b"not a pickle")
    for path in cache.glob("tokenizer-affixes-*.pickle"):
        _write(path, {"not": "three tables"})
    assert _outputs(_fresh_pipeline(monkeypatch)) == cold
    for path in cache.glob("entity-words-*.pickle"):  # rebuilt and good again
        assert isinstance(_read(path), dict)
    for path in cache.glob("tokenizer-affixes-*.pickle"):
        assert len(_read(path)) == 3
    assert not list(cache.glob("*.tmp"))


def test_lexicon_is_read_from_the_cache_and_rebuilt_when_it_is_wrong(cache: Path) -> None:
    nlp = make_base_nlp()
    fresh = entities._build_lexicon(nlp)
    (path,) = cache.glob("entity-words-*.pickle")
    table = _read(path)
    assert table["Kodam"] == ("Kodam",) and len(table) > 5000
    assert _index(entities._build_lexicon(nlp)) == _index(fresh)

    table["Kodam"] = ("Only", "in", "the", "cache")  # the file is what is used
    _write(path, table)
    assert "Only" in entities._build_lexicon(nlp).institutions.by_first

    _write(path, ["not", "a", "table"])  # wrong type: rebuilt
    assert _index(entities._build_lexicon(nlp)) == _index(fresh)
    assert _read(path)["Kodam"] == ("Kodam",)

    table["Kodam"] = ("Kodan",)
    data = pickle.dumps(table)
    damaged = hashlib.sha256(data).digest() + data.replace(b"Kodan", b"Kodam", 1)
    path.write_bytes(damaged)  # damaged after it was written: the checksum rejects it
    assert _index(entities._build_lexicon(nlp)) == _index(fresh)
    assert _read(path)["Kodam"] == ("Kodam",)


def test_lexicon_cache_key_follows_the_tokenizer(cache: Path) -> None:
    nlp = make_base_nlp()
    entities._build_lexicon(nlp)
    nlp.tokenizer.add_special_case("Kodam IV", [{"ORTH": "Kodam IV"}])
    entities._build_lexicon(nlp)
    assert len(list(cache.glob("entity-words-*.pickle"))) == 2


def test_an_unwritable_cache_dir_is_not_fatal(tmp_path: Path, monkeypatch) -> None:
    blocker = tmp_path / "a-file"
    blocker.write_text("x", encoding="utf-8")
    monkeypatch.setenv("SUAR_CACHE_DIR", str(blocker / "cache"))  # cannot be created
    nlp = make_base_nlp()
    assert _index(entities._build_lexicon(nlp)) == _index(entities._build_lexicon(nlp))
    startup.store_cached("x", "y", 1)
    assert startup.load_cached("x", "y") is None


def test_content_hash_cache_follows_the_bytes_of_the_data(cache: Path, tmp_path: Path) -> None:
    data = tmp_path / "data"
    shutil.copytree(nlp_pipeline.DATA_DIR, data)
    cold = nlp_pipeline.content_hash(data)
    assert list(cache.glob("content-hash-*.pickle"))
    assert nlp_pipeline.content_hash(data) == cold
    target = data / nlp_pipeline.declared_reads()[0]
    target.write_bytes(target.read_bytes() + b"\n# changed\n")
    changed = nlp_pipeline.content_hash(data)
    assert changed != cold
    shutil.rmtree(cache)  # computed afresh: the same values
    assert nlp_pipeline.content_hash(data) == changed
    target.write_bytes(target.read_bytes()[: -len(b"\n# changed\n")])
    assert nlp_pipeline.content_hash(data) == cold


def test_cache_key_separates_its_parts() -> None:
    assert startup.cache_key(["ab", "c"]) != startup.cache_key(["a", "bc"])
    assert startup.cache_key([b"x"]) == startup.cache_key(["x"])


def _spacy_tokens(nlp, texts: list[str]) -> list[list[tuple]]:
    return [[(t.text, t.whitespace_, t.norm_, t.shape_) for t in nlp(x)] for x in texts]


def test_suar_tokenizer_from_a_cold_and_a_warm_table_is_spacys_tokenizer(cache: Path) -> None:
    theirs = spacy.blank("id")  # spaCy's own "spacy.Tokenizer.v1"
    add_special_cases(theirs)
    cold = make_base_nlp()
    (table_file,) = cache.glob("tokenizer-affixes-*.pickle")
    assert AffixTable(cold.tokenizer).prefix  # the next build reads it
    warm = make_base_nlp()
    table_file.write_bytes(b"\x80\x05 truncated")
    corrupt = make_base_nlp()
    assert len(_read(table_file)) == 3  # rewritten
    # every special case, alone and inside punctuation, and the hand-written texts
    specials = sorted(theirs.tokenizer.rules)
    texts = [*TEXTS, *(f"{s} ({s}), {s}. x-{s}/{s}-nya" for s in specials)]
    expected = _spacy_tokens(theirs, texts)
    for ours in (cold, warm, corrupt):
        assert isinstance(ours.tokenizer, SuarTokenizer)
        assert ours.tokenizer._table is None  # spaCy's own affix searches from now on
        assert ours.tokenizer.rules == theirs.tokenizer.rules
        assert ours.tokenizer.to_bytes(exclude=["vocab"]) == theirs.tokenizer.to_bytes(
            exclude=["vocab"]
        )
        assert _spacy_tokens(ours, texts) == expected
    assert len(specials) > 15000
