"""Each step's due date for a case, from the flowchart's timescales (national, or a local overlay's).

A step's date is the day it actually happened when the user gives it; otherwise the chart's start
step (its first, unless it names one: the referral flowchart starts the clock at the referral) is dated
by the case's start, and a later step is *projected* to its due date, so that the steps that
run from it still get a (labelled) date. A step whose timescale runs from a step with no date gets
no due date rather than a guessed one.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from kb.flow import Flowchart, FlowError, Step
from kb.local import Overlay
from kb.timescale import Timescale
from kb.workdays import due_date, working_days_between


@dataclass(frozen=True)
class StepDeadline:
    step: Step
    timescale: Timescale | None
    origin: str | None  # "national" or "local: <area>"
    note: str | None
    due: date | None
    actual: date | None
    projected: bool  # True when the anchor of this due date is itself only projected

    @property
    def drift(self) -> int | None:
        """Working days late (+) or early (-) against the due date, once the step has happened."""
        if self.due is None or self.actual is None:
            return None
        return working_days_between(self.due, self.actual)

    def to_dict(self) -> dict[str, Any]:
        return {
            "step": self.step.id,
            "title": self.step.title,
            "roles": list(self.step.roles),
            "provisions": list(self.step.provisions),
            "timescale": self.timescale.to_dict() if self.timescale else None,
            "origin": self.origin,
            "note": self.note,
            "due": self.due.isoformat() if self.due else None,
            "projected": self.projected,
            "actual": self.actual.isoformat() if self.actual else None,
            "drift_working_days": self.drift,
        }


def effective_timescale(
    step: Step, overlay: Overlay | None, chart: Flowchart
) -> tuple[Timescale | None, str | None, str | None]:
    """The step's timescale, origin and note: a local overlay's replaces the national one."""
    local = overlay.rule(chart.key, step.id) if overlay else None
    national = "national" if step.timescale else None
    if local is None:
        return step.timescale, national, None
    if local.timescale is None:  # a note only: the figure stays national
        return step.timescale, national, local.note
    return local.timescale, f"local: {overlay.area}", local.note


def deadlines(
    chart: Flowchart,
    start: date,
    actual: dict[str, date] | None = None,
    overlay: Overlay | None = None,
) -> list[StepDeadline]:
    """Due dates for every step, in order, of a case whose start step happened on ``start``."""
    actual = dict(actual or {})
    unknown = set(actual) - set(chart.ids)
    if unknown:
        raise FlowError(f"dates given for steps the flowchart lacks: {', '.join(sorted(unknown))}")
    actual.setdefault(chart.start, start)  # e.g. the referral flowchart's start is the referral received

    def dated(step_id: str, seen: frozenset[str]) -> tuple[date, bool] | None:
        """The step's date and whether it is projected; None when nothing fixes it."""
        if step_id in actual:
            return actual[step_id], False
        due = due_of(chart.step(step_id), seen)
        return (due[0], True) if due else None  # not happened yet: its due date stands in for it

    def due_of(step: Step, seen: frozenset[str]) -> tuple[date, bool] | None:
        timescale = effective_timescale(step, overlay, chart)[0]
        if timescale is None or timescale.start in seen:
            return None
        anchor = dated(timescale.start, seen | {step.id})
        if anchor is None:
            return None
        return due_date(anchor[0], timescale), anchor[1]

    rows = []
    for step in chart.steps:
        timescale, origin, note = effective_timescale(step, overlay, chart)
        due = due_of(step, frozenset())
        rows.append(
            StepDeadline(
                step,
                timescale,
                origin,
                note,
                due[0] if due else None,
                actual.get(step.id),
                due[1] if due else False,
            )
        )
    return rows
