"""Trainer scenarios: a fictional case walked through one or more flowcharts, with each step's due date,
its drift and the guidance it cites (format: docs/scenarios.md; rendering: kb/handout.py).

A scenario is data a trainer writes by hand, so every mistake in it is reported with the file and line
to fix, as ``wtkb check`` reports the corpus, and nothing is computed until it is valid: a handout with
a wrong due date would teach the wrong timescale.

A case often runs through several flowcharts (a referral leads to a strategy discussion, which leads to
a conference), so ``flow`` may list them in order. Flowcharts hand over at steps that share an id (the
referral chart's ``strategy-discussion`` step is where the strategy discussion chart starts), so an
event or decision names a step by id and applies to every listed flowchart the case passes through it.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from itertools import pairwise
from pathlib import Path
from typing import Any

import yaml

from kb import yamlfile
from kb.flow import Flowchart, FlowError, Step, Walk, walk
from kb.local import edition_mismatch
from kb.problems import Problem, rel
from kb.search import QueryError, provision_json
from kb.service import Knowledge, check_dates
from kb.workdays import bank_holiday_name

REQUIRED = ("title", "edition", "flow", "child", "events")
TOP_KEYS = {*REQUIRED, "summary", "local", "agencies", "decisions", "questions"}
CHILD_KEYS = {"name", "age", "needs", yamlfile.LINE}
AGENCY_KEYS = {"name", "role", yamlfile.LINE}
EVENT_KEYS = {"step", "date", "who", "notes", yamlfile.LINE}
DECISION_KEYS = {"step", "answer", yamlfile.LINE}
SHORT, LONG = 200, 2000  # most characters in a name or title, and in notes or a summary
MOST_AGENCIES, MOST_FLOWS, MOST_QUESTIONS = 30, 5, 20


class ScenarioInvalid(ValueError):
    """Everything wrong with a scenario, each problem with the file (or request) and line to fix.

    ``unreadable`` is set when the text is not YAML or JSON at all, so the API can answer 400 rather
    than 422 (the body was unreadable, not a scenario with mistakes)."""

    def __init__(self, problems: list[Problem], unreadable: bool = False):
        self.problems = sorted(set(problems))
        self.unreadable = unreadable
        super().__init__("\n".join(str(p) for p in self.problems))


@dataclass(frozen=True)
class Child:
    name: str
    age: int | str  # years, or "unborn" for a pre-birth case
    needs: str


@dataclass(frozen=True)
class Agency:
    name: str
    role: str


@dataclass(frozen=True)
class Event:
    step: str
    day: date
    who: tuple[str, ...]
    notes: str | None
    line: int


@dataclass(frozen=True)
class Decision:
    step: str
    answer: str
    line: int


@dataclass(frozen=True)
class Stage:
    """One flowchart of the case and the path the decisions take through it."""

    chart: Flowchart
    walk: Walk


@dataclass(frozen=True)
class Scenario:
    """A checked scenario: the decisions it was given live on in the path each stage walked."""

    title: str
    summary: str | None
    edition: int
    local: str | None
    child: Child
    agencies: tuple[Agency, ...]
    events: dict[str, Event]  # by step id
    questions: tuple[str, ...]
    stages: tuple[Stage, ...]


# ---------------------------------------------------------------- reading fields with their lines


def shown(value: Any) -> str:
    """A value as a message quotes it, cut short: a message never echoes a whole request body back."""
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


class _Reader:
    """Reads a scenario's fields, collecting every problem with its line instead of stopping at one."""

    def __init__(self, where: str):
        self.where = where
        self.problems: list[Problem] = []

    def problem(self, line: int, message: str) -> None:
        self.problems.append(Problem(self.where, line, message))

    def unknown(self, raw: dict[str, Any], allowed: set[str], what: str) -> None:
        line = raw.get(yamlfile.LINE, 1)
        for key in sorted(set(raw) - set(allowed) - {yamlfile.LINE}):
            self.problem(
                line,
                f"unknown {what} field {shown(key)}; use {', '.join(sorted(set(allowed) - {yamlfile.LINE}))}",
            )

    def text(self, value: Any, what: str, line: int, most: int = SHORT) -> str | None:
        """A non-empty string of at most ``most`` characters that can be written out as UTF-8."""
        if not isinstance(value, str) or not value.strip():
            self.problem(line, f"{what} must be text, not {shown(value)}")
            return None
        if len(value) > most:
            self.problem(line, f"{what} is longer than {most} characters")
            return None
        try:
            value.encode("utf-8")
        except UnicodeEncodeError:
            self.problem(line, f"{what} holds characters that are not valid text")
            return None
        return value.strip()

    def items(self, value: Any, what: str, line: int, most: int) -> list[Any]:
        """A list of at most ``most`` items (nothing, when it is missing)."""
        if value is None:
            return []
        if not isinstance(value, list):
            self.problem(line, f"{what} must be a list")
            return []
        if len(value) > most:
            self.problem(line, f"too many {what}: at most {most}")
            return []
        return value

    def mappings(self, value: Any, what: str, line: int, most: int) -> list[dict[str, Any]]:
        found = self.items(value, what, line, most)
        for item in found:
            if not isinstance(item, dict):
                self.problem(line, f"each of the {what} is a mapping (key: value lines), not {shown(item)}")
        return [item for item in found if isinstance(item, dict)]

    def day(self, value: Any, what: str, line: int) -> date | None:
        """A calendar date written YYYY-MM-DD, within the years the bank-holiday calendar covers."""
        if isinstance(value, str):
            with contextlib.suppress(ValueError):  # not a date: reported just below
                value = date.fromisoformat(value.strip())
        if not isinstance(value, date) or isinstance(value, datetime):
            self.problem(line, f"{what} must be a date written YYYY-MM-DD, not {shown(value)}")
            return None
        try:
            check_dates([value], 1)
        except QueryError as exc:
            self.problem(line, str(exc))
            return None
        return value


