"""Server-rendered pages for people, served by the same app as the API. Each page shows what an API
route returns (its "JSON twin", linked from the page), so the two never disagree.

Every page works without JavaScript; htmx only updates the search results and the checker's verdict
in place, from the same routes (they answer htmx with just the part that changed).
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, FastAPI, Form, HTTPException, Request
from fastapi import Path as P
from fastapi.exception_handlers import http_exception_handler
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from fastapi.staticfiles import StaticFiles
from starlette.exceptions import HTTPException as StarletteHTTPException

from api.deps import KnowledgeDep
from kb.corpus import WT, Corpus, Provision
from kb.search import Query, QueryError, parse_edition, provision_json
from kb.service import Knowledge
from kb.stats import editions_json
from web.diff import router as diff_pages
from web.flowcharts import router as flowchart_pages
from web.render import (
    STATIC,
    PageRoute,
    document_options,
    edition_options,
    error_page,
    is_htmx,
    page,
    role_options,
    twin,
)
from web.scenarios import router as scenario_pages

router = APIRouter(route_class=PageRoute, include_in_schema=False)
NOT_PAGES = ("/api/", "/health", "/docs", "/openapi", "/static/")
FIRST_ROLES = ("schools", "dsl")  # the users the pages are written for first
STATUS_OPTIONS = [("", "Statutory and advice"), ("statutory", "Statutory only"), ("advice", "Advice only")]
FORCE_OPTIONS = [("", "Duties and guidance"), ("must", "Duties (must)"), ("should", "Guidance (should)")]


def chapter_options(corpus: Corpus, edition: int | None) -> list[tuple[str, str]]:
    """The chapters of an edition (every edition: the newest title of each number), in reading order."""
    titles: dict[str, str] = {}
    for p in sorted(corpus.provisions, key=lambda p: p.edition):
        if not edition or p.edition == edition:
            titles[p.chapter] = p.chapter_title
    order = sorted(titles, key=lambda c: (not c.isdigit(), c.zfill(3)))
    return [("", "Any chapter"), *((c, f"{c}: {titles[c]}") for c in order)]


def _search_edition(kb: Knowledge, edition: str) -> int | None:
    """The edition whose chapters the filter lists: a bad value falls back to the current one (the
    search itself reports it)."""
    try:
        year = parse_edition(edition)
    except QueryError:
        return None
    return year if year == 0 or any(y == year for _, y in kb.corpus.editions) else None


# ---------------------------------------------------------------- home and search


@router.get("/", response_class=HTMLResponse)
def home(request: Request, kb: KnowledgeDep, q: str | None = None) -> Response:
    """A search box, the edition in force and the other tools. A search sent to ``/?q=`` (where the
    search page used to be) goes on to the search page, so old bookmarks keep working."""
    if q is not None:
        return RedirectResponse(f"/search?{request.url.query}", status_code=307)
    edition = kb.corpus.edition(kb.corpus.current_edition)
    context = {
        "title": "Working Together to Safeguard Children, searchable",
        "edition": edition,
        "source": edition.source,
        "twin": "/api/editions",
        "editions": [e.id for _, e in sorted(kb.corpus.editions.items())],
        "in_force": [
            (kb.corpus.documents[doc], kb.corpus.edition(year, doc))
            for doc, year in kb.corpus.current_editions()
        ],
    }
    return page(request, "home.html", context)


@router.get("/editions", response_class=HTMLResponse)
def editions_page(request: Request, kb: KnowledgeDep) -> HTMLResponse:
    """Each edition, newest first, with a table per edition of the paragraph range its copy prints
    against the paragraphs our provisions cite, so a reader sees how complete each edition is."""
    context = {
        "title": "Editions and paragraph coverage",
        "crumbs": [("Home", "/")],
        "editions": editions_json(kb.corpus)[::-1],
        "twin": "/api/editions",
    }
    return page(request, "editions.html", context)


@router.get("/search", response_class=HTMLResponse)
def search(
    request: Request,
    kb: KnowledgeDep,
    q: str | None = None,
    edition: str = "",
    document: str = "",
    status: str = "",
    force: str = "",
    role: str = "",
    chapter: str = "",
) -> HTMLResponse:
    """Results with filters; htmx gets just the results. A bad filter is shown on the page (400)."""
    form = {
        "q": q,
        "document": document,
        "edition": edition,
        "status": status,
        "force": force,
        "role": role,
        "chapter": chapter,
    }
    hits, error = [], None
    if q is not None:
        try:
            filters = (status or None, force or None, role or None, chapter or None)
            query = Query(q, parse_edition(edition), document or None, *filters)
            hits = [h.to_dict() for h in kb.search(query)]
        except QueryError as exc:
            error = str(exc)
    context = {
        "title": f"Search results: {q}" if q else "Search the guidance",
        "nav": "search",
        "crumbs": [("Home", "/")],
        "form": form,
        "hits": hits,
        "error": error,
        "roles": kb.corpus.roles,
        "options": {
            "document": document_options(kb),
            "edition": edition_options(kb, everything=True),
            "status": STATUS_OPTIONS,
            "force": FORCE_OPTIONS,
            "role": role_options(kb, "Anyone"),
            "chapter": chapter_options(kb.corpus, _search_edition(kb, edition)),
        },
        "twin": twin("/api/search", form) if q else None,
        "twin_note": None if q else "GET /api/search?q=...",
    }
    template = "_results.html" if is_htmx(request) else "search.html"
    return page(request, template, context, 400 if error else 200)


# ---------------------------------------------------------------- one provision


def other_editions(corpus: Corpus, p: Provision) -> list[Provision]:
    """The same provision (same document and key) in the other editions, newest first."""
    return sorted(
        (
            o
            for o in corpus.provisions
            if (o.document, o.key) == (p.document, p.key) and o.edition != p.edition
        ),
        key=lambda o: -o.edition,
    )


def flow_steps(kb: Knowledge, p: Provision) -> list[tuple[Any, Any, int]]:
    """(flowchart, step, step number) for every step of the edition's flowcharts linked to ``p``."""
    if p.document != WT.key:
        return []  # flowcharts are Working Together's
    return [
        (chart, step, n)
        for chart in kb.flowcharts(p.edition)
        for n, step in enumerate(chart.steps, start=1)
        if p.key in step.provisions
    ]


