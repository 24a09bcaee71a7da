"""Flowcharts for managing individual cases, loaded from YAML and checked against the provisions.

A flowchart step links to the provisions that govern it; a link to a key the edition lacks is a
problem, because trainers would follow it to nothing.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from kb import yamlfile
from kb.problems import Problem, rel
from kb.timescale import Timescale, TimescaleError, parse_timescale

STEP_KEYS = {"id", "title", "roles", "provisions", "next", "within", "from", "note", yamlfile.LINE}
CHART_KEYS = {"key", "title", "steps", "source", "note", yamlfile.LINE}


@dataclass(frozen=True)
class Branch:
    to: str
    when: str | None = None


@dataclass(frozen=True)
class Step:
    id: str
    title: str
    roles: tuple[str, ...]
    provisions: tuple[str, ...]
    next: tuple[Branch, ...]
    timescale: Timescale | None = None


@dataclass(frozen=True)
class Flowchart:
    key: str
    title: str
    edition: int
    steps: tuple[Step, ...]
    source: dict[str, Any]


def _step(
    raw: dict[str, Any], where: str, keys: set[str], roles: set[str]
) -> tuple[Step | None, list[Problem]]:
    line = raw.get(yamlfile.LINE, 1)
    messages = [f"unknown step field {k!r}" for k in sorted(set(raw) - STEP_KEYS)]
    if not raw.get("id") or not raw.get("title"):
        messages.append("a step needs an id and a title")
    messages += [f"step links to missing provision {k!r}" for k in raw.get("provisions", []) if k not in keys]
    messages += [f"unknown role {r!r}" for r in raw.get("roles", []) if r not in roles]
    branches = []
    for branch in raw.get("next", []):
        if not isinstance(branch, dict) or "to" not in branch:
            messages.append("each 'next' entry needs 'to'")
            continue
        branches.append(Branch(str(branch["to"]), branch.get("when")))
    timescale = None
    try:
        timescale = parse_timescale(raw.get("within"), raw.get("from"))
    except TimescaleError as exc:
        messages.append(str(exc))
    if messages:
        return None, [Problem(where, line, m) for m in messages]
    step = Step(
        str(raw["id"]),
        str(raw["title"]),
        tuple(raw.get("roles", [])),
        tuple(raw.get("provisions", [])),
        tuple(branches),
        timescale,
    )
    return step, []


def _graph_problems(raw_steps: list[dict[str, Any]], where: str) -> list[Problem]:
    """Branches must reach real steps, and a timescale must run from a step of the same chart.

    Checked on the raw steps, so one faulty step does not make every link to it look broken too.
    """
    problems: list[Problem] = []
    seen: set[str] = set()
    for raw in raw_steps:
        line = raw.get(yamlfile.LINE, 1)
        if raw.get("id") in seen:
            problems.append(Problem(where, line, f"duplicate step id {raw['id']!r}"))
        seen.add(raw.get("id"))
    for raw in raw_steps:
        line = raw.get(yamlfile.LINE, 1)
        targets = [b.get("to") for b in raw.get("next", []) if isinstance(b, dict)]
        missing = [t for t in targets if t not in seen]
        problems += [Problem(where, line, f"'next' names missing step {t!r}") for t in missing]
        if raw.get("from") and raw["from"] not in seen:
            problems.append(Problem(where, line, f"'from' names missing step {raw['from']!r}"))
    return problems


def load_flowchart(
    path: Path, root: Path, keys: set[str], roles: set[str]
) -> tuple[Flowchart | None, list[Problem]]:
    """Load and check one flowchart file against its edition's provision keys and the roles."""
    where = rel(path, root)
    try:
        raw = yamlfile.load_file(path, with_lines=True)
    except yamlfile.YamlError as exc:
        return None, [Problem(where, exc.line, str(exc))]
    if not isinstance(raw, dict) or not raw.get("key") or not isinstance(raw.get("steps"), list):
        return None, [Problem(where, 1, "a flowchart needs 'key', 'title' and a list of 'steps'")]
    problems = [Problem(where, 1, f"unknown flowchart field {k!r}") for k in sorted(set(raw) - CHART_KEYS)]
    raw_steps = [item for item in raw["steps"] if isinstance(item, dict)]
    if len(raw_steps) != len(raw["steps"]):
        problems.append(Problem(where, 1, "each step must be a mapping"))
    steps: list[Step] = []
    for item in raw_steps:
        step, step_problems = _step(item, where, keys, roles)
        problems += step_problems
        if step:
            steps.append(step)
    problems += _graph_problems(raw_steps, where)
    if problems:
        return None, problems
    chart = Flowchart(
        str(raw["key"]),
        str(raw.get("title", raw["key"])),
        int(path.parent.parent.name),
        tuple(steps),
        yamlfile.strip_lines(raw.get("source") or {}),
    )
    return chart, []
