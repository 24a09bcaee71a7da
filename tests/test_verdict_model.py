"""The statutory checker's learned last stage: fitting, applying, revising a decision, and a model
that cannot be loaded (the checker then gives the rules' verdict and says so)."""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path

import pytest

from kb.service import Knowledge
from kb.statutory import VERDICTS, Candidate, Decision
from kb.verdict_model import ModelError, VerdictModel, apply, features, fit, load_model, revise
from tests.test_statutory import claim, provision, same_role

STATUTORY = Candidate(provision("duty"), 0.8)
ADVICE = Candidate(provision("tip", status="advice"), 0.75)


def rows_for(verdict: str) -> dict[str, float]:
    return {"bias": 1.0, f"rule:{verdict}": 1.0, "above": 0.1}


def test_fit_learns_each_verdict_and_gives_probabilities() -> None:
    rows = [rows_for(v) for v in VERDICTS for _ in range(10)]
    gold = [v for v in VERDICTS for _ in range(10)]
    model = VerdictModel(fit(rows, gold)["weights"], {})
    for v in VERDICTS:
        p = model.probabilities({**rows_for(v), "never seen": 3.0})
        assert max(p, key=lambda k: p[k]) == v and sum(p.values()) == pytest.approx(1.0)


def test_a_model_that_learned_to_overrule_the_rules_does_so() -> None:
    rows = [rows_for("statutory") | {"claim:permits": 1.0} for _ in range(20)]
    model = VerdictModel(fit(rows, ["advice"] * 20)["weights"], {})
    c = claim("Anyone can make a referral.", permits=True)
    rules = Decision("statutory", "status", STATUTORY)
    final, p = apply(model, c, (STATUTORY, ADVICE), rules, 0.5, same_role)
    assert (final.verdict, final.reason, final.evidence) == ("advice", "status", ADVICE)
    assert p["advice"] > 0.5


def test_features_say_what_the_rules_decided_and_which_field_differs() -> None:
    c = claim("The police must decide.", roles=("police",), obliges=True)
    x = features(c, (STATUTORY, ADVICE), Decision("contradicts", "actor", STATUTORY), 0.7, same_role)
    assert x["rule:contradicts"] == x["reason:actor"] == x["actor_differs"] == x["claim:obliges"] == 1.0
    assert x["above"] == pytest.approx(0.1) and x["margin"] == pytest.approx(0.05)


def test_revise_keeps_the_rules_reason_when_it_agrees_and_gives_one_when_it_does_not() -> None:
    rules = Decision("statutory", "status", STATUTORY)
    assert revise(rules, (STATUTORY, ADVICE), "statutory") is rules
    assert revise(rules, (STATUTORY, ADVICE), "not_in_guidance").reason == "low_similarity"
    assert revise(rules, (STATUTORY, ADVICE), "contradicts").reason == "learned"
    assert revise(Decision("advice", "status", ADVICE), (ADVICE,), "statutory").verdict == "advice"


def test_save_and_load_round_trip(tmp_path: Path) -> None:
    model = VerdictModel({"bias": [0.1, 0.2, 0.3, 0.4]}, {"items": 3})
    model.save(tmp_path / "m.json")
    assert VerdictModel.load(tmp_path / "m.json") == model


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (None, "cannot load the verdict model"),
        ("not json", "cannot load the verdict model"),
        (json.dumps({"verdicts": ["statutory"], "weights": {"bias": [1.0]}}), "one per verdict"),
        (json.dumps([1, 2]), "cannot load the verdict model"),
        (json.dumps({"verdicts": list(VERDICTS), "weights": [[1.0]]}), "cannot load the verdict model"),
        (json.dumps({"verdicts": list(VERDICTS), "weights": {"bias": [1, 2, 3, "x"]}}), "not numbers"),
    ],
)
def test_a_model_that_cannot_load_says_why(tmp_path: Path, content: str | None, message: str) -> None:
    path = tmp_path / "m.json"
    if content is not None:
        path.write_text(content)
    with pytest.raises(ModelError, match=message):
        VerdictModel.load(path)
    model, note = load_model(path)
    assert model is None and note.startswith("rules only:") and message in note


def test_without_a_model_the_checker_gives_the_rules_verdict_and_says_so(real_knowledge: Knowledge) -> None:
    checker = replace(real_knowledge.checker, model=None, model_note="rules only: no file")
    result = checker.check("The ICPC must be held within 10 days of the referral.")
    assert result["verdict_model"] == "rules only: no file"
    assert result["verdict"] == result["rules_verdict"] == "contradicts" and result["reason"] == "timescale"


def test_the_shipped_checker_applies_its_model(real_knowledge: Knowledge) -> None:
    result = real_knowledge.statutory(
        "Governing bodies must have regard to Keeping children safe in education."
    )
    assert result["verdict_model"] == "applied" and result["rules_verdict"] in VERDICTS
    assert 0.0 <= result["confidence"] <= 1.0


def test_a_learned_contradiction_is_explained(real_knowledge: Knowledge) -> None:
    checker = real_knowledge.checker
    found = checker.candidates("Schools must hold a safeguarding fair.", None)
    d = Decision("contradicts", "learned", found[0])
    assert "compare it with" in checker.explain(
        d, checker.read("Schools must hold a safeguarding fair.", None)
    )
