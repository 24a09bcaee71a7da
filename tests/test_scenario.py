"""Trainer scenarios: validation with file:line, due dates and drift, handouts (golden files), the shipped
example overlay, and the CLI and API giving the same answers. Nothing here needs an index or a model.

Golden handouts live in tests/golden/<scenario>.md and .html and are compared byte for byte; after an
intended change, regenerate them with ``WTKB_UPDATE_GOLDEN=1 .venv/bin/pytest tests/test_scenario.py``
and read the diff before committing it.
"""

from __future__ import annotations

import base64
import hashlib
import json
import os
import re
from datetime import date
from pathlib import Path

import pytest
import yaml
from fastapi.testclient import TestClient

from api.app import create_app
from kb.deadlines import deadlines
from kb.handout import STYLE_SOURCE, render
from kb.scenario import ScenarioInvalid, check_scenario, load_scenario, run_scenario, shipped
from kb.service import Knowledge
from kb.settings import Settings
from tests.test_cli import wtkb

GOLDEN = Path(__file__).parent / "golden"
SHIPPED = sorted(p.stem for p in Settings().scenarios_dir.glob("*.yaml"))

BASE = """\
title: A referral over Christmas
edition: 2023
flow: [referral, strategy-discussion]
child: {name: Alex Example, age: 7, needs: A fictional child for the tests}
agencies:
  - {name: Riverside Primary School, role: dsl}
  - {name: Children's Services, role: la-social-care}
events:
  - {step: practitioner-concern, date: 2023-12-22, who: Riverside Primary School}
  - {step: referral-received, date: 2023-12-22}
  - {step: decision, date: 2023-12-28, who: "Children's Services", notes: "<script>alert(1)</script> & co"}
  - {step: strategy-discussion, date: 2023-12-29}
decisions:
  - {step: decision, answer: reasonable cause to suspect}
  - {step: strategy-discussion, answer: section 47 enquiries are to be made}
"""


@pytest.fixture(scope="module")
def kb(real_settings: Settings) -> Knowledge:
    """The bundled corpus without an index: scenarios never search, so they never need one."""
    return Knowledge(real_settings)


@pytest.fixture(scope="module")
def client(kb: Knowledge) -> TestClient:
    return TestClient(create_app(knowledge=kb))


def problems_of(kb: Knowledge, text: str) -> list[str]:
    with pytest.raises(ScenarioInvalid) as caught:
        load_scenario(kb, text, "case.yaml")
    return [str(p) for p in caught.value.problems]


def steps_of(result: dict) -> dict[tuple[str, str], dict]:
    return {(stage["flow"], s["step"]): s for stage in result["stages"] for s in stage["steps"]}


# ---------------------------------------------------------------- validation


