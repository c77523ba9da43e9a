"""Train and evaluate Suar's statistical Indonesian NER (PER / ORG / LOC).

Four public corpora live under ``<shared>/data/ner`` in three different formats. This module
reads each into one shape (:class:`Sentence`: tokens + harmonised BIO tags), removes every
training sentence that also occurs in a dev/valid or test split of any corpus we report on
(the corpora overlap heavily, so without this the test scores would be meaningless), writes
spaCy ``DocBin`` files and runs ``spacy train`` with the committed ``models/ner/config.cfg``.

Command line (the ``suar models train ner`` command wraps this)::

    python -m nlp.ner_train train --shared ../shared [--out models/ner]
    python -m nlp.ner_train eval  --shared ../shared [--model models/ner/model]
"""

from __future__ import annotations

import argparse
import json
import random
import re
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import spacy
from spacy.tokens import Doc, DocBin
from spacy.vocab import Vocab

REPO_ROOT = Path(__file__).resolve().parent.parent
DEFAULT_SHARED = REPO_ROOT.parent / "shared"
DEFAULT_OUT = REPO_ROOT / "models" / "ner"
LABELS = ("PER", "ORG", "LOC")

# Harmonisation to Suar's three labels (from data/ner/README.md); anything else becomes O.
LABEL_MAP = {
    "PERSON": "PER",
    "PPL": "PER",
    "PER": "PER",
    "PLACE": "LOC",
    "PLC": "LOC",
    "LOCATION": "LOC",
    "LOC": "LOC",
    "ORGANISATION": "ORG",
    "ORGANIZATION": "ORG",
    "IND": "ORG",
    "ORG": "ORG",
}

# corpus name -> split name -> file inside the corpus folder
CORPORA: dict[str, dict[str, str]] = {
    "nergrit": {
        "train": "train_preprocess.txt",
        "dev": "valid_preprocess.txt",
        "test": "test_preprocess.txt",
    },
    "nerp": {
        "train": "train_preprocess.txt",
        "dev": "valid_preprocess.txt",
        "test": "test_preprocess.txt",
    },
    "idner-news-2k": {"train": "train.txt", "dev": "dev.txt", "test": "test.txt"},
    "yusufsyaifudin": {"train": "data_train.txt", "test": "data_test.txt"},
}


@dataclass
class Sentence:
    """One annotated sentence: tokens, whether each is followed by a space, harmonised BIO."""

    tokens: list[str]
    tags: list[str]
    spaces: list[bool] = field(default_factory=list)
    corpus: str = ""
    # tokens inside any entity of the corpus's own label set (incl. EVT/FNB that map to O)
    named: list[bool] = field(default_factory=list)

    def __post_init__(self) -> None:
        if not self.spaces:
            self.spaces = [True] * len(self.tokens)
        if len(self.tags) != len(self.tokens) or len(self.spaces) != len(self.tokens):
            raise ValueError("tokens, tags and spaces must have the same length")

    @property
    def text(self) -> str:
        return "".join(
            t + (" " if s else "") for t, s in zip(self.tokens, self.spaces, strict=True)
        )

    def to_doc(self, vocab: Vocab, with_ents: bool = True) -> Doc:
        ents = self.tags if with_ents else None
        return Doc(vocab, words=self.tokens, spaces=self.spaces, ents=ents)


def harmonise_tag(tag: str) -> str:
    """Map a corpus BIO tag (e.g. ``B-PLACE``) to Suar's (``B-LOC``) or ``O``."""
    if tag == "O" or "-" not in tag:
        return "O"
    prefix, _, label = tag.partition("-")
    mapped = LABEL_MAP.get(label.upper())
    if mapped is None or prefix not in ("B", "I"):
        return "O"
    return f"{prefix}-{mapped}"


def _repair_bio(tags: list[str]) -> list[str]:
    """Turn an I- tag that does not continue an entity of the same label into B- (spaCy needs it)."""
    out: list[str] = []
    prev = "O"
    for tag in tags:
        if tag.startswith("I-") and prev[2:] != tag[2:]:
            tag = "B-" + tag[2:]
        out.append(tag)
        prev = tag
    return out