KeyPath = Annotated[str, P(max_length=100, pattern=r"^[a-z0-9]+(?:-[a-z0-9]+)*$")]
EditionPath = Annotated[int, P(ge=1900, le=2100)]


@router.get("/provisions/{edition}/{key}", response_class=HTMLResponse)
def provision(request: Request, kb: KnowledgeDep, edition: EditionPath, key: KeyPath) -> HTMLResponse:
    """A provision of Working Together (the address it had before KCSIE joined the corpus)."""
    return _provision_page(request, kb, WT.key, edition, key)


@router.get("/provisions/{document}/{edition}/{key}", response_class=HTMLResponse)
def document_provision(
    request: Request,
    kb: KnowledgeDep,
    document: Annotated[str, P(max_length=20, pattern=r"^[a-z]+$")],
    edition: EditionPath,
    key: KeyPath,
) -> HTMLResponse:
    """Text, status, force, basis, roles, timescale and citation; other editions; flowchart steps;
    the provisions of other documents it sends the reader to, or that send the reader here."""
    return _provision_page(request, kb, document, edition, key)


def _provision_page(request: Request, kb: Knowledge, document: str, edition: int, key: str) -> HTMLResponse:
    try:
        p = kb.provision(edition, key, document)
    except QueryError as exc:
        raise HTTPException(404, str(exc)) from None
    url = kb.searcher.url
    context = {
        "title": p.title,
        "crumbs": [("Home", "/"), ("Search", "/search")],
        "p": provision_json(p, url(p)),
        "roles": kb.corpus.roles,
        "others": [provision_json(o, url(o)) for o in other_editions(kb.corpus, p)],
        "see": [provision_json(o, url(o)) for o in kb.cross_references(p)],
        "steps": flow_steps(kb, p),
        "twin": f"/api/provisions/{document}/{edition}/{key}",
    }
    return page(request, "provision.html", context)


# ---------------------------------------------------------------- is this statutory?


