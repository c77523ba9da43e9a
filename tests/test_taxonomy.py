"""The taxonomy shipped as data: `suar topics`, `suar regions find`, and --topic checks."""

from __future__ import annotations

import tomllib

from tests.conftest import REPO, run_suar


def test_suar_topics_lists_every_code_with_a_label_in_both_languages() -> None:
    from nlp.signals import TOPIC_CODES

    for lang in ("en", "id"):
        lines = run_suar("topics", "--lang", lang).stdout.splitlines()
        codes = [line.split()[0] for line in lines]
        assert sorted(codes) == sorted(TOPIC_CODES)
        assert all(len(line.split(None, 1)) == 2 for line in lines)  # every code has a label
    assert "Money politics" in run_suar("topics").stdout
    assert "Politik uang" in run_suar("topics", "--lang", "id").stdout


def test_regions_find_names_codes_with_the_unit_they_belong_to() -> None:
    out = run_suar("regions", "find", "Maluku").stdout.splitlines()
    assert out[0].split()[:3] == ["81", "province", "Maluku"]
    assert any(line.startswith("82 ") for line in out)
    district = run_suar("regions", "find", "sungai kunjang").stdout
    assert "64.72.06" in district and "district" in district and "(in Kota Samarinda)" in district
    missing = run_suar("regions", "find", "Atlantis Raya", check=False)
    assert missing.returncode == 1 and "no region" in missing.stderr
    assert "Traceback" not in missing.stderr


def test_a_wrong_topic_in_search_names_the_valid_codes() -> None:
    proc = run_suar("search", "--topic", "conflict.riots", "bentrok", check=False)
    assert proc.returncode == 2 and len(proc.stderr.strip().splitlines()) == 1
    assert "conflict.riot," in proc.stderr and "suar topics" in proc.stderr
    bad_family = run_suar("search", "--topic", "sport.*", "bentrok", check=False)
    assert bad_family.returncode == 2 and "conflict.*" in bad_family.stderr


def test_taxonomy_data_agrees_with_the_digest_labels() -> None:
    from pipeline.taxonomy import taxonomy

    tax = taxonomy()
    with (REPO / "pipeline" / "data" / "digest_labels.toml").open("rb") as fh:
        labels = tomllib.load(fh)
    for lang in ("en", "id"):
        assert {k: v[lang] for k, v in tax["actor_classes"].items()} == labels[lang][
            "actor_classes"
        ]
        assert {k: v[lang] for k, v in tax["levels"].items()} == labels[lang]["levels"]
    assert (REPO / "docs" / "TAXONOMY.md").exists()