def read_columns(
    lines: Iterable[str], corpus: str = "", sep: str | None = "\t"
) -> Iterator[Sentence]:
    """Read CoNLL-style 'token<sep>...<sep>label' lines with blank lines between sentences.

    The label is always the last column, so this reads both NERGrit/NER-Prosa (token<TAB>label)
    and idner-news-2k (token POS label, space separated, CRLF line ends).
    """
    tokens: list[str] = []
    tags: list[str] = []
    named: list[bool] = []
    for raw in lines:
        line = raw.rstrip("\r\n")
        if not line.strip():
            if tokens:
                yield Sentence(tokens, _repair_bio(tags), corpus=corpus, named=named)
                tokens, tags, named = [], [], []
            continue
        parts = line.split(sep) if sep else line.split()
        if len(parts) < 2:
            parts = line.split()  # tolerate a stray separator mix
        if len(parts) < 2 or not parts[0].strip():
            continue
        tokens.append(parts[0].strip())
        tags.append(harmonise_tag(parts[-1].strip()))
        named.append(parts[-1].strip() != "O")
    if tokens:
        yield Sentence(tokens, _repair_bio(tags), corpus=corpus, named=named)


_INLINE_TAG = re.compile(r"<(/?)([A-Z]+)>")


def parse_inline(line: str) -> tuple[str, list[tuple[int, int, str]]]:
    """Parse one yusufsyaifudin line with inline ``<PERSON>..</PERSON>`` tags.

    Returns the plain text and harmonised (start, end, label) character spans; TIME and
    QUANTITY spans are dropped. Unbalanced tags are ignored rather than guessed at.
    """
    text_parts: list[str] = []
    spans: list[tuple[int, int, str]] = []
    pos = 0
    length = 0
    open_tag: tuple[str, int] | None = None
    for m in _INLINE_TAG.finditer(line):
        chunk = line[pos : m.start()]
        text_parts.append(chunk)
        length += len(chunk)
        pos = m.end()
        closing, name = m.group(1) == "/", m.group(2)
        if not closing:
            open_tag = (name, length)
        elif open_tag and open_tag[0] == name:
            label = LABEL_MAP.get(name)
            if label:
                spans.append((open_tag[1], length, label))
            open_tag = None
    text_parts.append(line[pos:])
    return "".join(text_parts), spans


def read_inline(lines: Iterable[str], nlp: spacy.Language, corpus: str = "") -> Iterator[Sentence]:
    """Read inline-tagged sentences, tokenising them with ``nlp``'s tokenizer."""
    for raw in lines:
        line = raw.strip()
        if not line:
            continue
        text, spans = parse_inline(line)
        doc = nlp.make_doc(text)
        ents = []
        for start, end, label in spans:
            # strip whitespace a tag may enclose
            while start < end and text[start].isspace():
                start += 1
            while end > start and text[end - 1].isspace():
                end -= 1
            span = doc.char_span(start, end, label=label, alignment_mode="expand")
            if span is not None:
                ents.append(span)
        doc.set_ents(spacy.util.filter_spans(ents))
        tags = ["O" if t.ent_iob_ == "O" else f"{t.ent_iob_}-{t.ent_type_}" for t in doc]
        yield Sentence(
            [t.text for t in doc], tags, [bool(t.whitespace_) for t in doc], corpus=corpus
        )


def read_split(
    shared_dir: Path, corpus: str, split: str, nlp: spacy.Language | None = None
) -> list[Sentence]:
    """Read one split of one corpus; returns [] when the split does not exist."""
    name = CORPORA[corpus].get(split)
    if name is None:
        return []
    path = Path(shared_dir) / "data" / "ner" / corpus / name
    with path.open(encoding="utf-8", newline="") as fh:
        lines = fh.read().splitlines()
    if corpus == "yusufsyaifudin":
        return list(read_inline(lines, nlp or spacy.blank("id"), corpus=corpus))
    sep = None if corpus == "idner-news-2k" else "\t"
    return list(read_columns(lines, corpus=corpus, sep=sep))


