"""Every command with an API twin prints, with --json, exactly the JSON its route returns.

Both sides run over the bundled corpus and one real index. The CLI runs in-process (typer's runner)
with its ``knowledge()`` pointed at the same Knowledge the app serves, so that both share one loaded
model instead of loading it once per command; parsing, the library call and JSON printing are the
CLI's own. tests/test_cli.py runs the CLI as a separate process.
"""

from __future__ import annotations

import json
from typing import Any

import pytest
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from api.app import create_app
from kb import cli
from kb.service import Knowledge
from kb.settings import PROJECT_ROOT

SCENARIO = PROJECT_ROOT / "scenarios" / "referral-to-icpc.yaml"
STATEMENT = "The initial child protection conference must be held within 10 days of the referral."

# (CLI arguments, HTTP method, URL, request keyword arguments)
TWINS: list[tuple[list[str], str, str, dict[str, Any]]] = [
    (
        ["search", "what happens after a referral"],
        "get",
        "/api/search",
        {"params": {"q": "what happens after a referral"}},
    ),
    (
        [
            "search",
            "strategy discussion",
            "--edition",
            "all",
            "--status",
            "statutory",
            "--force",
            "should",
            "--role",
            "police",
            "-n",
            "5",
        ],
        "get",
        "/api/search",
        {
            "params": {
                "q": "strategy discussion",
                "edition": "all",
                "status": "statutory",
                "force": "should",
                "role": "police",
                "limit": 5,
            }
        },
    ),
    (["statutory", STATEMENT], "get", "/api/statutory", {"params": {"statement": STATEMENT}}),
    (
        ["statutory", STATEMENT, "--edition", "2018", "--role", "la-social-care"],
        "post",
        "/api/statutory",
        {"json": {"statement": STATEMENT, "edition": "2018", "role": "la-social-care"}},
    ),
    (["roles"], "get", "/api/roles", {}),
    (["duties", "--role", "schools"], "get", "/api/roles/schools/duties", {}),
    (
        [
            "duties",
            "--role",
            "local-authority",
            "--edition",
            "2018",
            "--general",
            "--offset",
            "10",
            "--limit",
            "5",
        ],
        "get",
        "/api/roles/local-authority/duties",
        {"params": {"edition": "2018", "include_general": "true", "offset": 10, "limit": 5}},
    ),
    (["editions"], "get", "/api/editions", {}),
    (["flow", "list", "--edition", "2018"], "get", "/api/flowcharts", {"params": {"edition": "2018"}}),
    (
        ["flow", "show", "referral", "--edition", "2018"],
        "get",
        "/api/flowcharts/referral",
        {"params": {"edition": "2018"}},
    ),
    (
        [
            "due",
            "--flow",
            "referral",
            "--edition",
            "2018",
            "--from",
            "2023-12-22",
            "--actual",
            "decision=2023-12-28",
        ],
        "post",
        "/api/deadlines",
        {
            "json": {
                "flow": "referral",
                "edition": 2018,
                "from": "2023-12-22",
                "actual": {"decision": "2023-12-28"},
            }
        },
    ),
    (["diff", "2018", "2023"], "get", "/api/diff", {"params": {"from": "2018", "to": "2023"}}),
    (["scenario", "list"], "get", "/api/scenarios", {}),
    (
        ["scenario", "run", str(SCENARIO), "--format", "json"],
        "post",
        "/api/scenarios/run",
        {"content": SCENARIO.read_bytes(), "headers": {"content-type": "application/yaml"}},
    ),
]


@pytest.fixture(scope="module")
def client(real_knowledge: Knowledge) -> TestClient:
    return TestClient(create_app(knowledge=real_knowledge))


@pytest.mark.parametrize(
    ("args", "method", "url", "request_kwargs"), TWINS, ids=[" ".join(t[0][:3]) for t in TWINS]
)
def test_cli_json_is_the_api_json(
    client: TestClient,
    real_knowledge: Knowledge,
    monkeypatch: pytest.MonkeyPatch,
    args: list[str],
    method: str,
    url: str,
    request_kwargs: dict[str, Any],
) -> None:
    monkeypatch.setattr(cli, "knowledge", lambda: real_knowledge)
    flag = [] if args[0] == "scenario" and args[1] == "run" else ["--json"]
    printed = CliRunner().invoke(cli.app, [*args, *flag])
    assert printed.exit_code == 0, printed.output
    response = client.request(method.upper(), url, **request_kwargs)
    assert response.status_code == 200, response.text
    assert json.loads(printed.stdout) == response.json()
