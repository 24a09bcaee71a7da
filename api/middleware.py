"""What every request and response gets, whatever route handles it: security headers, a bound on
request bodies, and validators with Cache-Control on corpus data so that clients and proxies re-use
answers until the data changes.

All three are plain ASGI middleware that only touch the ``http.response.start`` message (or refuse a
body before the app sees it), so static files and streamed responses pass through unbuffered.
FastAPI's own ``max_body_size`` is not used: its 413 is plain text sent from outside every other
middleware, so it would lack a message saying what to change, and the security headers.
"""

from __future__ import annotations

import hashlib
from pathlib import Path

from starlette.datastructures import Headers, MutableHeaders
from starlette.responses import JSONResponse, Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

import api
import kb
from kb.index import current_build
from kb.limits import Limits, TooComplex, check_json
from kb.service import Knowledge

# Scripts and styles only from this origin (the pages vendor their CSS/JS under /static); nothing may
# frame the pages, and forms post only back here.
CSP_DIRECTIVES = {
    "default-src": "'self'",
    "script-src": "'self'",
    "style-src": "'self'",
    "img-src": "'self' data:",
    "font-src": "'self'",
    "connect-src": "'self'",
    "object-src": "'none'",
    "base-uri": "'none'",
    "form-action": "'self'",
    "frame-ancestors": "'none'",
}


def content_security_policy(**relaxed: str) -> str:
    """The policy as a header value; a page that needs more names the directives it widens
    (``script_src="'self' 'sha256-…'"``)."""
    directives = {**CSP_DIRECTIVES, **{name.replace("_", "-"): value for name, value in relaxed.items()}}
    return "; ".join(f"{name} {value}" for name, value in directives.items())


SECURITY_HEADERS = {
    "Content-Security-Policy": content_security_policy(),
    "X-Content-Type-Options": "nosniff",
    # Search and statutory URLs carry what a practitioner typed: never pass them on to a cited site.
    "Referrer-Policy": "no-referrer",
    "X-Frame-Options": "DENY",
}
CACHED_PREFIX = "/api/"  # a GET under /api/ answers from the corpus, index, settings and code alone,
LIVE = ("/api/scenarios",)  # except the scenario list, read from its folder on every request
HANDLED = ("/api/", "/health")  # each response here gets validators, or no-store (live state, cases)