# ---------------------------------------------------------------- the parts of a scenario


def _child(r: _Reader, raw: Any, line: int) -> Child | None:
    if not isinstance(raw, dict):
        r.problem(line, "child is a mapping with name, age and needs")
        return None
    line = raw.get(yamlfile.LINE, line)
    r.unknown(raw, CHILD_KEYS, "child")
    name = r.text(raw.get("name"), "child name", line)
    needs = r.text(raw.get("needs"), "child needs", line, LONG)
    age = raw.get("age")
    if age != "unborn" and (not isinstance(age, int) or isinstance(age, bool) or not 0 <= age <= 17):
        r.problem(
            line, f"child age must be a whole number of years from 0 to 17, or 'unborn', not {shown(age)}"
        )
        return None
    return Child(name, age, needs) if name and needs else None


def _agencies(r: _Reader, raw: Any, line: int, roles: set[str]) -> tuple[Agency, ...]:
    agencies: list[Agency] = []
    for item in r.mappings(raw, "agencies", line, MOST_AGENCIES):
        at = item.get(yamlfile.LINE, line)
        r.unknown(item, AGENCY_KEYS, "agency")
        name = r.text(item.get("name"), "agency name", at)
        role = item.get("role")
        if role not in roles:
            r.problem(at, f"unknown role {shown(role)} for agency {name!r}; see `wtkb roles`")
        elif name in {a.name for a in agencies}:
            r.problem(at, f"agency {name!r} is listed twice")
        elif name:
            agencies.append(Agency(name, role))
    return tuple(agencies)


def _who(r: _Reader, value: Any, line: int, agencies: tuple[Agency, ...]) -> tuple[str, ...]:
    names = [value] if isinstance(value, str) else r.items(value, "'who' names", line, MOST_AGENCIES)
    known = {a.name for a in agencies}
    for name in names:
        if name not in known:
            r.problem(
                line,
                f"'who' names {shown(name)}, which is not one of the agencies: {', '.join(sorted(known))}",
            )
    return tuple(n for n in names if n in known)


