"""Offline demo of the seven registry outlets, served over loopback HTTP.

Why: the quick start and the crawl tests need real HTTP (robots, sitemaps, feeds, listings,
retries, charsets) without touching the internet. Each outlet gets its own host
(127.0.0.N, free port) so host-based rules (off-site links, per-host politeness) behave as on
the real web. Page structure follows the selectors in crawler/outlets.toml; the content is
data (articles.toml), the per-outlet behaviour is data (site.toml), markup is Jinja2
templates. Pages are rendered per request from the in-memory state, so `modify_article` and
`add_article` are visible immediately on pages, feeds and sitemaps.
"""

from __future__ import annotations

import html
import json
import random
import re
import threading
import time
import tomllib
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta, timezone
from email.utils import format_datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit
from xml.sax.saxutils import escape as xml_escape

import jinja2
from markupsafe import Markup

HERE = Path(__file__).parent
ZONES = {7: "WIB", 8: "WITA", 9: "WIT"}


def _load_toml(name: str) -> dict[str, Any]:
    with open(HERE / name, "rb") as fh:
        return tomllib.load(fh)


def slugify(text: str) -> str:
    """URL slug in the style of the outlets (lowercase ascii, hyphens)."""
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")


@dataclass
class Article:
    """One demo article; `paragraphs` never include the dateline prefix."""

    outlet: str
    slug: str
    title: str
    published: datetime
    author: str
    paragraphs: list[str]
    modified: datetime | None = None
    editor: str | None = None
    tags: list[str] = field(default_factory=list)
    category: str = "Berita"
    dateline: str | None = None
    num: int = 0
    desk: str = "tanah-papua"

    @property
    def lastmod(self) -> datetime:
        return self.modified or self.published

    def path(self, structure: str, outlet: str, section: str = "news") -> str:
        """Canonical URL path, following each outlet's [urls].article pattern."""
        d = self.published
        if structure == "tribun":  # regional Tribun sites: /{section}/{id}/{slug}
            return f"/{section}/{self.num}/{self.slug}"
        if structure == "antara":
            return f"/berita/{self.num}/{self.slug}"
        if outlet == "jubi":
            return f"/{self.desk}/{d:%Y}/{self.slug}/"
        if outlet == "kalbaronline":
            return f"/{d:%Y/%m/%d}/{self.slug}/"
        return f"/{self.slug}/"


def article_from_record(rec: dict[str, Any], num: int) -> Article:
    """Build an Article from an articles.toml table (or a generate_site record)."""
    return Article(
        outlet=rec["outlet"],
        slug=rec["slug"],
        title=rec["title"],
        published=datetime.fromisoformat(rec["published"]),
        modified=datetime.fromisoformat(rec["modified"]) if rec.get("modified") else None,
        author=rec["author"],
        editor=rec.get("editor"),
        tags=list(rec.get("tags", [])),
        category=rec.get("category", "Berita"),
        dateline=rec.get("dateline"),
        paragraphs=list(rec["paragraphs"]),
        num=int(rec.get("id", num)),
        desk=rec.get("desk", "tanah-papua"),
    )


def load_articles(path: Path | None = None) -> list[dict[str, Any]]:
    """The hand-written demo articles as plain records."""
    with open(path or HERE / "articles.toml", "rb") as fh:
        return tomllib.load(fh)["article"]


def generate_site(n_articles: int, seed: int = 0) -> list[dict[str, Any]]:
    """Synthesise `n_articles` routine articles spread over the outlets (crawl benchmark).

    Deterministic for a given seed; dates spread over the 8 weeks before 2026-11-07.
    """
    vocab = _load_toml("vocab.toml")
    site = _load_toml("site.toml")
    outlets = list(site["outlets"])
    zones = {oid: _outlet_zone(oid) for oid in outlets}
    rng = random.Random(seed)
    t = vocab["text"]
    end = datetime(2026, 11, 7, tzinfo=UTC)
    records = []
    for i in range(n_articles):
        oid = outlets[i % len(outlets)]
        offset = {"WIB": 7, "WITA": 8, "WIT": 9}[zones[oid]]
        tz = timezone(timedelta(hours=offset))
        published = (end - timedelta(minutes=rng.randrange(8 * 7 * 24 * 60))).astimezone(tz)
        place = rng.choice(vocab["places"][oid])
        subject, verb, obj = (
            rng.choice(t["subjects"]),
            rng.choice(t["verbs"]),
            rng.choice(t["objects"]),
        )
        paragraphs = [
            f"{subject} {verb} {obj} di {place.title()} pada hari "
            f"{vocab['days'][published.weekday()]}. {rng.choice(t['details'])}"
        ]
        for _ in range(rng.randint(3, 6)):
            s2, v2, o2 = rng.choice(t["subjects"]), rng.choice(t["verbs"]), rng.choice(t["objects"])
            paragraphs.append(
                f"{s2} juga {v2} {o2} bersama warga setempat. "
                f"{rng.choice(t['details'])} {rng.choice(t['details'])}"
            )
        title = f"{subject} {verb.capitalize()} {obj.title()} di {place.title()}"
        records.append(
            {
                "outlet": oid,
                "slug": f"{slugify(title)}-{i}",
                "title": title,
                "published": published.isoformat(),
                "author": "Redaksi Demo",
                "editor": "Editor Demo",
                "tags": [obj, place.title()],
                "category": rng.choice(t["categories"]),
                "dateline": place,
                "paragraphs": paragraphs,
                "id": 500000 + i,
            }
        )
    return records


