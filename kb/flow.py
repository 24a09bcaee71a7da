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
from kb.timescale import CALENDAR_UNITS, Timescale, TimescaleError, parse_timescale

STEP_KEYS = {"id", "title", "roles", "provisions", "next", "within", "from", "note", yamlfile.LINE}
CHART_KEYS = {"key", "title", "start", "derived", "steps", "source", "note", yamlfile.LINE}


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
    start: str  # the step a case's start date (`wtkb due --from`) is the date of
    derived: bool = False  # built from the text: no printed chart of the process was found
    note: str = ""  # whether the chart is transcribed from the printed one or built from the text

    def step(self, step_id: str) -> Step:
        found = next((s for s in self.steps if s.id == step_id), None)
        if found is None:
            raise FlowError(f"flowchart {self.key!r} has no step {step_id!r}; steps: {', '.join(self.ids)}")
        return found

    @property
    def ids(self) -> list[str]:
        return [s.id for s in self.steps]

    def summary(self) -> dict[str, Any]:
        """The list entry `wtkb flow list --json` prints and GET /api/flowcharts returns."""
        return {
            "key": self.key,
            "title": self.title,
            "edition": self.edition,
            "derived": self.derived,
            "steps": len(self.steps),
        }

    def to_dict(self) -> dict[str, Any]:
        return {
            "key": self.key,
            "title": self.title,
            "edition": self.edition,
            "start": self.start,
            "derived": self.derived,
            "source": self.source,
            "note": self.note,
            "steps": [
                {
                    "id": s.id,
                    "title": s.title,
                    "roles": list(s.roles),
                    "provisions": list(s.provisions),
                    "timescale": s.timescale.to_dict() if s.timescale else None,
                    "next": [{"to": b.to, "when": b.when} for b in s.next],
                }
                for s in self.steps
            ],
        }


class FlowError(ValueError):
    """A walk or lookup that the flowchart cannot answer; the message lists what it can."""


@dataclass(frozen=True)
class Walk:
    """The steps taken, in order, and where the walk stopped if it needs an answer to go on."""

    path: tuple[Step, ...]
    waiting_at: Step | None = None

    @property
    def options(self) -> list[str]:
        return [b.when or b.to for b in self.waiting_at.next] if self.waiting_at else []


def _choose(step: Step, answer: str | None) -> Branch | None:
    """The branch an answer picks: the one whose condition (or target) matches, case-insensitively."""
    if len(step.next) == 1 and step.next[0].when is None:
        return step.next[0]
    if answer is None:
        return None
    wanted = answer.strip().lower()
    exact = [b for b in step.next if wanted in ((b.when or "").lower(), b.to)]
    partial = [b for b in step.next if wanted in (b.when or "").lower()]
    chosen = exact or partial
    if len(chosen) != 1:
        options = "; ".join(f"{b.when or b.to!r}" for b in step.next)
        raise FlowError(
            f"at step {step.id!r}, {answer!r} matches {len(chosen)} branches; choose one of: {options}"
        )
    return chosen[0]


def walk(chart: Flowchart, answers: dict[str, str]) -> Walk:
    """Follow the chart from its first step, taking each branch the answers choose.

    ``answers`` maps a step id to the condition taken there. The walk stops at a step with no way on
    (an outcome) or at a branching step with no answer, which it reports with its options.
    """
    unknown = set(answers) - set(chart.ids)
    if unknown:
        raise FlowError(f"answers name steps the flowchart lacks: {', '.join(sorted(unknown))}")
    path: list[Step] = []
    step = chart.steps[0]
    while True:
        if step in path:
            raise FlowError(f"the answers lead round a loop at step {step.id!r}")
        path.append(step)
        if not step.next:
            return Walk(tuple(path))
        branch = _choose(step, answers.get(step.id))
        if branch is None:
            return Walk(tuple(path), waiting_at=step)
        step = chart.step(branch.to)


def _step(
    raw: dict[str, Any], where: str, keys: set[str], roles: set[str]
) -> tuple[Step | None, list[Problem]]:
    line = raw.get(yamlfile.LINE, 1)
    messages = [f"unknown step field {k!r}" for k in sorted(set(raw) - STEP_KEYS)]
    if not raw.get("id") or not raw.get("title"):
        messages.append("a step needs an id and a title")
    elif _name(raw["id"]) is None:
        messages.append("a step's id must be a name, not a list or a mapping")
    linked = _names(raw, "provisions", messages)
    named = _names(raw, "roles", messages)
    messages += [f"step links to missing provision {k!r}" for k in linked if k not in keys]
    messages += [f"unknown role {r!r}" for r in named if r not in roles]
    branches = []
    for branch in _entries(raw, "next", messages):
        if not isinstance(branch, dict) or "to" not in branch:
            messages.append("each 'next' entry needs 'to'")
            continue
        branches.append(Branch(str(branch["to"]), branch.get("when")))
    timescale = None
    try:
        timescale = parse_timescale(raw.get("within"), raw.get("from"))
    except TimescaleError as exc:
        messages.append(str(exc))
    if timescale and timescale.unit not in CALENDAR_UNITS:
        messages.append(f"a flowchart step cannot count {timescale.unit}s: they depend on term dates")
    if messages:
        return None, [Problem(where, line, m) for m in messages]
    step = Step(
        str(raw["id"]),
        str(raw["title"]),
        tuple(named),
        tuple(linked),
        tuple(branches),
        timescale,
    )
    return step, []