def _events(r: _Reader, raw: Any, line: int, agencies: tuple[Agency, ...], most: int) -> dict[str, Event]:
    events: dict[str, Event] = {}
    for item in r.mappings(raw, "events", line, most):
        at = item.get(yamlfile.LINE, line)
        r.unknown(item, EVENT_KEYS, "event")
        step = r.text(item.get("step"), "event step", at)
        day = r.day(item.get("date"), f"the date of event {step!r}", at)
        notes = r.text(item["notes"], f"notes of event {step!r}", at, LONG) if "notes" in item else None
        who = _who(r, item.get("who", []), at, agencies)
        if step in events:
            r.problem(at, f"step {step!r} already has an event (line {events[step].line}); give one per step")
        elif step and day:
            events[step] = Event(step, day, who, notes, at)
    return events


def _decisions(r: _Reader, raw: Any, line: int, most: int) -> dict[str, Decision]:
    decisions: dict[str, Decision] = {}
    for item in r.mappings(raw, "decisions", line, most):
        at = item.get(yamlfile.LINE, line)
        r.unknown(item, DECISION_KEYS, "decision")
        step = r.text(item.get("step"), "decision step", at)
        answer = r.text(item.get("answer"), f"the answer at step {step!r}", at)
        if step in decisions:
            r.problem(at, f"step {step!r} already has a decision (line {decisions[step].line})")
        elif step and answer:
            decisions[step] = Decision(step, answer, at)
    return decisions


def _charts(r: _Reader, kb: Knowledge, raw: dict[str, Any], lines: dict[str, int]) -> list[Flowchart]:
    """The listed flowcharts of the edition, checked against the local overlay if one is named."""
    edition, flows, local = raw.get("edition"), raw.get("flow"), raw.get("local")
    if not isinstance(edition, int) or edition not in kb.corpus.years():
        known = ", ".join(map(str, kb.corpus.years()))
        r.problem(lines.get("edition", 1), f"unknown edition {shown(edition)}; known: {known}")
        return []
    keys = (
        [flows] if isinstance(flows, str) else r.items(flows, "flowcharts", lines.get("flow", 1), MOST_FLOWS)
    )
    charts = []
    for key in filter(None, [r.text(k, "a flowchart key", lines.get("flow", 1)) for k in keys]):
        try:
            charts.append(kb.flowchart(key, edition))
        except QueryError as exc:
            r.problem(lines.get("flow", 1), str(exc))
    if not keys:
        r.problem(
            lines.get("flow", 1), "flow names a flowchart key, or a list of them in the order the case runs"
        )
    overlay = kb.corpus.overlays.get(local) if local is not None else None
    if local is not None and overlay is None:
        known = ", ".join(sorted(kb.corpus.overlays)) or "none"
        r.problem(lines.get("local", 1), f"unknown local area {shown(local)}; known: {known}")
    elif overlay is not None:
        mismatch = edition_mismatch(local, kb.corpus.overlays, edition, "this scenario")
        if mismatch:
            r.problem(lines.get("local", 1), mismatch)
    return charts


# ---------------------------------------------------------------- walking the flowcharts


def _walk(r: _Reader, chart: Flowchart, decisions: dict[str, Decision], used: set[str]) -> Walk | None:
    """Walk the chart one decision at a time, so a decision the chart cannot follow is named by its line."""
    answers: dict[str, str] = {}
    while True:
        try:
            result = walk(chart, answers)
        except FlowError as exc:  # only the answer added last can be at fault: the others were followed
            line = decisions[next(reversed(answers))].line if answers else 1
            r.problem(line, f"flowchart {chart.key!r}: {exc}")
            return None
        waiting = result.waiting_at
        if waiting is None or waiting.id not in decisions:
            return result
        answers[waiting.id] = decisions[waiting.id].answer
        used.add(waiting.id)