def _checker(
    request: Request, kb: Knowledge, statement: str | None, edition: str, role: str, document: str
) -> HTMLResponse:
    """The checker's page (or, for htmx, its verdict) for a statement; a problem shows beside the form."""
    verdict, error = None, None
    if statement is not None:
        try:
            if not statement.strip():
                raise QueryError(
                    "Enter a statement to check, for example 'schools must refer within 24 hours'"
                )
            verdict = kb.statutory(statement, parse_edition(edition), role or None, document or None)
        except QueryError as exc:
            error = str(exc)
    form = {"statement": statement, "document": document, "edition": edition, "role": role}
    context = {
        "title": "Is this statutory?",
        "nav": "statutory",
        "crumbs": [("Home", "/")],
        "form": form,
        "verdict": verdict,
        "error": error,
        "roles": kb.corpus.roles,
        "options": {
            "document": document_options(kb),
            "edition": edition_options(kb),
            "role": role_options(kb, "Anyone (not stated)"),
        },
        "twin": twin("/api/statutory", form) if verdict else None,
        "twin_note": None if verdict else 'POST /api/statutory with {"statement": "..."}',
    }
    template = "_verdict.html" if is_htmx(request) else "statutory.html"
    return page(request, template, context, 400 if error else 200)


@router.get("/statutory", response_class=HTMLResponse)
def statutory_page(
    request: Request,
    kb: KnowledgeDep,
    statement: str | None = None,
    edition: str = "",
    role: str = "",
    document: str = "",
) -> HTMLResponse:
    """The checker; a link with ?statement= checks straight away."""
    return _checker(request, kb, statement, edition, role, document)


@router.post("/statutory", response_class=HTMLResponse)
def statutory_form(
    request: Request,
    kb: KnowledgeDep,
    statement: Annotated[str, Form(max_length=2000)] = "",
    edition: Annotated[str, Form(max_length=8)] = "",
    role: Annotated[str, Form(max_length=100)] = "",
    document: Annotated[str, Form(max_length=20)] = "",
) -> HTMLResponse:
    """The checker's form posts here, so what a practitioner typed stays out of URLs and logs."""
    return _checker(request, kb, statement, edition, role, document)


# ---------------------------------------------------------------- duties by role


@router.get("/roles", response_class=HTMLResponse)
def roles_page(request: Request, kb: KnowledgeDep) -> HTMLResponse:
    """Every role, schools and designated safeguarding leads first, each linking to its duties."""
    roles = kb.corpus.roles
    ordered = [roles[r] for r in FIRST_ROLES if r in roles] + [
        r for k, r in roles.items() if k not in FIRST_ROLES
    ]
    context = {
        "title": "Duties by role",
        "nav": "duties",
        "crumbs": [("Home", "/")],
        "ordered": ordered,
        "twin": "/api/roles",
    }
    return page(request, "roles.html", context)


@router.get("/roles/{role}/duties", response_class=HTMLResponse)
def duties_page(
    request: Request,
    kb: KnowledgeDep,
    role: Annotated[str, P(max_length=100)],
    edition: str = "",
    document: str = "",
    include_general: bool = False,
) -> HTMLResponse:
    """A role's provisions by document and chapter, duties first; printable (the print styles drop the
    chrome)."""
    if role not in kb.corpus.roles:
        raise HTTPException(404, f"unknown role {role!r}: choose one from the list of roles")
    duties = kb.duties(role, parse_edition(edition), include_general, document=document or None)
    params = {"document": document, "edition": edition, "include_general": "true" if include_general else ""}
    context = {
        "title": f"Duties: {duties['label']}",
        "nav": "duties",
        "crumbs": [("Home", "/"), ("Duties by role", "/roles")],
        "d": duties,
        "roles": kb.corpus.roles,
        "edition": edition,
        "document": document,
        "include_general": include_general,
        "options": {"document": document_options(kb), "edition": edition_options(kb)},
        "twin": twin(f"/api/roles/{role}/duties", {**params, "limit": kb.settings.max_page}),
    }
    return page(request, "duties.html", context)


# ---------------------------------------------------------------- wiring


for part in (flowchart_pages, scenario_pages, diff_pages):  # one router holds every page
    router.include_router(part)


def add_pages(app: FastAPI) -> None:
    """Mount the pages, their static files, and a friendly page for a page URL that does not exist."""
    app.include_router(router)
    app.mount("/static", StaticFiles(directory=STATIC), name="static")

    @app.exception_handler(StarletteHTTPException)
    async def not_found(request: Request, exc: StarletteHTTPException) -> Response:
        if request.url.path.startswith(NOT_PAGES):
            return await http_exception_handler(request, exc)
        message = "There is no page at this address. Check it, or start again from the home page."
        return error_page(request, exc.status_code, message if exc.status_code == 404 else str(exc.detail))
