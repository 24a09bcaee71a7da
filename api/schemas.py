"""Response schemas: the JSON each route returns, declared for OpenAPI, clients and schema tests.

Routes keep returning the library's dicts (the CLI prints the very same dicts with ``--json``); these
models only *document* them (``responses=`` via :func:`documented`), so a field the library adds or
drops is caught by the schema tests (tests/test_api_schema.py) instead of being silently filtered out
of responses. ``extra="forbid"`` makes each schema say ``additionalProperties: false``, so those
tests notice unexpected fields too.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from kb.corpus import FORCES, STATUSES
from kb.timescale import UNITS


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", populate_by_name=True)


# ---------------------------------------------------------------- errors


class Problem(Strict):
    """Every error: one sentence saying what was wrong and what to change."""

    detail: str = Field(examples=["unknown role 'wizard'; see `wtkb roles` or GET /api/roles"])


class FieldError(Strict):
    loc: list[str | int]
    msg: str
    type: str


class ValidationProblem(Strict):
    """A request that does not fit the schema: ``detail`` sums up ``errors`` in one line."""

    detail: str = Field(examples=["limit (query): Input should be less than or equal to 50"])
    errors: list[FieldError]


ERRORS: dict[int | str, dict[str, Any]] = {
    400: {"model": Problem, "description": "A value the guidance cannot answer for (unknown role, edition…)"},
    404: {"model": Problem, "description": "No such provision, flowchart or route"},
    413: {"model": Problem, "description": "The request body is larger than WTKB_MAX_BODY_BYTES"},
    422: {"model": ValidationProblem, "description": "A parameter or body field of the wrong type or size"},
    503: {"model": Problem, "description": "No usable index yet: run `wtkb build`"},
}


def documented(model: Any, description: str) -> dict[str, Any]:
    """Route keyword arguments that declare ``model`` as the 200 schema without filtering the response."""
    return {"response_model": None, "responses": {200: {"model": model, "description": description}}}


# ---------------------------------------------------------------- provisions and search


class Timescale(Strict):
    within: str = Field(examples=["1 working day"])
    amount: int
    unit: Literal[UNITS]  # type: ignore[valid-type]
    from_: str = Field(alias="from", examples=["referral-received"])


class Citation(Strict):
    document: str = Field(examples=["wt"])
    edition: int
    chapter: str
    chapter_title: str
    paragraph: str | None
    section: str | None
    url: str
    text: str = Field(examples=["WT 2018, ch. 1, section 'Referral'"])


class Provision(Strict):
    """One provision: what an edition says, how binding it is, for whom, by when, and where it says it."""

    key: str
    document: str = Field(description="wt or kcsie (see GET /api/editions)", examples=["kcsie"])
    edition: int
    title: str
    text: str
    status: Literal[STATUSES]  # type: ignore[valid-type]
    force: Literal[FORCES] | None  # type: ignore[valid-type]
    basis: str | None
    roles: list[str]
    timescale: Timescale | None
    citation: Citation
    checked: list[str]
    replaces: str | None
    see: list[str] = Field(description="Provisions of other documents this one sends the reader to")


class SearchHit(Provision):
    score: float = Field(description="Fused reciprocal-rank score: higher is better; not a probability")


# ---------------------------------------------------------------- editions, roles, duties


class ChapterCoverage(Strict):
    document: str
    edition: int
    chapter: str
    title: str
    printed: str | None = Field(
        description="paragraph range printed in the copy (SOURCE.yaml `paras`), e.g. 5.1-5.151; "
        "null when no copy shows the first and last number"
    )
    provisions: int
    with_para: int = Field(description="provisions citing a paragraph number")
    cited: int = Field(description="distinct paragraph numbers the chapter's provisions cite")
    total: int | None = Field(description="paragraphs in the printed range; null when not recorded")
    covered: int = Field(description="paragraphs of the printed range that some provision cites")
    uncovered: str = Field(description="paragraphs of the printed range no provision cites, as ranges")
    percent: float | None = Field(description="covered as a share of total, in per cent")


class Edition(Strict):
    document: str
    edition: int
    id: str = Field(examples=["kcsie/2025"])
    title: str
    url: str
    published: str
    current: bool
    provisions: int
    source: dict[str, Any] = Field(description="The edition's SOURCE.yaml: provenance, checks and gaps")
    coverage: list[ChapterCoverage]


class Role(Strict):
    label: str
    includes: list[str]
    aliases: list[str]


class Duties(Strict):
    role: str
    label: str
    includes: list[str] = Field(description="Narrower roles whose provisions are included")
    edition: int = Field(description="The edition of the first document listed")
    editions: list[str] = Field(
        description="The editions listed, in order", examples=[["kcsie/2025", "wt/2023"]]
    )
    provisions: list[Provision] = Field(description="This page of the role's provisions, duties first")
    general: list[Provision] = Field(description="This page of what applies to all practitioners")
    total: int = Field(description="How many provisions fall on the role in all")
    total_general: int
    offset: int
    limit: int | None


# ---------------------------------------------------------------- flowcharts and deadlines


class FlowchartSummary(Strict):
    key: str
    title: str
    edition: int
    derived: bool = Field(description="Built from the text: no printed chart of the process was found")
    steps: int


class Branch(Strict):
    to: str
    when: str | None


class Step(Strict):
    id: str
    title: str
    roles: list[str]
    provisions: list[str] = Field(description="Keys of the provisions that govern the step")
    timescale: Timescale | None
    next: list[Branch]


class Flowchart(Strict):
    key: str
    title: str
    edition: int
    start: str = Field(description="The step a case's start date is the date of")
    derived: bool = Field(description="Built from the text: no printed chart of the process was found")
    source: dict[str, Any]
    note: str = Field(description="Whether the chart follows the printed one or the text")
    steps: list[Step]


class DueStep(Strict):
    step: str
    title: str
    roles: list[str]
    provisions: list[str]
    timescale: Timescale | None
    origin: str | None = Field(description="'national', or 'local: AREA' when an overlay set the figure")
    note: str | None
    due: str | None
    projected: bool
    actual: str | None
    drift_working_days: int | None


class Deadlines(Strict):
    flow: str
    title: str
    edition: int
    start: str
    local: str | None
    steps: list[DueStep]


# ---------------------------------------------------------------- health


class Health(Strict):
    status: Literal["ok", "degraded"]
    problem: str | None = Field(description="Why search cannot answer yet, and what to run")
    index: str | None = Field(description="The live index build id")
    index_model: str | None = Field(description="The model the live index was built with")
    model: str = Field(description="The model this server embeds queries with")
    query_encoder: Literal["onnx", "sentence-transformers"] | None = Field(
        description="onnx: the build's exported query model; sentence-transformers: a build without one"
    )
    provisions: int = Field(description="Provisions in the corpus")
    provisions_per_edition: dict[str, int] = Field(description="Provisions per edition in the live index")
    corpus_problems: int
    editions: list[str] = Field(examples=[["wt/2023", "kcsie/2025"]])


class Liveness(Strict):
    status: Literal["alive"]
