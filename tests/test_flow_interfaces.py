"""Flowcharts and deadlines through the CLI and the API: same answers, 4xx for bad requests."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from api.app import create_app
from kb.service import Knowledge
from kb.settings import Settings
from tests.test_cli import wtkb
from tests.test_flow import CHART


@pytest.fixture
def flow_settings(settings: Settings) -> Settings:
    (settings.corpus_dir / "wt/2023/flowcharts/case.yaml").write_text(CHART)
    return settings


@pytest.fixture
def client(flow_settings: Settings) -> TestClient:
    return TestClient(create_app(knowledge=Knowledge(flow_settings)))


def test_flowcharts_are_listed_and_shown(client: TestClient) -> None:
    listed = client.get("/api/flowcharts").json()
    assert {c["key"] for c in listed} == {"case", "referral"}
    chart = client.get("/api/flowcharts/case").json()
    assert chart["steps"][1]["timescale"]["within"] == "1 working day"
    missing = client.get("/api/flowcharts/nope")
    assert missing.status_code == 404 and "has no flowchart 'nope'" in missing.json()["detail"]
    assert client.get("/api/flowcharts", params={"edition": "1999"}).status_code == 400
    every = client.get("/api/flowcharts", params={"edition": "all"})
    assert every.status_code == 400 and "not 'all'" in every.json()["detail"]
    assert client.get("/api/roles/schools/duties", params={"edition": "all"}).status_code == 400


def test_deadlines_over_http(client: TestClient) -> None:
    body = {
        "flow": "case",
        "from": "2023-12-22",
        "actual": {"strategy-discussion": "2024-01-05", "icpc": "2024-01-30"},
    }
    result = client.post("/api/deadlines", json=body).json()
    steps = {s["step"]: s for s in result["steps"]}
    assert steps["decision"]["due"] == "2023-12-27"
    assert steps["icpc"]["due"] == "2024-01-26" and steps["icpc"]["drift_working_days"] == 2
    assert steps["referral-received"]["actual"] == "2023-12-22"


@pytest.mark.parametrize(
    ("body", "status", "message"),
    [
        ({"flow": "case", "from": "22/12/2023"}, 422, "date"),
        ({"flow": "case"}, 422, "from"),
        ({"flow": "case", "from": "2023-12-22", "colour": "red"}, 422, "colour"),
        ({"flow": "case", "from": "1066-10-14"}, 400, "outside 1990-2100"),
        ({"flow": "case", "from": "2023-12-22", "actual": {"nowhere": "2024-01-01"}}, 400, "lacks: nowhere"),
        ({"flow": "case", "from": "2023-12-22", "local": "atlantis"}, 400, "unknown local area 'atlantis'"),
        ({"flow": "nope", "from": "2023-12-22"}, 400, "has no flowchart 'nope'"),
        (
            {"flow": "case", "from": "2023-12-22", "actual": {f"s{n}": "2024-01-01" for n in range(100)}},
            400,
            "too many dates",
        ),
    ],
)
def test_bad_deadline_requests(client: TestClient, body: dict, status: int, message: str) -> None:
    response = client.post("/api/deadlines", json=body)
    assert response.status_code == status
    assert message in json.dumps(response.json())


def test_cli_due_json_matches_the_api(client: TestClient, flow_settings: Settings) -> None:
    cli = wtkb(
        flow_settings,
        "due",
        "--flow",
        "case",
        "--from",
        "2023-12-22",
        "--actual",
        "icpc=2024-01-30",
        "--json",
    )
    api = client.post(
        "/api/deadlines", json={"flow": "case", "from": "2023-12-22", "actual": {"icpc": "2024-01-30"}}
    )
    assert json.loads(cli.stdout) == api.json()


def test_cli_walk_and_errors(flow_settings: Settings) -> None:
    walked = json.loads(
        wtkb(flow_settings, "flow", "walk", "case", "--answer", "decision=child in need", "--json").stdout
    )
    assert walked == {
        "path": ["referral-received", "decision", "assessment"],
        "waiting_at": None,
        "options": [],
    }
    bad = wtkb(flow_settings, "flow", "walk", "case", "--answer", "decision")
    assert bad.returncode == 2 and "STEP=VALUE" in bad.stderr
    bad_date = wtkb(flow_settings, "due", "--flow", "case", "--from", "tomorrow")
    assert bad_date.returncode == 2 and "YYYY-MM-DD" in bad_date.stderr


def test_flow_show_lists_every_step(flow_settings: Settings, tmp_path: Path) -> None:
    shown = wtkb(flow_settings, "flow", "show", "case").stdout
    assert (
        "Initial child protection conference" in shown
        and "due within 15 working days from strategy-discussion" in shown
    )
