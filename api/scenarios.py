"""Trainer scenarios over HTTP: ``POST /api/scenarios/run`` checks a scenario and returns its handout
(JSON, Markdown or print-ready HTML); ``GET /api/scenarios`` lists the shipped ones.

The body is the scenario itself, as in a scenario file (docs/scenarios.md): JSON when the request says
``Content-Type: application/json``, YAML text otherwise. The answers are those of
``wtkb scenario run FILE --format json|md|html``. An unreadable body is a 400, one over
``WTKB_MAX_BODY_BYTES`` a 413, and a scenario with mistakes a 422 whose ``detail`` lists each one as
``request body:LINE: message`` (JSON bodies carry no line numbers, so their problems say line 1).
"""

from __future__ import annotations

import json
from typing import Annotated, Any, Literal

from fastapi import APIRouter, HTTPException, Request, Response
from fastapi import Query as Q
from fastapi.responses import JSONResponse
from starlette.concurrency import run_in_threadpool

from api.deps import KnowledgeDep
from kb.handout import STYLE_SOURCE, render
from kb.scenario import ScenarioInvalid, check_scenario, handout, run_scenario, shipped
from kb.service import Knowledge

router = APIRouter(tags=["scenarios"])

WHERE = "request body"
MEDIA_TYPES = {"md": "text/markdown; charset=utf-8", "html": "text/html; charset=utf-8"}
# The handout page needs nothing but its own inline style block.
HANDOUT_CSP = (
    f"default-src 'none'; style-src {STYLE_SOURCE}; "
    "base-uri 'none'; form-action 'none'; frame-ancestors 'none'"
)
EXAMPLE = {
    "title": "A referral over Christmas",
    "edition": 2023,
    "flow": "referral",
    "child": {"name": "Alex Example", "age": 7, "needs": "Fictional child for a training session"},
    "agencies": [{"name": "Riverside Primary School", "role": "dsl"}],
    "events": [
        {"step": "practitioner-concern", "date": "2023-12-22", "who": "Riverside Primary School"},
        {"step": "referral-received", "date": "2023-12-22"},
        {"step": "decision", "date": "2023-12-28"},
    ],
    "decisions": [{"step": "decision", "answer": "child is in need"}],
}
REQUEST_BODY = {
    "requestBody": {
        "required": True,
        "description": "The scenario: JSON with the fields of a scenario file, or the YAML file's text.",
        "content": {
            "application/json": {"schema": {"type": "object"}, "example": EXAMPLE},
            "application/yaml": {"schema": {"type": "string"}},
        },
    }
}
RESPONSES: dict[int | str, dict[str, Any]] = {
    200: {
        "description": "The handout: JSON, or Markdown or HTML text when ?format= asks for it",
        "content": {"text/markdown": {}, "text/html": {}},
    },
    400: {"description": "The body is not UTF-8 text, or not JSON/YAML"},
    413: {"description": "The body is larger than WTKB_MAX_BODY_BYTES"},
    422: {"description": "The scenario has mistakes: each as 'request body:LINE: message'"},
}


async def read_body(request: Request, most: int) -> bytes:
    """The body, refused with a 413 as soon as it passes ``most`` bytes (whatever Content-Length says)."""
    body = bytearray()
    async for chunk in request.stream():
        body += chunk
        if len(body) > most:
            raise HTTPException(413, detail=f"the scenario is over {most} bytes: send a shorter one")
    return bytes(body)


def scenario_json(kb: Knowledge, body: bytes, content_type: str) -> dict[str, Any]:
    """The handout data of a JSON or YAML scenario body; ScenarioInvalid or a 400 when it has problems."""
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError:
        raise HTTPException(400, detail="the request body is not UTF-8 text") from None
    if not content_type.lower().startswith("application/json"):
        return run_scenario(kb, text, WHERE)
    try:
        raw = json.loads(text)
    except json.JSONDecodeError as exc:
        raise HTTPException(400, detail=f"malformed JSON at line {exc.lineno}: {exc.msg}") from None
    return handout(kb, check_scenario(kb, raw, WHERE))


@router.post(
    "/api/scenarios/run", summary="Run a trainer scenario", openapi_extra=REQUEST_BODY, responses=RESPONSES
)
async def run(
    request: Request,
    kb: KnowledgeDep,
    fmt: Annotated[
        Literal["json", "md", "html"],
        Q(
            alias="format",
            description="json (default), md (Markdown) or html (a print-ready page)",
            examples=["html"],
        ),
    ] = "json",
) -> Response:
    """A trainer's scenario walked through its flowcharts: each step's due date in working days, drift,
    decisions and the guidance it cites, as data or as a handout."""
    body = await read_body(request, kb.settings.max_body_bytes)
    try:
        data = await run_in_threadpool(scenario_json, kb, body, request.headers.get("content-type", ""))
    except ScenarioInvalid as exc:
        raise HTTPException(400 if exc.unreadable else 422, detail=str(exc)) from None
    if fmt == "json":
        return JSONResponse(data)
    headers = {"Content-Security-Policy": HANDOUT_CSP} if fmt == "html" else {}
    return Response(render(data, fmt), media_type=MEDIA_TYPES[fmt], headers=headers)


@router.get("/api/scenarios", summary="The shipped trainer scenarios")
def scenarios(kb: KnowledgeDep) -> list[dict[str, Any]]:
    """The scenarios shipped with wtkb (``wtkb scenario list``), with any problems each has."""
    return shipped(kb)