def _outlet_zone(outlet_id: str) -> str:
    registry = tomllib.loads((HERE.parent / "outlets.toml").read_text(encoding="utf-8"))
    for o in registry["outlet"]:
        if o["id"] == outlet_id:
            return o["timezone"]
    raise KeyError(outlet_id)


def _human(d: datetime) -> str:
    cal = _load_toml_cached("vocab.toml")
    zone = ZONES.get(int(d.utcoffset().total_seconds() // 3600), "")  # type: ignore[union-attr]
    return (
        f"{cal['days'][d.weekday()]}, {d.day} {cal['months'][d.month - 1]} {d.year} "
        f"{d:%H:%M} {zone}"
    )


_CACHE: dict[str, dict[str, Any]] = {}


def _load_toml_cached(name: str) -> dict[str, Any]:
    if name not in _CACHE:
        _CACHE[name] = _load_toml(name)
    return _CACHE[name]


class _Outlet:
    """Serving state of one outlet: config, articles sorted newest first, path index."""

    def __init__(self, oid: str, cfg: dict[str, Any], name: str, articles: list[Article]):
        self.id, self.cfg, self.name = oid, cfg, name
        self.structure: str = cfg["structure"]
        self.articles = articles
        self.base = ""
        self.reindex()

    def path_of(self, a: Article) -> str:
        return a.path(self.structure, self.id, self.cfg.get("section", "news"))

    def reindex(self) -> None:
        self.articles.sort(key=lambda a: a.published, reverse=True)
        self.by_path = {self.path_of(a): a for a in self.articles}
        self.by_slug = {a.slug: a for a in self.articles}


class DemoSite:
    """The demo web: one loopback HTTP server per outlet plus an off-site trap host.

    Use as a context manager or call start()/stop(). `request_log` records every request as
    (outlet_id, path_with_query, status); the trap host logs as outlet id "offsite".
    """

    def __init__(
        self,
        articles: list[dict[str, Any]] | None = None,
        *,
        breakage: bool = True,
        slow_seconds: float = 2.0,
        per_page: int | None = None,
        port: int = 0,
    ) -> None:
        self.site = _load_toml("site.toml")
        registry = tomllib.loads((HERE.parent / "outlets.toml").read_text(encoding="utf-8"))
        names = {o["id"]: o["name"] for o in registry["outlet"]}
        records = load_articles() if articles is None else articles
        self.breakage = breakage
        self.slow_seconds = slow_seconds
        self.per_page = per_page or self.site["per_page"]
        self.port = port
        self.request_log: list[tuple[str, str, int]] = []
        self.base_urls: dict[str, str] = {}
        self.offsite_url = ""
        self._lock = threading.RLock()
        self._flaky_done: set[str] = set()
        self._servers: list[tuple[ThreadingHTTPServer, threading.Thread]] = []
        self.outlets: dict[str, _Outlet] = {}
        for oid, cfg in self.site["outlets"].items():
            arts = [
                article_from_record(r, 400000 + i)
                for i, r in enumerate(records)
                if r["outlet"] == oid
            ]
            self.outlets[oid] = _Outlet(oid, cfg, names[oid], arts)
        self.env = jinja2.Environment(
            loader=jinja2.FileSystemLoader(HERE / "templates"),
            autoescape=True,
            undefined=jinja2.StrictUndefined,
        )
        self.env.filters["slug"] = slugify

    # ------------------------------------------------------------------ lifecycle
    def start(self) -> dict[str, str]:
        """Bind every outlet to its loopback address; returns outlet id -> base URL."""
        offsite = self._serve(self.site["offsite_address"], "offsite")
        self.offsite_url = offsite
        for oid, out in self.outlets.items():
            out.base = self._serve(out.cfg["address"], oid)
            self.base_urls[oid] = out.base
        return dict(self.base_urls)

    def _serve(self, address: str, oid: str) -> str:
        handler = type(f"Handler_{oid}", (_Handler,), {"demo": self, "outlet_id": oid})
        server = ThreadingHTTPServer((address, self.port), handler)
        server.daemon_threads = False  # server_close() joins request threads: no leaks
        thread = threading.Thread(target=server.serve_forever, name=f"demosite-{oid}", daemon=True)
        thread.start()
        self._servers.append((server, thread))
        return f"http://{address}:{server.server_address[1]}"

    def stop(self) -> None:
        """Shut every server down and join its threads."""
        for server, thread in self._servers:
            server.shutdown()
            server.server_close()
            thread.join(timeout=10)
        self._servers.clear()

    def __enter__(self) -> DemoSite:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # ------------------------------------------------------------------ mutation
    def modify_article(
        self,
        outlet_id: str,
        slug: str,
        *,
        paragraphs: list[str] | None = None,
        title: str | None = None,
    ) -> datetime:
        """Change an article in place; its modified time (and sitemap/feed dates) move forward."""
        with self._lock:
            out = self.outlets[outlet_id]
            a = out.by_slug[slug]
            if paragraphs is not None:
                a.paragraphs = list(paragraphs)
            if title is not None:
                a.title = title
            now = datetime.now(a.published.tzinfo).replace(microsecond=0)
            a.modified = max(now, a.lastmod + timedelta(minutes=1))
            return a.modified

    def add_article(
        self,
        outlet_id: str,
        slug: str,
        title: str,
        paragraphs: list[str],
        *,
        author: str = "Redaksi",
        editor: str | None = None,
        tags: list[str] | None = None,
        category: str = "Berita",
        dateline: str | None = None,
        published: datetime | None = None,
    ) -> str:
        """Publish a new article (newest, so it tops listings/feeds); returns its URL."""
        with self._lock:
            out = self.outlets[outlet_id]
            tz = out.articles[0].published.tzinfo if out.articles else UTC
            if published is None:
                now = datetime.now(tz).replace(microsecond=0)
                newest = out.articles[0].published if out.articles else now
                published = max(now, newest + timedelta(minutes=1))
            num = max((a.num for a in out.articles), default=400000) + 1
            a = Article(
                outlet_id,
                slug,
                title,
                published,
                author,
                list(paragraphs),
                None,
                editor,
                list(tags or []),
                category,
                dateline,
                num,
            )
            out.articles.append(a)
            out.reindex()
            return out.base + out.path_of(a)

    # ------------------------------------------------------------------ expectations
    def expected_articles(self) -> list[dict[str, Any]]:
        """What a correct crawler stores per article (canonical URL, metadata, paragraphs)."""
        result = []
        with self._lock:
            for oid, out in self.outlets.items():
                for a in out.articles:
                    path = out.path_of(a)
                    result.append(
                        {
                            "outlet": oid,
                            "url": out.base + path,
                            "path": path,
                            "title": a.title,
                            "published_at": a.published,
                            "modified_at": a.lastmod,  # JSON-LD dateModified falls back to published
                            "author": a.author,
                            "editor": a.editor if out.cfg.get("shows_editor") else None,
                            "tags": list(a.tags),
                            "category": a.category,
                            "dateline": a.dateline,
                            "paragraphs": list(a.paragraphs),
                        }
                    )
        return result

    def breakage_case(self, name: str) -> dict[str, Any]:
        """Where a breakage case lives: {outlet, path, url} (path resolved from slug)."""
        case = dict(self.site["breakage"][name])
        out = self.outlets[case["outlet"]]
        if "slug" in case:
            case["path"] = out.path_of(out.by_slug[case["slug"]])
        case["url"] = out.base + case["path"]
        return case

    # ------------------------------------------------------------------ rendering
    def _case(self, name: str, oid: str) -> dict[str, Any] | None:
        if not self.breakage:
            return None
        case = self.site["breakage"].get(name)
        return case if case and case["outlet"] == oid else None

    def _is_case(self, name: str, out: _Outlet, a: Article) -> bool:
        case = self._case(name, out.id)
        return bool(case and case.get("slug") == a.slug)

    def _site_ctx(self, out: _Outlet) -> dict[str, Any]:
        about = "/tentang-kami/" if out.id != "siwalima" else "/redaksi/"
        return {
            "name": out.name,
            "structure": out.structure,
            "body_class": out.cfg.get("body_class", ""),
            "about_path": about,
            "offsite": self.offsite_url.removeprefix("http://"),
            "menu": [
                {"href": f"/category/{slugify(c)}/", "label": c}
                for c in ("Politik", "Hukum", "Ekonomi", "Olahraga")
            ],
            "popular": [{"path": out.path_of(a), "title": a.title} for a in out.articles[:4]],
        }

    @staticmethod
    def page_split(out: _Outlet, a: Article) -> list[tuple[int, int]]:
        """Tribun splits long articles over ?page=N: paragraph ranges per page."""
        n = len(a.paragraphs)
        if out.structure != "tribun" or n < 5:
            return [(0, n)]
        half = (n + 1) // 2
        return [(0, half), (half, n)]

    def _body(self, out: _Outlet, a: Article, broken: bool, page: int = 1) -> list[Markup]:
        close = "" if broken else "</p>"
        parts: list[str] = []
        pages = self.page_split(out, a)
        start, end = pages[page - 1] if page else (0, len(a.paragraphs))
        if out.structure == "tribun" and page <= 1:
            points = "".join(
                f"<li>{html.escape(p.split('. ')[0][:140])}</li>" for p in a.paragraphs[:2]
            )
            parts.append(
                '<blockquote class="summary-article"><h4>Ringkasan Berita:</h4>'
                f"<ul>{points}</ul></blockquote>"
            )
        for i, text in enumerate(a.paragraphs):
            if not start <= i < end:
                continue
            esc = html.escape(text, quote=False)
            if i == 0 and a.dateline:
                prefix = out.cfg["dateline"].format(place=a.dateline).rstrip()
                esc = f"<strong>{html.escape(prefix)}</strong> {esc}"
            parts.append(f"<p>{esc}{close}")
            if i == 1:
                other = next((b for b in out.articles if b is not a), None)
                if other is not None:
                    link = f'<a href="{out.path_of(other)}">{html.escape(other.title)}</a>'
                    if out.structure == "tribun":
                        parts.append(
                            f'<p class="baca"><strong class="baca-juga">Baca juga:</strong> {link}</p>'
                        )
                    elif out.structure == "antara":
                        parts.append(f'<p class="baca-juga">Baca juga: {link}</p>')
                    elif out.structure in ("wordpress", "gmr"):
                        parts.append(f"<p><strong>Baca juga:</strong> {link}</p>")
            if broken and i == 2:
                parts.append("<span class='quote'><em>")  # never closed
                parts.append("</span></b>")  # stray closers
        if out.cfg.get("editor_line") and a.editor:
            parts.append(f"<p>{html.escape(out.cfg['editor_line'].format(editor=a.editor))}</p>")
        if out.structure == "antara":
            # The real footer is glued: 'Pewarta: XEditor: Y Copyright © ANTARA 2026', then the
            # publisher's notice against crawling without written permission.
            parts.append(
                f'<p class="text-muted mt-2 small">Pewarta: {html.escape(a.author)}'
                f"<span>Editor: {html.escape(a.editor or '')}</span> Copyright &copy; ANTARA 2026</p>"
            )
            parts.append(
                '<p class="text-muted small">Dilarang keras mengambil konten, melakukan crawling '
                "atau pengindeksan otomatis untuk AI di situs web ini tanpa izin tertulis dari "
                "Kantor Berita ANTARA.</p>"
            )
        if out.structure == "tribun" and page < len(pages) and page:
            links = "".join(
                f'<a href="{out.path_of(a)}?page={k}">{k}</a>' for k in range(1, len(pages) + 1)
            )
            parts.append(
                f'<div class="paging">{links}<a href="{out.path_of(a)}?page=all">Semua</a></div>'
            )
        elif out.structure == "tribun":
            parts.append(
                f"<p>Artikel ini telah tayang di {html.escape(out.name)} dengan judul {html.escape(a.title)}</p>"
            )
        if out.id == "niaga_asia":
            parts.append(
                f"<p>Penulis: {html.escape(a.author)} | Editor: {html.escape(a.editor or '')}</p>"
            )
            tag_links = ", ".join(
                f'<a href="/tag/{slugify(t)}/">{html.escape(t)}</a>' for t in a.tags
            )
            parts.append(f"<p>Tag: {tag_links}</p>")
        return [Markup(p) for p in parts]

    def _jsonld(self, out: _Outlet, a: Article) -> Markup:
        data = {
            "@context": "https://schema.org",
            "@type": "NewsArticle",
            "headline": a.title,
            "datePublished": a.published.isoformat(),
            "dateModified": a.lastmod.isoformat(),
            "author": {"@type": "Person", "name": a.author},
            "publisher": {"@type": "Organization", "name": out.name},
            **self._jsonld_people(out, a),
            "articleSection": a.category,
            "keywords": ", ".join(a.tags),
            "mainEntityOfPage": out.base + out.path_of(a),
        }
        return Markup(json.dumps(data, ensure_ascii=False).replace("</", "<\\/"))

    @staticmethod
    def _jsonld_people(out: _Outlet, a: Article) -> dict[str, Any]:
        """Who the real CMSs name in JSON-LD (registry evidence, issue 18)."""
        if out.structure == "tribun":  # a list of authors
            return {"author": [{"@type": "Person", "name": a.author}]}
        if out.structure == "antara":  # author.name is the editor; the reporter is creator
            return {
                "author": {"@type": "Person", "name": a.editor or "Redaksi"},
                "creator": {"@type": "Person", "name": a.author},
            }
        if out.cfg.get("account_author"):  # the CMS account, not the reporter
            return {"author": {"@type": "Person", "name": out.cfg["account_author"]}}
        return {}

    def _article_ctx(self, out: _Outlet, a: Article) -> dict[str, Any]:
        path = out.path_of(a)
        idx = out.articles.index(a)
        related = [b for b in out.articles[idx + 1 : idx + 4]] or out.articles[:3]
        return {
            "num": a.num,
            "slug": a.slug,
            "url": out.base + path,
            "path": path,
            "title": a.title,
            "summary": a.paragraphs[0][:150],
            "author": a.author,
            "meta_author": out.cfg.get("account_author") or a.author,
            "author_slug": slugify(a.author),
            "editor": a.editor,
            "editor_slug": slugify(a.editor or ""),
            "tags": a.tags,
            "category": a.category,
            "category_slug": slugify(a.category),
            "published_iso": a.published.isoformat(),
            "modified_iso": a.modified.isoformat() if a.modified else None,
            "published_human": _human(a.published),
            "related": [{"path": out.path_of(b), "title": b.title} for b in related if b is not a],
        }

    def render_article(
        self, out: _Outlet, a: Article, charset: str = "utf-8", page: int = 1
    ) -> str:
        broken = self._is_case("broken_html", out, a)
        ctx = self._article_ctx(out, a)
        ctx["body"] = self._body(out, a, broken, page)
        ctx["jsonld"] = self._jsonld(out, a)
        page = self.env.get_template(f"{out.structure}.html").render(
            a=ctx, site=self._site_ctx(out), page_title=a.title, charset=charset
        )
        if broken:
            page = page.replace(
                '<div class="box-newsletter">', '</div></div><div class="box-newsletter">'
            )
            page = page.replace("</article>", "", 1)
        return page

    def render_listing(self, out: _Outlet, page: int) -> str | None:
        n = self.per_page
        items = out.articles[(page - 1) * n : page * n]
        if not items and page > 1:
            return None
        pattern = out.cfg["listing"]
        extra: list[tuple[str, str]] = []
        missing = self._case("missing", out.id)
        if missing and page == 1:
            extra.append((missing["path"], "Berita pilihan redaksi"))
        last = (len(out.articles) + n - 1) // n
        return self.env.get_template("listing.html").render(
            site=self._site_ctx(out),
            page_title=f"Berita terkini halaman {page}",
            charset="utf-8",
            heading="Berita Terkini",
            items=[self._article_ctx(out, a) for a in items],
            extra_links=extra,
            page=page,
            prev_href=pattern.format(n=page - 1) if page > 1 else None,
            next_href=pattern.format(n=page + 1) if page < last else None,
        )

    def render_home(self, out: _Outlet) -> str:
        extra = [(self.site["breakage"]["private_path"], "Draf internal")]
        if self.breakage:
            dup = self._case("duplicate", out.id)
            if dup:
                a = out.by_slug[dup["slug"]]
                extra.append((out.path_of(a) + "?utm_source=facebook&utm_medium=social", a.title))
            missing = self._case("missing", out.id)
            if missing:
                extra.append((missing["path"], "Berita pilihan redaksi"))
        if "listing" in out.cfg["discovery"]:
            extra.append((out.cfg["listing"].format(n=2), "Indeks berita"))
        return self.env.get_template("listing.html").render(
            site=self._site_ctx(out),
            page_title="Beranda",
            charset="utf-8",
            heading=out.name,
            items=[self._article_ctx(out, a) for a in out.articles[: self.per_page]],
            extra_links=extra,
            page=1,
            prev_href=None,
            next_href=None,
        )

    def render_page(self, out: _Outlet, heading: str) -> str:
        paragraphs = [
            f"{out.name} adalah media daring yang melayani pembaca di daerah sejak 2010.",
            "Redaksi berpegang pada Kode Etik Jurnalistik dan Pedoman Pemberitaan Media Siber.",
            "Untuk surat pembaca dan hak jawab, hubungi alamat surel redaksi.",
        ]
        return self.env.get_template("page.html").render(
            site=self._site_ctx(out),
            page_title=heading,
            charset="utf-8",
            heading=heading,
            paragraphs=paragraphs,
        )

    # ------------------------------------------------------------------ discovery files
    def _sitemap_urls(self, out: _Outlet) -> list[tuple[str, datetime]]:
        urls = [(out.base + out.path_of(a), a.lastmod) for a in out.articles]
        fail = self._case("always_500", out.id)
        if fail:
            urls.insert(1, (out.base + fail["path"], out.articles[0].published))
        return urls

    def _chunks(self, out: _Outlet) -> list[list[tuple[str, datetime]]]:
        urls = self._sitemap_urls(out)
        return [urls[i : i + 1000] for i in range(0, len(urls), 1000)] or [[]]

    @staticmethod
    def _urlset(urls: list[tuple[str, datetime]]) -> str:
        rows = "".join(
            f"<url><loc>{xml_escape(u)}</loc><lastmod>{d.isoformat()}</lastmod></url>\n"
            for u, d in urls
        )
        return (
            '<?xml version="1.0" encoding="UTF-8"?>\n'
            '<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">\n' + rows + "</urlset>\n"
        )

    @staticmethod
    def _index(entries: list[tuple[str, datetime | None]]) -> str:
        rows = "".join(
            f"<sitemap><loc>{xml_escape(u)}</loc>"
            + (f"<lastmod>{d.isoformat()}</lastmod>" if d else "")
            + "</sitemap>\n"
            for u, d in entries
        )
        return (
            '<?xml version="1.0" encoding="UTF-8"?>\n'
            '<sitemapindex xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">\n'
            + rows
            + "</sitemapindex>\n"
        )

    def _pages_urls(self, out: _Outlet) -> list[tuple[str, datetime]]:
        when = datetime(2025, 1, 6, tzinfo=UTC)
        pages = [c["path"] for c in self.site["breakage"]["non_article"] if c["outlet"] == out.id]
        return [(out.base + p, when) for p in pages if self.breakage]

    def render_news_sitemap(self, out: _Outlet) -> str:
        rows = []
        for a in out.articles:
            rows.append(
                f"<url><loc>{xml_escape(out.base + out.path_of(a))}</loc>"
                f"<lastmod>{a.lastmod.isoformat()}</lastmod><news:news><news:publication>"
                f"<news:name>{xml_escape(out.name)}</news:name><news:language>id</news:language>"
                f"</news:publication><news:publication_date>{a.published.isoformat()}"
                f"</news:publication_date><news:title>{xml_escape(a.title)}</news:title>"
                "</news:news></url>\n"
            )
        return (
            '<?xml version="1.0" encoding="UTF-8"?>\n'
            '<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9" '
            'xmlns:news="http://www.google.com/schemas/sitemap-news/0.9">\n'
            + "".join(rows)
            + "</urlset>\n"
        )

    def render_feed(self, out: _Outlet) -> tuple[str, str]:
        only_feed = out.cfg["discovery"] == ["feed"]
        items = out.articles if only_feed else out.articles[:20]
        fail = self._case("always_500", out.id)
        if out.cfg.get("feed_format") == "atom":
            entries = "".join(
                f"<entry><title>{xml_escape(a.title)}</title>"
                f'<link rel="alternate" href="{xml_escape(out.base + out.path_of(a))}"/>'
                f"<id>{xml_escape(out.base + out.path_of(a))}</id>"
                f"<published>{a.published.isoformat()}</published>"
                f"<updated>{a.lastmod.isoformat()}</updated>"
                f"<author><name>{xml_escape(a.author)}</name></author>"
                f"<summary>{xml_escape(a.paragraphs[0][:200])}</summary></entry>\n"
                for a in items
            )
            updated = max((a.lastmod for a in items), default=datetime(2026, 1, 1, tzinfo=UTC))
            body = (
                '<?xml version="1.0" encoding="UTF-8"?>\n<feed xmlns="http://www.w3.org/2005/Atom">\n'
                f"<title>{xml_escape(out.name)}</title><id>{out.base}/</id>"
                f'<link rel="self" href="{out.base}{out.cfg["feed_path"]}"/>'
                f"<updated>{updated.isoformat()}</updated>\n{entries}</feed>\n"
            )
            return body, "application/atom+xml; charset=utf-8"
        home = out.structure == "tribun"  # Tribun's /rss links every item to the home page
        rows = [
            (
                a.title,
                out.base + ("/" if home else out.path_of(a)),
                a.published,
                a.paragraphs[0][:200],
            )
            for a in items
        ]
        if fail:
            rows.insert(1, ("Halaman gangguan", out.base + fail["path"], items[0].published, "-"))
        body = "".join(
            f"<item><title>{xml_escape(t)}</title><link>{xml_escape(u)}</link>"
            f'<guid isPermaLink="true">{xml_escape(u)}</guid>'
            f"<pubDate>{format_datetime(d)}</pubDate>"
            f"<description>{xml_escape(s)}</description></item>\n"
            for t, u, d, s in rows
        )
        built = max((a.lastmod for a in items), default=datetime(2026, 1, 1, tzinfo=UTC))
        return (
            '<?xml version="1.0" encoding="UTF-8"?>\n<rss version="2.0"><channel>'
            f"<title>{xml_escape(out.name)}</title><link>{out.base}/</link>"
            f"<description>Berita terbaru {xml_escape(out.name)}</description>"
            f"<language>id</language><lastBuildDate>{format_datetime(built)}</lastBuildDate>\n"
            + body
            + "</channel></rss>\n",
            "application/rss+xml; charset=utf-8",
        )

    def render_robots(self, out: _Outlet) -> str:
        lines = [
            "User-agent: *",
            "Disallow: /private/",
            "Disallow: /wp-admin/",
            "Disallow: /search/",
            "",
        ]
        disc = out.cfg["discovery"]
        maps = {
            "yoast_sitemap": "/sitemap_index.xml",
            "wp_sitemap": "/wp-sitemap.xml",
            "sitemap": "/sitemap.xml",
            "tribun_sitemap": "/sitemap.xml",
            "news_sitemap": "/sitemap/news.xml",
        }
        lines += [f"Sitemap: {out.base}{p}" for k, p in maps.items() if k in disc]
        return "\n".join(lines) + "\n"

    # ------------------------------------------------------------------ routing
    def route(self, oid: str, raw_path: str) -> tuple[int, str, bytes]:
        """Answer one request: (status, content type, body)."""
        if oid == "offsite":
            return 200, "text/html; charset=utf-8", b"<html><body>Mitra</body></html>"
        with self._lock:
            return self._route(self.outlets[oid], raw_path)

    def _route(self, out: _Outlet, raw_path: str) -> tuple[int, str, bytes]:
        parts = urlsplit(raw_path)
        path, query = parts.path, parts.query
        html_type = "text/html; charset=utf-8"
        xml_type = "application/xml; charset=utf-8"
        disc = out.cfg["discovery"]

        def ok(text: str, ctype: str = html_type) -> tuple[int, str, bytes]:
            return 200, ctype, text.encode("utf-8")

        not_found = (
            404,
            html_type,
            b"<html><body><h1>404 Halaman tidak ditemukan</h1></body></html>",
        )
        if path == "/robots.txt":
            return ok(self.render_robots(out), "text/plain; charset=utf-8")
        if path == "/":
            return ok(self.render_home(out))
        if path == self.site["breakage"]["private_path"]:
            return ok(self.render_page(out, "Draf internal (jangan diindeks)"))
        # sitemaps
        if "yoast_sitemap" in disc:
            chunks = self._chunks(out)
            names = ["/post-sitemap.xml"] + [
                f"/post-sitemap{k}.xml" for k in range(2, len(chunks) + 1)
            ]
            if path == "/sitemap_index.xml":
                entries: list[tuple[str, datetime | None]] = [
                    (out.base + n, max((d for _, d in c), default=None))
                    for n, c in zip(names, chunks, strict=True)
                ]
                if self._pages_urls(out):
                    entries.append((out.base + "/page-sitemap.xml", None))
                return ok(self._index(entries), xml_type)
            if path in names:
                return ok(self._urlset(chunks[names.index(path)]), xml_type)
            if path == "/page-sitemap.xml":
                return ok(self._urlset(self._pages_urls(out)), xml_type)
        if "wp_sitemap" in disc:
            chunks = self._chunks(out)
            names = [f"/wp-sitemap-posts-post-{k}.xml" for k in range(1, len(chunks) + 1)]
            if path == "/wp-sitemap.xml":
                return ok(self._index([(out.base + n, None) for n in names]), xml_type)
            if path in names:
                return ok(self._urlset(chunks[names.index(path)]), xml_type)
        if "tribun_sitemap" in disc:
            # /sitemap.xml: an index of per-section sitemap_news.xml (recent) / sitemap_web.xml
            section = out.cfg.get("section", "news")
            news, web = f"/{section}/sitemap_news.xml", f"/{section}/sitemap_web.xml"
            if path == "/sitemap.xml":
                return ok(self._index([(out.base + news, None), (out.base + web, None)]), xml_type)
            if path == news:
                return ok(self._urlset(self._sitemap_urls(out)[: self.per_page]), xml_type)
            if path == web:
                return ok(self._urlset(self._sitemap_urls(out)), xml_type)
        if "sitemap" in disc and path == "/sitemap.xml":
            return ok(self._urlset(self._sitemap_urls(out)), xml_type)
        if "news_sitemap" in disc and path == "/sitemap/news.xml":
            return ok(self.render_news_sitemap(out), xml_type)
        if "wp_api" in disc and path == "/wp-json/wp/v2/posts":
            # WordPress REST API: newest first, GMT stamps without an offset (as WordPress does)
            posts = [
                {
                    "link": out.base + out.path_of(a),
                    "date_gmt": a.published.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S"),
                    "modified_gmt": a.lastmod.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S"),
                }
                for a in out.articles
            ]
            return ok(json.dumps(posts), "application/json; charset=UTF-8")
        if "feed" in disc and path == out.cfg["feed_path"]:
            body, ctype = self.render_feed(out)
            return ok(body, ctype)
        # listing
        if "listing" in disc:
            lpath, _, lquery = out.cfg["listing"].partition("?")
            rx = re.escape(lpath).replace(re.escape("{n}"), r"(\d+)")
            qx = re.escape(lquery).replace(re.escape("{n}"), r"(\d+)")
            m = re.fullmatch(qx, query) if lquery and path == lpath else None
            if not lquery:
                m = re.fullmatch(rx, path)
            if m:
                page = int(m.group(1))
                text = self.render_listing(out, page) if page >= 1 else None
                return ok(text) if text else not_found
        # breakage pages
        if self.breakage:
            missing = self._case("missing", out.id)
            if missing and path == missing["path"]:
                return not_found
            fail = self._case("always_500", out.id)
            if fail and path == fail["path"]:
                return 500, html_type, b"<html><body>Internal Server Error</body></html>"
            for case in self.site["breakage"]["non_article"]:
                if case["outlet"] == out.id and path == case["path"]:
                    return ok(
                        self.render_page(out, "Tentang Kami" if "tentang" in path else "Redaksi")
                    )
        if path == "/pedoman-media-siber":
            return ok(self.render_page(out, "Pedoman Media Siber"))
        # articles (AMP variant for flat WordPress permalinks)
        a = out.by_path.get(path)
        if a is None and path.endswith("/amp/"):
            a = out.by_path.get(path[: -len("amp/")])
        if a is None:
            return not_found
        if self._is_case("flaky_500", out, a) and a.slug not in self._flaky_done:
            self._flaky_done.add(a.slug)
            return 500, html_type, b"<html><body>Gateway error, coba lagi</body></html>"
        if self._is_case("slow", out, a):
            self._lock.release()  # do not block other requests while sleeping
            try:
                time.sleep(self.slow_seconds)
            finally:
                self._lock.acquire()
        if self._is_case("cp1252", out, a):
            text = self.render_article(out, a, charset="windows-1252")
            return (
                200,
                "text/html; charset=windows-1252",
                text.encode("cp1252", "xmlcharrefreplace"),
            )
        m = re.fullmatch(r"page=(\d+|all)", query)
        if out.structure == "tribun" and m:
            n = 0 if m.group(1) == "all" else int(m.group(1))
            if n > len(self.page_split(out, a)):
                return not_found
            return ok(self.render_article(out, a, page=n))
        return ok(self.render_article(out, a))


class _Handler(BaseHTTPRequestHandler):
    demo: DemoSite
    outlet_id: str
    server_version = "DemoSite/1.0"

    def do_GET(self) -> None:  # noqa: N802 (http.server API)
        status, ctype, body = self._answer()
        self.wfile.write(body)

    def _answer(self) -> tuple[int, str, bytes]:
        try:
            status, ctype, body = self.demo.route(self.outlet_id, self.path)
        except Exception as exc:  # a demo bug must show as a 500, not a dropped connection
            status, ctype, body = 500, "text/plain; charset=utf-8", repr(exc).encode()
        self.demo.request_log.append((self.outlet_id, self.path, status))
        self.send_response(status)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        return status, ctype, body

    def do_HEAD(self) -> None:  # noqa: N802
        self._answer()

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002
        """Silence per-request stderr logging; request_log is the record."""


__all__ = ["Article", "DemoSite", "generate_site", "load_articles"]
