"""URL canonicalisation: the same article must map to one string."""

import pytest

from crawler.urls import canonical_url, same_site

CANON = "https://niaga.asia/warga-tolak-relokasi"


@pytest.mark.parametrize(
    "variant",
    [
        "https://www.niaga.asia/warga-tolak-relokasi/",
        "HTTPS://WWW.NIAGA.ASIA/warga-tolak-relokasi",
        "https://niaga.asia:443/warga-tolak-relokasi/#komentar",
        "https://niaga.asia/warga-tolak-relokasi/?utm_source=fb&utm_medium=social&fbclid=AbC",
        "https://niaga.asia/warga-tolak-relokasi/?gclid=1&mc_cid=2&ref=home",
        "https://niaga.asia/warga-tolak-relokasi/amp/",
        "https://niaga.asia/warga-tolak-relokasi?amp=1",
        "https://niaga.asia/warga-tolak-relokasi?amp",
        "https://amp.niaga.asia/warga-tolak-relokasi",
        "https://niaga.asia/amp/warga-tolak-relokasi",
        "https://niaga.asia//warga-tolak-relokasi/",
    ],
)
def test_variants_map_to_one_string(variant):
    assert canonical_url(variant) == CANON


def test_meaningful_query_kept_and_sorted():
    assert canonical_url("https://site.id/?p=123&utm_campaign=x") == "https://site.id/?p=123"
    assert canonical_url("https://site.id/a?page=2&id=7") == "https://site.id/a?id=7&page=2"
    assert canonical_url("https://site.id/a?page=2") != canonical_url("https://site.id/a?page=3")


def test_ports_root_and_local_hosts():
    assert canonical_url("http://site.id:80") == "http://site.id/"
    assert canonical_url("https://site.id/") == "https://site.id/"
    assert canonical_url("http://127.0.0.2:8080/berita/1/a/") == "http://127.0.0.2:8080/berita/1/a"
    assert canonical_url("http://site.id:8080/a") == "http://site.id:8080/a"


def test_different_articles_stay_different():
    assert canonical_url("https://site.id/a") != canonical_url("https://site.id/b")
    assert canonical_url("https://site.id/amplop-politik") == "https://site.id/amplop-politik"


def test_same_site():
    assert same_site("https://www.kompas.id/x", "https://kompas.id")
    assert same_site("https://m.kompas.id/x", "https://www.kompas.id")
    assert same_site("https://regional.kompas.id/x", "https://kompas.id")
    assert not same_site("https://notkompas.id/x", "https://kompas.id")
    assert not same_site("https://evil.com/kompas.id", "https://kompas.id")
    assert not same_site("http://127.0.0.2:8001/a", "http://127.0.0.2:8002")
