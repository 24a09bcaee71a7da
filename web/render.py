"""What every page shares: the Jinja environment, the route class that turns errors into friendly
pages, and the filters that word the guidance the same way on every page.

Pages are for people, so an error a person can cause (a bad edition in a link, an unknown role, a
malformed date) is an HTML page with the message and a way on, never the API's JSON.
"""

from __future__ import annotations

from collections.abc import Callable, Coroutine
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

from fastapi import HTTPException, Request, Response
from fastapi.exceptions import RequestValidationError
from fastapi.responses import HTMLResponse
from fastapi.routing import APIRoute
from fastapi.templating import Jinja2Templates

from api.errors import where
from kb.corpus import WT, chapter_name, document_style
from kb.handout import drift_words, figure, long_date
from kb.index import IndexMissing
from kb.search import QueryError
from kb.service import Knowledge
from kb.timescale import timescale_text

TEMPLATES = Path(__file__).parent / "templates"
STATIC = Path(__file__).parent / "static"
# Pages answer differently to htmx (a fragment) and to a full load, so caches must key on the header.
VARY = {"Vary": "HX-Request"}
BADGES = {
    "must": ("Statutory duty", "govuk-tag--purple"),
    "should": ("Statutory guidance", "govuk-tag--turquoise"),
    None: ("Advice", "govuk-tag--grey"),
}
TITLES = {
    400: "There is a problem",
    404: "Page not found",
    405: "There is a problem",
    422: "There is a problem",
}


def badge(provision: dict[str, Any]) -> tuple[str, str]:
    """The label and tag class of a provision's force (statutory provisions always have one, advice
    never does): what a reader must know before the text."""
    return BADGES[provision["force"]]


def chapter_heading(number: str, title: str, document: str = WT.key) -> str:
    """``Chapter 3: Providing help``, ``Part 2: ...``, ``Annex C: ...``: as the document names them."""
    name = chapter_name(number, long=True, document=document_style(document))
    return name if title == name else f"{name}: {title}"


templates = Jinja2Templates(directory=str(TEMPLATES))
templates.env.filters.update(long_date=long_date, drift=drift_words, figure=figure, timescale=timescale_text)
templates.env.globals.update(badge=badge, chapter_heading=chapter_heading)


def is_htmx(request: Request) -> bool:
    """True for a request htmx made to update part of a page in place."""
    headers = request.headers
    return headers.get("HX-Request") == "true" and "HX-History-Restore-Request" not in headers


def page(request: Request, template: str, context: dict[str, Any], status: int = 200) -> HTMLResponse:
    """A rendered page, or an htmx fragment (a template named ``_*.html``), with the headers every
    page carries; a fragment also updates the status message and the page title."""
    context = {"fragment": template.startswith("_"), **context}
    return templates.TemplateResponse(request, template, context, status_code=status, headers=VARY)


def error_page(request: Request, status: int, message: str) -> HTMLResponse:
    """The friendly error page: what went wrong in the library's own words, and where to go next."""
    title = TITLES.get(status, "Sorry, there is a problem with the service")
    return page(request, "error.html", {"title": title, "message": message, "status": status}, status)


def validation_message(exc: RequestValidationError) -> str:
    """FastAPI's validation errors as one sentence, in the API's words (without echoing the input)."""
    return "; ".join(f"{where(tuple(e['loc']))}: {e['msg']}" for e in exc.errors())


def twin(path: str, params: dict[str, Any]) -> str:
    """The API URL answering the same question as a page, leaving out the parameters left blank."""
    given = {k: v for k, v in params.items() if v not in (None, "")}
    return f"{path}?{urlencode(given)}" if given else path


def edition_options(kb: Knowledge, everything: bool = False) -> list[tuple[str, str]]:
    """Edition years newest first, each with the documents that have it and the current ones marked,
    for a select ('' is the edition in force of each document)."""
    corpus = kb.corpus
    current = {key for key in corpus.current_editions()}
    years = sorted({year for _, year in corpus.editions}, reverse=True)

    def label(year: int) -> str:
        names = [
            corpus.documents[doc].short + (" (current)" if (doc, year) in current else "")
            for doc in corpus.documents
            if (doc, year) in corpus.editions
        ]
        return f"{year}: {', '.join(names)}"

    in_force = ", ".join(f"{corpus.documents[d].short} {y}" for d, y in corpus.current_editions())
    options = [("", f"In force ({in_force})"), *((str(y), label(y)) for y in years)]
    return options + ([("all", "All editions")] if everything else [])


def document_options(kb: Knowledge) -> list[tuple[str, str]]:
    """Every document, for a select ('' is all of them)."""
    return [("", "All documents"), *((k, f"{d.short}: {d.title}") for k, d in kb.corpus.documents.items())]


def role_options(kb: Knowledge, blank: str) -> list[tuple[str, str]]:
    return [("", blank), *((key, role.label) for key, role in kb.corpus.roles.items())]


class PageRoute(APIRoute):
    """A route whose errors become error pages: QueryError 400, HTTPException its own status,
    bad parameters 422, no index 503 (the app's handlers would answer these in JSON)."""

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handler = super().get_route_handler()

        async def handle(request: Request) -> Response:
            try:
                return await handler(request)
            except QueryError as exc:
                return error_page(request, 400, str(exc))
            except HTTPException as exc:
                return error_page(request, exc.status_code, str(exc.detail))
            except RequestValidationError as exc:
                return error_page(request, 422, validation_message(exc))
            except IndexMissing as exc:
                return error_page(request, 503, str(exc))

        return handle
