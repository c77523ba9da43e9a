"""Tests for the transformers NER backend (nlp/hf_ner.py) with a tiny BERT built here.

The model's weights are set by hand so every prediction is known in advance: the encoder
layers add nothing (their output projections are zero), so each piece's label comes from its
word embedding, which points at one label. Positions 1-3 and 28-30 of the input also point
hard at "O": the model is blind at the edges of a 32-piece window, as real models are weak
there, so a wrong choice between overlapping windows loses entities and the tests notice.
Nothing is downloaded: the model is saved to tmp_path and loaded by local path.
"""

from __future__ import annotations

import inspect
import subprocess
import sys
from pathlib import Path

import pytest

transformers = pytest.importorskip("transformers")
torch = pytest.importorskip("torch")

import spacy  # noqa: E402

from nlp.hf_ner import (  # noqa: E402
    HFTokenClassifier,
    add_hf_entity_pipes,
    build_label_map,
    decode_words,
    split_tag,
)

LABELS = ["O", "B-PER", "I-PER", "B-ORG", "I-ORG", "B-LOC", "I-LOC", "B-MISC", "I-MISC"]
# vocabulary entry -> the label its embedding points at; anything else is [UNK] -> O
WORD_LABELS = {
    "budi": "B-PER", "santoso": "I-PER", "rahmat": "B-PER", "hidayat": "I-PER",
    "bawaslu": "B-ORG", "balikpapan": "B-LOC",
    # 'Samarinda' = sama ##rin ##da: a piece-level decoder would find 'Sama' and 'da'
    "sama": "B-LOC", "##rin": "O", "##da": "B-LOC",
    # 'Bontang' = bon ##tan ##g: first piece says O, most pieces say LOC
    "bon": "O", "##tan": "B-LOC", "##g": "B-LOC",
    "piala": "B-MISC", "dunia": "I-MISC",
}  # fmt: skip
SPECIALS = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"]
BLIND_POSITIONS = (1, 2, 3, 28, 29, 30)


@pytest.fixture(scope="module")
def model_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    from transformers import BertConfig, BertForTokenClassification, BertTokenizerFast

    out = tmp_path_factory.mktemp("tiny_ner")
    vocab = SPECIALS + [",", ".", "-"] + list(WORD_LABELS)
    vocab_file = out / "vocab.txt"
    vocab_file.write_text("\n".join(vocab) + "\n", encoding="utf-8")
    params = inspect.signature(BertTokenizerFast.__init__).parameters
    key = "vocab_file" if "vocab_file" in params else "vocab"  # transformers 4 vs 5
    tokenizer = BertTokenizerFast(**{key: str(vocab_file)}, do_lower_case=True)

    config = BertConfig(
        vocab_size=len(vocab), hidden_size=32, num_hidden_layers=2, num_attention_heads=2,
        intermediate_size=37, max_position_embeddings=64, num_labels=len(LABELS),
        id2label=dict(enumerate(LABELS)), label2id={k: i for i, k in enumerate(LABELS)},
    )  # fmt: skip
    model = BertForTokenClassification(config)
    with torch.no_grad():
        emb = model.bert.embeddings
        emb.word_embeddings.weight.zero_()
        for i, piece in enumerate(vocab):
            emb.word_embeddings.weight[i, LABELS.index(WORD_LABELS.get(piece, "O"))] = 1.0
        emb.position_embeddings.weight.zero_()
        for p in BLIND_POSITIONS:
            emb.position_embeddings.weight[p, 0] = 3.0
        emb.token_type_embeddings.weight.zero_()
        for layer in model.bert.encoder.layer:
            for dense in (layer.attention.output.dense, layer.output.dense):
                dense.weight.zero_()
                dense.bias.zero_()
        model.classifier.weight.zero_()
        model.classifier.bias.zero_()
        for k in range(len(LABELS)):
            model.classifier.weight[k, k] = 2.0
    model.save_pretrained(out / "model")
    tokenizer.save_pretrained(out / "model")
    return out / "model"


