"""Local timescale overlays: an area's own figure for a step replaces the national one.

Munro's review found that national timescales drove compliance over judgement; local areas set
their own. An overlay lives in ``corpus/local/<area>/overlay.yaml`` with its own provenance, and
every deadline says whether its figure is national or local.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from kb import yamlfile
from kb.flow import Flowchart
from kb.problems import Problem, rel
from kb.timescale import Timescale, TimescaleError, parse_timescale

OVERLAY_KEYS = {"area", "title", "edition", "provenance", "steps", yamlfile.LINE}
RULE_KEYS = {"flow", "step", "within", "from", "note", yamlfile.LINE}


@dataclass(frozen=True)
class LocalRule:
    flow: str
    step: str
    timescale: Timescale | None
    note: str | None


@dataclass(frozen=True)
class Overlay:
    area: str
    title: str
    edition: int
    provenance: dict[str, Any]
    rules: tuple[LocalRule, ...]

    def rule(self, flow: str, step: str) -> LocalRule | None:
        return next((r for r in self.rules if (r.flow, r.step) == (flow, step)), None)


def edition_mismatch(area: str, overlays: dict[str, Overlay], edition: int, what: str) -> str | None:
    """Why an area's overlay cannot adapt ``what`` (of ``edition``), naming both editions and the areas
    that do adapt it; None when the editions agree. A silent mix of editions would give wrong dates."""
    adapted = overlays[area].edition
    if adapted == edition:
        return None
    fitting = sorted(a for a, o in overlays.items() if o.edition == edition)
    hint = f"use one of: {', '.join(fitting)}" if fitting else f"no local area adapts WT {edition}"
    return f"local area {area!r} adapts WT {adapted}, but {what} is WT {edition} ({hint})"


def _rule(
    raw: dict[str, Any], where: str, charts: dict[str, Flowchart]
) -> tuple[LocalRule | None, list[Problem]]:
    line = raw.get(yamlfile.LINE, 1)
    messages = [f"unknown field {k!r}" for k in sorted(set(raw) - RULE_KEYS)]
    chart = charts.get(str(raw.get("flow")))
    if chart is None:
        messages.append(f"no flowchart {raw.get('flow')!r} in that edition")
    elif raw.get("step") not in chart.ids:
        messages.append(f"flowchart {chart.key!r} has no step {raw.get('step')!r}")
    timescale = None
    try:
        timescale = parse_timescale(raw.get("within"), raw.get("from"))
    except TimescaleError as exc:
        messages.append(str(exc))
    if timescale and chart and timescale.start not in chart.ids:
        messages.append(f"'from' names missing step {timescale.start!r}")
    if timescale is None and not raw.get("note"):
        messages.append("a local rule changes a timescale (within/from) or adds a note")
    if messages:
        return None, [Problem(where, line, m) for m in messages]
    return LocalRule(str(raw["flow"]), str(raw["step"]), timescale, raw.get("note")), []


def load_overlay(
    path: Path, root: Path, flowcharts: dict[tuple[int, str], Flowchart]
) -> tuple[Overlay | None, list[Problem]]:
    """Load one area's overlay and check it against the flowcharts of the edition it adapts."""
    where = rel(path, root)
    try:
        raw = yamlfile.load_file(path, with_lines=True)
    except yamlfile.YamlError as exc:
        return None, [Problem(where, exc.line, str(exc))]
    if not isinstance(raw, dict):
        return None, [
            Problem(where, 1, "an overlay is a mapping with area, title, edition, provenance, steps")
        ]
    problems = [Problem(where, 1, f"unknown field {k!r}") for k in sorted(set(raw) - OVERLAY_KEYS)]
    missing = [k for k in ("area", "title", "edition", "provenance", "steps") if not raw.get(k)]
    problems += [Problem(where, 1, f"overlay lacks {k!r}") for k in missing]
    if raw.get("area") and raw["area"] != path.parent.name:
        problems.append(Problem(where, 1, f"area {raw['area']!r} does not match folder {path.parent.name!r}"))
    if missing:
        return None, problems
    charts = {key: chart for (year, key), chart in flowcharts.items() if year == raw["edition"]}
    if not isinstance(raw["steps"], list):
        return None, [*problems, Problem(where, 1, "steps is a list of local rules (- flow: ..., step: ...)")]
    rules = []
    for number, item in enumerate(raw["steps"], 1):
        if not isinstance(item, dict):
            problems.append(Problem(where, 1, f"steps item {number} is not a rule (flow, step, within, ...)"))
            continue
        rule, rule_problems = _rule(item, where, charts)
        problems += rule_problems
        if rule:
            rules.append(rule)
    if problems:
        return None, problems
    provenance = yamlfile.strip_lines(raw["provenance"])
    return Overlay(str(raw["area"]), str(raw["title"]), int(raw["edition"]), provenance, tuple(rules)), []
