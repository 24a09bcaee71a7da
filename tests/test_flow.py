"""Flowchart walks, deadlines for a case, and local overlays, on a small branching chart."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from kb.corpus import load_corpus, load_valid_corpus
from kb.deadlines import deadlines
from kb.flow import FlowError, walk

CHART = """\
key: case
title: A case from referral to review
steps:
  - id: referral-received
    title: Referral received
    provisions: [referral-decision]
    next: [{to: decision}]
  - id: decision
    title: Decision on the referral
    within: 1 working day
    from: referral-received
    next:
      - {to: strategy-discussion, when: reasonable cause to suspect significant harm}
      - {to: assessment, when: child in need}
      - {to: nfa, when: no further action}
  - id: strategy-discussion
    title: Strategy discussion
    next: [{to: icpc}]
  - id: icpc
    title: Initial child protection conference
    within: 15 working days
    from: strategy-discussion
    next: [{to: review}]
  - id: review
    title: First review conference
    within: 3 months
    from: icpc
  - id: assessment
    title: Assessment
    within: 45 working days
    from: referral-received
  - id: nfa
    title: No further action
"""

OVERLAY = """\
area: example
title: Example area (fictional)
edition: 2023
provenance: {note: test overlay}
steps:
  - {flow: case, step: icpc, within: 10 working days, from: strategy-discussion, note: local target}
"""


@pytest.fixture
def corpus(corpus_dir: Path):
    (corpus_dir / "wt/2023/flowcharts/case.yaml").write_text(CHART)
    return load_valid_corpus(corpus_dir)


def test_walk_follows_answers_and_stops_where_an_answer_is_needed(corpus) -> None:
    chart = corpus.flowcharts[(2023, "case")]
    waiting = walk(chart, {})
    assert [s.id for s in waiting.path] == ["referral-received", "decision"]
    assert waiting.waiting_at.id == "decision" and "child in need" in waiting.options
    done = walk(chart, {"decision": "significant harm"})
    assert [s.id for s in done.path] == [
        "referral-received",
        "decision",
        "strategy-discussion",
        "icpc",
        "review",
    ]
    assert done.waiting_at is None
    assert [s.id for s in walk(chart, {"decision": "nfa"}).path][-1] == "nfa"


@pytest.mark.parametrize(
    ("answers", "message"),
    [
        ({"decision": "maybe"}, "matches 0 branches"),
        ({"decision": "e"}, "matches 3 branches"),
        ({"nowhere": "x"}, "answers name steps the flowchart lacks: nowhere"),
    ],
)
def test_walk_rejects_answers_it_cannot_follow(corpus, answers: dict, message: str) -> None:
    with pytest.raises(FlowError, match=message):
        walk(corpus.flowcharts[(2023, "case")], answers)


def test_deadlines_chain_through_projected_dates(corpus) -> None:
    chart = corpus.flowcharts[(2023, "case")]
    rows = {r.step.id: r for r in deadlines(chart, date(2023, 12, 22))}
    assert rows["decision"].due == date(2023, 12, 27) and not rows["decision"].projected
    assert rows["assessment"].due == date(2024, 2, 28)
    assert rows["icpc"].due is None, "the strategy discussion has no date and no timescale"
    given = {
        r.step.id: r for r in deadlines(chart, date(2023, 12, 22), {"strategy-discussion": date(2024, 1, 5)})
    }
    assert given["icpc"].due == date(2024, 1, 26) and not given["icpc"].projected
    assert given["review"].due == date(2024, 4, 26) and given["review"].projected
    assert given["icpc"].origin == "national"


def test_drift_in_working_days(corpus) -> None:
    chart = corpus.flowcharts[(2023, "case")]
    actual = {
        "decision": date(2024, 1, 2),
        "strategy-discussion": date(2024, 1, 5),
        "icpc": date(2024, 1, 24),
    }
    rows = {r.step.id: r for r in deadlines(chart, date(2023, 12, 22), actual)}
    assert rows["decision"].drift == 3  # due Wed 27 Dec; 28, 29 Dec and 2 Jan are working days
    assert rows["icpc"].drift == -2
    assert rows["review"].due == date(2024, 4, 24) and not rows["review"].projected


def test_local_overlay_replaces_the_national_figure(corpus_dir: Path) -> None:
    (corpus_dir / "wt/2023/flowcharts/case.yaml").write_text(CHART)
    (corpus_dir / "local/example").mkdir(parents=True)
    (corpus_dir / "local/example/overlay.yaml").write_text(OVERLAY)
    corpus = load_valid_corpus(corpus_dir)
    overlay = corpus.overlays["example"]
    rows = {
        r.step.id: r
        for r in deadlines(
            corpus.flowcharts[(2023, "case")],
            date(2024, 1, 1),
            {"strategy-discussion": date(2024, 1, 5)},
            overlay,
        )
    }
    assert rows["icpc"].due == date(2024, 1, 19) and rows["icpc"].origin == "local: example"
    assert rows["icpc"].note == "local target"
    assert rows["decision"].origin == "national"


def test_a_local_note_alone_keeps_the_national_figure(corpus_dir: Path) -> None:
    (corpus_dir / "wt/2023/flowcharts/case.yaml").write_text(CHART)
    (corpus_dir / "local/example").mkdir(parents=True)
    noted = OVERLAY.replace(
        "within: 10 working days, from: strategy-discussion, note: local target", "note: ring first"
    )
    (corpus_dir / "local/example/overlay.yaml").write_text(noted)
    corpus = load_valid_corpus(corpus_dir)
    chart, overlay = corpus.flowcharts[(2023, "case")], corpus.overlays["example"]
    icpc = next(
        r
        for r in deadlines(chart, date(2024, 1, 1), {"strategy-discussion": date(2024, 1, 5)}, overlay)
        if r.step.id == "icpc"
    )
    assert (icpc.origin, icpc.note, icpc.timescale.amount) == ("national", "ring first", 15)


@pytest.mark.parametrize(
    ("old", "new", "message"),
    [
        ("step: icpc", "step: nowhere", "flowchart 'case' has no step 'nowhere'"),
        ("flow: case", "flow: other", "no flowchart 'other' in that edition"),
        ("within: 10 working days", "within: soon", "bad timescale 'soon'"),
        ("area: example", "area: elsewhere", "does not match folder 'example'"),
        ("  - {flow: case", "  -\n  - {flow: case", "steps item 1 is not a rule"),
        (
            "steps:\n  - {flow: case, step: icpc, within: 10 working days, from: strategy-discussion, note: local target}",
            "steps: every step",
            "steps is a list of local rules",
        ),
    ],
)
def test_overlay_problems_name_file_and_line(corpus_dir: Path, old: str, new: str, message: str) -> None:
    (corpus_dir / "wt/2023/flowcharts/case.yaml").write_text(CHART)
    (corpus_dir / "local/example").mkdir(parents=True)
    (corpus_dir / "local/example/overlay.yaml").write_text(OVERLAY.replace(old, new))
    problems = [str(p) for p in load_corpus(corpus_dir).problems]
    assert any(p.startswith("corpus/local/example/overlay.yaml:") and message in p for p in problems), (
        problems
    )


def chart_problems(corpus_dir: Path, chart: str) -> list[str]:
    """The corpus's problems, as printed, once the test chart reads ``chart``."""
    (corpus_dir / "wt/2023/flowcharts/case.yaml").write_text(chart)
    return [str(p) for p in load_corpus(corpus_dir).problems]


