"""Every error a client can cause becomes a 4xx whose ``detail`` is one sentence saying what to change.

Library errors are mapped here once (``QueryError`` -> 400, ``IndexMissing`` -> 503), so routes stay
one-liners over kb. Request validation keeps FastAPI's 422 but sums the errors up in ``detail`` and
leaves out the rejected input, so nothing a client sent is echoed back (a 60 kB body, or markup).
"""

from __future__ import annotations

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse

from kb.index import IndexMissing
from kb.search import QueryError


def where(loc: tuple[str | int, ...]) -> str:
    """``('query', 'limit')`` -> ``'limit (query)'``; ``('body', 'actual', 'x')`` -> ``'actual.x (body)'``;
    ``('body', 17)`` (malformed JSON) -> ``'body, at character 17'``."""
    source, *path = loc
    if len(path) == 1 and isinstance(path[0], int):
        return f"{source}, at character {path[0]}"
    return f"{'.'.join(map(str, path)) or 'the whole value'} ({source})"


def add_error_handlers(app: FastAPI) -> None:
    """Map library errors and request validation to 4xx/503 answers with a ``detail`` message."""

    @app.exception_handler(QueryError)
    async def bad_query(_: Request, exc: QueryError) -> JSONResponse:
        return JSONResponse({"detail": str(exc)}, status_code=400)

    @app.exception_handler(IndexMissing)
    async def no_index(_: Request, exc: IndexMissing) -> JSONResponse:
        return JSONResponse({"detail": str(exc)}, status_code=503)

    @app.exception_handler(RequestValidationError)
    async def invalid(_: Request, exc: RequestValidationError) -> JSONResponse:
        errors = [{"loc": list(e["loc"]), "msg": e["msg"], "type": e["type"]} for e in exc.errors()]
        detail = "; ".join(f"{where(tuple(e['loc']))}: {e['msg']}" for e in errors)
        return JSONResponse({"detail": detail, "errors": errors}, status_code=422)
