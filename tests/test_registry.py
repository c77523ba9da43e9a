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
    # kalbaronline (a gmr- theme) keeps the template's .entry-content, overrides the URLs
    kalbar = registry["kalbaronline"]
    assert kalbar.selectors["body"][0] == ".entry-content"
    assert kalbar.selectors["title"][-1] == "h1"
    assert kalbar.is_article_url("https://kalbaronline.com/2025/01/02/banjir-pontianak/")
    assert not kalbar.is_article_url("https://kalbaronline.com/banjir-pontianak/")


def test_article_url_rules(registry):
    niaga = registry["niaga_asia"]
    assert niaga.is_article_url("https://www.niaga.asia/warga-tolak-relokasi/")
    assert not niaga.is_article_url("https://www.niaga.asia/tag/samarinda/")
    assert not niaga.is_article_url("https://www.niaga.asia/foto-banjir.jpg")
    tribun = registry["tribun_kaltim"]
    # current regional URLs /{section}/{id}/{slug}; the flagship's /{section}/YYYY/MM/DD/{slug}
    assert tribun.is_article_url("https://kaltim.tribunnews.com/news/1161767/warga-demo")
    assert registry["serambinews"].is_article_url(
        "https://aceh.tribunnews.com/nanggroe/1036826/warga-demo"
    )
    assert tribun.is_article_url("https://kaltim.tribunnews.com/news/2025/09/02/warga-demo")
    assert tribun.is_article_url("https://kaltim.tribunnews.com/2019/09/02/warga-demo")  # archive
    assert not tribun.is_article_url("https://kaltim.tribunnews.com/news/1161767/warga-demo?page=2")
    assert not tribun.is_article_url("https://kaltim.tribunnews.com/tag/1161767/warga-demo")
    assert not tribun.is_article_url("https://kaltim.tribunnews.com/")
    assert tribun.pages == "page={n}" and tribun.discovery.feeds == ()  # /rss: home links only
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


def test_thirty_outlets_cover_every_conflict_prone_province(registry):
    assert len(registry) >= 30
    # each Papua province, Maluku, Maluku Utara, Aceh, Sulteng, Kalbar, Kalteng, NTT, NTB,
    # Jawa Timur (Madura), Sumut, Riau, plus Kalimantan Timur
    wanted = {"91", "92", "93", "94", "95", "96", "81", "82", "11", "72", "61", "62", "53",
              "52", "35", "12", "14", "64"}  # fmt: skip
    home = {o.province for o in registry.values()}
    covered = home | {c for o in registry.values() for c in o.covers}
    assert wanted <= covered, wanted - covered
    assert wanted - {"95"} <= home  # Papua Pegunungan: covered by Papua-wide outlets only
    assert sum(o.province == "64" for o in registry.values()) >= 4
    for o in registry.values():
        assert o.evidence, f"{o.id} records no evidence"
        assert o.verification in ("evidence", "template", "unverified")
        # nothing unverified is crawled by default
        assert o.verification != "unverified" or not o.enabled, o.id
    tribun_hosts = [o for o in registry.values() if o.platform.startswith("tribun")]
    assert len(tribun_hosts) >= 10 and all(o.pages for o in tribun_hosts)


def test_permission_key_and_antara_requires_it(registry):
    antara = [o for o in registry.values() if o.platform.startswith("antara")]
    assert len(antara) >= 5
    assert all(o.needs_permission and o.permission_note for o in antara)
    assert "written permission" in registry["antara_kaltim"].permission_note
    assert not registry["niaga_asia"].needs_permission


@pytest.mark.parametrize(
    ("old", "new", "message"),
    [
        ('timezone = "WITA"', 'timezone = "WITA"\npermission = "maybe"', "'permission'"),
        ('timezone = "WITA"', 'timezone = "WITA"\nverification = "sure"', "'verification'"),
        ('timezone = "WITA"', 'timezone = "WITA"\nenabled = "no"', "'enabled'"),
        ('timezone = "WITA"', 'timezone = "WITA"\ncovers = ["Papua"]', "'covers'"),
        ('extends = "wp"', 'extends = "wp"\n[outlet.urls]\npages = "page=2"', "'urls.pages'"),
    ],
)
def test_new_keys_are_validated(tmp_path, old, new, message):
    with pytest.raises(RegistryError) as err:
        load_registry(_write(tmp_path, GOOD.replace(old, new)))
    assert message in str(err.value) and "'a'" in str(err.value)


def test_permission_rule_when_choosing_outlets(registry):
    from pipeline.crawl import PermissionNotGranted, select_outlets

    default = [o.id for o in select_outlets(registry, ["all"])]
    assert "niaga_asia" in default and "antara_kaltim" not in default
    assert all(registry[i].enabled and not registry[i].needs_permission for i in default)
    granted = [
        o.id for o in select_outlets(registry, ["all"], permission_granted=["antara_kaltim"])
    ]
    assert "antara_kaltim" in granted and "antara_aceh" not in granted
    with pytest.raises(PermissionNotGranted, match="antara_kaltim.*permission_granted"):
        select_outlets(registry, ["niaga_asia", "antara_kaltim"])
    # a mirror on the internet is still the publisher's content: refused
    with pytest.raises(PermissionNotGranted):
        select_outlets(registry, ["antara_kaltim"], {"antara_kaltim": "https://mirror.example.org"})
    # the demo site / test fixtures on loopback are not the publisher's server
    (local,) = select_outlets(
        registry, ["antara_kaltim"], {"antara_kaltim": "http://127.0.0.14:81"}
    )
    assert local.base_url == "http://127.0.0.14:81"
    # a disabled (unverified) outlet can still be named explicitly
    assert [o.id for o in select_outlets(registry, ["tribun_papua"])] == ["tribun_papua"]


def test_crawl_of_an_outlet_without_permission_is_one_clear_line(tmp_path):
    from tests.conftest import run_suar

    db = tmp_path / "x.duckdb"
    proc = run_suar("--db", str(db), "crawl", "--outlet", "antara_kaltim", check=False)
    assert proc.returncode == 2, proc.stderr
    (line,) = proc.stderr.strip().splitlines()
    assert "written permission" in line and "permission_granted" in line
    env = {"SUAR_CRAWL_PERMISSION_GRANTED": "antara_kaltim", "SUAR_CRAWL_OUTLETS": "x"}
    proc = run_suar("--db", str(db), "config", env=env)
    assert '"antara_kaltim"' in proc.stdout


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