@pytest.mark.parametrize(
    ("old", "new", "expected"),
    [
        ("title: A", "colour: red\ntitle: A", "case.yaml:1: unknown scenario field 'colour'"),
        (
            "flow: [referral, strategy-discussion]",
            "flow: [referral, strategy-discussion]\nedition: 2018\nflow: serious-incident",
            "edition 2018 has no flowchart 'serious-incident'",
        ),
        ("edition: 2023", "edition: 2023\nlocal: atlantis", "case.yaml:3: unknown local area 'atlantis'"),
        (  # an overlay of another edition is refused, both ways, never silently mixed
            "edition: 2023",
            "edition: 2023\nlocal: example-area-2018",
            "case.yaml:3: local area 'example-area-2018' adapts WT 2018, but this scenario is WT 2023 "
            "(use one of: example-area)",
        ),
        (
            "edition: 2023",
            "edition: 2018\nlocal: example-area",
            "case.yaml:3: local area 'example-area' adapts WT 2023, but this scenario is WT 2018 "
            "(use one of: example-area-2018)",
        ),
        ("age: 7", "age: 18", "case.yaml:4: child age must be a whole number of years from 0 to 17"),
        ("role: dsl", "role: wizard", "case.yaml:6: unknown role 'wizard'"),
        ("who: Riverside Primary School", "who: Hogwarts", "case.yaml:9: 'who' names 'Hogwarts'"),
        (
            "decision, date: 2023-12-28",
            "decision, date: 2023-12-21",
            "case.yaml:11: step 'decision' on 2023-12-21 is dated before step 'referral-received' on 2023-12-22",
        ),
        ("2023-12-29", "2023-12-32", "case.yaml:12: not a calendar date"),
        ("2023-12-29", "29/12/2023", "case.yaml:12: the date of event 'strategy-discussion' must be a date"),
        ("2023-12-29", "1066-10-14", "case.yaml:12: date 1066-10-14 is outside 1990-2100"),
        (
            "step: strategy-discussion, date",
            "step: assessment, date",
            "case.yaml:12: step 'assessment' is not on the case's path",
        ),
        ("step: strategy-discussion, date", "step: nowhere, date", "case.yaml:12: no step 'nowhere'"),
        (
            "answer: reasonable cause to suspect",
            "answer: maybe",
            "case.yaml:14: flowchart 'referral': at step 'decision', 'maybe' matches 0 branches",
        ),
        (
            "answer: reasonable cause to suspect",
            "answer: section",
            "case.yaml:14: flowchart 'referral': at step 'decision', 'section' matches 2 branches",
        ),
        (
            "{step: strategy-discussion, answer: section 47 enquiries are to be made}",
            "{step: section-47-enquiries, answer: concerns substantiated}",
            "case.yaml:15: the case never reaches step 'section-47-enquiries'; the decisions take it along "
            "referral: practitioner-concern -> referral-received -> decision -> strategy-discussion; "
            "strategy-discussion: strategy-discussion (it stops at 'strategy-discussion', which needs a decision)",
        ),
        (
            "{step: strategy-discussion, answer",
            "{step: convene-icpc, answer",
            "case.yaml:15: step 'convene-icpc' does not branch",
        ),
        (
            "flow: [referral, strategy-discussion]",
            "flow: [strategy-discussion, referral]",
            "case.yaml:3: flowchart 'strategy-discussion' stops at step 'section-47-enquiries', which needs a decision",
        ),
        (
            "  - {step: practitioner-concern, date: 2023-12-22, who: Riverside Primary School}\n",
            "",
            "case.yaml:8: flowchart 'referral' starts at step 'practitioner-concern': add an event",
        ),
        ("flow: [referral, strategy-discussion]\n", "", "case.yaml:1: scenario lacks flow"),
    ],
)
def test_mistakes_are_named_with_file_and_line(kb: Knowledge, old: str, new: str, expected: str) -> None:
    assert old in BASE
    found = problems_of(kb, BASE.replace(old, new, 1))
    assert any(expected in p for p in found), found


def test_every_mistake_is_reported_at_once(kb: Knowledge) -> None:
    text = BASE.replace("age: 7", "age: 40").replace("role: dsl", "role: wizard").replace("maybe", "x")
    found = problems_of(kb, text)
    assert [p.split(":")[1] for p in found] == ["4", "6", "9"], found  # 9: its agency was refused


def test_malformed_yaml_is_unreadable_with_its_line(kb: Knowledge) -> None:
    with pytest.raises(ScenarioInvalid) as caught:
        load_scenario(kb, BASE.replace("strategy-discussion]", "strategy-discussion", 1), "case.yaml")
    assert caught.value.unreadable
    assert [str(p) for p in caught.value.problems] == [
        "case.yaml:4: malformed YAML: expected ',' or ']', but got ':'"
    ]


def test_too_many_events_are_refused(kb: Knowledge) -> None:
    most = kb.settings.max_dates
    events = "".join(f"  - {{step: decision, date: 2024-01-{n % 28 + 1:02d}}}\n" for n in range(most + 1))
    text = BASE.split("events:\n")[0] + "events:\n" + events
    assert any(f"case.yaml:8: too many events: at most {most}" in p for p in problems_of(kb, text))


def test_json_data_is_checked_the_same_way(kb: Knowledge) -> None:
    """JSON bodies carry no line numbers, so their problems say line 1 and name the step instead."""
    raw = {
        "title": "t",
        "edition": 2018,
        "flow": "referral",
        "child": {"name": "A", "age": 5, "needs": "n"},
        "events": [
            {"step": "practitioner-concern", "date": "2023-12-22"},
            {"step": "nowhere", "date": "2024-01-02"},
        ],
    }
    with pytest.raises(ScenarioInvalid) as caught:
        check_scenario(kb, raw, "request body")
    assert [str(p) for p in caught.value.problems] == [
        "request body:1: no step 'nowhere' in flowchart(s) referral"
    ]


# ---------------------------------------------------------------- due dates, drift, citations


