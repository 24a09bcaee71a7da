"""FastAPI app: JSON under /api, pages under /, OpenAPI at /docs. Read-only.

Every error the user can cause is a 4xx with a ``detail`` message (api/errors.py); every response gets
security headers, and corpus data ETag and Cache-Control (api/middleware.py). Each parameter declares
its bounds and an example, and each route its response schema (api/schemas.py), so /docs and the
schema tests see the whole contract.
"""

# No `from __future__ import annotations` here: the routes' parameter bounds come from the app's
# settings (a local of create_app), which FastAPI can only see in annotations evaluated in place.

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import date
from typing import Annotated, Any, Literal

from fastapi import FastAPI, HTTPException
from fastapi import Path as P
from fastapi import Query as Q
from pydantic import BaseModel, ConfigDict, Field

from api import schemas
from api.deps import KnowledgeDep
from api.docs import add_docs
from api.errors import add_error_handlers
from api.health import log_readiness, warm_up
from api.middleware import BodyLimit, CorpusCaching, SecurityHeaders
from api.schemas import ERRORS, documented
from kb.corpus import FORCES, STATUSES
from kb.search import Query, QueryError, parse_edition, provision_json
from kb.service import Knowledge
from kb.settings import Settings, get_settings
from kb.stats import editions_json

KEY = r"^[a-z0-9]+(?:-[a-z0-9]+)*$"  # provision, flowchart and role keys (docs/corpus-format.md)
EditionParam = Annotated[
    str | None,
    Q(max_length=8, description="Edition year; default the current one.", examples=["2023"]),
]
DocumentParam = Annotated[
    str | None,
    Q(
        max_length=20,
        description="wt or kcsie; default every document, each at its current edition.",
        examples=["kcsie"],
    ),
]


class DeadlinesRequest(BaseModel):
    """A case: which flowchart, when it began, and the dates steps actually happened."""

    model_config = ConfigDict(populate_by_name=True, extra="forbid")

    flow: str = Field(max_length=100, examples=["referral"])
    start: date = Field(alias="from", examples=["2023-12-22"])
    edition: int | None = Field(None, examples=[2023])
    actual: dict[str, date] = Field(default_factory=dict, examples=[{"decision": "2023-12-28"}])
    local: str | None = Field(None, max_length=100, examples=[None])


@asynccontextmanager
async def lifespan(app: FastAPI) -> AsyncIterator[None]:
    """Start even without a usable index, saying in the log what to run; with one, load everything
    a search needs before the server accepts connections."""
    log_readiness(app.state.knowledge)
    warm_up(app.state.knowledge)
    yield