def _stages(
    r: _Reader, charts: list[Flowchart], decisions: dict[str, Decision], flow_line: int
) -> list[Stage]:
    stages: list[Stage] = []
    used: set[str] = set()
    for chart in charts:
        if stages and stages[-1].walk.waiting_at is not None:
            waiting = stages[-1].walk
            r.problem(
                flow_line,
                f"flowchart {stages[-1].chart.key!r} stops at step {waiting.waiting_at.id!r}, which needs a "
                f"decision ({'; '.join(waiting.options)}), so flowchart {chart.key!r} cannot follow it",
            )
            return []
        result = _walk(r, chart, decisions, used)
        if result is None:
            return []
        stages.append(Stage(chart, result))
    for step, decision in decisions.items():
        if step not in used:
            r.problem(decision.line, _why_unused(step, charts, stages))
    return stages


def _path(stages: list[Stage]) -> str:
    """The case's path for a message, saying where it waits for a decision it has not been given."""
    path = "; ".join(f"{s.chart.key}: {' -> '.join(step.id for step in s.walk.path)}" for s in stages)
    waiting = stages[-1].walk.waiting_at if stages else None
    return path + (f" (it stops at {waiting.id!r}, which needs a decision)" if waiting else "")


def _steps_named(step_id: str, charts: list[Flowchart]) -> list[Step]:
    return [s for chart in charts for s in chart.steps if s.id == step_id]


def _why_unused(step_id: str, charts: list[Flowchart], stages: list[Stage]) -> str:
    steps = _steps_named(step_id, charts)
    if not steps:
        return f"no step {step_id!r} in flowchart(s) {', '.join(c.key for c in charts)}"
    if not any(b.when for s in steps for b in s.next):
        return f"step {step_id!r} does not branch, so there is nothing to decide there"
    return f"the case never reaches step {step_id!r}; the decisions take it along {_path(stages)}"


def _check_events(
    r: _Reader, events: dict[str, Event], charts: list[Flowchart], stages: list[Stage], line: int
) -> None:
    """Events must lie on the walked path, in date order along it, and date each flowchart's start."""
    on_path = {s.id for stage in stages for s in stage.walk.path}
    for event in events.values():
        if not _steps_named(event.step, charts):
            r.problem(
                event.line, f"no step {event.step!r} in flowchart(s) {', '.join(c.key for c in charts)}"
            )
        elif event.step not in on_path:
            r.problem(event.line, f"step {event.step!r} is not on the case's path: {_path(stages)}")
    for stage in stages:
        first = stage.walk.path[0].id
        if first not in events:
            r.problem(
                line,
                f"flowchart {stage.chart.key!r} starts at step {first!r}: add an event with the date it "
                "happened (due dates count from it), or leave the flowchart out until the case reaches it",
            )
        dated = [events[s.id] for s in stage.walk.path if s.id in events]
        for before, after in pairwise(dated):
            if after.day < before.day:
                r.problem(
                    after.line,
                    f"step {after.step!r} on {after.day} is dated before step {before.step!r} on "
                    f"{before.day}, which comes earlier in flowchart {stage.chart.key!r}",
                )


# ---------------------------------------------------------------- loading


def _top_lines(text: str) -> dict[str, int]:
    """The line of each top-level field, so problems with a field's value can name where it is."""
    try:
        node = yaml.compose(text, Loader=yaml.SafeLoader)
    except yaml.YAMLError:
        return {}
    if not isinstance(node, yaml.MappingNode):
        return {}
    return {key.value: key.start_mark.line + 1 for key, _ in node.value if isinstance(key, yaml.ScalarNode)}


