"""Step definitions for features/policy_staff_diff.feature, through GET /api/diff."""

from __future__ import annotations

from collections import Counter

import pytest
from fastapi.testclient import TestClient
from pytest_bdd import parsers, scenarios, then, when

scenarios("policy_staff_diff.feature")


def report(answer: dict) -> dict:
    response = answer["response"]
    assert response.status_code == 200, response.text
    return response.json()


def change(answer: dict, key: str) -> dict:
    found = [c for c in report(answer)["changes"] if c["key"] == key]
    assert len(found) == 1, [c["key"] for c in report(answer)["changes"]]
    return found[0]


def compare(client: TestClient, answer: dict, **params: str) -> None:
    answer["response"] = client.get("/api/diff", params=params)


@when(parsers.parse("I compare edition {old:d} with edition {new:d}"))
def compare_editions(real_client: TestClient, answer: dict, old: int, new: int) -> None:
    compare(real_client, answer, **{"from": str(old), "to": str(new)})


@when(parsers.parse('I compare edition {old:d} with edition {new:d} for the role "{role}"'))
def compare_for_role(real_client: TestClient, answer: dict, old: int, new: int, role: str) -> None:
    compare(real_client, answer, **{"from": str(old), "to": str(new), "role": role})
    answer["includes"] = {role, *real_client.get("/api/roles").json()[role]["includes"]}


@when(parsers.parse('I compare edition {old:d} with edition {new:d} showing only "{kinds}"'))
def compare_kinds(real_client: TestClient, answer: dict, old: int, new: int, kinds: str) -> None:
    compare(real_client, answer, **{"from": str(old), "to": str(new), "kind": kinds})


@when(parsers.parse('I compare edition {old:d} with the local overlay "{area}"'))
def compare_local(real_client: TestClient, answer: dict, old: int, area: str) -> None:
    if real_client.get("/api/diff", params={"from": str(old), "to": f"local/{area}"}).status_code == 400:
        pytest.skip(f"the corpus ships no overlay local/{area}")
    compare(real_client, answer, **{"from": str(old), "to": f"local/{area}"})
    answer["client"] = real_client


@then("the summary counts every change listed, per kind and per chapter")
def summary_adds_up(answer: dict) -> None:
    body = report(answer)
    changes, summary = body["changes"], body["summary"]
    assert summary["total"] == len(changes) > 0
    assert summary["by_kind"] == {k: sum(k in c["kinds"] for c in changes) for k in summary["by_kind"]}
    per_chapter = Counter((c["chapter"]["edition"], c["chapter"]["chapter"]) for c in changes)
    assert {(r["edition"], r["chapter"]): r["total"] for r in summary["by_chapter"]} == dict(per_chapter)


@then(parsers.parse('"{key}" moved from chapter {old} to chapter {new}'))
def moved(answer: dict, key: str, old: str, new: str) -> None:
    found = change(answer, key)
    assert "moved" in found["kinds"]
    assert (found["old"]["citation"]["chapter"], found["new"]["citation"]["chapter"]) == (old, new)


@then(parsers.parse('"{key}" was added'))
def added(answer: dict, key: str) -> None:
    assert change(answer, key)["kinds"] == ["added"]


@then(parsers.parse('"{key}" was removed'))
def removed(answer: dict, key: str) -> None:
    assert change(answer, key)["kinds"] == ["removed"]


@then(parsers.parse('"{key}" was reworded, with a word diff that rebuilds both texts'))
def reworded(answer: dict, key: str) -> None:
    found = change(answer, key)
    segments = found["details"]["reworded"]["diff"]
    old = " ".join(s["text"] for s in segments if s["op"] != "insert")
    new = " ".join(s["text"] for s in segments if s["op"] != "delete")
    assert old == " ".join(found["old"]["text"].split()) and new == " ".join(found["new"]["text"].split())


@then(parsers.parse('the timescale of "{key}" did not change'))
def same_timescale(answer: dict, key: str) -> None:
    found = change(answer, key)
    assert "timescale" not in found["kinds"] and found["old"]["timescale"] == found["new"]["timescale"]


@then("every change listed concerns schools, colleges, early years or designated safeguarding leads")
def for_schools(answer: dict) -> None:
    body = report(answer)
    assert body["changes"]
    for c in body["changes"]:
        roles = {r for side in (c["old"], c["new"]) if side for r in side["roles"]}
        assert roles & answer["includes"], c["key"]


@then(parsers.parse('"{old}" was replaced by "{new}"'))
def replaced(answer: dict, old: str, new: str) -> None:
    found = change(answer, new)
    assert "replaced" in found["kinds"] and found["match"]["by"] == "replaces"
    assert found["details"]["replaced"] == {"from": old, "to": new}


@then(parsers.parse('"{key}" was reclassified from "{old}" to "{new}"'))
def reclassified(answer: dict, key: str, old: str, new: str) -> None:
    detail = change(answer, key)["details"]["reclassified"]
    assert (detail["from"]["force"], detail["to"]["force"]) == (old, new)


@then("every change listed is a reclassification or a timescale change")
def only_kinds(answer: dict) -> None:
    body = report(answer)
    assert body["changes"] and body["filters"]["kind"] == ["reclassified", "timescale"]
    assert all({"reclassified", "timescale"} & set(c["kinds"]) for c in body["changes"])


@then("each local timescale listed differs from the national figure in the 2018 flowchart")
def local_timescales(answer: dict) -> None:
    timed = [c for c in report(answer)["changes"] if "timescale" in c["kinds"]]
    assert timed
    for c in timed:
        chart = (
            answer["client"].get(f"/api/flowcharts/{c['step']['flow']}", params={"edition": "2018"}).json()
        )
        national = next(s["timescale"] for s in chart["steps"] if s["id"] == c["step"]["step"])
        assert c["details"]["timescale"]["from"] == national != c["details"]["timescale"]["to"]


@then("each local note is listed")
def local_notes(answer: dict) -> None:
    notes = [c for c in report(answer)["changes"] if "note" in c["kinds"]]
    assert notes and all(c["details"]["note"]["text"].strip() for c in notes)
