"""FastAPI app: JSON under /api, pages under /, OpenAPI at /docs. Read-only.

Every error the user can cause is a 4xx with a ``detail`` message; library errors are mapped here
once (``QueryError`` -> 400, ``IndexMissing`` -> 503) so routes stay one-liners over kb.
"""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any

from fastapi import Depends, FastAPI, HTTPException, Request
from fastapi import Query as Q
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict, Field

from kb.index import IndexMissing, current_build
from kb.search import Query, QueryError, parse_edition, provision_json
from kb.service import Knowledge
from kb.settings import Settings, get_settings


class DeadlinesRequest(BaseModel):
    """A case: which flowchart, when it began, and the dates steps actually happened."""

    model_config = ConfigDict(populate_by_name=True, extra="forbid")

    flow: str = Field(max_length=100, examples=["referral"])
    start: date = Field(alias="from", examples=["2023-12-22"])
    edition: int | None = None
    actual: dict[str, date] = Field(default_factory=dict, examples=[{"strategy-discussion": "2024-01-05"}])
    local: str | None = Field(None, max_length=100)


def get_knowledge(request: Request) -> Knowledge:
    return request.app.state.knowledge


KnowledgeDep = Annotated[Knowledge, Depends(get_knowledge)]


def create_app(settings: Settings | None = None, knowledge: Knowledge | None = None) -> FastAPI:
    """Build the app; tests pass their own settings or a prepared Knowledge (e.g. a shared model)."""
    app = FastAPI(
        title="wtkb",
        description="Working Together to Safeguard Children, searchable with citations. "
        "Not legal advice: always check the official guidance.",
        version="0.1.0",
    )
    app.state.knowledge = knowledge or Knowledge(settings or get_settings())

    @app.exception_handler(QueryError)
    async def bad_query(_: Request, exc: QueryError) -> JSONResponse:
        return JSONResponse({"detail": str(exc)}, status_code=400)

    @app.exception_handler(IndexMissing)
    async def no_index(_: Request, exc: IndexMissing) -> JSONResponse:
        return JSONResponse({"detail": str(exc)}, status_code=503)

    @app.get("/health")
    def health(kb: KnowledgeDep) -> dict[str, Any]:
        """Whether the corpus loads cleanly and a built index is live."""
        build = current_build(kb.settings.index_dir)
        ok = build is not None and not kb.corpus.problems
        return {
            "status": "ok" if ok else "degraded",
            "index": build.name if build else None,
            "provisions": len(kb.corpus.provisions),
            "corpus_problems": len(kb.corpus.problems),
            "editions": sorted(kb.corpus.editions),
        }

    @app.get("/api/search")
    def search(
        kb: KnowledgeDep,
        q: Annotated[str, Q(description="What you want to know, in plain words.")],
        edition: Annotated[
            str | None, Q(description="Edition year, or 'all'; default the current one.")
        ] = None,
        status: Annotated[str | None, Q(description="statutory or advice")] = None,
        force: Annotated[str | None, Q(description="must or should")] = None,
        role: Annotated[str | None, Q(description="A role key from /api/roles")] = None,
        chapter: Annotated[str | None, Q(description="Chapter number, 0 or appendix letter")] = None,
        limit: Annotated[int, Q(description="How many results")] = 10,
    ) -> list[dict[str, Any]]:
        """Ranked provisions (hybrid dense + BM25 search) in the search-hit shape."""
        hits = kb.search(Query(q, parse_edition(edition), status, force, role, chapter, limit))
        return [h.to_dict() for h in hits]

    @app.get("/api/editions")
    def editions(kb: KnowledgeDep) -> list[dict[str, Any]]:
        """The editions in the corpus with their sources and provision counts."""
        return [
            {
                "edition": year,
                "title": e.title,
                "url": e.url,
                "published": str(e.source.get("published")),
                "current": year == kb.corpus.current_edition,
                "provisions": sum(1 for p in kb.corpus.provisions if p.edition == year),
            }
            for year, e in sorted(kb.corpus.editions.items())
        ]

    @app.get("/api/roles")
    def roles(kb: KnowledgeDep) -> dict[str, dict[str, Any]]:
        """The roles vocabulary."""
        return {k: r.to_dict() for k, r in kb.corpus.roles.items()}

    @app.get("/api/roles/{role}/duties")
    def role_duties(
        kb: KnowledgeDep, role: str, edition: str | None = None, include_general: bool = False
    ) -> dict[str, Any]:
        """Provisions that fall on a role (and the narrower roles it includes), duties first."""
        return kb.duties(role, parse_edition(edition), include_general)

    @app.get("/api/provisions/{edition}/{key}")
    def provision(kb: KnowledgeDep, edition: int, key: str) -> dict[str, Any]:
        """One provision by edition and key."""
        try:
            p = kb.provision(edition, key)
        except QueryError as exc:
            raise _not_found(str(exc)) from None
        return provision_json(p, kb.corpus.editions[edition].url)

    @app.get("/api/flowcharts")
    def flowcharts(kb: KnowledgeDep, edition: str | None = None) -> list[dict[str, Any]]:
        """The flowcharts for managing individual cases in an edition (default: the current one)."""
        charts = kb.flowcharts(parse_edition(edition))
        return [{"key": c.key, "title": c.title, "edition": c.edition, "steps": len(c.steps)} for c in charts]

    @app.get("/api/flowcharts/{key}")
    def flowchart(kb: KnowledgeDep, key: str, edition: str | None = None) -> dict[str, Any]:
        """One flowchart: steps with roles, timescales, linked provisions and branches."""
        try:
            return kb.flowchart(key, parse_edition(edition)).to_dict()
        except QueryError as exc:
            raise _not_found(str(exc)) from None

    @app.post("/api/deadlines")
    def post_deadlines(kb: KnowledgeDep, request: DeadlinesRequest) -> dict[str, Any]:
        """Each step's due date for a case in working days, with drift for steps that have happened."""
        return kb.deadlines(request.flow, request.start, request.edition, request.actual, request.local)

    from api.statutory import router as statutory_router
    from web.pages import router

    app.include_router(statutory_router)
    app.include_router(router)
    return app


def _not_found(message: str) -> HTTPException:
    return HTTPException(status_code=404, detail=message)