def parse_text(text: str, where: str) -> tuple[Any, dict[str, int]]:
    """A scenario's YAML (or JSON, which YAML reads too) with its lines, or ScenarioInvalid(unreadable)."""
    try:
        return yamlfile.load_text(text, with_lines=True), _top_lines(text)
    except yamlfile.NotADate as exc:  # well-formed YAML holding a date no calendar has
        raise ScenarioInvalid([Problem(where, exc.line, str(exc))]) from None
    except yamlfile.YamlError as exc:
        raise ScenarioInvalid([Problem(where, exc.line, str(exc))], unreadable=True) from None


def check_scenario(kb: Knowledge, raw: Any, where: str, lines: dict[str, int] | None = None) -> Scenario:
    """A valid scenario from parsed data, or ScenarioInvalid listing every problem with its line.

    ``lines`` gives each top-level field's line (from :func:`parse_text`); JSON bodies have none."""
    lines = lines or {}
    r = _Reader(where)
    if not isinstance(raw, dict):
        raise ScenarioInvalid(
            [Problem(where, 1, "a scenario is a mapping: title, edition, flow, child, events…")]
        )
    r.unknown(raw, TOP_KEYS, "scenario")
    missing = [key for key in REQUIRED if raw.get(key) in (None, "", [])]
    if missing:  # without its required fields the rest of a scenario cannot be checked
        r.problem(1, f"scenario lacks {', '.join(missing)}: it needs {', '.join(REQUIRED)}")
        raise ScenarioInvalid(r.problems)
    most = kb.settings.max_dates
    title = r.text(raw["title"], "title", lines.get("title", 1))
    summary = r.text(raw["summary"], "summary", lines.get("summary", 1), LONG) if "summary" in raw else None
    child = _child(r, raw.get("child"), lines.get("child", 1))
    agencies = _agencies(r, raw.get("agencies"), lines.get("agencies", 1), set(kb.corpus.roles))
    events = _events(r, raw.get("events"), lines.get("events", 1), agencies, most)
    decisions = _decisions(r, raw.get("decisions"), lines.get("decisions", 1), most)
    at = lines.get("questions", 1)
    questions = [
        r.text(q, "a question", at, LONG)
        for q in r.items(raw.get("questions"), "questions", at, MOST_QUESTIONS)
    ]
    charts = _charts(r, kb, raw, lines)
    stages = _stages(r, charts, decisions, lines.get("flow", 1)) if charts else []
    if stages:
        _check_events(r, events, charts, stages, lines.get("events", 1))
    if r.problems:
        raise ScenarioInvalid(r.problems)
    return Scenario(
        title,
        summary,
        raw["edition"],
        raw.get("local"),
        child,
        agencies,
        events,
        tuple(q for q in questions if q),
        tuple(stages),
    )


def load_scenario(kb: Knowledge, text: str, where: str) -> Scenario:
    """Parse and check a scenario written as YAML (a file) or JSON; problems name ``where``:line."""
    raw, lines = parse_text(text, where)
    return check_scenario(kb, raw, where, lines)


# ---------------------------------------------------------------- the handout's data


def _iso(value: str | None) -> date | None:
    return date.fromisoformat(value) if value else None


def _bank_holidays(row: dict[str, Any], rows: dict[str, dict[str, Any]]) -> list[dict[str, str]]:
    """The bank holidays a working-day count stepped over between its starting event and the due date."""
    timescale, due = row["timescale"], _iso(row["due"])
    if not timescale or timescale["unit"] != "working day" or due is None:
        return []
    anchor_row = rows[timescale["from"]]
    day = _iso(anchor_row["actual"] or anchor_row["due"])
    skipped = []
    while day < due:
        day += timedelta(days=1)
        name = bank_holiday_name(day)
        if name:
            skipped.append({"date": day.isoformat(), "name": name})
    return skipped


def _decision(step: Step, after: Step | None) -> str | None:
    """The condition of the branch the case took out of a branching step."""
    taken = next((b for b in step.next if after is not None and b.to == after.id), None)
    return taken.when if taken else None


