"""The diff viewer: pick two editions (or an edition and a local area) and a role, and see what
changed, the summary first and then each change with its words struck out and inserted.

It shows the report GET /api/diff returns, worded by kb.diff_render as the CLI words it.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse

from api.deps import KnowledgeDep
from kb.diff import KINDS, LOCAL_PREFIX
from kb.diff_render import INLINE_DIFF_MIN, alignment_line, chapter_label, detail_lines, force_label, headline
from kb.search import QueryError
from web.render import PageRoute, page, role_options, twin

router = APIRouter(route_class=PageRoute, include_in_schema=False)
Param = Annotated[str, Query(max_length=100)]


@router.get("/diff", response_class=HTMLResponse)
def diff_page(
    request: Request,
    kb: KnowledgeDep,
    old: Annotated[str, Query(alias="from", max_length=100)] = "",
    new: Annotated[str, Query(alias="to", max_length=100)] = "",
    role: Param = "",
    kind: Param = "",
    chapter: Param = "",
) -> HTMLResponse:
    """The form, and once both sides are chosen the report; a bad choice is shown beside the form."""
    corpus = kb.corpus
    years = corpus.years()
    params = {"from": old, "to": new, "role": role, "kind": kind, "chapter": chapter}
    report, error = None, None
    if old or new:
        try:
            report = kb.diff(old, new, role or None, kind or None, chapter or None)
        except QueryError as exc:
            error = str(exc)
    editions = [
        (str(y) if doc == "wt" else f"{doc}/{y}", f"{corpus.documents[doc].short} {y}")
        for doc, y in sorted(corpus.editions, key=lambda e: (e[0] != "wt", e[0], -e[1]))
    ]
    context = {
        "title": headline(report) if report else "Compare editions",
        "nav": "diff",
        "crumbs": [("Home", "/")],
        "form": {
            **params,
            "from": old or str(years[-2] if len(years) > 1 else years[0]),  # WT: its two newest
            "to": new or str(years[-1]),
        },
        "options": {
            "from": editions,
            "to": editions + [(LOCAL_PREFIX + a, f"Local: {a}") for a in sorted(kb.corpus.overlays)],
            "role": role_options(kb, "Anyone"),
            "kind": [("", "Every kind of change"), *((k, k) for k in KINDS)],
        },
        "report": report,
        "error": error,
        "alignment": alignment_line(report) if report else None,
        "detail_lines": detail_lines,
        "chapter_label": chapter_label,
        "force_label": force_label,
        "inline_min": INLINE_DIFF_MIN,
        "twin": twin("/api/diff", params) if report else None,
        "twin_note": None if report else "GET /api/diff?from=2018&to=2023",
    }
    return page(request, "diff.html", context, 400 if error else 200)