def _entries(raw: dict[str, Any], key: str, messages: list[str]) -> list[Any]:
    """A step's list field (absent means empty); anything else is a problem, not a crash."""
    value = raw.get(key, [])
    if isinstance(value, list):
        return value
    messages.append(f"'{key}' must be a list")
    return []


def _names(raw: dict[str, Any], key: str, messages: list[str]) -> list[str]:
    """A step's list of keys (provisions, roles): each entry must be a plain name."""
    entries = _entries(raw, key, messages)
    if all(isinstance(e, str) for e in entries):
        return entries
    messages.append(f"each entry of '{key}' must be a name")
    return [e for e in entries if isinstance(e, str)]


def _graph_problems(raw_steps: list[dict[str, Any]], where: str) -> list[Problem]:
    """Branches must reach real steps, and a timescale must run from a step of the same chart.

    Checked on the raw steps, so one faulty step does not make every link to it look broken too.
    """
    problems: list[Problem] = []
    seen: set[str] = set()
    for raw in raw_steps:
        line = raw.get(yamlfile.LINE, 1)
        ident = _name(raw.get("id"))
        if ident is not None and ident in seen:
            problems.append(Problem(where, line, f"duplicate step id {ident!r}"))
        seen.add(ident)
    for raw in raw_steps:
        line = raw.get(yamlfile.LINE, 1)
        missing = [t for t in _targets(raw) if t not in seen]
        problems += [Problem(where, line, f"'next' names missing step {t!r}") for t in missing]
        if raw.get("from") and _name(raw["from"]) not in seen:
            problems.append(Problem(where, line, f"'from' names missing step {raw['from']!r}"))
    reached = _reachable(raw_steps)
    problems += [
        Problem(where, raw.get(yamlfile.LINE, 1), f"step {raw.get('id')!r} is unreachable from the start")
        for raw in raw_steps
        if _name(raw.get("id")) not in reached
    ]
    return problems


def _name(value: Any) -> str | None:
    """A step id or a link to one as the graph checks compare them (the text of a scalar); None for a
    list or a mapping, which hand-edited YAML produces and which cannot name a step."""
    return None if value is None or isinstance(value, list | dict) else str(value)


def _targets(raw: dict[str, Any]) -> list[str | None]:
    """The steps a raw step's 'next' entries name (nothing when 'next' is not a list)."""
    branches = raw.get("next")
    return [_name(b.get("to")) for b in branches if isinstance(b, dict)] if isinstance(branches, list) else []


def _reachable(raw_steps: list[dict[str, Any]]) -> set[str | None]:
    """Step ids reachable from the first step by following 'next'."""
    edges = {_name(r.get("id")): _targets(r) for r in raw_steps}
    todo = [_name(raw_steps[0].get("id"))] if raw_steps else []
    seen: set[str | None] = set()
    while todo:
        current = todo.pop()
        if current not in seen:
            seen.add(current)
            todo.extend(edges.get(current, []))
    return seen


def load_flowchart(
    path: Path, root: Path, keys: set[str], roles: set[str]
) -> tuple[Flowchart | None, list[Problem]]:
    """Load and check one flowchart file against its edition's provision keys and the roles."""
    where = rel(path, root)
    raw, problems = yamlfile.read_mapping(path, where)
    if raw is None:
        return None, problems
    if not raw.get("key") or not isinstance(raw.get("steps"), list):
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
    start = str(raw.get("start") or (steps[0].id if steps else ""))
    if steps and start not in {st.id for st in steps}:
        problems.append(Problem(where, 1, f"'start' names no step: {start!r}"))
    if not isinstance(raw.get("derived", False), bool):
        problems.append(Problem(where, 1, "'derived' is true or false"))
    if problems:
        return None, problems
    chart = Flowchart(
        str(raw["key"]),
        str(raw.get("title", raw["key"])),
        int(path.parent.parent.name),
        tuple(steps),
        yamlfile.strip_lines(raw.get("source") or {}),
        start,
        raw.get("derived", False),
        str(raw.get("note") or ""),
    )
    return chart, []
