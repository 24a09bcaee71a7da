"""GET and POST /api/statutory: the "is this statutory?" verdict with its evidence.

GET suits a link or a quick check; POST takes the statement in a JSON body, for long statements and
for clients that should not put what a practitioner typed into a URL (and so into server logs).
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter
from fastapi import Query as Q
from pydantic import BaseModel, ConfigDict, Field

from api.deps import KnowledgeDep
from kb.search import parse_edition

router = APIRouter(tags=["statutory"])

EXAMPLE = "The initial child protection conference must be held within 10 days of the referral."


class StatutoryRequest(BaseModel):
    """A statement to check, and optionally the edition and who it is about."""

    model_config = ConfigDict(extra="forbid")

    statement: str = Field(min_length=1, max_length=2000, examples=[EXAMPLE])
    edition: str | None = Field(None, max_length=8, examples=["2023"])
    role: str | None = Field(None, max_length=100, examples=["schools"])
    document: str | None = Field(None, max_length=20, examples=["kcsie"])


@router.get("/api/statutory")
def statutory_get(
    kb: KnowledgeDep,
    statement: Annotated[str, Q(description="The claim to check, in plain words.", examples=[EXAMPLE])],
    edition: Annotated[
        str | None, Q(description="Edition year; default the current one.", examples=["2023"])
    ] = None,
    role: Annotated[
        str | None, Q(description="Who the statement is about (a role key).", examples=["la-social-care"])
    ] = None,
    document: Annotated[
        str | None,
        Q(max_length=20, description="wt or kcsie; default every document.", examples=["kcsie"]),
    ] = None,
) -> dict[str, Any]:
    """Verdict: statutory (must/should, with basis), advice, not_in_guidance or contradicts, with evidence."""
    return kb.statutory(statement, parse_edition(edition), role, document)


@router.post("/api/statutory")
def statutory_post(kb: KnowledgeDep, request: StatutoryRequest) -> dict[str, Any]:
    """The same verdict for a statement sent in the request body."""
    return kb.statutory(request.statement, parse_edition(request.edition), request.role, request.document)
