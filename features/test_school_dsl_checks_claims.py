"""Step definitions for features/school_dsl_checks_claims.feature, through GET|POST /api/statutory."""

from __future__ import annotations

from fastapi.testclient import TestClient
from pytest_bdd import parsers, scenarios, then, when

scenarios("school_dsl_checks_claims.feature")


def verdict(answer: dict) -> dict:
    response = answer["response"]
    assert response.status_code == 200, response.text
    return response.json()


@when(parsers.re(r'I check "(?P<statement>[^"]+)"$'))
def check(real_client: TestClient, answer: dict, statement: str) -> None:
    answer["response"] = real_client.post("/api/statutory", json={"statement": statement})


@when(parsers.re(r'I check "(?P<statement>[^"]+)" for "(?P<role>[^"]+)"'))
def check_for(real_client: TestClient, answer: dict, statement: str, role: str) -> None:
    answer["response"] = real_client.get("/api/statutory", params={"statement": statement, "role": role})


@when(parsers.parse("I check a statement of {length:d} characters"))
def check_long(real_client: TestClient, answer: dict, length: int) -> None:
    answer["response"] = real_client.post("/api/statutory", json={"statement": "x" * length})


@then(parsers.re(r'the verdict is "(?P<expected>[a-z_]+)"(?: with force "(?P<force>\w+)")?'))
def the_verdict(answer: dict, expected: str, force: str | None) -> None:
    body = verdict(answer)
    assert body["verdict"] == expected, body["explanation"]
    assert body["force"] == force


@then(parsers.parse('the legal basis names "{act}"'))
def basis_names(answer: dict, act: str) -> None:
    assert act in verdict(answer)["basis"]


@then(parsers.parse('the first piece of evidence is "{key}" with its citation'))
def first_evidence(answer: dict, key: str) -> None:
    first = verdict(answer)["evidence"][0]
    assert first["key"] == key
    assert (
        first["citation"]["edition"] == 2023 and first["citation"]["text"] in verdict(answer)["explanation"]
    )


@then(parsers.parse('the first piece of evidence is "{key}" from "{cited}"'))
def first_evidence_from(answer: dict, key: str, cited: str) -> None:
    first = verdict(answer)["evidence"][0]
    assert first["key"] == key
    assert (
        first["citation"]["text"].startswith(cited)
        and first["citation"]["text"] in verdict(answer)["explanation"]
    )


@then(parsers.parse('the explanation says "{words}"'))
def explanation_says(answer: dict, words: str) -> None:
    assert words in verdict(answer)["explanation"]
