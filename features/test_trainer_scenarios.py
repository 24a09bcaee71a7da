"""Step definitions for features/trainer_scenarios.feature, through POST /api/scenarios/run.

Scenarios need no search, so these run on the bundled corpus without an index or a model."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient
from pytest_bdd import given, parsers, scenarios, then, when

from api.app import create_app
from kb.handout import drift_words, long_date
from kb.service import Knowledge
from kb.settings import Settings

scenarios("trainer_scenarios.feature")


@pytest.fixture(scope="module")
def trainer_client(real_settings: Settings) -> TestClient:
    return TestClient(create_app(knowledge=Knowledge(real_settings)))


@pytest.fixture
def draft() -> dict:
    """The scenario being built, as the JSON body the API takes (the fields of a scenario file)."""
    return {"events": [], "decisions": [], "agencies": []}


@pytest.fixture
def shipped_text() -> None:
    """No shipped scenario unless a step names one: the draft is sent instead."""
    return None


def handout(answer: dict) -> dict:
    response = answer["response"]
    assert response.status_code == 200, response.text
    return response.json()


def step_row(answer: dict, step: str) -> dict:
    rows = [s for stage in handout(answer)["stages"] for s in stage["steps"] if s["step"] == step]
    assert rows, f"{step} is not on the case's path"
    return rows[-1]


def event(draft: dict, step: str) -> dict:
    return next(e for e in draft["events"] if e["step"] == step)


@given(parsers.parse('a new scenario "{title}" on the {edition:d} flowchart "{flow}"'))
def new_scenario(draft: dict, title: str, edition: int, flow: str) -> None:
    draft.update(title=title, edition=edition, flow=[flow])


@given(parsers.parse('the case goes on to the "{flow}" flowchart'))
def goes_on(draft: dict, flow: str) -> None:
    draft["flow"].append(flow)


@given(parsers.parse('the child is "{name}", {age:d} years old, "{needs}"'))
def the_child(draft: dict, name: str, age: int, needs: str) -> None:
    draft["child"] = {"name": name, "age": age, "needs": needs}


@given(parsers.parse('the agencies are "{first}" as "{first_role}" and "{second}" as "{second_role}"'))
def the_agencies(draft: dict, first: str, first_role: str, second: str, second_role: str) -> None:
    draft["agencies"] = [{"name": first, "role": first_role}, {"name": second, "role": second_role}]


@given(parsers.parse('the school had concerns and referred on "{day}"'))
def referred(draft: dict, day: str) -> None:
    school = draft["agencies"][0]["name"]
    for step in ("practitioner-concern", "referral-received"):
        draft["events"].append({"step": step, "date": day, "who": school})


@given(
    parsers.re(
        r'"(?P<step>[a-z0-9-]+)" happened on "(?P<day>[^"]+)"(?:, with the answer "(?P<choice>[^"]+)")?$'
    )
)
def happened(draft: dict, step: str, day: str, choice: str | None) -> None:
    draft["events"].append({"step": step, "date": day})
    if choice:
        draft["decisions"].append({"step": step, "answer": choice})


@given(parsers.parse('the notes for "{step}" say "{notes}"'))
def notes(draft: dict, step: str, notes: str) -> None:
    event(draft, step)["notes"] = notes


@given(parsers.parse('the shipped scenario "{name}"'), target_fixture="shipped_text")
def shipped_scenario(real_settings: Settings, name: str) -> str:
    return (real_settings.scenarios_dir / f"{name}.yaml").read_text(encoding="utf-8")


def post(client: TestClient, draft: dict, shipped_text: str | None, fmt: str):
    if shipped_text is not None:
        return client.post("/api/scenarios/run", params={"format": fmt}, content=shipped_text)
    return client.post("/api/scenarios/run", params={"format": fmt}, json=draft)


@when("I run the scenario")
def run(trainer_client: TestClient, answer: dict, draft: dict, shipped_text: str | None) -> None:
    answer["response"] = post(trainer_client, draft, shipped_text, "json")


@when(parsers.parse('I export the handout as "{fmt}"'))
def export(trainer_client: TestClient, answer: dict, draft: dict, shipped_text: str | None, fmt: str) -> None:
    answer["response"] = post(trainer_client, draft, shipped_text, fmt)


@then(parsers.parse('"{step}" was due on "{day}" under the "{origin}" figure'))
def due_on(answer: dict, step: str, day: str, origin: str) -> None:
    row = step_row(answer, step)
    assert (long_date(row["due"]), row["origin"]) == (day, origin)


@then(parsers.re(r'the working days counted to "(?P<step>[^"]+)" skip (?P<names>.+)$'))
def skipped(answer: dict, step: str, names: str) -> None:
    expected = [n.strip().strip('"') for n in names.split(" and ")]
    assert [b["name"] for b in step_row(answer, step)["bank_holidays_skipped"]] == expected


@then(parsers.parse('"{step}" is "{words}"'))
def drift_is(answer: dict, step: str, words: str) -> None:
    assert drift_words(step_row(answer, step)["drift_working_days"]) == words


@then(parsers.parse('the case drifted at "{first}" and "{second}"'))
def drifted_at(answer: dict, first: str, second: str) -> None:
    assert [late["step"] for late in handout(answer)["late"]] == [first, second]


@then("the handout is a single page with print styles and nothing to fetch or run")
def printable(answer: dict) -> None:
    response = answer["response"]
    assert response.status_code == 200 and response.headers["content-type"].startswith("text/html")
    page = response.text
    assert page.startswith("<!DOCTYPE html>") and "@media print" in page
    assert not any(tag in page for tag in ("<script", "<link", "src=", "@import"))


@then(parsers.parse('the handout shows "{text}"'))
def shows(answer: dict, text: str) -> None:
    assert answer["response"].status_code == 200, answer["response"].text
    assert text in answer["response"].text
