"""Step definitions for features/school_dsl_duties.feature."""

from __future__ import annotations

from fastapi.testclient import TestClient
from pytest_bdd import parsers, scenarios, then, when

scenarios("school_dsl_duties.feature")

ORDER = {"must": 0, "should": 1, None: 2}


def duties(answer: dict) -> dict:
    response = answer["response"]
    assert response.status_code == 200, response.text
    return response.json()


def find(answer: dict, key: str) -> dict:
    found = [p for p in duties(answer)["provisions"] if p["key"] == key]
    assert found, [p["key"] for p in duties(answer)["provisions"]]
    return found[0]


@when(parsers.parse('I list the duties for "{role}"'))
def list_duties(real_client: TestClient, answer: dict, role: str) -> None:
    answer["response"] = real_client.get(f"/api/roles/{role}/duties")


@when(parsers.parse('I list the duties for "{role}" with what applies to all practitioners'))
def list_with_general(real_client: TestClient, answer: dict, role: str) -> None:
    answer["response"] = real_client.get(f"/api/roles/{role}/duties", params={"include_general": "true"})


@then("the list is for the 2023 edition and includes designated safeguarding leads")
def current_edition(answer: dict) -> None:
    body = duties(answer)
    assert body["edition"] == 2023 and "dsl" in body["includes"]


@then(parsers.parse('it includes the legal duty "{key}" under "{act}"'))
def legal_duty(answer: dict, key: str, act: str) -> None:
    p = find(answer, key)
    assert (p["status"], p["force"]) == ("statutory", "must") and act in p["basis"]


@then(parsers.parse('it includes "{key}" as statutory guidance'))
def statutory_guidance(answer: dict, key: str) -> None:
    p = find(answer, key)
    assert (p["status"], p["force"]) == ("statutory", "should") and p["basis"]


@then("within each chapter legal duties come first, then statutory guidance, then advice")
def ordered(answer: dict) -> None:
    provisions = duties(answer)["provisions"]
    chapters = [p["citation"]["chapter"] for p in provisions]
    for chapter in dict.fromkeys(chapters):
        forces = [ORDER[p["force"]] for p in provisions if p["citation"]["chapter"] == chapter]
        assert forces == sorted(forces), chapter


@then("every provision on the list names schools, colleges, early years or DSLs among its roles")
def schools_roles(answer: dict) -> None:
    for p in duties(answer)["provisions"]:
        assert {"schools", "colleges", "early-years", "dsl"} & set(p["roles"]), p["key"]


@then("every provision on the list names designated safeguarding leads among its roles")
def dsl_roles(answer: dict) -> None:
    assert all("dsl" in p["roles"] for p in duties(answer)["provisions"])


@then("the list for all practitioners is not empty and repeats nothing from the schools list")
def general_apart(answer: dict) -> None:
    body = duties(answer)
    specific = {p["key"] for p in body["provisions"]}
    general = {p["key"] for p in body["general"]}
    assert general and not specific & general
    assert all("all-practitioners" in p["roles"] for p in body["general"])