def test_due_dates_count_working_days_over_christmas(kb: Knowledge) -> None:
    result = run_scenario(kb, BASE, "case.yaml")
    decision = steps_of(result)[("referral", "decision")]
    assert (decision["due"], decision["actual"], decision["drift_working_days"]) == (
        "2023-12-27",
        "2023-12-28",
        1,
    )
    assert [b["name"] for b in decision["bank_holidays_skipped"]] == ["Christmas Day", "Boxing Day"]
    assert decision["origin"] == "national" and decision["who"] == ["Children's Services"]
    assert decision["decision"].startswith("reasonable cause to suspect the child is suffering")
    assert [late["step"] for late in result["late"]] == ["decision"]


def test_the_case_waits_where_a_decision_is_missing(kb: Knowledge) -> None:
    result = run_scenario(kb, BASE, "case.yaml")
    first, second = result["stages"]
    assert first["waiting_at"] is None and [s["step"] for s in first["steps"]][-1] == "strategy-discussion"
    assert second["waiting_at"]["step"] == "section-47-enquiries"
    assert any("substantiated" in option for option in second["waiting_at"]["options"])


def test_each_cited_provision_comes_with_its_status_force_and_basis(kb: Knowledge) -> None:
    result = run_scenario(kb, BASE, "case.yaml")
    cited = result["provisions"]
    cited_by_steps = {key for stage in result["stages"] for s in stage["steps"] for key in s["provisions"]}
    assert set(cited) == cited_by_steps
    decision = cited["referral-decision"]
    source = kb.corpus.get(2023, "referral-decision")
    assert (decision["status"], decision["force"], decision["basis"]) == (
        source.status,
        source.force,
        source.basis,
    )
    assert decision["citation"]["text"] == source.cite() and decision["text"] == source.text


@pytest.mark.parametrize(
    ("name", "flow", "step", "due"),
    [  # every due date the shipped scenarios state in their prose, for WT 2023 and the 2018 history
        *[
            (name + suffix, flow, step, due)
            for suffix in ("", "-2018")
            for name, flow, step, due in [
                ("referral-to-icpc", "referral", "decision", "2023-12-27"),
                ("referral-to-icpc", "strategy-discussion", "convene-icpc", "2024-01-22"),
                ("immediate-protection", "strategy-discussion", "convene-icpc", "2024-04-15"),
                ("review-conference", "child-protection-conference", "first-review", "2024-05-03"),
                ("review-conference", "child-protection-conference", "later-review", "2024-11-08"),
            ]
        ],
        ("serious-incident", "serious-incident", "notify-panel", "2024-05-10"),  # over the May bank holiday
    ],
)
def test_the_shipped_scenarios_prose_matches_the_library(
    kb: Knowledge, name: str, flow: str, step: str, due: str
) -> None:
    path = kb.settings.scenarios_dir / f"{name}.yaml"
    result = run_scenario(kb, path.read_text(encoding="utf-8"), str(path))
    assert steps_of(result)[(flow, step)]["due"] == due


def test_the_current_scenarios_run_on_the_current_edition(kb: Knowledge) -> None:
    """Each shipped scenario has a 2023 version; the 2018 ones are kept, named for their edition."""
    editions = {s["name"]: s["edition"] for s in shipped(kb)}
    for name, edition in editions.items():
        assert edition == (2018 if name.endswith("-2018") else kb.corpus.current_edition), name
    assert {n.removesuffix("-2018") for n in editions if n.endswith("-2018")} < set(editions)
    assert "serious-incident" in editions


def test_every_shipped_scenario_shows_drift(kb: Knowledge) -> None:
    for name in SHIPPED:
        path = kb.settings.scenarios_dir / f"{name}.yaml"
        assert run_scenario(kb, path.read_text(encoding="utf-8"), str(path))["late"], name


# ---------------------------------------------------------------- the example overlay


@pytest.mark.parametrize(("area", "edition"), [("example-area", 2023), ("example-area-2018", 2018)])
def test_the_example_overlay_is_labelled_fictional(kb: Knowledge, area: str, edition: int) -> None:
    overlay = kb.corpus.overlays[area]
    assert overlay.edition == edition and "fictional" in overlay.title.lower()
    assert overlay.provenance["fictional"] is True and "made up" in overlay.provenance["note"]
    assert not [p for p in kb.corpus.problems if "local/" in p.path]


