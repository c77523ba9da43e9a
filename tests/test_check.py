"""`suar outlets check` and `suar outlets doctor`, through the real command line, against the
demo site served locally and saved fixture pages (no internet)."""

from __future__ import annotations

import json
import socket
from pathlib import Path

import pytest

from crawler.demosite import DemoSite
from tests.conftest import REPO, run_suar

FIX = Path(__file__).parent / "fixtures" / "extract"


@pytest.fixture(scope="module")
def site():
    with DemoSite(breakage=False) as demo:
        yield demo


def _base_args(site: DemoSite) -> list[str]:
    return [a for o, u in site.base_urls.items() for a in ("--base-url", f"{o}={u}")]


def _closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_doctor_reports_every_field_per_enabled_outlet(site):
    proc = run_suar("outlets", "doctor", *_base_args(site), "--json")
    reports = {r["outlet"]: r for r in map(json.loads, proc.stdout.splitlines())}
    # every enabled outlet the demo serves (antara_kaltim: permission, but served on loopback)
    assert set(reports) == set(site.base_urls)
    for oid, rep in reports.items():
        assert rep["status"] in ("ok", "warn"), rep
        assert rep["article_url"].startswith(site.base_urls[oid])
        fields = {f["field"]: f for f in rep["fields"]}
        for name in ("title", "body", "published"):
            assert fields[name]["status"] == "ok" and fields[name]["value"], (oid, name)
    tribun = {f["field"]: f for f in reports["tribun_kaltim"]["fields"]}
    assert tribun["body"]["selector"] == "div.side-article.txt-article"
    assert tribun["tags"]["selector"] == "h5.tagcloud3 a"
    antara = {f["field"]: f for f in reports["antara_kaltim"]["fields"]}
    assert antara["title"]["selector"] == ".wrap__article-detail-title h1"
    text = run_suar("outlets", "doctor", *_base_args(site), "--outlet", "jubi").stdout
    assert text.splitlines()[0].startswith("jubi") and "body" in text


def test_doctor_flags_a_changed_layout_and_an_unreachable_site(site, tmp_path):
    registry = (REPO / "crawler" / "outlets.toml").read_text(encoding="utf-8")
    # the site "changed its layout": niaga's body selector no longer matches anything
    changed = registry.replace(
        'extends = "wordpress"\nverification = "evidence"\nevidence = """news-watch',
        'extends = "wordpress"\nverification = "evidence"\n'
        "selectors = { body = ['.td-post-content'] }\n"
        'evidence = """news-watch',
        1,
    )
    assert changed != registry
    path = tmp_path / "outlets.toml"
    path.write_text(changed, encoding="utf-8")
    env = {"SUAR_CRAWL_REGISTRY": str(path)}
    args = ["outlets", "doctor", "--outlet", "niaga_asia", "--outlet", "siwalima"]
    proc = run_suar(*args, *_base_args(site), "--json", env=env, check=False)
    assert proc.returncode == 1
    reports = {r["outlet"]: r for r in map(json.loads, proc.stdout.splitlines())}
    assert reports["niaga_asia"]["status"] == "fail"
    assert "body" in reports["niaga_asia"]["error"]
    body = next(f for f in reports["niaga_asia"]["fields"] if f["field"] == "body")
    assert body["status"] == "missing" and body["selector"] is None
    assert reports["siwalima"]["status"] in ("ok", "warn")
    # nothing listens there: one report line, no traceback
    down = f"http://127.0.0.1:{_closed_port()}"
    proc = run_suar(
        "outlets", "doctor", "--outlet", "jubi", "--base-url", f"jubi={down}", check=False
    )
    assert proc.returncode == 1 and "Traceback" not in proc.stderr
    assert "FAIL" in proc.stdout and "cannot reach" in proc.stdout


def test_doctor_respects_permission(tmp_path):
    proc = run_suar("outlets", "doctor", "--outlet", "antara_aceh", check=False)
    assert proc.returncode == 2 and "written permission" in proc.stderr
    assert len(proc.stderr.strip().splitlines()) == 1


def test_check_url_unreachable_or_404_is_one_line(site):
    missing = site.base_urls["niaga_asia"] + "/berita-yang-tidak-ada/"
    proc = run_suar("outlets", "check", missing, check=False)
    assert proc.returncode == 2
    assert proc.stderr.strip() == f"suar: error: {missing}: the site answered HTTP 404 Not Found"
    down = f"http://127.0.0.1:{_closed_port()}/berita/"
    proc = run_suar("outlets", "check", down, check=False)
    assert proc.returncode == 2 and "Traceback" not in proc.stderr
    (line,) = proc.stderr.strip().splitlines()
    assert line.startswith(f"suar: error: cannot reach {down}")


def test_check_file_is_judged_by_its_real_url():
    # a saved Tribun page declares its canonical URL: the outlet and URL rules follow from it
    tribun = FIX / "tribun.html"
    out = json.loads(run_suar("outlets", "check", str(tribun), "--json").stdout)
    assert out["outlet"] == "tribun_kaltim" and out["is_article"], out["not_article_reason"]
    assert out["url"] == "https://kaltim.tribunnews.com/news/1161767/dua-kubu-bentrok"
    assert out["judged_as"] == "canonical" and out["method"] == "selectors"
    # a saved page without canonical / og:url: --url says where it came from
    kalbar = FIX / "kalbaronline.html"
    real = "https://kalbaronline.com/2025/11/03/warga-blokade-jalan-sawit/"
    out = json.loads(run_suar("outlets", "check", str(kalbar), "--url", real, "--json").stdout)
    assert out["outlet"] == "kalbaronline" and out["is_article"] and out["judged_as"] == "--url"
    assert out["author"] == "Rizal Pratama"
    # without it, the outlet's home page is all we know: said so, and not an article
    out = json.loads(
        run_suar("outlets", "check", str(kalbar), "--outlet", "kalbaronline", "--json").stdout
    )
    assert not out["is_article"] and "home page" in out["judged_as"]
    bad = run_suar("outlets", "check", str(kalbar), "--url", "kalbaronline.com/x", check=False)
    assert bad.returncode == 2 and "--url must be an http(s) URL" in bad.stderr


def test_outlets_list_shows_state_and_verification():
    lines = {line.split()[0]: line for line in run_suar("outlets", "list").stdout.splitlines()}
    assert lines["antara_kaltim"].split()[3:5] == ["permission", "evidence"]
    assert lines["niaga_asia"].split()[3:5] == ["on", "evidence"]
    assert lines["radar_sorong"].split()[3:5] == ["off", "unverified"]
    assert lines["tribun_papua"].split()[3:5] == ["off", "template"]
    rows = [json.loads(x) for x in run_suar("outlets", "list", "--json").stdout.splitlines()]
    assert len(rows) >= 30 and all(r["evidence"] and r["verification"] for r in rows)
    assert {r["permission"] for r in rows} == {None, "required"}