_LOWER_IN_NAMES = {"dan", "di", "bin", "binti", "van", "de", "der", "of", "the", "&"}


def recase(sent: Sentence) -> Sentence:
    """Approximate the original casing of a lower-cased sentence (NER-Prosa).

    Words inside any annotated name get a capital (short or vowel-less words, usually
    acronyms like 'dprd', 'tni', become upper-case) and so does the first word. A trick to let
    the lower-cased corpus teach a model that reads cased news, without inventing labels.
    """
    out = []
    for k, (tok, named) in enumerate(zip(sent.tokens, sent.named or [False] * len(sent.tokens),
                                         strict=True)):  # fmt: skip
        if named and tok.isalpha() and tok not in _LOWER_IN_NAMES:
            vowel_less = not any(c in "aiueo" for c in tok)
            tok = tok.upper() if (len(tok) <= 3 or vowel_less) else tok.capitalize()
        elif k == 0 and tok[:1].isalpha():
            tok = tok.capitalize()
        out.append(tok)
    return Sentence(out, list(sent.tags), list(sent.spaces), sent.corpus, list(sent.named))


def sentence_key(text_or_tokens: str | list[str]) -> str:
    """Leak key: lower-cased letters and digits only.

    Stricter than 'case-insensitive after whitespace normalisation' on purpose: the corpora
    tokenise differently (``Sudjito ,`` vs ``Sudjito,``) and use different quote marks, and a
    key that ignores those still catches the same sentence.
    """
    text = "".join(text_or_tokens) if isinstance(text_or_tokens, list) else text_or_tokens
    return "".join(ch for ch in text.lower() if ch.isalnum())


def deleak(
    train: list[Sentence], held_out: Iterable[Sentence]
) -> tuple[list[Sentence], dict[str, int]]:
    """Drop every training sentence whose key matches a held-out (dev/test) sentence.

    Also drops exact duplicates inside the training data. Returns kept sentences and the
    number dropped per corpus (``<corpus>`` for leaks, ``<corpus>:dup`` for duplicates).
    """
    banned = {sentence_key(s.tokens) for s in held_out}
    banned.discard("")
    kept: list[Sentence] = []
    seen: set[str] = set()
    dropped: dict[str, int] = {}
    for sent in train:
        key = sentence_key(sent.tokens)
        if key in banned:
            dropped[sent.corpus] = dropped.get(sent.corpus, 0) + 1
        elif key in seen:
            dropped[sent.corpus + ":dup"] = dropped.get(sent.corpus + ":dup", 0) + 1
        else:
            seen.add(key)
            kept.append(sent)
    return kept, dropped


# --------------------------------------------------------------------------- data assembly


@dataclass
class TrainingRecipe:
    """Which corpora go into training and how. Defaults are the committed model's recipe."""

    # order matters: a sentence found in two training corpora is kept from the earlier one,
    # so the cased corpora come before lower-cased NER-Prosa
    train_corpora: tuple[str, ...] = ("idner-news-2k", "nergrit", "nerp")
    report_corpora: tuple[str, ...] = ("nergrit", "nerp", "idner-news-2k", "yusufsyaifudin")
    oversample: dict[str, int] = field(default_factory=lambda: {"nergrit": 2})
    # corpora whose dev split feeds early stopping (NER-Prosa's dev is lower-cased and large)
    dev_corpora: tuple[str, ...] = ("nergrit", "idner-news-2k")
    # share of the lower-cased corpus's sentences given approximate casing (see recase())
    recase: dict[str, float] = field(default_factory=dict)  # tried {"nerp": 0.5}: no gain
    seed: int = 13