@pytest.mark.parametrize(("area", "edition"), [("example-area", 2023), ("example-area-2018", 2018)])
def test_the_example_overlay_changes_only_the_due_dates_it_names(
    kb: Knowledge, area: str, edition: int
) -> None:
    overlay = kb.corpus.overlays[area]
    timed = {(r.flow, r.step) for r in overlay.rules if r.timescale}
    assert timed, "the example overlay should set at least one local timescale"
    changed = set()
    for chart in kb.flowcharts(edition):
        start = date(2024, 3, 28)
        actual = {step.id: start for step in chart.steps if step.timescale is None}  # every anchor dated
        national = deadlines(chart, start, actual)
        local = deadlines(chart, start, actual, overlay)
        for n, lo in zip(national, local, strict=True):
            if n.due != lo.due:
                changed.add((chart.key, lo.step.id))
                assert lo.origin == f"local: {area}"
    assert changed == timed
    rows = {r.step.id: r for r in deadlines(kb.flowchart("strategy-discussion", edition), date(2024, 3, 29))}
    assert rows["convene-icpc"].due == date(2024, 4, 22)  # national: 15 working days over Easter Monday
    local = deadlines(kb.flowchart("strategy-discussion", edition), date(2024, 3, 29), None, overlay)
    assert {r.step.id: r.due for r in local}["convene-icpc"] == date(2024, 4, 15)


# ---------------------------------------------------------------- handouts


def test_html_handout_is_self_contained_escaped_and_printable(kb: Knowledge) -> None:
    page = render(run_scenario(kb, BASE, "case.yaml"), "html")
    assert "&lt;script&gt;alert(1)&lt;/script&gt; &amp; co" in page and "<script" not in page
    assert "@media print" in page and "<link" not in page and "src=" not in page
    assert "Wednesday 27 December 2023" in page and "1 working day late" in page


def test_the_style_hash_matches_the_inline_style(kb: Knowledge) -> None:
    """The API's Content-Security-Policy allows the handout's style block by this hash, and nothing else."""
    page = render(run_scenario(kb, BASE, "case.yaml"), "html")
    style = re.search(r"<style>(.*?)</style>", page, re.S).group(1)
    digest = base64.b64encode(hashlib.sha256(style.encode()).digest()).decode()
    assert f"'sha256-{digest}'" == STYLE_SOURCE


def test_markdown_handout_keeps_table_rows_whole(kb: Knowledge) -> None:
    text = render(run_scenario(kb, BASE, "case.yaml"), "md")
    row = next(line for line in text.splitlines() if line.startswith("| Social worker acknowledges"))
    assert row.count(" | ") == 4 and "1 working day late" in row and "(national)" in row
    assert "**Next:** a decision is needed" in text


@pytest.mark.parametrize("fmt", ["md", "html"])
@pytest.mark.parametrize("name", SHIPPED)
def test_golden_handouts(kb: Knowledge, name: str, fmt: str) -> None:
    path = kb.settings.scenarios_dir / f"{name}.yaml"
    rendered = render(run_scenario(kb, path.read_text(encoding="utf-8"), f"scenarios/{name}.yaml"), fmt)
    golden = GOLDEN / f"{name}.{fmt}"
    if os.environ.get("WTKB_UPDATE_GOLDEN") == "1":
        golden.parent.mkdir(exist_ok=True)
        golden.write_text(rendered, encoding="utf-8")
    assert rendered == golden.read_text(encoding="utf-8"), f"regenerate with WTKB_UPDATE_GOLDEN=1 ({golden})"


# ---------------------------------------------------------------- CLI and API


def test_cli_json_equals_the_api_json(kb: Knowledge, client: TestClient, tmp_path: Path) -> None:
    scenario = tmp_path / "case.yaml"
    scenario.write_text(BASE)
    cli = wtkb(kb.settings, "scenario", "run", str(scenario), "--json")
    assert cli.returncode == 0, cli.stderr
    from_yaml = client.post("/api/scenarios/run", content=BASE, headers={"content-type": "application/yaml"})
    assert from_yaml.status_code == 200 and json.loads(cli.stdout) == from_yaml.json()
    listed = wtkb(kb.settings, "scenario", "list", "--json")
    assert json.loads(listed.stdout) == client.get("/api/scenarios").json()
    assert [s["name"] for s in json.loads(listed.stdout)] == SHIPPED


def test_api_takes_json_with_the_same_fields(client: TestClient) -> None:
    raw = yaml.safe_load(BASE)
    for event in raw["events"]:
        event["date"] = event["date"].isoformat()
    as_json = client.post("/api/scenarios/run", json=raw)
    as_yaml = client.post("/api/scenarios/run", content=BASE)
    assert as_json.status_code == 200 and as_json.json() == as_yaml.json()