def _stage_json(
    kb: Knowledge, scenario: Scenario, stage: Stage, cite: Callable[[str], None]
) -> dict[str, Any]:
    path = stage.walk.path
    events = scenario.events
    actual = {s.id: events[s.id].day for s in path if s.id in events}
    result = kb.deadlines(stage.chart.key, events[path[0].id].day, scenario.edition, actual, scenario.local)
    rows = {row["step"]: row for row in result["steps"]}
    steps = []
    for n, step in enumerate(path):
        event = events.get(step.id)
        for key in step.provisions:
            cite(key)
        steps.append(
            {
                **rows[step.id],
                "who": list(event.who) if event else [],
                "notes": event.notes if event else None,
                "decision": _decision(step, path[n + 1] if n + 1 < len(path) else None),
                "bank_holidays_skipped": _bank_holidays(rows[step.id], rows),
            }
        )
    waiting = stage.walk.waiting_at
    return {
        "flow": stage.chart.key,
        "title": stage.chart.title,
        "start": result["start"],
        "steps": steps,
        "waiting_at": {"step": waiting.id, "title": waiting.title, "options": stage.walk.options}
        if waiting
        else None,
    }


def _late(stages: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Steps that happened after their due date, once each (a hand-over step shows in two stages)."""
    late: dict[str, dict[str, Any]] = {}
    for stage in stages:
        for step in stage["steps"]:
            if (step["drift_working_days"] or 0) > 0:
                keys = ("step", "title", "due", "actual", "drift_working_days")
                late.setdefault(step["step"], {k: step[k] for k in keys})
    return list(late.values())


def handout(kb: Knowledge, scenario: Scenario) -> dict[str, Any]:
    """Everything a handout shows, as JSON: the CLI prints it and POST /api/scenarios/run returns it."""
    edition = kb.corpus.edition(scenario.edition)
    cited: dict[str, dict[str, Any]] = {}

    def cite(key: str) -> None:
        if key not in cited:
            cited[key] = provision_json(kb.corpus.get(scenario.edition, key), edition.url)

    stages = [_stage_json(kb, scenario, stage, cite) for stage in scenario.stages]
    overlay = kb.corpus.overlays.get(scenario.local) if scenario.local else None
    roles = kb.corpus.roles
    return {
        "title": scenario.title,
        "summary": scenario.summary,
        "edition": {"year": scenario.edition, "title": edition.title, "url": edition.url},
        "local": {"area": overlay.area, "title": overlay.title, "provenance": overlay.provenance}
        if overlay
        else None,
        "child": {"name": scenario.child.name, "age": scenario.child.age, "needs": scenario.child.needs},
        "agencies": [
            {"name": a.name, "role": a.role, "role_label": roles[a.role].label} for a in scenario.agencies
        ],
        "stages": stages,
        "late": _late(stages),
        "questions": list(scenario.questions),
        "provisions": cited,
    }


def run_scenario(kb: Knowledge, text: str, where: str) -> dict[str, Any]:
    """Check a scenario's text and compute its handout data; ScenarioInvalid when it has problems."""
    return handout(kb, load_scenario(kb, text, where))


def shipped(kb: Knowledge) -> list[dict[str, Any]]:
    """The scenarios shipped in the scenarios folder, each with its problems if it has any."""
    folder: Path = kb.settings.scenarios_dir
    listed = []
    for path in sorted(folder.glob("*.yaml"), key=lambda p: p.stem):  # a case's 2023 version before its -2018
        entry: dict[str, Any] = {
            "name": path.stem,
            "title": None,
            "edition": None,
            "flows": [],
            "local": None,
        }
        try:
            scenario = load_scenario(kb, path.read_text(encoding="utf-8"), rel(path, folder))
        except ScenarioInvalid as exc:
            entry["problems"] = [str(p) for p in exc.problems]
        else:
            flows = [s.chart.key for s in scenario.stages]
            entry.update(title=scenario.title, edition=scenario.edition, flows=flows, local=scenario.local)
            entry["problems"] = []
        listed.append(entry)
    return listed
