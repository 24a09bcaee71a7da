"""The HTTP API and the search page: same answers as the library, 4xx with a message for bad input."""

from __future__ import annotations

from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from api.app import create_app
from kb.embed import Embedder
from kb.index import build
from kb.search import Query
from kb.service import Knowledge
from kb.settings import Settings
from tests.conftest import write_corpus


@pytest.fixture
def kb(tmp_path: Path, embedder: Embedder) -> Knowledge:
    settings = Settings(corpus_dir=write_corpus(tmp_path), index_dir=tmp_path / "index")
    build(settings, lambda: embedder)
    return Knowledge(settings, embedder)


@pytest.fixture
def client(kb: Knowledge) -> TestClient:
    return TestClient(create_app(knowledge=kb))


def test_health_reports_the_live_index(client: TestClient) -> None:
    body = client.get("/health").json()
    assert body["status"] == "ok" and body["provisions"] == 4 and body["index"]


def test_search_matches_the_library(client: TestClient, kb: Knowledge) -> None:
    response = client.get("/api/search", params={"q": "referral decision", "status": "statutory"})
    assert response.status_code == 200
    assert response.json() == [h.to_dict() for h in kb.search(Query("referral decision", status="statutory"))]


@pytest.mark.parametrize(
    ("params", "message"),
    [
        ({"q": ""}, "the query is empty"),
        ({"q": "referral", "edition": "1999"}, "unknown edition 1999"),
        ({"q": "referral", "edition": "latest"}, "edition must be a year"),
        ({"q": "referral", "role": "wizard"}, "unknown role 'wizard'"),
    ],
)
def test_bad_search_requests_are_400_with_a_message(client: TestClient, params: dict, message: str) -> None:
    response = client.get("/api/search", params=params)
    assert response.status_code == 400
    assert message in response.json()["detail"]


@pytest.mark.parametrize(
    ("params", "message"),
    [
        ({}, "q (query): Field required"),
        ({"q": "a", "limit": "ten"}, "limit (query): Input should be a valid integer"),
        ({"q": "x" * 10_000}, "q (query): String should have at most 500 characters"),
        ({"q": "referral", "limit": "1000"}, "limit (query): Input should be less than or equal to 50"),
        ({"q": "referral", "status": "binding"}, "status (query): Input should be 'statutory' or 'advice'"),
    ],
)
def test_missing_mistyped_or_out_of_bounds_parameters_are_422(
    client: TestClient, params: dict, message: str
) -> None:
    response = client.get("/api/search", params=params)
    assert response.status_code == 422 and message in response.json()["detail"]


def test_provision_by_key(client: TestClient) -> None:
    body = client.get("/api/provisions/2023/section-47-enquiry").json()
    assert body["force"] == "must" and body["basis"] == "Children Act 1989, s.47"
    missing = client.get("/api/provisions/2023/no-such-key")
    assert missing.status_code == 404 and "no provision 'no-such-key'" in missing.json()["detail"]
    assert client.get("/api/provisions/1999/section-47-enquiry").status_code == 404


def test_editions_and_roles(client: TestClient) -> None:
    [edition] = client.get("/api/editions").json()
    assert {k: edition[k] for k in ("edition", "title", "url", "published", "current", "provisions")} == {
        "edition": 2023,
        "title": "Test edition 2023",
        "url": "https://example.org/wt2023",
        "published": "2023-01-01",
        "current": True,
        "provisions": 4,
    }
    assert edition["source"]["licence"] == "OGL v3.0" and edition["source"]["published"] == "2023-01-01"
    assert [
        (c["chapter"], c["printed"], c["cited"], c["covered"], c["total"]) for c in edition["coverage"]
    ] == [("3", "10-14", 4, 4, 5)]
    assert client.get("/api/roles").json()["schools"]["includes"] == ["dsl"]


def test_no_index_is_503_not_500(tmp_path: Path, embedder: Embedder) -> None:
    settings = Settings(corpus_dir=write_corpus(tmp_path), index_dir=tmp_path / "none")
    client = TestClient(create_app(knowledge=Knowledge(settings, embedder)))
    response = client.get("/api/search", params={"q": "referral"})
    assert response.status_code == 503 and "wtkb build" in response.json()["detail"]
    assert client.get("/health").json()["status"] == "degraded"


def test_search_page_shows_results_and_errors(client: TestClient) -> None:
    page = client.get("/", params={"q": "section 47 enquiries"})
    assert page.status_code == 200
    assert "Enquiries under section 47" in page.text and "WT 2023, ch. 3, para 11" in page.text
    assert "Not legal advice" in page.text
    bad = client.get("/", params={"q": " "})
    assert bad.status_code == 400 and "the query is empty" in bad.text
    assert client.get("/").status_code == 200


def test_duties_for_a_role_include_narrower_roles(client: TestClient) -> None:
    body = client.get("/api/roles/schools/duties").json()
    assert body["includes"] == ["dsl"]
    assert [p["key"] for p in body["provisions"]] == ["schools-refer"] and body["general"] == []
    general = client.get("/api/roles/schools/duties", params={"include_general": "true"}).json()["general"]
    assert [p["key"] for p in general] == ["talking-to-family"]
    police = client.get("/api/roles/police/duties").json()["provisions"]
    assert [(p["key"], p["force"]) for p in police] == [("section-47-enquiry", "must")]
    bad = client.get("/api/roles/wizard/duties")
    assert bad.status_code == 400 and "unknown role 'wizard'" in bad.json()["detail"]