def build_training_data(
    shared_dir: Path, recipe: TrainingRecipe | None = None
) -> tuple[list[Sentence], list[Sentence], dict]:
    """Read, harmonise and de-leak; return (train, dev, stats). Train is oversampled+shuffled."""
    recipe = recipe or TrainingRecipe()
    tok = spacy.blank("id")
    held_out: list[Sentence] = []
    dev: list[Sentence] = []
    for corpus in set(recipe.report_corpora) | set(recipe.train_corpora):
        for split in ("dev", "test"):
            sents = read_split(shared_dir, corpus, split, tok)
            held_out.extend(sents)
            if split == "dev" and corpus in recipe.dev_corpora:
                dev.extend(sents)
    raw_train: list[Sentence] = []
    read_counts: dict[str, int] = {}
    for corpus in recipe.train_corpora:
        sents = read_split(shared_dir, corpus, "train", tok)
        read_counts[corpus] = len(sents)
        raw_train.extend(sents)
    kept, dropped = deleak(raw_train, held_out)
    kept_counts = {c: sum(1 for s in kept if s.corpus == c) for c in recipe.train_corpora}
    rng = random.Random(recipe.seed)
    train: list[Sentence] = []
    recased = 0
    for sent in kept:
        if rng.random() < recipe.recase.get(sent.corpus, 0.0):
            sent = recase(sent)
            recased += 1
        train.extend([sent] * recipe.oversample.get(sent.corpus, 1))
    rng.shuffle(train)
    stats = {
        "train_read": read_counts,
        "train_dropped": dropped,
        "train_kept": kept_counts,
        "train_after_oversampling": len(train),
        "oversample": recipe.oversample,
        "recased": recased,
        "dev_sentences": len(dev),
        "dev_corpora": list(recipe.dev_corpora),
        "held_out_sentences": len(held_out),
    }
    return train, dev, stats


def _write_docbin(sents: list[Sentence], path: Path) -> None:
    vocab = spacy.blank("id").vocab
    db = DocBin(store_user_data=False)
    for s in sents:
        db.add(s.to_doc(vocab))
    db.to_disk(path)


def train_ner(
    shared_dir: Path,
    out_dir: Path = DEFAULT_OUT,
    recipe: TrainingRecipe | None = None,
    config: Path | None = None,
    overrides: dict[str, object] | None = None,
    nice: int = 10,
) -> Path:
    """Build de-leaked training data and run ``spacy train``; returns the model directory.

    The best checkpoint (by dev F1) is copied to ``out_dir/model`` (without its training
    state) and the data statistics to ``out_dir/training_data.json``.
    """
    out_dir = Path(out_dir)
    config = config or out_dir / "config.cfg"
    train, dev, stats = build_training_data(shared_dir, recipe)
    with tempfile.TemporaryDirectory(prefix="suar-ner-") as tmp:
        tmp_path = Path(tmp)
        _write_docbin(train, tmp_path / "train.spacy")
        _write_docbin(dev, tmp_path / "dev.spacy")
        cmd = [
            "nice", "-n", str(nice), sys.executable, "-m", "spacy", "train", str(config),
            "--output", str(tmp_path / "out"),
            "--paths.train", str(tmp_path / "train.spacy"),
            "--paths.dev", str(tmp_path / "dev.spacy"),
        ]  # fmt: skip
        for key, value in (overrides or {}).items():
            cmd += [f"--{key}", str(value)]
        started = time.time()
        subprocess.run(cmd, check=True)
        stats["training_seconds"] = round(time.time() - started)
        model_dir = out_dir / "model"
        if model_dir.exists():
            shutil.rmtree(model_dir)
        shutil.copytree(tmp_path / "out" / "model-best", model_dir)
    (out_dir / "training_data.json").write_text(json.dumps(stats, indent=2) + "\n")
    return model_dir


# --------------------------------------------------------------------------- evaluation