@pytest.fixture(autouse=True)
def _offline(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")


@pytest.fixture(scope="module")
def blank() -> spacy.language.Language:
    return spacy.blank("id")  # built once: the Indonesian tokenizer takes seconds to build


@pytest.fixture
def ner(blank, model_dir: Path):
    """Make a suar_hf_ner component from a config; calling it on text gives a Doc."""

    def make(**config):
        name = f"hf_ner_{len(blank.pipe_names)}"
        comp = blank.add_pipe("suar_hf_ner", name=name, config={"model": str(model_dir), **config})

        class Run:
            component = comp

            def __call__(self, text: str):
                return comp(blank.make_doc(text))

            def pipe(self, texts, batch_size: int):
                return comp.pipe((blank.make_doc(t) for t in texts), batch_size=batch_size)

        return Run()

    return make


def _ents(doc) -> list[tuple[str, str, int, int]]:
    return [(e.text, e.label_, e.start_char, e.end_char) for e in doc.ents]


def _at(text: str, word: str, label: str) -> tuple[str, str, int, int]:
    start = text.index(word)
    return (word, label, start, start + len(word))


def test_short_text_exact_offsets(ner) -> None:
    text = "Menurut warga kota, Budi Santoso dari Bawaslu hadir di Balikpapan kemarin."
    doc = ner()(text)
    assert _ents(doc) == [
        _at(text, "Budi Santoso", "PER"),
        _at(text, "Bawaslu", "ORG"),
        _at(text, "Balikpapan", "LOC"),
    ]


def test_word_pieces_make_one_entity(ner) -> None:
    text = "Warga kota itu tiba di Samarinda, lalu ke Bontang."
    nlp = ner()
    pieces = nlp.component.classifier.tokenizer.tokenize("Samarinda")
    assert pieces == ["sama", "##rin", "##da"]  # the test really splits the word
    assert _ents(nlp(text)) == [_at(text, "Samarinda", "LOC")]
    # averaging the pieces' probabilities: 'Bontang' is LOC by two pieces out of three
    doc = ner(aggregation="average")(text)
    assert _ents(doc) == [_at(text, "Samarinda", "LOC"), _at(text, "Bontang", "LOC")]


def _long_text(placed: dict[int, str], n_pieces: int) -> tuple[str, list[tuple]]:
    """Filler words (one [UNK] piece each) with entity words starting at given piece indices."""
    fillers = ["hujan", "turun", "sejak", "sore", "jalan", "raya", "tampak", "lengang"]
    words, expected, piece, pos = [], [], 0, 0
    while piece < n_pieces:
        if piece in placed:
            name, label, size = placed[piece]
            expected.append((name, label, pos, pos + len(name)))
            words.append(name)
            piece += size
        else:
            words.append(fillers[piece % len(fillers)])
            piece += 1
        pos += len(words[-1]) + 1
    return " ".join(words), expected


# content windows of 30 pieces (32 minus [CLS]/[SEP]) every 22: [0,30) [22,52) [44,74) ...
PLACED = {
    10: ("Bawaslu", "ORG", 1),
    23: ("Rahmat Hidayat", "PER", 2),  # blind in window 2, seen in window 1
    25: ("Budi Santoso", "PER", 2),  # straddles the middle of the overlap 22-29
    28: ("Balikpapan", "LOC", 1),  # blind in window 1, seen in window 2
    29: ("Budi Santoso", "PER", 2),  # crosses the end of window 1
    46: ("Samarinda", "LOC", 3),  # three pieces across the middle of overlap 44-51
    51: ("Bawaslu", "ORG", 1),
    70: ("Rahmat", "PER", 1),
}


def test_long_text_windows_find_boundary_entities_once(ner) -> None:
    text, expected = _long_text(PLACED, 90)
    nlp = ner(max_length=32, stride=8)
    clf = nlp.component.classifier
    assert len(clf.tokenizer.tokenize(text)) == 90
    assert clf.windows(90)[:3] == [(0, 30), (22, 52), (44, 74)]
    assert _ents(nlp(text)) == expected
    # the same through the component's pipe(), batched with other texts
    short = "Warga kota kemarin melihat Budi Santoso."
    docs = list(nlp.pipe([short, text, short], batch_size=3))
    assert _ents(docs[1]) == expected
    assert _ents(docs[0]) == _ents(docs[2]) == [_at(short, "Budi Santoso", "PER")]


def test_overlap_is_needed_with_an_edge_blind_model(ner) -> None:
    # Without overlap, pieces at a cut are read only at the blind edge: the test model really
    # depends on the overlap choice, so the windowing test above can fail.
    text, expected = _long_text({29: ("Budi Santoso", "PER", 2)}, 60)
    assert _ents(ner(max_length=32, stride=0)(text)) != expected
    assert _ents(ner(max_length=32, stride=8)(text)) == expected


def test_label_map_drops_and_renames(ner) -> None:
    text = "Menurut warga kota, Bawaslu memantau Piala Dunia di Balikpapan."
    assert [e.label_ for e in ner()(text).ents] == ["ORG", "LOC"]  # MISC dropped
    doc = ner(label_map={"MISC": "ORG", "ORG": ""})(text)
    assert _ents(doc) == [_at(text, "Piala Dunia", "ORG"), _at(text, "Balikpapan", "LOC")]


def test_replaces_existing_entities(ner, blank) -> None:
    doc = blank.make_doc("Menurut warga kota, Budi Santoso hadir.")
    doc.ents = [doc.char_span(0, 7, label="ORG")]
    doc = ner().component(doc)
    assert [(e.text, e.label_) for e in doc.ents] == [("Budi Santoso", "PER")]


def test_pipeline_runs_later_components(model_dir: Path) -> None:
    from nlp.text import make_base_nlp

    nlp = add_hf_entity_pipes(make_base_nlp(), model_dir)
    assert nlp.pipe_names == ["suar_sentences", "suar_hf_ner", "suar_entity_rules", "suar_actors"]
    doc = nlp("Menurut warga kota, Bawaslu memeriksa Budi Santoso di Balikpapan.")
    ents = {e.text: e for e in doc.ents}
    assert ents["Budi Santoso"].label_ == "PER"
    assert ents["Balikpapan"].label_ == "LOC"
    assert ents["Bawaslu"].label_ == "ORG"
    assert ents["Bawaslu"]._.actor_class == "election_body"  # set by suar_actors


def test_decode_schemes_and_labels() -> None:
    assert split_tag("B-PERSON") == ("B", "PERSON")
    assert split_tag("I_PLC") == ("I", "PLC")
    assert split_tag("PER-E") == ("E", "PER")
    assert split_tag("LOC") == ("I", "LOC")  # IO scheme
    assert split_tag("O") == ("O", "")
    io = [("I", "PER"), ("I", "PER"), ("O", ""), ("I", "LOC")]
    assert [d[:3] for d in decode_words(io)] == [(0, 2, "PER"), (3, 4, "LOC")]
    bio = [("B", "PER"), ("B", "PER"), ("I", "PER"), ("I", "ORG")]
    assert [d[:3] for d in decode_words(bio)] == [(0, 1, "PER"), (1, 3, "PER"), (3, 4, "ORG")]
    bioes = [("B", "LOC"), ("E", "LOC"), ("S", "LOC"), ("I", "LOC")]
    assert [d[:3] for d in decode_words(bioes)] == [(0, 2, "LOC"), (2, 3, "LOC"), (3, 4, "LOC")]
    mapping = build_label_map({"misc": "org", "GPE": None})
    assert mapping["PPL"] == "PER" and mapping["MISC"] == "ORG" and "GPE" not in mapping


def test_bad_config_is_refused(model_dir: Path) -> None:
    with pytest.raises(ValueError, match="stride"):
        HFTokenClassifier(str(model_dir), max_length=16, stride=-1)
    assert HFTokenClassifier(str(model_dir), max_length=16, stride=64).stride == 7  # capped
    with pytest.raises(ValueError, match="model"):
        HFTokenClassifier("")


def test_suar_imports_without_torch() -> None:
    # torch/transformers are imported only when the component is built
    code = "import sys, nlp.hf_ner; print('transformers' in sys.modules)"
    root = Path(__file__).resolve().parent.parent
    out = subprocess.run([sys.executable, "-c", code], cwd=root, capture_output=True, text=True)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "False"
