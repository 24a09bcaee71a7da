"""Step definitions for features/practitioner_search.feature."""

from __future__ import annotations

from fastapi.testclient import TestClient
from pytest_bdd import parsers, scenarios, then, when

scenarios("practitioner_search.feature")


def hits(answer: dict) -> list[dict]:
    response = answer["response"]
    assert response.status_code == 200, response.text
    return response.json()


@when(parsers.parse('I search for "{query}" showing statutory provisions only'))
def search_statutory(real_client: TestClient, answer: dict, query: str) -> None:
    answer["response"] = real_client.get(
        "/api/search", params={"q": query, "status": "statutory", "limit": 10}
    )


@then(parsers.parse('one of the first {n:d} results is the provision "{key}" of the {edition:d} edition'))
def among_first(answer: dict, n: int, key: str, edition: int) -> None:
    found = [h for h in hits(answer)[:n] if (h["key"], h["edition"]) == (key, edition)]
    assert found, [h["key"] for h in hits(answer)[:n]]
    answer["provision"] = found[0]


@then(parsers.parse('one of the results is the provision "{key}" of the {edition:d} edition'))
def among_results(answer: dict, key: str, edition: int) -> None:
    among_first(answer, 10, key, edition)


@then(parsers.parse('that provision\'s timescale is "{within}" from "{start}"'))
def timescale(answer: dict, within: str, start: str) -> None:
    assert answer["provision"]["timescale"]["within"] == within
    assert answer["provision"]["timescale"]["from"] == start


@then(
    parsers.parse(
        "that provision cites chapter {chapter} of WT {edition:d} by paragraph or section, with a link to the official guidance"
    )
)
def cites(answer: dict, chapter: str, edition: int) -> None:
    citation = answer["provision"]["citation"]
    assert (citation["chapter"], citation["edition"]) == (chapter, edition)
    assert (citation["paragraph"] or "")[:1].isdigit() or citation["section"]
    assert citation["url"].startswith("https://www.gov.uk/")
    assert citation["text"].startswith(f"WT {edition}, ch. {chapter}, ")


@then("that provision is statutory guidance with its legal basis")
def statutory_guidance(answer: dict) -> None:
    p = answer["provision"]
    assert (p["status"], p["force"]) == ("statutory", "should") and p["basis"]


@then("every result is statutory, with a force of must or should and a legal basis")
def all_statutory(answer: dict) -> None:
    results = hits(answer)
    assert results
    for h in results:
        assert h["status"] == "statutory" and h["force"] in ("must", "should") and h["basis"], h["key"]