def test_unreachable_step_is_a_problem(corpus_dir: Path) -> None:
    problems = chart_problems(corpus_dir, CHART.replace("      - {to: nfa, when: no further action}\n", ""))
    assert "corpus/wt/2023/flowcharts/case.yaml:31: step 'nfa' is unreachable from the start" in problems


def test_a_chart_can_start_the_clock_at_a_later_step(corpus_dir: Path) -> None:
    concern = "steps:\n  - id: concern\n    title: Concern\n    next: [{to: referral-received}]\n"
    started = CHART.replace("steps:\n", "start: referral-received\n" + concern, 1)
    (corpus_dir / "wt/2023/flowcharts/case.yaml").write_text(started)
    chart = load_valid_corpus(corpus_dir).flowcharts[(2023, "case")]
    rows = {r.step.id: r for r in deadlines(chart, date(2023, 12, 22))}
    assert rows["referral-received"].actual == date(2023, 12, 22) and rows["concern"].actual is None
    assert rows["decision"].due == date(2023, 12, 27)


def test_a_start_that_names_no_step_is_a_problem(corpus_dir: Path) -> None:
    problems = chart_problems(corpus_dir, "start: nowhere\n" + CHART)
    assert "corpus/wt/2023/flowcharts/case.yaml:1: 'start' names no step: 'nowhere'" in problems


@pytest.mark.parametrize(
    ("old", "new", "message"),
    [
        ("    provisions: [referral-decision]\n", "    provisions:\n", "'provisions' must be a list"),
        ("    provisions: [referral-decision]\n", "    provisions: [{a: 1}]\n", "each entry of 'provisions'"),
        (
            "    title: Strategy discussion\n",
            "    title: Strategy discussion\n    roles: 5\n",
            "'roles' must be a list",
        ),
        ("    next: [{to: icpc}]\n", "    next:\n", "'next' must be a list"),
        ("    next: [{to: icpc}]\n", "    next: [{to: [icpc]}]\n", "'next' names missing step"),
        ("  - id: nfa\n", "  - id: [nfa]\n", "step"),
        ("    from: icpc\n", "    from: {a: 1}\n", "from"),
    ],
)
def test_a_step_with_fields_of_the_wrong_shape_is_a_problem_not_a_crash(
    corpus_dir: Path, old: str, new: str, message: str
) -> None:
    """Hand-edited YAML gets shapes wrong (an empty key is null); each is a file:line problem."""
    assert old in CHART
    problems = chart_problems(corpus_dir, CHART.replace(old, new, 1))
    assert any(p.startswith("corpus/wt/2023/flowcharts/case.yaml:") and message in p for p in problems), (
        problems
    )