class SecurityHeaders:
    """Adds the security headers to every response; a route may set its own CSP (the /docs page does)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                for name, value in SECURITY_HEADERS.items():
                    headers.setdefault(name, value)
            await send(message)

        await self.app(scope, receive, send_with_headers)


class BodyLimit:
    """413 with a message for a request body over ``max_bytes``, before the app reads any of it, and
    422 for a JSON body over the bounds of ``limits`` (too deep, too many values), before it is parsed.

    A declared Content-Length is checked up front (the server reads no more than it declares); a
    chunked or JSON body is read into memory up to the limit and handed on whole, or refused there.
    """

    def __init__(self, app: ASGIApp, max_bytes: int, limits: Limits) -> None:
        self.app = app
        self.max_bytes = max_bytes
        self.limits = limits

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = Headers(scope=scope)
        declared = headers.get("content-length", "")
        media = headers.get("content-type", "").split(";")[0].strip().lower()
        is_json = media == "application/json" or media.endswith("+json")  # what FastAPI parses as JSON
        if declared.isdigit() and int(declared) > self.max_bytes:
            await self.refuse(scope, receive, send)
        elif is_json or "chunked" in headers.get("transfer-encoding", "").lower():
            await self.buffered(scope, receive, send, is_json)
        else:
            await self.app(scope, receive, send)

    async def buffered(self, scope: Scope, receive: Receive, send: Send, is_json: bool) -> None:
        body = bytearray()
        while True:
            message = await receive()
            if message["type"] != "http.request":
                return  # the client went away
            body += message.get("body", b"")
            if len(body) > self.max_bytes:
                await self.refuse(scope, receive, send)
                return
            if not message.get("more_body", False):
                break
        if is_json:
            try:
                check_json(body.decode("utf-8", errors="replace"), self.limits)
            except TooComplex as exc:
                detail = f"the request body is too complex: {exc}"
                await JSONResponse({"detail": detail}, status_code=422)(scope, receive, send)
                return
        whole: list[Message] = [{"type": "http.request", "body": bytes(body), "more_body": False}]

        async def replay() -> Message:
            return whole.pop() if whole else await receive()

        await self.app(scope, replay, send)

    async def refuse(self, scope: Scope, receive: Receive, send: Send) -> None:
        message = f"the request body is over {self.max_bytes} bytes (WTKB_MAX_BODY_BYTES): send a shorter one"
        await JSONResponse({"detail": message}, status_code=413)(scope, receive, send)


class CorpusCaching:
    """ETag and ``Cache-Control: public`` on successful GETs under /api/, 304 when the client's copy
    is current; ``no-store`` on every other API and health response.

    The ETag is computed from the request alone (data version + path + query), so a matching
    ``If-None-Match`` is answered before any search or model work is done.
    """

    def __init__(self, app: ASGIApp, knowledge: Knowledge, max_age: int) -> None:
        self.app = app
        self.knowledge = knowledge
        self.cache_control = f"public, max-age={max_age}"
        self._fixed: str | None = None
        # Starlette builds its middleware on the first ASGI event, which under uvicorn is the
        # lifespan startup: hashing here keeps the work off the first request.
        self.fixed_version()

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        path = scope.get("path", "")
        if scope["type"] != "http" or not path.startswith(HANDLED):
            await self.app(scope, receive, send)
            return
        cacheable = scope["method"] == "GET" and path.startswith(CACHED_PREFIX) and not path.startswith(LIVE)
        etag = self.etag(scope) if cacheable else None
        if etag and etag in if_none_match(Headers(scope=scope)):
            await Response(status_code=304, headers=self.validators(etag))(scope, receive, send)
            return

        async def send_with_validators(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                if etag and message["status"] == 200:
                    headers.update(self.validators(etag))
                else:
                    headers.setdefault("Cache-Control", "no-store")
            await send(message)

        await self.app(scope, receive, send_with_validators)

    def validators(self, etag: str) -> dict[str, str]:
        return {"ETag": etag, "Cache-Control": self.cache_control}

    def etag(self, scope: Scope) -> str | None:
        """A strong validator for this URL under the data now live; None while there is no index."""
        build = current_build(self.knowledge.settings.index_dir)
        if build is None:
            return None
        url = scope["path"] + "?" + scope.get("query_string", b"").decode("latin-1")
        digest = hashlib.sha256(f"{self.fixed_version()}\n{build.name}\n{url}".encode())
        return f'"{digest.hexdigest()[:32]}"'

    def fixed_version(self) -> str:
        """What stays fixed for the life of the process: the corpus as loaded, settings and code.

        Computed once, right after the corpus is loaded (the process keeps serving that corpus until
        it restarts); the index is the one part that changes under a running server.
        """
        if self._fixed is None:
            self.knowledge.corpus  # noqa: B018 -- load it now, so the hash matches what is served
            settings = self.knowledge.settings
            digest = hashlib.sha256(settings.model_dump_json().encode())
            for path in fingerprinted_files(settings.corpus_dir, settings.calibration_file):
                digest.update(str(path).encode() + b"\0" + path.read_bytes())
            self._fixed = digest.hexdigest()
        return self._fixed


def fingerprinted_files(corpus_dir: Path, calibration: Path) -> list[Path]:
    """Every file whose content shapes an answer: the corpus, the calibration, and the code itself
    (so a deploy of new code never revalidates a response the old code made)."""
    code = [p for package in (kb, api) for p in sorted(Path(package.__file__).parent.rglob("*.py"))]
    corpus = sorted(p for p in corpus_dir.rglob("*") if p.is_file())
    return [*corpus, *([calibration] if calibration.exists() else []), *code]


def if_none_match(headers: Headers) -> set[str]:
    """The entity tags a client says it holds (weak ones compare equal, as RFC 9110 allows for GET)."""
    tags = {tag.strip().removeprefix("W/") for tag in headers.get("if-none-match", "").split(",")}
    return tags - {""}
