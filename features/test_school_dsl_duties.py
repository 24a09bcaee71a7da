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
    answer["response"] = real_client.get(f"/api/roles/{role}/duties", params={"limit": 200})


@when(parsers.parse('I list the duties for "{role}" with what applies to all practitioners'))
def list_with_general(real_client: TestClient, answer: dict, role: str) -> None:
    answer["response"] = real_client.get(
        f"/api/roles/{role}/duties", params={"include_general": "true", "limit": 200}
    )


@then(parsers.parse('the list covers "{first}" then "{second}" and includes designated safeguarding leads'))
def current_editions(answer: dict, first: str, second: str) -> None:
    body = duties(answer)
    assert body["editions"] == [first, second] and "dsl" in body["includes"]


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
    chapters = [(p["document"], p["citation"]["chapter"]) for p in provisions]
    for chapter in dict.fromkeys(chapters):
        forces = [
            ORDER[p["force"]] for p in provisions if (p["document"], p["citation"]["chapter"]) == chapter
        ]
        assert forces == sorted(forces), chapter


@then("every provision on the list names schools or a role that schools include")
def schools_roles(answer: dict) -> None:
    body = duties(answer)
    for p in body["provisions"]:
        assert ({"schools"} | set(body["includes"])) & set(p["roles"]), p["key"]


@then(parsers.parse('the first provision on the list is from "{short}"'))
def first_from(answer: dict, short: str) -> None:
    assert duties(answer)["provisions"][0]["citation"]["text"].startswith(short)


@then(
    parsers.parse(
        'at least {count:d} provisions from "{short}" on it are statutory with force and legal basis'
    )
)
def statutory_count(answer: dict, count: int, short: str) -> None:
    body = duties(answer)
    assert body["total"] <= body["limit"], "the list runs over one page"
    statutory = [
        p
        for p in body["provisions"]
        if p["citation"]["text"].startswith(short)
        and p["status"] == "statutory"
        and p["force"]
        and p["basis"]
    ]
    assert len(statutory) >= count, [p["key"] for p in statutory]


@then(parsers.re(r'"(?P<key>[a-z0-9-]+)" is statutory guidance cited as "(?P<cited>[^"]+)"$'))
def cited_guidance(answer: dict, key: str, cited: str) -> None:
    p = find(answer, key)
    assert (p["status"], p["force"]) == ("statutory", "should") and p["basis"]
    assert p["citation"]["text"].startswith(cited), p["citation"]["text"]


@then(
    parsers.re(
        r'"(?P<key>[a-z0-9-]+)" is statutory guidance cited as "(?P<cited>[^"]+)"'
        r' with a timescale of "(?P<within>[^"]+)" from "(?P<start>[a-z-]+)"'
    )
)
def cited_guidance_with_timescale(answer: dict, key: str, cited: str, within: str, start: str) -> None:
    cited_guidance(answer, key, cited)
    timescale = find(answer, key)["timescale"]
    assert (timescale["within"], timescale["from"]) == (within, start)


@then("every provision on the list names designated safeguarding leads among its roles")
def dsl_roles(answer: dict) -> None:
    assert all("dsl" in p["roles"] for p in duties(answer)["provisions"])


@then("the list for all practitioners is not empty and repeats nothing from the schools list")
def general_apart(answer: dict) -> None:
    body = duties(answer)
    specific = {(p["document"], p["key"]) for p in body["provisions"]}
    general = {(p["document"], p["key"]) for p in body["general"]}
    assert general and not specific & general
    assert all("all-practitioners" in p["roles"] for p in body["general"])
