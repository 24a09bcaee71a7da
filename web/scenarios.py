"""The scenario builder for trainers: open a shipped scenario, upload one or edit it in the page, see
each step's due date and drift, and download the handout (Markdown to edit, or HTML to print).

The scenario travels in the form itself (a textarea), so nothing is stored on the server and a
trainer can edit, re-run and download as often as they like.
"""

from __future__ import annotations

import re
from typing import Annotated, Any, Literal

from fastapi import APIRouter, File, Form, HTTPException, Request, UploadFile
from fastapi.responses import HTMLResponse, Response
from starlette.concurrency import run_in_threadpool

from api.deps import KnowledgeDep
from api.scenarios import HANDOUT_CSP, MEDIA_TYPES
from kb.handout import render
from kb.problems import NotUtf8, read_utf8
from kb.scenario import ScenarioInvalid, run_scenario, shipped
from kb.service import Knowledge
from web.render import PageRoute, page

router = APIRouter(route_class=PageRoute, include_in_schema=False)
WHERE = "scenario"  # what problems in a typed-in scenario name as their file
TWIN_NOTE = "POST a scenario's YAML to /api/scenarios/run (?format=json, md or html)"
ScenarioText = Annotated[str, Form(max_length=60_000)]


def builder(
    request: Request,
    kb: Knowledge,
    text: str = "",
    result: dict[str, Any] | None = None,
    problems: list[str] | None = None,
) -> HTMLResponse:
    """The builder page: the shipped scenarios, the editor, and the results or the problems to fix."""
    context = {
        "title": result["title"] if result else "Training scenarios",
        "nav": "scenarios",
        "crumbs": [("Home", "/")],
        "shipped": shipped(kb),
        "text": text,
        "h": result,
        "problems": problems or [],
        "roles": kb.corpus.roles,
        "twin": "/api/scenarios",
        "twin_note": TWIN_NOTE,
    }
    return page(request, "scenarios.html", context, 422 if problems else 200)


async def run(request: Request, kb: Knowledge, text: str, where: str) -> HTMLResponse:
    """Check and compute a scenario off the event loop; its problems are listed beside the editor."""
    try:
        result = await run_in_threadpool(run_scenario, kb, text, where)
    except ScenarioInvalid as exc:
        return builder(request, kb, text, problems=[str(p) for p in exc.problems])
    return builder(request, kb, text, result)


@router.get("/scenarios", response_class=HTMLResponse)
async def scenarios_page(request: Request, kb: KnowledgeDep, name: str | None = None) -> HTMLResponse:
    """The builder; ``?name=`` opens a shipped scenario (one of the listed names, nothing else)."""
    if name is None:
        return builder(request, kb)
    if name not in {s["name"] for s in shipped(kb)}:
        raise HTTPException(404, f"there is no shipped scenario {name!r}: choose one from the list")
    path = kb.settings.scenarios_dir / f"{name}.yaml"
    try:
        text = read_utf8(path)
    except NotUtf8 as exc:
        raise HTTPException(422, f"{path.name}:{exc.line}: {exc}") from None
    return await run(request, kb, text, path.name)


@router.post("/scenarios", response_class=HTMLResponse)
async def scenarios_run(
    request: Request,
    kb: KnowledgeDep,
    scenario: ScenarioText = "",
    upload: Annotated[UploadFile | None, File()] = None,
) -> HTMLResponse:
    """Run the uploaded file if there is one, else the text in the editor."""
    data = await upload.read() if upload is not None else b""
    if data:
        try:
            text = data.decode("utf-8")
        except UnicodeDecodeError:
            raise HTTPException(
                400, "the uploaded file is not UTF-8 text: upload the scenario's YAML file"
            ) from None
        return await run(request, kb, text, upload.filename or WHERE)
    if not scenario.strip():
        return builder(
            request, kb, problems=["Type or paste a scenario, upload its file, or open one of the list"]
        )
    return await run(request, kb, scenario, WHERE)


def filename(title: str, fmt: str) -> str:
    """``ellie-from-a-schools-referral.html``: the title, made safe for any file system."""
    slug = re.sub(r"[^a-z0-9]+", "-", title.lower()).strip("-")[:60].rstrip("-") or "scenario"
    return f"{slug}.{fmt}"


@router.post("/scenarios/handout")
async def handout_download(
    kb: KnowledgeDep, scenario: ScenarioText, fmt: Annotated[Literal["md", "html"], Form(alias="format")]
) -> Response:
    """The handout as a file to save: the same text ``wtkb scenario run --format md|html`` writes."""
    try:
        data = await run_in_threadpool(run_scenario, kb, scenario, WHERE)
    except ScenarioInvalid as exc:
        raise HTTPException(422, str(exc)) from None
    headers = {"Content-Disposition": f'attachment; filename="{filename(data["title"], fmt)}"'}
    if fmt == "html":
        headers["Content-Security-Policy"] = HANDOUT_CSP
    return Response(render(data, fmt), media_type=MEDIA_TYPES[fmt], headers=headers)