def test_api_renders_handouts(client: TestClient) -> None:
    html = client.post("/api/scenarios/run", params={"format": "html"}, content=BASE)
    assert html.headers["content-type"].startswith("text/html")
    assert STYLE_SOURCE in html.headers["content-security-policy"] and "&lt;script&gt;" in html.text
    md = client.post("/api/scenarios/run", params={"format": "md"}, content=BASE)
    assert md.headers["content-type"].startswith("text/markdown") and md.text.startswith("# A referral")


@pytest.mark.parametrize(
    ("body", "headers", "status", "message"),
    [
        ("flow: [referral", {}, 400, "request body:1: malformed YAML"),
        (b"\xff\xfe", {}, 400, "not UTF-8"),
        ("{oops", {"content-type": "application/json"}, 400, "malformed JSON at line 1"),
        ("title: x", {}, 422, "request body:1: scenario lacks edition, flow, child, events"),
        (BASE.replace("age: 7", "age: 70"), {}, 422, "request body:4: child age"),
        ("x" * 70_000, {}, 413, "bytes"),
    ],
)
def test_bad_requests_get_a_4xx_with_a_message(
    client: TestClient, body: str | bytes, headers: dict, status: int, message: str
) -> None:
    response = client.post("/api/scenarios/run", content=body, headers=headers)
    assert response.status_code == status and message in response.json()["detail"], response.text


def test_api_bounds_the_number_of_events(client: TestClient, kb: Knowledge) -> None:
    events = [{"step": "decision", "date": "2024-01-02"}] * (kb.settings.max_dates + 1)
    body = {"title": "t", "edition": 2018, "flow": "referral", "child": {"name": "A", "age": 1, "needs": "n"}}
    response = client.post("/api/scenarios/run", json={**body, "events": events})
    assert response.status_code == 422 and "too many events" in response.json()["detail"]


def test_cli_reports_mistakes_and_writes_handouts(kb: Knowledge, tmp_path: Path) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text(BASE.replace("role: dsl", "role: wizard"))
    result = wtkb(kb.settings, "scenario", "run", str(bad))
    assert result.returncode == 2 and "Traceback" not in result.stderr
    assert f"{bad}:6: unknown role 'wizard'" in result.stderr and "error: 2 problem(s)" in result.stderr
    good = tmp_path / "case.yaml"
    good.write_text(BASE)
    out = tmp_path / "handout.html"
    written = wtkb(kb.settings, "scenario", "run", str(good), "--format", "html", "--output", str(out))
    assert written.returncode == 0 and out.read_text(encoding="utf-8").startswith("<!DOCTYPE html>")
    unknown = wtkb(kb.settings, "scenario", "run", str(good), "--format", "pdf")
    assert unknown.returncode == 2 and "unknown format 'pdf'" in unknown.stderr


def test_errors_quote_what_was_sent_only_briefly(client: TestClient) -> None:
    body = {"title": "t", "edition": 2018, "flow": "referral", "child": {"name": "A", "age": 1, "needs": "n"}}
    events = [{"step": "practitioner-concern", "date": "<b>" * 5000}]
    response = client.post("/api/scenarios/run", json={**body, "events": events})
    assert response.status_code == 422 and "must be a date written YYYY-MM-DD" in response.json()["detail"]
    assert response.text.count("<b>") < 20  # 5,000 were sent


def test_the_api_and_pages_default_to_the_current_editions_flowcharts(client: TestClient) -> None:
    """With no edition, POST /api/deadlines, GET /api/flowcharts and the flowcharts page use WT 2023."""
    due = client.post("/api/deadlines", json={"flow": "referral", "from": "2023-12-22"}).json()
    decision = next(s for s in due["steps"] if s["step"] == "decision")
    assert (due["edition"], decision["due"]) == (2023, "2023-12-27")
    listed = client.get("/api/flowcharts").json()
    assert {c["edition"] for c in listed} == {2023}
    assert {c["key"] for c in listed if c["derived"]} == {"serious-incident", "child-death-review"}
    page = client.get("/flowcharts").text
    assert page.index("WT 2023") < page.index("WT 2018")
    derived = client.get("/flowcharts/serious-incident").text
    assert "Derived from the text" in derived and "WT 2023 flowchart" in derived
