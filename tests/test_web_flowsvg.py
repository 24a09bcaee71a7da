"""The flowchart layout: steps in layers by longest path, boxes that never overlap, branches from the
bottom of one box to the top of the next, long branches routed round boxes, loops drawn on the side."""

from __future__ import annotations

import re

import pytest

from kb.flow import Branch, Flowchart, Step
from kb.timescale import Timescale
from web.flowsvg import Box, Drawing, back_edges, layer_of, layout


def step(step_id: str, *to: str | tuple[str, str], provisions: tuple[str, ...] = ()) -> Step:
    """A step; each ``to`` is a target id, or (target, condition)."""
    branches = tuple(Branch(t) if isinstance(t, str) else Branch(*t) for t in to)
    return Step(step_id, f"Step {step_id} " + "with a long title " * 2, (), provisions, branches)


def chart(*steps: Step) -> Flowchart:
    return Flowchart("test", "Test", 2018, steps, {}, steps[0].id)


def draw(c: Flowchart) -> Drawing:
    return layout(c, lambda key: (f"Provision {key}", f"/provisions/2018/{key}"))


def ends(path: str) -> tuple[tuple[float, float], tuple[float, float]]:
    numbers = [tuple(map(float, p.split(","))) for p in re.findall(r"-?[\d.]+,-?[\d.]+", path)]
    return numbers[0], numbers[-1]


def overlap(a: Box, b: Box) -> bool:
    return a.x < b.x + b.width and b.x < a.x + a.width and a.y < b.y + b.height and b.y < a.y + a.height


# a -> b -> d, a -> c -> d, a -> d (skips a layer), with conditions on a's branches
DIAMOND = chart(
    step("a", ("b", "yes"), ("c", "no"), ("d", "no")),
    step("b", "d"),
    step("c", "d"),
    step("d", provisions=("p1", "p2")),
)


def test_layers_follow_the_longest_path() -> None:
    assert layer_of(DIAMOND, back_edges(DIAMOND)) == {"a": 0, "b": 1, "c": 1, "d": 2}


def test_boxes_never_overlap_and_each_layer_is_below_the_last() -> None:
    drawing = draw(DIAMOND)
    boxes = {b.step.id: b for b in drawing.boxes}
    assert not any(overlap(x, y) for x in drawing.boxes for y in drawing.boxes if x is not y)
    assert boxes["a"].y + boxes["a"].height < boxes["b"].y == boxes["c"].y
    assert boxes["b"].y + boxes["b"].height < boxes["d"].y
    assert all(b.x >= 0 and b.x + b.width <= drawing.width for b in drawing.boxes)
    assert all(b.y + b.height <= drawing.height for b in drawing.boxes)


def test_each_branch_runs_from_the_bottom_of_its_step_to_the_top_of_the_next() -> None:
    drawing = draw(DIAMOND)
    boxes = {b.step.id: b for b in drawing.boxes}
    edges = [(s.id, b.to) for s in DIAMOND.steps for b in s.next]
    assert len(drawing.paths) == len(edges)
    for path, (a, b) in zip(drawing.paths, edges, strict=True):
        start, end = ends(path)
        assert start == pytest.approx((boxes[a].centre, boxes[a].y + boxes[a].height), abs=0.1)
        assert end == pytest.approx((boxes[b].centre, boxes[b].y), abs=0.1)


def test_a_branch_that_skips_a_layer_goes_round_the_steps_in_it() -> None:
    drawing = draw(DIAMOND)
    boxes = {b.step.id: b for b in drawing.boxes}
    skip = drawing.paths[2]  # a -> d
    verticals = [float(x) for x in re.findall(r"L(-?[\d.]+),", skip)]
    assert verticals, "the long branch passes straight down through a placeholder"
    for middle in (boxes["b"], boxes["c"]):
        assert all(not middle.x <= x <= middle.x + middle.width for x in verticals)


def test_conditions_label_the_step_they_lead_to_once() -> None:
    boxes = {b.step.id: b for b in draw(DIAMOND).boxes}
    assert " ".join(boxes["b"].condition) == "If yes"
    assert (
        " ".join(boxes["d"].condition) == "If no"
    )  # a -> d and a -> c share "no"; d is reached by "no" once
    assert boxes["a"].condition == ()


def test_every_provision_of_a_step_is_a_link() -> None:
    [*_, d] = draw(DIAMOND).boxes
    assert [(link.title, link.href) for link in d.links] == [
        ("Provision p1", "/provisions/2018/p1"),
        ("Provision p2", "/provisions/2018/p2"),
    ]


def test_a_loop_back_up_the_chart_is_drawn_round_the_right_hand_side() -> None:
    looped = chart(
        step("a", "b"), step("b", ("c", "review")), step("c", ("b", "plan continues"), "d"), step("d")
    )
    assert back_edges(looped) == {("c", "b")}
    assert layer_of(looped, back_edges(looped)) == {"a": 0, "b": 1, "c": 2, "d": 3}
    drawing = draw(looped)
    boxes = {b.step.id: b for b in drawing.boxes}
    start, end = ends(drawing.paths[-1])
    assert start[0] == boxes["c"].x + boxes["c"].width and end[0] == boxes["b"].x + boxes["b"].width
    assert drawing.width > boxes["b"].x + boxes["b"].width + 16


def test_timescales_name_the_step_they_run_from() -> None:
    timed = Step("b", "Decision", (), (), (), Timescale(1, "working day", "a"))
    [_, b] = draw(chart(step("a", "b"), timed)).boxes
    assert " ".join(b.timescale) == "Within 1 working day of step 1"
