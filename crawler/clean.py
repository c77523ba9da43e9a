"""The one shared cleaning pass turning an article-body HTML fragment into paragraphs.

Both extraction paths (outlet selectors and the generic trafilatura path) end here, so a
boilerplate rule added once (crawler/data/boilerplate.toml) helps every outlet. Footer
lines (Penulis/Editor/Tag) end the body but are returned separately by `split_footer`
because author, editor and tags are read from them.
"""

from __future__ import annotations

import re
import tomllib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from bs4 import BeautifulSoup, Comment, NavigableString, Tag

_DATA = Path(__file__).with_name("data") / "boilerplate.toml"
_BLOCKS = frozenset(
    [
        "p",
        "div",
        "li",
        "ul",
        "ol",
        "h1",
        "h2",
        "h3",
        "h4",
        "h5",
        "h6",
        "blockquote",
        "section",
        "article",
        "table",
        "tr",
        "td",
        "th",
        "dl",
        "dt",
        "dd",
        "pre",
        "header",
        "footer",
        "main",
        "center",
        "address",
        "hr",
        "body",
        "html",
    ]
)
_BR_MARK = "\x00"


@dataclass(frozen=True)
class Rules:
    """Compiled boilerplate rules from crawler/data/boilerplate.toml."""

    drop_tags: tuple[str, ...]
    furniture: re.Pattern[str]
    keep: frozenset[str]
    lines: tuple[re.Pattern[str], ...]
    footer: tuple[re.Pattern[str], ...]
    author: tuple[re.Pattern[str], ...]
    editor: tuple[re.Pattern[str], ...]
    tags: tuple[re.Pattern[str], ...]


@lru_cache(maxsize=1)
def rules() -> Rules:
    """Load the shared boilerplate rules once per process."""
    d = tomllib.loads(_DATA.read_text(encoding="utf-8"))

    def alt(key: str) -> str:
        return "|".join(re.escape(w) for w in sorted(d[key], key=len, reverse=True))

    words, prefixes = alt("furniture_words"), alt("furniture_prefixes")

    def comp(key: str) -> tuple[re.Pattern[str], ...]:
        return tuple(re.compile(p, re.I) for p in d[key])

    return Rules(
        drop_tags=tuple(d["drop_tags"]),
        furniture=re.compile(rf"(?:^|[-_\s])(?:(?:{words})(?:$|[-_\s\d])|(?:{prefixes}))", re.I),
        keep=frozenset(d["furniture_keep"]),
        lines=comp("line_patterns"),
        footer=comp("footer_patterns"),
        author=comp("author_patterns"),
        editor=comp("editor_patterns"),
        tags=comp("tags_patterns"),
    )


def normalise_space(text: str) -> str:
    """Collapse all whitespace (including NBSP and zero-width marks) to single spaces."""
    text = text.replace("\u200b", "").replace("\ufeff", "").replace("\u00ad", "")
    return " ".join(text.split())


def _is_furniture(tag: Tag, r: Rules) -> bool:
    attrs = getattr(tag, "attrs", None)
    if not attrs or tag.name in ("html", "body"):
        return False
    parent = tag.parent
    if parent is None or parent.name in ("html", "[document]"):
        return False
    if parent.name == "body" and len(parent.find_all(True, recursive=False)) == 1:
        return False  # the fragment's own root is the body the caller chose
    classes = attrs.get("class") or []
    if isinstance(classes, str):
        classes = classes.split()
    names = [*classes, attrs.get("id") or ""]
    if any(n.lower() in r.keep for n in names if n):
        return False
    return any(n and r.furniture.search(n) for n in names)


def _strip_furniture(soup: BeautifulSoup, drop: Sequence[str], r: Rules) -> None:
    for comment in soup.find_all(string=lambda s: isinstance(s, Comment)):
        comment.extract()
    for name in r.drop_tags:
        for tag in soup.find_all(name):
            tag.decompose()
    for css in drop:
        try:
            found = soup.select(css)
        except Exception:  # a bad selector in one outlet must not kill the crawl
            continue
        for tag in found:
            tag.decompose()
    for tag in list(soup.find_all(True)):
        if getattr(tag, "decomposed", False):
            continue
        if _is_furniture(tag, r):
            tag.decompose()


