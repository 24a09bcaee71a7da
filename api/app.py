"""FastAPI app: JSON under /api, pages under /, OpenAPI at /docs. Read-only.

Every error the user can cause is a 4xx with a ``detail`` message; library errors are mapped here
once (``QueryError`` -> 400, ``IndexMissing`` -> 503) so routes stay one-liners over kb.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import Depends, FastAPI, HTTPException, Request
from fastapi import Query as Q
from fastapi.responses import JSONResponse

from kb.index import IndexMissing, current_build
from kb.search import Query, QueryError, parse_edition, provision_json
from kb.service import Knowledge
from kb.settings import Settings, get_settings


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
        return {k: {"label": r.label, "includes": list(r.includes)} for k, r in kb.corpus.roles.items()}

    @app.get("/api/provisions/{edition}/{key}")
    def provision(kb: KnowledgeDep, edition: int, key: str) -> dict[str, Any]:
        """One provision by edition and key."""
        try:
            p = kb.provision(edition, key)
        except QueryError as exc:
            raise _not_found(str(exc)) from None
        return provision_json(p, kb.corpus.editions[edition].url)

    from web.pages import router

    app.include_router(router)
    return app


def _not_found(message: str) -> HTTPException:
    return HTTPException(status_code=404, detail=message)