def create_app(settings: Settings | None = None, knowledge: Knowledge | None = None) -> FastAPI:
    """Build the app; tests pass their own settings or a prepared Knowledge (e.g. a shared model)."""
    knowledge = knowledge or Knowledge(settings or get_settings())
    limits = knowledge.settings
    app = FastAPI(
        title="wtkb",
        description="Working Together to Safeguard Children, searchable with citations. "
        "Not legal advice: always check the official guidance.",
        version="0.1.0",
        docs_url=None,  # served by api/docs.py without a CDN
        redoc_url=None,
        responses=ERRORS,
        lifespan=lifespan,
    )
    app.state.knowledge = knowledge
    # the last added runs first: bodies are bounded before anything else reads them
    app.add_middleware(BodyLimit, max_bytes=limits.max_body_bytes, limits=limits.limits)
    app.add_middleware(CorpusCaching, knowledge=knowledge, max_age=limits.cache_seconds)
    app.add_middleware(SecurityHeaders)
    add_error_handlers(app)
    add_docs(app)

    @app.get("/api/search", **documented(list[schemas.SearchHit], "Ranked provisions, best first"))
    def search(
        kb: KnowledgeDep,
        q: Annotated[
            str,
            Q(
                max_length=limits.max_query_chars,
                description="What you want to know, in plain words.",
                examples=["what happens after a referral is made"],
            ),
        ],
        edition: Annotated[
            str | None,
            Q(max_length=8, description="Edition year, or 'all'; default the current one.", examples=["all"]),
        ] = None,
        document: DocumentParam = None,
        status: Annotated[Literal[STATUSES] | None, Q(examples=["statutory"])] = None,  # type: ignore[valid-type]
        force: Annotated[Literal[FORCES] | None, Q(examples=["must"])] = None,  # type: ignore[valid-type]
        role: Annotated[
            str | None, Q(max_length=100, description="A role key from /api/roles", examples=["schools"])
        ] = None,
        chapter: Annotated[
            str | None,
            Q(
                pattern=r"^(?:\d{1,2}|[A-Z])$",
                description="Chapter number, 0 for the introduction, or an appendix letter",
                examples=["3"],
            ),
        ] = None,
        limit: Annotated[
            int,
            Q(
                ge=1,
                le=limits.max_limit,
                description="How many results (no offset: see docs/api.md)",
                examples=[5],
            ),
        ] = limits.default_limit,
    ) -> list[dict[str, Any]]:
        """Ranked provisions (hybrid dense + BM25 search) in the search-hit shape."""
        hits = kb.search(Query(q, parse_edition(edition), document, status, force, role, chapter, limit))
        return [h.to_dict() for h in hits]

    @app.get("/api/editions", **documented(list[schemas.Edition], "Every edition, oldest first"))
    def editions(kb: KnowledgeDep) -> list[dict[str, Any]]:
        """The editions in the corpus with their SOURCE.yaml provenance, provision counts and
        paragraph coverage per chapter (the same JSON as `wtkb editions --json`)."""
        return editions_json(kb.corpus)

    @app.get("/api/roles", **documented(dict[str, schemas.Role], "Role key: label, narrower roles, aliases"))
    def roles(kb: KnowledgeDep) -> dict[str, dict[str, Any]]:
        """The roles vocabulary."""
        return {k: r.to_dict() for k, r in kb.corpus.roles.items()}

    @app.get("/api/roles/{role}/duties", **documented(schemas.Duties, "One page of the role's provisions"))
    def role_duties(
        kb: KnowledgeDep,
        role: Annotated[str, P(max_length=100, pattern=KEY, examples=["schools"])],
        edition: EditionParam = None,
        document: DocumentParam = None,
        include_general: Annotated[
            bool, Q(description="Also list what applies to all practitioners.", examples=[True])
        ] = False,
        offset: Annotated[int, Q(ge=0, le=100_000, description="Skip this many.", examples=[0])] = 0,
        limit: Annotated[
            int, Q(ge=1, le=limits.max_page, description="Page size, for each list.", examples=[20])
        ] = limits.default_page,
    ) -> dict[str, Any]:
        """Provisions that fall on a role (and the narrower roles it includes), duties first, a page
        at a time: `total` says how many there are."""
        return kb.duties(role, parse_edition(edition), include_general, offset, limit, document)

    EditionPath = Annotated[int, P(ge=1900, le=2100, examples=[2023])]
    KeyPath = Annotated[str, P(max_length=100, pattern=KEY, examples=["referral-decision"])]

    @app.get("/api/provisions/{edition}/{key}", **documented(schemas.Provision, "The provision"))
    def provision(kb: KnowledgeDep, edition: EditionPath, key: KeyPath) -> dict[str, Any]:
        """One provision of Working Together by edition and key."""
        return _provision(kb, "wt", edition, key)

    @app.get("/api/provisions/{document}/{edition}/{key}", **documented(schemas.Provision, "The provision"))
    def document_provision(
        kb: KnowledgeDep,
        document: Annotated[str, P(max_length=20, pattern=KEY, examples=["kcsie"])],
        edition: EditionPath,
        key: KeyPath,
    ) -> dict[str, Any]:
        """One provision of any document by document, edition and key."""
        return _provision(kb, document, edition, key)

    def _provision(kb: Knowledge, document: str, edition: int, key: str) -> dict[str, Any]:
        try:
            p = kb.provision(edition, key, document)
        except QueryError as exc:
            raise _not_found(str(exc)) from None
        return provision_json(p, kb.searcher.url(p))

    @app.get("/api/flowcharts", **documented(list[schemas.FlowchartSummary], "The edition's flowcharts"))
    def flowcharts(kb: KnowledgeDep, edition: EditionParam = None) -> list[dict[str, Any]]:
        """The flowcharts for managing individual cases in an edition (default: the current one)."""
        return [c.summary() for c in kb.flowcharts(parse_edition(edition))]

    @app.get("/api/flowcharts/{key}", **documented(schemas.Flowchart, "The flowchart with every step"))
    def flowchart(
        kb: KnowledgeDep,
        key: Annotated[str, P(max_length=100, pattern=KEY, examples=["referral"])],
        edition: EditionParam = None,
    ) -> dict[str, Any]:
        """One flowchart: steps with roles, timescales, linked provisions and branches."""
        try:
            return kb.flowchart(key, parse_edition(edition)).to_dict()
        except QueryError as exc:
            raise _not_found(str(exc)) from None

    @app.post("/api/deadlines", **documented(schemas.Deadlines, "Due dates and drift, step by step"))
    def post_deadlines(kb: KnowledgeDep, request: DeadlinesRequest) -> dict[str, Any]:
        """Each step's due date for a case in working days, with drift for steps that have happened."""
        return kb.deadlines(request.flow, request.start, request.edition, request.actual, request.local)

    from api.diff import router as diff_router
    from api.health import router as health_router
    from api.scenarios import router as scenarios_router
    from api.statutory import router as statutory_router
    from web.pages import add_pages

    app.include_router(health_router)
    app.include_router(statutory_router)
    app.include_router(diff_router)
    app.include_router(scenarios_router)
    add_pages(app)  # the pages, their /static files and friendly error pages
    return app


def _not_found(message: str) -> HTTPException:
    return HTTPException(status_code=404, detail=message)
