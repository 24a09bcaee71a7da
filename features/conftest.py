"""Steps shared by every user group's feature file: a real index of the bundled corpus, queried
through the API exactly as the pages and other clients do."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient
from pytest_bdd import given, parsers, then, when

from api.app import create_app
from kb.embed import Embedder
from kb.index import build
from kb.service import Knowledge
from kb.settings import Settings


@pytest.fixture(scope="session")
def real_client(real_settings: Settings, embedder: Embedder) -> TestClient:
    build(real_settings, lambda: embedder)
    return TestClient(create_app(knowledge=Knowledge(real_settings, embedder)))


@pytest.fixture
def answer() -> dict:
    """What the last request returned, shared between a scenario's steps."""
    return {}


@given("the bundled guidance has been indexed")
def indexed(real_client: TestClient) -> TestClient:
    return real_client


@when(parsers.re(r'I search for "(?P<query>[^"]*)"'))
def search(real_client: TestClient, answer: dict, query: str) -> None:
    answer["response"] = real_client.get("/api/search", params={"q": query, "limit": 10})


@then(parsers.parse('I am told "{message}"'))
def told(answer: dict, message: str) -> None:
    response = answer["response"]
    assert 400 <= response.status_code < 500
    assert message in response.json()["detail"]
