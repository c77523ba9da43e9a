"""The trained signal stage (nlp/signal_model.py, nlp/signal_train.py): the committed model
decides topics and level with confidences, and training works end to end.

The texts here are written for these tests, in the style of regional reports."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from nlp import signal_model as sm
from nlp import signal_train as st

SHARED = Path(__file__).resolve().parents[1].parent / "shared"

RIOT = (
    "Demo Tolak Tambang di Kantor Bupati Berakhir Ricuh\n"
    "SAMARINDA - Unjuk rasa ratusan warga menolak izin tambang batu bara di depan kantor "
    "bupati berakhir ricuh, Senin (3/3/2025). Massa melempari petugas dengan batu dan "
    "membakar ban, sementara polisi menembakkan gas air mata untuk membubarkan mereka.\n"
    "Lima orang luka-luka dan dua belas orang diamankan polisi usai bentrokan itu."
)
ROUTINE = (
    "Pemkot Gelar Lomba Kebersihan Kampung\n"
    "BALIKPAPAN - Pemerintah kota menggelar lomba kebersihan antarkampung untuk menyambut hari "
    "jadi kota, Rabu (5/3/2025). Wali kota berharap warga menjaga lingkungan tetap bersih."
)

DEMO_ARTICLES = Path(__file__).resolve().parents[1] / "crawler" / "demosite" / "articles.toml"


@pytest.fixture(scope="module")
def nlp():
    from nlp.pipeline import build_nlp

    return build_nlp(ner_backend="none")


def test_committed_model_decides_with_confidences(nlp) -> None:
    assert (sm.DEFAULT_MODEL_DIR / sm.MODEL_FILE).exists(), "models/signals/model.json missing"
    assert "suar_signal_model" in nlp.pipe_names
    assert nlp.pipe_names.index("suar_signal_model") > nlp.pipe_names.index("suar_signals")
    riot, routine = nlp(RIOT), nlp(ROUTINE)
    esc = riot._.escalation
    assert esc["level"] >= 2
    assert 0.0 <= esc["confidence"] <= 1.0
    assert esc["evidence"] and esc["evidence"]["cue"] in RIOT
    assert riot._.topics, "a riot over a mine has a topic"
    for t in riot._.topics:
        assert t["code"] in sm.topic_codes()
        assert 0.0 <= t["confidence"] <= 1.0
    assert riot._.rule_topics is not None and riot._.rule_escalation is not None
    assert routine._.escalation["level"] == 0 and routine._.topics == []
    assert 0.0 <= routine._.escalation["confidence"] <= 1.0


def test_annotate_carries_confidence_fields(nlp) -> None:
    from nlp.annotate import enrich_articles, public_result

    out = public_result(enrich_articles([{"id": 1, "title": "", "text": RIOT}], nlp)[0])
    assert isinstance(out["escalation"]["confidence"], float)
    assert all(isinstance(t["confidence"], float) for t in out["topics"])


# a small labelled set written for this test: protests, riots, preparedness, routine news
_SYNTH = [
    ("Ratusan buruh berunjuk rasa menuntut kenaikan upah di depan kantor gubernur.",
     ["conflict.protest"], 2),
    ("Mahasiswa menggelar demo menolak kenaikan harga BBM di gedung DPRD secara damai.",
     ["conflict.protest"], 2),
    ("Warga berdemo memprotes pencemaran sungai oleh pabrik dan berorasi di jalan.",
     ["conflict.protest"], 2),
    ("Aksi unjuk rasa nelayan menolak reklamasi pantai berlangsung tertib.",
     ["conflict.protest"], 2),
    ("Demo menolak pajak berakhir ricuh, massa melempari polisi dengan batu dan membakar ban.",
     ["conflict.riot"], 3),
    ("Kerusuhan pecah saat massa merusak kantor camat dan membakar kendaraan dinas.",
     ["conflict.riot"], 3),
    ("Massa anarkis melempar batu ke gedung DPRD hingga kaca pecah, unjuk rasa ricuh.",
     ["conflict.riot"], 3),
    ("Bentrok massa dengan aparat membuat demo ricuh dan sejumlah fasilitas dirusak.",
     ["conflict.riot"], 3),
    ("Polres menggelar apel siaga pengamanan pemilu dan memetakan TPS rawan.",
     ["election.preparedness"], 1),
    ("Rakor Forkopimda membahas kesiapan pengamanan pilkada dan potensi kerawanan.",
     ["election.preparedness"], 1),
    ("KPU dan polisi mengantisipasi kerawanan menjelang pemungutan suara di TPS.",
     ["election.preparedness"], 1),
    ("Pemkab meresmikan jembatan baru yang menghubungkan dua desa.", [], 0),
    ("Harga cabai di pasar tradisional turun menjelang akhir pekan.", [], 0),
    ("Sekolah dasar negeri menggelar lomba mewarnai untuk murid kelas satu.", [], 0),
    ("Dinas kesehatan membuka layanan vaksinasi gratis bagi lansia.", [], 0),
]  # fmt: skip


def _synthetic() -> list[st.Example]:
    codes = sm.topic_codes()
    rows = [
        {"id": f"s{i}", "title": "", "text": text, "topics": topics, "escalation": level,
         "story": f"story-{i // 2}" if i < 4 else None}
        for i, (text, topics, level) in enumerate(_SYNTH)
    ]  # fmt: skip
    return [st.example_from_row(r, "synthetic", codes) for r in rows]


def test_training_end_to_end_on_a_tiny_set(nlp, tmp_path) -> None:
    examples = _synthetic()
    feats, rules = st.featurize(examples, nlp)
    recipe = {**st.load_recipe(), "min_df": 1, "folds": 3}
    model = st.fit(examples, feats, recipe)
    model.save(tmp_path)
    loaded = sm.SignalModel.load(tmp_path)
    t, levels, pt, conf = st.predict_all(loaded, feats)
    assert ((pt >= 0) & (pt <= 1)).all() and ((conf >= 0) & (conf <= 1)).all()
    fit_score = st.score(examples, t, levels, pt, conf)
    assert fit_score["relevance_accuracy"] >= 0.8  # it learnt its own training set
    cv = st.cross_validate(examples, feats, recipe)
    for key in ("topic_micro_f1", "escalation_exact", "topic_ece", "level_ece"):
        assert 0.0 <= cv[key] <= 1.0
    # the artifact holds weights and a vocabulary, never the training texts or labels
    raw = (tmp_path / sm.MODEL_FILE).read_text(encoding="utf-8")
    assert _SYNTH[0][0] not in raw and "s0" not in raw.split('"vocab"')[0]
    # and the component uses a model directory given in the config
    comp = sm.SignalModelComponent(str(tmp_path))
    doc = comp(nlp.get_pipe("suar_signals")(nlp.get_pipe("suar_sentences")(nlp.make_doc(RIOT))))
    assert 0.0 <= doc._.escalation["confidence"] <= 1.0


def test_bad_training_rows_are_refused() -> None:
    codes = sm.topic_codes()
    with pytest.raises(st.TrainingDataError, match="taxonomy"):
        st.example_from_row({"id": 1, "text": "x", "topics": ["riot"], "escalation": 3}, "f", codes)
    with pytest.raises(st.TrainingDataError, match="0-4"):
        st.example_from_row({"id": 1, "text": "x", "topics": [], "escalation": 7}, "f", codes)


def test_expected_calibration_error() -> None:
    assert st.ece(np.array([0.9] * 10), np.array([1] * 9 + [0])) == pytest.approx(0.0)
    assert st.ece(np.array([1.0, 1.0]), np.array([0, 0])) == pytest.approx(1.0)


def test_group_folds_keep_stories_whole() -> None:
    examples = _synthetic()
    folds = st.group_folds(examples, 3, seed=0)
    assert sorted(np.concatenate(folds).tolist()) == list(range(len(examples)))
    where = {i: k for k, f in enumerate(folds) for i in f}
    for a in examples:
        for b in examples:
            if a.group == b.group:
                assert where[examples.index(a)] == where[examples.index(b)]


@pytest.mark.skipif(not (SHARED / "data" / "news-train").exists(), reason="needs ../shared")
def test_training_data_groups_by_story() -> None:
    examples = st.training_examples(SHARED, demo_articles=DEMO_ARTICLES)
    assert len(examples) >= 169 + 40
    groups = {e.group for e in examples}
    assert len(groups) < len(examples)  # multi-outlet stories share a group
    assert all(e.level in sm.LEVELS for e in examples)


def test_ordinal_levels_are_probabilities() -> None:
    # cumulative P(level >= k) that are not monotone still give a distribution
    cum = np.array([[0.9, 0.95, 0.2, 0.3], [0.1, 0.05, 0.0, 0.0]])
    p = sm.cumulative_to_classes(cum)
    assert p.shape == (2, 5)
    assert (p >= 0).all() and np.allclose(p.sum(axis=1), 1.0)
    assert p[0].argmax() == 2 and p[1].argmax() == 0


def test_calibration_softens_overconfidence_and_trusts_the_rules(nlp) -> None:
    examples = _synthetic()
    feats, _ = st.featurize(examples, nlp)
    recipe = {**st.load_recipe(), "min_df": 1, "folds": 3, "level_mode": "multinomial"}
    model = st.fit(examples, feats, recipe)
    rng = np.random.default_rng(0)
    y = rng.integers(0, 5, 400)
    guess = np.where(rng.random(400) < 0.5, y, rng.integers(0, 5, 400))
    z = 12.0 * np.eye(5)[guess]  # right half of the time, ~100% sure every time
    t = st.fit_level_temperature(z, y, model)
    assert t > 2.0
    model.level_temp = t
    assert model.level_probabilities(z).max(axis=1).mean() < 0.8
    # topics the rules chose are right more often than their low model probability says
    p = rng.uniform(0.05, 0.4, (300, 4))
    rule = (rng.random((300, 4)) < 0.3).astype(float)
    gold = np.where(rule > 0, rng.random((300, 4)) < 0.85, rng.random((300, 4)) < p)
    a, b, c = st.fit_topic_calibration(p, rule, gold.astype(float))
    assert b > 1.0
    model.topic_calibration = [a, b, c]
    conf = model.topic_confidence(p, rule)
    assert conf[rule > 0].mean() == pytest.approx(gold[rule > 0].mean(), abs=0.1)
    assert st.ece(conf.ravel(), gold.ravel()) < st.ece(p.ravel(), gold.ravel())


def test_cross_validation_reports_ece_before_and_after_calibration(nlp) -> None:
    examples = _synthetic()
    feats, _ = st.featurize(examples, nlp)
    recipe = {**st.load_recipe(), "min_df": 1, "folds": 3, "level_mode": "ordinal"}
    cv = st.cross_validate(examples, feats, recipe)
    for key in ("topic_ece", "level_ece"):
        assert 0.0 <= cv[key] <= 1.0 and 0.0 <= cv[f"{key}_uncalibrated"] <= 1.0
    model = st.fit(examples, feats, recipe)
    assert model.level_coef.shape[0] == 4  # one cumulative model per level 1-4
    st.calibrate(model, cv["oof"])
    assert model.params["level_temperature"] > 0 and len(model.params["topic_calibration"]) == 3
    _, levels, pt, conf = st.predict_all(model, feats)
    assert ((pt >= 0) & (pt <= 1)).all() and ((conf >= 0) & (conf <= 1)).all()


@pytest.mark.parametrize("kind", ["forest", "boosting"])
def test_exported_level_trees_answer_as_scikit_learn_does(kind: str) -> None:
    """The packed numpy walk over the JSON spec gives scikit-learn's probabilities on rows
    it was not fitted on, after a JSON round trip (the artifact is JSON)."""
    import json

    from sklearn.ensemble import HistGradientBoostingClassifier, RandomForestClassifier

    rng = np.random.default_rng(1)
    x = rng.normal(size=(400, 6))
    # an interaction a linear model cannot draw: the level rises only when both cues agree
    y = np.clip((x[:, 0] > 0).astype(int) * (1 + (x[:, 1] > 0.3) + (x[:, 2] > 1.0)), 0, 4)
    y[rng.random(400) < 0.1] = 4
    recipe = st.load_recipe()
    spec = json.loads(json.dumps(st.fit_trees(kind, x, y, recipe, seed=0)))
    fresh = rng.normal(size=(200, 6))
    maker = RandomForestClassifier if kind == "forest" else HistGradientBoostingClassifier
    extra = {"n_jobs": 1} if kind == "forest" else {}
    clf = maker(random_state=0, **extra, **recipe[kind]).fit(x, y)
    want = clf.predict_proba(fresh)
    got = sm.TreeEnsemble(spec).probabilities(fresh)
    assert got.shape == (200, 5)
    assert np.abs(got - want).max() < 1e-4
    assert (got.argmax(1) == want.argmax(1)).all()


def test_committed_level_ensemble_temperature_changes_confidence_not_level() -> None:
    model = sm.load_model()
    assert model is not None and {t.kind for t in model.level_trees} == {"forest", "boosting"}
    rng = np.random.default_rng(2)
    x = rng.normal(size=(50, len(model.dense_names) + len(model.vocab)))
    z = x @ model.level_coef.T + model.level_bias
    trees = model.tree_probabilities(x)
    assert trees is not None and np.allclose(trees.sum(axis=1), len(model.level_trees))
    saved = model.level_temp
    try:
        answers = []
        for temp in (0.5, 1.0, 3.0):
            model.level_temp = temp
            p = model.level_probabilities(z, trees)
            assert np.allclose(p.sum(axis=1), 1.0)
            answers.append(p)
    finally:
        model.level_temp = saved
    assert (answers[0].argmax(1) == answers[2].argmax(1)).all()
    assert answers[0].max(1).mean() > answers[1].max(1).mean() > answers[2].max(1).mean()
