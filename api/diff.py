"""GET /api/diff: what changed between two editions, or where a local overlay departs from them.

The same report as ``wtkb diff FROM TO --json``: sides, filters, a summary (counts per kind and per
chapter), how provisions were aligned, and the changes. Bad input is a 400 naming what is allowed.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter
from fastapi import Query as Q

from api.deps import KnowledgeDep
from kb.diff import KINDS

router = APIRouter(tags=["diff"])


@router.get("/api/diff")
def diff(
    kb: KnowledgeDep,
    old: Annotated[
        str, Q(alias="from", max_length=100, description="The older edition, e.g. 2018.", examples=["2018"])
    ],
    new: Annotated[
        str,
        Q(
            alias="to",
            max_length=100,
            description="The newer edition, e.g. 2023, or local/AREA.",
            examples=["2023"],
        ),
    ],
    role: Annotated[
        str | None, Q(max_length=100, description="Only changes for this role.", examples=["schools"])
    ] = None,
    kind: Annotated[
        str | None,
        Q(
            max_length=200,
            description="Comma-separated change kinds: " + ", ".join(KINDS),
            examples=["reclassified,timescale"],
        ),
    ] = None,
    chapter: Annotated[
        str | None,
        Q(max_length=8, description="Only this chapter (newer edition; removed: older).", examples=["3"]),
    ] = None,
) -> dict[str, Any]:
    """Changes between two editions: added, removed, replaced, reworded, moved, reclassified,
    timescale, roles (and, for a local overlay, timescales and notes that depart from the national ones)."""
    return kb.diff(old, new, role, kind, chapter)
