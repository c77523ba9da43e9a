"""Outlet registry: loading, template merging, URL rules and validation errors."""

from pathlib import Path

import pytest

from crawler.registry import (
    Outlet,
    RegistryError,
    generic_outlet,
    home_province,
    load_registry,
    outlet_for_url,
    outlet_lexicon,
)


@pytest.fixture(scope="module")
def registry() -> dict[str, Outlet]:
    return load_registry()


def test_real_registry_loads_with_template_merge(registry):
    niaga = registry["niaga_asia"]
    assert niaga.timezone == "WITA" and niaga.province == "64"
    # inherited from the wordpress template
    assert niaga.discovery.feeds == ("/feed/",)
    assert niaga.selectors["body"][0] == ".entry-content"
    assert ".sharedaddy" in niaga.drop
    # the outlet's own [clean] keys sit beside the template's
    assert niaga.dateline is not None and niaga.author_pattern is not None
    assert any(p.search("Tag: Samarinda") for p in niaga.footer)
    # kalbaronline overrides body selectors and article pattern, keeps template title
    kalbar = registry["kalbaronline"]
    assert kalbar.selectors["body"] == [".td-post-content", ".entry-content"]
    assert kalbar.selectors["title"][-1] == "h1"
    assert kalbar.is_article_url("https://kalbaronline.com/2025/01/02/banjir-pontianak/")
    assert not kalbar.is_article_url("https://kalbaronline.com/banjir-pontianak/")


def test_article_url_rules(registry):
    niaga = registry["niaga_asia"]
    assert niaga.is_article_url("https://www.niaga.asia/warga-tolak-relokasi/")
    assert not niaga.is_article_url("https://www.niaga.asia/tag/samarinda/")
    assert not niaga.is_article_url("https://www.niaga.asia/foto-banjir.jpg")
    tribun = registry["tribun_kaltim"]
    assert tribun.is_article_url("https://kaltim.tribunnews.com/2025/09/02/warga-demo")
    assert not tribun.is_article_url("https://kaltim.tribunnews.com/2025/09/02/warga-demo?page=2")
    antara = registry["antara_kaltim"]
    assert antara.is_article_url("https://kaltim.antaranews.com/berita/12345/posko-pemilu")
    assert not antara.is_article_url("https://kaltim.antaranews.com/terkini/2")


def test_with_base_url_and_lookup(registry):
    local = registry["jubi"].with_base_url("http://127.0.0.5:8123/anything")
    assert local.base_url == "http://127.0.0.5:8123"
    assert local.host == "127.0.0.5" and local.netloc == "127.0.0.5:8123"
    assert local.is_article_url("http://127.0.0.5:8123/tanah-papua/2025/aksi-damai/")
    assert local.id == "jubi" and local.selectors == registry["jubi"].selectors
    assert outlet_for_url("https://niaga.asia/abc/", registry).id == "niaga_asia"
    assert outlet_for_url("https://www.niaga.asia/abc/", registry).id == "niaga_asia"
    assert outlet_for_url("https://example.org/abc", registry) is None
    assert outlet_for_url("http://127.0.0.5:8123/x", {"jubi": local}).id == "jubi"
    assert outlet_for_url("http://127.0.0.5:9999/x", {"jubi": local}) is None


def test_generic_outlet():
    o = generic_outlet("https://www.contoh-berita.id/daerah/abc", timezone="WIT", province="94")
    assert o.base_url == "https://www.contoh-berita.id"
    assert o.timezone == "WIT" and o.province == "94"
    assert not o.has_selectors
    assert o.is_article_url("https://www.contoh-berita.id/daerah/abc")
    assert not o.is_article_url("https://www.contoh-berita.id/tag/pemilu")
    with pytest.raises(RegistryError):
        generic_outlet("https://x.id", timezone="UTC")


GOOD = """
[[template]]
id = "wp"
[template.selectors]
body = [".entry-content"]

[[outlet]]
id = "a"
base_url = "https://a.id"
province = "64"
timezone = "WITA"
extends = "wp"
"""


def _write(tmp_path: Path, text: str) -> Path:
    p = tmp_path / "outlets.toml"
    p.write_text(text, encoding="utf-8")
    return p


def test_minimal_registry(tmp_path):
    reg = load_registry(_write(tmp_path, GOOD))
    assert reg["a"].selectors == {"body": [".entry-content"]}


@pytest.mark.parametrize(
    ("old", "new", "message"),
    [
        ('timezone = "WITA"', 'timezone = "UTC"', "'timezone'"),
        ('province = "64"', 'province = "6"', "'province'"),
        ('province = "64"', "", "missing required key 'province'"),
        ('extends = "wp"', 'extends = "nope"', "unknown template 'nope'"),
        ('body = [".entry-content"]', 'body = [".entry-content"]\ntitle = 3', "selectors.title"),
        ('extends = "wp"', 'extends = "wp"\n[outlet.urls]\narticle = ["(unclosed"]', "bad regex"),
        ('extends = "wp"', 'extends = "wp"\n[outlet.clean]\ndateline = "[a-"', "clean.dateline"),
        ('base_url = "https://a.id"', 'base_url = "a.id"', "'base_url'"),
        ('province = "64"', 'province = "64"\ndate_formats = ["dd/mm/yyyy"]', "date_formats"),
        ('province = "64"', 'province = "64"\nhooks = "x"', "unknown key(s) ['hooks']"),
    ],
)
def test_registry_errors_name_outlet_and_key(tmp_path, old, new, message):
    with pytest.raises(RegistryError) as err:
        load_registry(_write(tmp_path, GOOD.replace(old, new)))
    assert message in str(err.value)
    assert "'a'" in str(err.value) or "nope" in str(err.value)


def test_duplicate_id_and_bad_toml(tmp_path):
    dup = GOOD + GOOD.split("[[outlet]]")[1].join(["\n[[outlet]]", ""])
    with pytest.raises(RegistryError, match="duplicate id"):
        load_registry(_write(tmp_path, dup))
    with pytest.raises(RegistryError, match="invalid TOML"):
        load_registry(_write(tmp_path, "[[outlet]\nid = 1"))


def test_outlet_lexicon_from_registry_and_known_outlets(tmp_path):
    text = GOOD.replace(
        'province = "64"',
        'province = "64"\nnames = ["CONTOH.ID"]\ndomains = ["contoh.co.id"]\n'
        'date_formats = ["%d/%m/%Y %H:%M"]',
    )
    reg = load_registry(_write(tmp_path, text))
    assert reg["a"].date_formats == ("%d/%m/%Y %H:%M",)
    known = tmp_path / "known.toml"
    known.write_text(
        'not_places = ["Kaltim Post"]\ndateline = ["ANTARA"]\n[domains]\n"antaranews.com" = "*"\n'
    )
    lex = outlet_lexicon(reg, known)
    assert "Kaltim Post" in lex.names and "CONTOH.ID" in lex.names
    assert {"ANTARA", "CONTOH.ID"} <= set(lex.dateline_names)
    assert lex.domain_table == {"antaranews.com": "*", "a.id": "64", "contoh.co.id": "64"}
    assert home_province(reg, "a") == "64"
    assert home_province(reg, None, "https://a.id/berita/1") == "64"
    assert home_province(reg, "unknown", "https://b.id/x") is None
    known.write_text('[domains]\n"x.id" = "Kaltim"\n')
    with pytest.raises(RegistryError, match="x.id"):
        outlet_lexicon(reg, known)