def _spans(tags: list[str]) -> set[tuple[int, int, str]]:
    spans: set[tuple[int, int, str]] = set()
    start, label = -1, ""
    for i, tag in enumerate([*tags, "O"]):
        if start >= 0 and (tag == "O" or tag.startswith("B-") or tag[2:] != label):
            spans.add((start, i, label))
            start = -1
        if tag.startswith("B-") or (tag.startswith("I-") and start < 0):
            start, label = i, tag[2:]
    return spans


def strict_scores(gold: list[list[str]], pred: list[list[str]]) -> dict:
    """Strict span P/R/F1 (exact boundaries and label) per label and micro-averaged."""
    return score_spans([_spans(g) for g in gold], [_spans(p) for p in pred])


def predict_tags(
    nlp: spacy.Language, sents: list[Sentence], batch_size: int = 256
) -> list[list[str]]:
    """Run the model on the gold tokenisation and return BIO tags."""
    docs = (s.to_doc(nlp.vocab, with_ents=False) for s in sents)
    out = []
    for doc in nlp.pipe(docs, batch_size=batch_size):
        out.append(["O" if t.ent_iob_ == "O" else f"{t.ent_iob_}-{t.ent_type_}" for t in doc])
    return out


def evaluate_ner(
    model_path: Path | str | spacy.Language = DEFAULT_OUT / "model",
    shared_dir: Path = DEFAULT_SHARED,
    corpora: Iterable[str] = tuple(CORPORA),
) -> dict:
    """Strict-span scores on each corpus's test split (NER-Prosa is lower-cased text)."""
    nlp = model_path if isinstance(model_path, spacy.Language) else spacy.load(model_path)
    results: dict = {}
    for corpus in corpora:
        sents = read_split(shared_dir, corpus, "test", spacy.blank("id"))
        with nlp.select_pipes(
            enable=["tok2vec", "ner"] if "tok2vec" in nlp.pipe_names else ["ner"]
        ):
            pred = predict_tags(nlp, sents)
        scores = strict_scores([s.tags for s in sents], pred)
        scores["sentences"] = len(sents)
        results[corpus] = scores
    return results


# corpora scored through the whole pipeline (`suar eval`): the two with targets
PIPELINE_CORPORA = ("idner-news-2k", "nergrit")


def _char_spans(sent: Sentence, offset: int = 0) -> set[tuple[int, int, str]]:
    """Gold spans of a sentence as (start_char, end_char, label) in ``sent.text``."""
    starts, pos = [], offset
    for tok, sp in zip(sent.tokens, sent.spaces, strict=True):
        starts.append(pos)
        pos += len(tok) + (1 if sp else 0)
    return {
        (starts[a], starts[b - 1] + len(sent.tokens[b - 1]), lab) for a, b, lab in _spans(sent.tags)
    }


def pipeline_spans(result: dict, text: str) -> set[tuple[int, int, str]]:
    """What the pipeline reports as PER/ORG/LOC in one annotate result over ``text``: its
    entities plus its region mentions as LOC. A region's LOC includes the word that names
    the unit right before it ('Kabupaten Sragen', 'desa Mopait': nlp/data/regions/cues.toml
    [prefix] admin), the way NER corpora and the model bound a place; a region mention
    inside an entity ('DPRD Kota Samarinda', 'SMAN 1 Kepahiang') is part of that name, not
    a separate place."""
    from nlp.regions import _cues

    admin = _cues().admin
    ents = {(e["start"], e["end"], e["label"]) for e in result["entities"]}
    named = [(s, e) for s, e, _ in ents]
    for r in result["regions"]:
        start = r["start"]
        m = _UNIT_WORD.search(text, 0, start)
        if m and m.group(1).lower() in admin:
            start = m.start()
        if not any(s <= r["start"] and r["end"] <= e for s, e in named):
            ents.add((start, r["end"], "LOC"))
    return ents


_UNIT_WORD = re.compile(r"(?<![\w.])(\w+)\.? ?$")


