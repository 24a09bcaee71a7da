"""A trainer scenario's handout (the JSON of kb.scenario.handout) as Markdown to edit, print-ready HTML
or JSON. All three read the same data, so they never say different things.

The HTML is one self-contained file (styles inline, no scripts, no fonts or images to fetch) so it can
be mailed, opened offline and printed; everything a trainer typed is escaped by Jinja's autoescape.
"""

from __future__ import annotations

import base64
import hashlib
import json
from datetime import date
from pathlib import Path
from typing import Any

from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape

FORMATS = ("md", "html", "json")
TEMPLATES = Path(__file__).parent / "templates"
CSS = (TEMPLATES / "handout.css").read_text(encoding="utf-8")
# The one inline style block, allowed by hash so a Content-Security-Policy can forbid everything else.
STYLE_SOURCE = "'sha256-" + base64.b64encode(hashlib.sha256(CSS.encode()).digest()).decode() + "'"
FORCE_LABELS = {"must": "legal duty (must)", "should": "statutory guidance (should)"}


def long_date(value: str | None) -> str:
    """``2023-12-27`` -> ``Wednesday 27 December 2023``, the way a date is read aloud in a training room."""
    if not value:
        return ""
    day = date.fromisoformat(value)
    return f"{day:%A} {day.day} {day:%B %Y}"


def drift_words(days: int | None) -> str:
    """Drift in words: ``on time``, ``3 working days late``, ``1 working day early`` (blank if unknown)."""
    if days is None:
        return ""
    if days == 0:
        return "on time"
    unit = "working day" if abs(days) == 1 else "working days"
    return f"{abs(days)} {unit} {'late' if days > 0 else 'early'}"


def figure(step: dict[str, Any]) -> str:
    """The timescale a due date was counted with, and whether the figure is national or local."""
    timescale = step["timescale"]
    if not timescale:
        return ""
    return f"within {timescale['within']} of {timescale['from']} ({step['origin']})"


def force_label(provision: dict[str, Any]) -> str:
    return FORCE_LABELS.get(provision["force"], "advice (not statutory)")


def cell(text: str) -> str:
    """Text that cannot break a Markdown table row."""
    return text.replace("|", "\\|").replace("\n", " ")


_ENV = Environment(
    loader=FileSystemLoader(TEMPLATES),
    autoescape=select_autoescape(["html"]),
    undefined=StrictUndefined,
    trim_blocks=True,
    lstrip_blocks=True,
    keep_trailing_newline=True,
)
_ENV.filters.update(long_date=long_date, drift=drift_words, figure=figure, force=force_label, cell=cell)


def render(data: dict[str, Any], fmt: str) -> str:
    """The handout in ``fmt`` (one of FORMATS)."""
    if fmt not in FORMATS:
        raise ValueError(f"unknown format {fmt!r}; use {', '.join(FORMATS)}")
    if fmt == "json":
        return json.dumps(data, indent=2, ensure_ascii=False) + "\n"
    return _ENV.get_template(f"handout.{fmt}").render(h=data, css=CSS)
