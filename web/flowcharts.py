"""Flowchart pages: the list, and a viewer with the chart drawn as SVG on the server, the same steps as
an ordered list (what a screen reader reads), and a due-date calculator that posts back to the page.
"""

from __future__ import annotations

import json
from datetime import date
from typing import Annotated, Any

from fastapi import APIRouter, Request
from fastapi import Path as P
from fastapi.responses import HTMLResponse
from starlette.datastructures import FormData

from api.deps import KnowledgeDep
from kb.flow import Flowchart
from kb.search import QueryError, parse_edition
from kb.service import Knowledge
from web.flowsvg import layout
from web.render import PageRoute, page

router = APIRouter(route_class=PageRoute, include_in_schema=False)
ACTUAL = "actual."  # form fields named actual.<step id> carry the dates steps really happened
KeyPath = Annotated[str, P(max_length=100, pattern=r"^[a-z0-9]+(?:-[a-z0-9]+)*$")]


class FieldError(QueryError):
    """A form value the calculator cannot read, with the id of the field to fix."""

    def __init__(self, field: str, message: str):
        super().__init__(message)
        self.field = field


@router.get("/flowcharts", response_class=HTMLResponse)
def flowcharts_page(request: Request, kb: KnowledgeDep) -> HTMLResponse:
    """Every edition's flowcharts for managing individual cases, newest edition first."""
    by_edition = [(year, kb.flowcharts(year)) for year in reversed(kb.corpus.years())]
    newest = next((year for year, charts in by_edition if charts), None)
    context = {
        "title": "Flowcharts",
        "nav": "flowcharts",
        "crumbs": [("Home", "/")],
        "by_edition": by_edition,
        "twin": f"/api/flowcharts?edition={newest}" if newest else "/api/flowcharts",
    }
    return page(request, "flowcharts.html", context)


def step_numbers(chart: Flowchart) -> dict[str, int]:
    """Steps are numbered in the order the file lists them, in the picture and the list alike."""
    return {s.id: n for n, s in enumerate(chart.steps, start=1)}


def viewer_context(kb: Knowledge, chart: Flowchart) -> dict[str, Any]:
    """What the viewer shows of a chart: the drawing, the numbered steps and their provisions."""
    edition = chart.edition

    def provision(key: str) -> tuple[str, str]:
        return kb.corpus.get(edition, key).title, f"/provisions/wt/{edition}/{key}"

    overlays = sorted(area for area, o in kb.corpus.overlays.items() if o.edition == edition)
    return {
        "title": chart.title,
        "nav": "flowcharts",
        "crumbs": [("Home", "/"), ("Flowcharts", "/flowcharts")],
        "chart": chart,
        "drawing": layout(chart, provision),
        "numbers": step_numbers(chart),
        "provisions": {key: kb.corpus.get(edition, key) for s in chart.steps for key in s.provisions},
        "overlays": overlays,
        "start": chart.step(chart.start),
        "roles": kb.corpus.roles,
        "twin": f"/api/flowcharts/{chart.key}?edition={edition}",
        "values": {},
    }


@router.get("/flowcharts/{key}", response_class=HTMLResponse)
def flowchart_page(request: Request, kb: KnowledgeDep, key: KeyPath, edition: str = "") -> HTMLResponse:
    """The chart drawn and listed, with an empty due-date calculator."""
    chart = kb.flowchart(key, parse_edition(edition))
    return page(request, "flowchart.html", viewer_context(kb, chart))


def read_date(form: FormData, field: str, label: str) -> date | None:
    """A date typed as YYYY-MM-DD (what a date input sends); blank is None."""
    text = str(form.get(field, "")).strip()
    if not text:
        return None
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise FieldError(field, f"{label}: enter a real date as YYYY-MM-DD, for example 2024-01-26") from None


def read_case(chart: Flowchart, form: FormData) -> tuple[date, dict[str, date]]:
    """The case's start (the date of the chart's start step) and the dates other steps happened."""
    numbers = step_numbers(chart)
    first = numbers[chart.start]
    start = read_date(form, "from", f"The date of step {first}")
    if start is None:
        raise FieldError("from", f"Enter the date of step {first} ({chart.step(chart.start).title})")
    actual = {}
    for step in chart.steps:
        if step.id == chart.start:
            continue
        day = read_date(form, ACTUAL + step.id, f"The date step {numbers[step.id]} happened")
        if day is not None:
            actual[step.id] = day
    return start, actual


@router.post("/flowcharts/{key}/due", response_class=HTMLResponse)
async def due_page(request: Request, kb: KnowledgeDep, key: KeyPath, edition: str = "") -> HTMLResponse:
    """The calculator's answer: each step's due date in working days, and drift for steps that happened."""
    chart = kb.flowchart(key, parse_edition(edition))
    form = await request.form()
    context = viewer_context(kb, chart)
    context["values"] = values = {k: str(v) for k, v in form.items()}
    context["actual_given"] = any(v for k, v in values.items() if k.startswith(ACTUAL))
    local = str(form.get("local", "")) or None
    try:
        start, actual = read_case(chart, form)
        due = kb.deadlines(chart.key, start, chart.edition, actual, local)
    except QueryError as exc:
        context["error"] = {"message": str(exc), "field": getattr(exc, "field", "from")}
        return page(request, "flowchart.html", context, 400)
    body = {
        "flow": chart.key,
        "from": start.isoformat(),
        "edition": chart.edition,
        "actual": {k: v.isoformat() for k, v in actual.items()},
        "local": local,
    }
    context.update(due=due, twin=None, twin_note=f"POST /api/deadlines with {json.dumps(body)}")
    return page(request, "flowchart.html", context)
