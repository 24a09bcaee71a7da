"""Server-rendered pages. Each page shows what an API route returns, so the two never disagree."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

from fastapi import APIRouter, Depends, Request
from fastapi import Query as Q
from fastapi.responses import HTMLResponse
from fastapi.templating import Jinja2Templates

from kb.index import IndexMissing
from kb.search import Query, QueryError, parse_edition
from kb.service import Knowledge

templates = Jinja2Templates(directory=str(Path(__file__).parent / "templates"))
router = APIRouter(include_in_schema=False)


def _knowledge(request: Request) -> Knowledge:
    return request.app.state.knowledge


@router.get("/", response_class=HTMLResponse)
def search_page(
    request: Request,
    kb: Annotated[Knowledge, Depends(_knowledge)],
    q: Annotated[str | None, Q()] = None,
    edition: Annotated[str | None, Q()] = None,
    status: Annotated[str | None, Q()] = None,
    role: Annotated[str | None, Q()] = None,
) -> HTMLResponse:
    """Search form and results; a bad request shows its message on the page with status 400."""
    hits, error = [], None
    if q is not None:
        try:
            hits = kb.search(Query(q, parse_edition(edition), status or None, None, role or None))
        except (QueryError, IndexMissing) as exc:
            error = str(exc)
    context = {
        "q": q or "",
        "edition": edition or "",
        "status": status or "",
        "role": role or "",
        "hits": [h.to_dict() for h in hits],
        "error": error,
        "editions": sorted(kb.corpus.editions, reverse=True),
        "roles": kb.corpus.roles,
        "searched": q is not None,
    }
    return templates.TemplateResponse(request, "search.html", context, status_code=400 if error else 200)