class _Collector:
    """Walks the tree, emitting one text block per block-level element (br marks kept)."""

    def __init__(self) -> None:
        self.blocks: list[tuple[str, int]] = []  # (text, link chars)
        self._buf: list[str] = []
        self._link = 0

    def flush(self) -> None:
        text = "".join(self._buf)
        if text.strip(" \t\r\n" + _BR_MARK):
            self.blocks.append((text, self._link))
        self._buf, self._link = [], 0

    def walk(self, node: Tag, in_link: bool = False) -> None:
        for child in node.children:
            if isinstance(child, NavigableString):
                if isinstance(child, Comment):
                    continue
                s = str(child)
                self._buf.append(s)
                if in_link:
                    self._link += len(s.strip())
            elif isinstance(child, Tag):
                if child.name == "br":
                    self._buf.append(_BR_MARK)
                elif child.name in _BLOCKS:
                    self.flush()
                    self.walk(child, in_link)
                    self.flush()
                else:
                    self.walk(child, in_link or child.name == "a")


def _is_boilerplate(text: str, r: Rules) -> bool:
    return any(p.search(text) for p in r.lines)


def _split_block(text: str, r: Rules, footer: Sequence[re.Pattern[str]]) -> list[str]:
    """Split one block on <br><br>; single <br> lines that are footer/boilerplate stand alone."""
    out: list[str] = []
    for chunk in re.split(rf"{_BR_MARK}\s*{_BR_MARK}+", text):
        lines = [normalise_space(x) for x in chunk.split(_BR_MARK)]
        lines = [x for x in lines if x]
        buf: list[str] = []
        for line in lines:
            special = _is_boilerplate(line, r) or any(p.search(line) for p in (*r.footer, *footer))
            if special:
                if buf:
                    out.append(" ".join(buf))
                    buf = []
                out.append(line)
            else:
                buf.append(line)
        if buf:
            out.append(" ".join(buf))
    return out


def clean_paragraphs(
    fragment_html: str, drop: Sequence[str] = (), footer: Sequence[re.Pattern[str]] = ()
) -> list[str]:
    """All clean paragraphs of a body fragment, footer lines still included (in place)."""
    r = rules()
    soup = BeautifulSoup(fragment_html or "", "lxml")
    _strip_furniture(soup, drop, r)
    col = _Collector()
    col.walk(soup)
    col.flush()
    paragraphs: list[str] = []
    for text, link_chars in col.blocks:
        flat = normalise_space(text.replace(_BR_MARK, " "))
        if not flat:
            continue
        # Blocks that are (almost) all link text are lists of other articles, not prose.
        if link_chars >= 0.7 * len(flat.replace(" ", "")) and not any(
            p.search(flat) for p in (*r.footer, *footer)
        ):
            continue
        for para in _split_block(text, r, footer):
            # Byline lines survive (author/editor are read from them); any other boilerplate
            # goes, even when an outlet lists it as a footer marker ('Baca juga' boxes also
            # appear mid-article, so they must not end the body).
            if _is_boilerplate(para, r) and not any(p.search(para) for p in r.footer):
                continue
            if not re.search(r"\w", para):
                continue
            paragraphs.append(para)
    return _dedupe(paragraphs)


def _dedupe(paragraphs: Iterable[str]) -> list[str]:
    """Drop exact repeats (pull quotes, mobile/desktop duplicates) keeping the first."""
    seen: set[str] = set()
    out = []
    for p in paragraphs:
        key = p.lower()
        if key in seen and len(p) > 30:
            continue
        seen.add(key)
        out.append(p)
    return out


def split_footer(
    paragraphs: Sequence[str], patterns: Sequence[re.Pattern[str]] = ()
) -> tuple[list[str], list[str]]:
    """Split paragraphs into (body, footer_lines).

    The body ends at the first footer line found after the opening paragraph; short
    byline-like lines elsewhere in the body move to the footer too, so bylines never stay
    in the stored text.
    """
    pats = (*rules().footer, *patterns)
    cut = len(paragraphs)
    for i, para in enumerate(paragraphs):
        if i >= 1 and any(p.search(para) for p in pats):
            cut = i
            break
    body, footer_lines = [], list(paragraphs[cut:])
    for i, para in enumerate(paragraphs[:cut]):
        if any(p.search(para) for p in pats) and (len(para.split()) <= 15 or i == 0):
            footer_lines.insert(0, para) if i == 0 else footer_lines.append(para)
        else:
            body.append(para)
    return body, footer_lines


def clean_body(
    fragment_html: str, drop: Sequence[str] = (), footer: Sequence[re.Pattern[str]] = ()
) -> list[str]:
    """Clean body paragraphs of a fragment, stopping at the footer (see `split_footer`)."""
    return split_footer(clean_paragraphs(fragment_html, drop, footer), footer)[0]
