"""Generic extraction quality on the shared real-page test set (skips when it is absent)."""

from pathlib import Path

import pytest

from crawler.quality import main, prf, score_extraction

SHARED = Path(__file__).resolve().parents[2] / "shared"
HAVE_SHARED = (SHARED / "data" / "extraction").is_dir()


def test_prf_is_multiset_token_overlap():
    assert prf("Warga warga datang", "warga datang pagi") == pytest.approx((2 / 3, 2 / 3, 2 / 3))
    assert prf("", "ada") == (0.0, 0.0, 0.0)
    assert prf("Sama, persis.", "sama persis") == (1.0, 1.0, 1.0)


@pytest.mark.skipif(not HAVE_SHARED, reason="../shared/data/extraction not available")
def test_generic_path_mean_f1_at_least_097(capsys):
    res = score_extraction(SHARED)
    assert res["count"] >= 10
    assert res["mean"]["f1"] >= 0.97, res["pages"]
    for name, page in res["pages"].items():
        assert page["is_article"], name
        assert page["f1"] >= 0.85, (name, page)
    english = {n: p for n, p in res["pages"].items() if n.startswith("thejakarta")}
    assert len(english) == 2 and all(p["language"] == "en" for p in english.values())
    assert main(["--shared", str(SHARED)]) == 0
    assert "MEAN" in capsys.readouterr().out


@pytest.mark.skipif(not HAVE_SHARED, reason="../shared/data/extraction not available")
def test_outlets_check_cli_generic_path_reaches_097():
    """The acceptance path: `suar outlets check FILE --json` on each real page."""
    import json

    from tests.conftest import run_suar

    folder = SHARED / "data" / "extraction"
    scores = []
    for html_path in sorted(folder.glob("*.html")):
        expected = (folder / f"{html_path.stem}_expectation.txt").read_text(encoding="utf-8")
        out = json.loads(run_suar("outlets", "check", str(html_path), "--json").stdout)
        assert {"title", "published_at", "author", "body"} <= set(out)
        assert out["outlet"] is None  # a file without --outlet takes the generic path
        scores.append(prf(((out["dateline_raw"] or "") + " " + out["body"]).strip(), expected)[2])
    assert len(scores) == 10
    assert sum(scores) / len(scores) >= 0.97, scores
