"""Bodies a careless or hostile client sends: nested thousands deep, thousands of values, YAML aliases.
Each gets a 4xx naming the bound it passed (never a RecursionError's 500), from the API in JSON and
from the pages as their HTML page. None of these needs an index: they are refused before any search."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from api.app import create_app
from kb import yamlfile
from kb.limits import Limits, TooComplex, check_json, check_yaml
from kb.service import Knowledge
from kb.settings import Settings
from tests.conftest import write_corpus

DEEP = 3000
JSON = {"content-type": "application/json"}
YAML = {"content-type": "application/yaml"}
DEEP_JSON = "[" * DEEP + "]" * DEEP
DEEP_YAML_LIST = "- " * DEEP + "x\n"  # a block list in a list in a list...
DEEP_YAML_FLOW = "title: " + "[" * DEEP + "]" * DEEP + "\n"
LAUGHS = "a: &a [x, x, x, x, x, x, x, x, x]\n" + "".join(
    f"{chr(98 + n)}: &{chr(98 + n)} [{', '.join([f'*{chr(97 + n)}'] * 9)}]\n" for n in range(8)
)
WIDE_JSON = json.dumps(
    {"flow": "referral", "from": "2023-12-22", "actual": {f"k{n}": "x" for n in range(6000)}}
)


@pytest.fixture(scope="module")
def client(tmp_path_factory: pytest.TempPathFactory) -> TestClient:
    root = tmp_path_factory.mktemp("hostile")
    settings = Settings(corpus_dir=write_corpus(root), index_dir=root / "index", max_body_bytes=200_000)
    return TestClient(create_app(knowledge=Knowledge(settings)))


@pytest.mark.parametrize(
    ("url", "body", "headers", "named"),
    [
        ("/api/scenarios/run", DEEP_JSON, JSON, "WTKB_MAX_DEPTH"),
        ("/api/scenarios/run", DEEP_YAML_LIST, YAML, "WTKB_MAX_DEPTH"),
        ("/api/scenarios/run", DEEP_YAML_FLOW, YAML, "WTKB_MAX_DEPTH"),
        ("/api/scenarios/run", DEEP_YAML_LIST, {}, "WTKB_MAX_DEPTH"),  # no content type: read as YAML
        ("/api/scenarios/run", LAUGHS, YAML, "WTKB_MAX_ALIASES"),
        ("/api/scenarios/run", WIDE_JSON, JSON, "WTKB_MAX_ITEMS"),
        ("/api/deadlines", '{"flow": ' + DEEP_JSON + "}", JSON, "WTKB_MAX_DEPTH"),
        ("/api/deadlines", WIDE_JSON, JSON, "WTKB_MAX_ITEMS"),
        (
            "/api/deadlines",
            DEEP_JSON,
            {"content-type": "application/vnd.case+json; charset=utf-8"},
            "WTKB_MAX_DEPTH",
        ),
        ("/api/statutory", '{"statement": ' + DEEP_JSON + "}", JSON, "WTKB_MAX_DEPTH"),
        (
            "/api/statutory",
            '{"statement": "x", "role": {"a": ' * 500 + "1" + "}" * 1000,
            JSON,
            "WTKB_MAX_DEPTH",
        ),
    ],
)
def test_hostile_api_bodies_get_a_422_naming_the_limit(
    client: TestClient, url: str, body: str, headers: dict[str, str], named: str
) -> None:
    response = client.post(url, content=body.encode(), headers=headers)
    assert response.status_code == 422, response.text
    assert named in response.json()["detail"]


@pytest.mark.parametrize(
    ("text", "named"), [(DEEP_YAML_LIST, "WTKB_MAX_DEPTH"), (LAUGHS, "WTKB_MAX_ALIASES")]
)
def test_the_scenario_page_form_and_upload_answer_in_html(client: TestClient, text: str, named: str) -> None:
    typed = client.post("/scenarios", data={"scenario": text})
    uploaded = client.post("/scenarios", files={"upload": ("deep.yaml", text.encode(), "application/yaml")})
    download = client.post("/scenarios/handout", data={"scenario": text, "format": "html"})
    for response in (typed, uploaded, download):
        assert response.status_code == 422
        assert response.headers["content-type"].startswith("text/html")
        assert named in response.text


def test_bodies_within_the_limits_pass_through(client: TestClient) -> None:
    case = {"flow": "referral", "from": "2023-12-22", "actual": {"decision": "2023-12-28"}}
    assert client.post("/api/deadlines", json=case).status_code == 200


def test_json_strings_hide_their_brackets() -> None:
    check_json(json.dumps({"text": "[" * 100 + "{" * 100, "quote": 'a "[" \\"['}), Limits(depth=3))


@pytest.mark.parametrize(
    ("check", "text", "limits"),
    [
        (check_json, "[[[1]]]", Limits(depth=2)),
        (check_json, "[1, 2, 3, 4]", Limits(items=3)),
        (check_yaml, "a: {b: {c: 1}}", Limits(depth=2)),
        (check_yaml, "[1, 2, 3, 4]", Limits(items=3)),
        (check_yaml, "a: &x 1\nb: *x", Limits(aliases=0)),
    ],
)
def test_each_bound_is_enforced(check, text: str, limits: Limits) -> None:
    with pytest.raises(TooComplex):
        check(text, limits)


def test_a_corpus_file_over_the_bounds_is_a_file_line_problem(tmp_path: Path) -> None:
    path = tmp_path / "flow.yaml"
    path.write_text("key: x\nsteps:\n  " + DEEP_YAML_LIST)
    data, problems = yamlfile.read_mapping(path, "flow.yaml")
    assert data is None
    assert [(p.line, "WTKB_MAX_DEPTH" in p.message) for p in problems] == [(3, True)]
