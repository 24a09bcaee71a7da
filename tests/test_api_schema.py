"""Property-based tests of the whole API against its own OpenAPI schema (schemathesis).

The app runs in-process over the bundled corpus and a real index. For every operation schemathesis
sends its examples, boundary values and generated requests, valid and invalid, and each response
must be no 5xx, a documented status code and content type, and match its declared schema (which
forbids undeclared fields). Invalid requests must be refused with a 4xx. Examples are bounded so the
run stays within a couple of minutes on two cores.
"""

from __future__ import annotations

from typing import Any

import pytest
import schemathesis
from fastapi import FastAPI
from hypothesis import HealthCheck, settings
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    negative_data_rejection,
    response_schema_conformance,
    status_code_conformance,
)

from api.app import create_app
from kb.service import Knowledge
from kb.settings import Settings

CHECKS = [
    schemathesis.checks.not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
    negative_data_rejection,
]


# Only the OpenAPI document is read from this app: it is the same for any settings with default limits.
schema = schemathesis.openapi.from_asgi("/openapi.json", create_app(Settings()))


@pytest.fixture(scope="module")
def app(real_knowledge: Knowledge) -> FastAPI:
    """The app under test, over the bundled corpus and its own real index."""
    return create_app(knowledge=real_knowledge)


@schema.parametrize()
@settings(max_examples=25, deadline=None, suppress_health_check=list(HealthCheck))
def test_every_operation_conforms_to_its_schema(case: schemathesis.Case, app: FastAPI) -> None:
    case.call_and_validate(app=app, checks=CHECKS)


def test_every_parameter_and_body_has_an_example() -> None:
    """/docs shows a worked example for everything a client can send (schemathesis sends them too)."""
    document = schema.raw_schema
    missing = []
    for path, operations in document["paths"].items():
        for method, operation in operations.items():
            for parameter in operation.get("parameters", []):
                if not has_example(parameter) and not has_example(parameter["schema"]):
                    missing.append(f"{method.upper()} {path} parameter {parameter['name']}")
            body = operation.get("requestBody", {}).get("content", {}).get("application/json")
            if body and not has_example(body) and not body_fields_have_examples(document, body["schema"]):
                missing.append(f"{method.upper()} {path} body")
    assert not missing, missing


def has_example(schema: dict[str, Any]) -> bool:
    alternatives = schema.get("anyOf", [])
    return any(key in schema for key in ("example", "examples")) or any(map(has_example, alternatives))


def body_fields_have_examples(document: dict[str, Any], schema: dict[str, Any]) -> bool:
    """A whole-body example, or one for every field (Swagger UI assembles the body from those)."""
    ref = schema.get("$ref", "")
    schema = document["components"]["schemas"][ref.rsplit("/", 1)[-1]] if ref else schema
    return has_example(schema) or all(map(has_example, schema.get("properties", {}).values()))