def annotate_sentences(nlp: spacy.Language, sents: list[Sentence]) -> list[dict]:
    """Each test sentence as an article body (empty title) through the annotate code path
    (nlp.annotate.doc_result); language detection is skipped, one sentence being too short
    to tell and not what is measured here."""
    from nlp.annotate import article_text, doc_result

    docs = []
    for s in sents:
        doc = nlp.make_doc(article_text("", s.text))
        doc.user_data["outlet_province"] = None
        docs.append(doc)
    return [doc_result(d, i) for i, d in enumerate(nlp.pipe(docs, batch_size=64))]


def score_spans(
    gold: list[set[tuple[int, int, str]]], pred: list[set[tuple[int, int, str]]]
) -> dict:
    """Strict P/R/F1 per label and micro over (start, end, label) spans, token or character."""
    counts = {lab: [0, 0, 0] for lab in LABELS}
    for g, p in zip(gold, pred, strict=True):
        for lab in LABELS:
            gl = {s for s in g if s[2] == lab}
            pl = {s for s in p if s[2] == lab}
            counts[lab][0] += len(gl & pl)
            counts[lab][1] += len(pl)
            counts[lab][2] += len(gl)

    def prf(tp: int, np_: int, ng: int) -> dict:
        p = tp / np_ if np_ else 0.0
        r = tp / ng if ng else 0.0
        f = 2 * p * r / (p + r) if p + r else 0.0
        return {"p": round(p, 4), "r": round(r, 4), "f": round(f, 4), "support": ng}

    out = {lab: prf(*c) for lab, c in counts.items()}
    out["micro"] = prf(*(sum(c[i] for c in counts.values()) for i in range(3)))
    return out


def evaluate_ner_pipeline(
    nlp: spacy.Language,
    shared_dir: Path = DEFAULT_SHARED,
    corpora: Iterable[str] = PIPELINE_CORPORA,
) -> dict:
    """Strict-span scores of the assembled pipeline (entities + region mentions as LOC) on
    the raw text of each test sentence, tokenised by the pipeline itself."""
    results: dict = {}
    for corpus in corpora:
        sents = read_split(shared_dir, corpus, "test", spacy.blank("id"))
        annotated = annotate_sentences(nlp, sents)
        pred = [pipeline_spans(r, "\n" + s.text) for r, s in zip(annotated, sents, strict=True)]
        scores = score_spans([_char_spans(s, 1) for s in sents], pred)
        scores["sentences"] = len(sents)
        results[corpus] = scores
    return results


def eval_markdown(results: dict, notes: str = "") -> str:
    """Render evaluation results as a Markdown table."""
    lines = [
        "# NER evaluation (strict span match, test splits)",
        "",
        "| corpus | sentences | PER F1 | ORG F1 | LOC F1 | micro P | micro R | micro F1 |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for corpus, r in results.items():
        m = r["micro"]
        lines.append(
            f"| {corpus} | {r['sentences']} | {r['PER']['f']:.3f} | {r['ORG']['f']:.3f} | "
            f"{r['LOC']['f']:.3f} | {m['p']:.3f} | {m['r']:.3f} | {m['f']:.3f} |"
        )
    if notes:
        lines += ["", notes]
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m nlp.ner_train", description=__doc__)
    parser.add_argument("command", choices=["train", "eval", "stats"])
    parser.add_argument("--shared", type=Path, default=DEFAULT_SHARED)
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT)
    parser.add_argument("--model", type=Path, default=None)
    parser.add_argument("--max-steps", type=int, default=None)
    args = parser.parse_args(argv)
    if args.command == "stats":
        _, _, stats = build_training_data(args.shared)
        print(json.dumps(stats, indent=2))
        return 0
    if args.command == "train":
        overrides = {"training.max_steps": args.max_steps} if args.max_steps else None
        model = train_ner(args.shared, args.out, overrides=overrides)
        print(f"model written to {model}")
    model = args.model or args.out / "model"
    results = evaluate_ner(model, args.shared)
    (args.out / "eval.json").write_text(json.dumps(results, indent=2) + "\n")
    (args.out / "eval.md").write_text(eval_markdown(results))
    print(eval_markdown(results))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
