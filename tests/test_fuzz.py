"""Fuzzing the parsers of what people write by hand: any text gives `file:line` problems (or, over HTTP,
a 4xx), never an exception. The corpus fuzzing starts from the real corpus files and mutates them
(inserts, deletes, cuts, duplicated lines, markup fragments), so most examples are nearly valid files:
the inputs that reach deepest into the checks. Example counts are kept modest for the suite's time.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from api.app import create_app
from kb.corpus import load_corpus, load_roles, parse_chapter_file
from kb.flow import load_flowchart
from kb.local import load_overlay
from kb.problems import Problem
from kb.scenario import ScenarioInvalid, load_scenario
from kb.service import Knowledge
from kb.settings import Settings

REAL = Settings()
CORPUS = REAL.corpus_dir
FUZZ = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
MARKUP = [
    "{#", "}", '"', "'", ":", ": ", "- ", "---", "---\n", "[", "]", "{", "}", "&a ", "*a", "\t", "#", "## ",
    "=", "\n", "\n\n", 'para="', 'within="3 working days" from="', 'force=must ', "2024-02-30", "\x00",
    "\ufeff", "é", "  ", "!!python/object:os.system", "%YAML 1.1\n", "? ", "|\n", ">-\n", "~", "null",
]  # fmt: skip
fragments = st.one_of(st.sampled_from(MARKUP), st.text(max_size=12))


def real_files(pattern: str) -> list[Path]:
    return sorted(CORPUS.rglob(pattern))


CHAPTERS = [p for p in real_files("*.md") if p.parent.name in ("statutory", "advice")][::7]
FLOWCHARTS = real_files("flowcharts/*.yaml")
OVERLAYS = real_files("local/*/overlay.yaml")
SCENARIOS = sorted(REAL.scenarios_dir.glob("*.yaml"))


@st.composite
def mutated(draw: st.DrawFn, seeds: list[Path]) -> tuple[Path, str]:
    """A real file and its text after one to four edits of the kinds a hurried person makes."""
    path = draw(st.sampled_from(seeds))
    text = path.read_text(encoding="utf-8")
    for _ in range(draw(st.integers(1, 4))):
        at = draw(st.integers(0, len(text)))
        edit = draw(st.sampled_from(["insert", "delete", "cut", "duplicate"]))
        if edit == "insert":
            text = text[:at] + draw(fragments) + text[at:]
        elif edit == "delete":
            text = text[:at] + text[at + draw(st.integers(1, 80)) :]
        elif edit == "cut":
            text = text[:at]
        else:
            lines = text.splitlines(keepends=True) or [""]
            n = draw(st.integers(0, len(lines) - 1))
            text = "".join(lines[: n + 1] + lines[n:])
    return path, text


def sound(problems: list[Problem], where: str, text: str) -> None:
    """Every problem names the file and a line that exists (or the line after the last)."""
    last = text.count("\n") + 2
    for problem in problems:
        assert problem.path == where, problem
        assert 1 <= problem.line <= last, problem
        assert problem.message.strip(), problem


def rewrite(tmp: Path, real: Path, text: str) -> Path:
    """The mutated text at the same place under a scratch corpus root, so years and folders hold."""
    path = tmp / "corpus" / real.relative_to(CORPUS)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


@pytest.fixture(scope="module")
def real() -> Knowledge:
    return Knowledge(REAL)


@pytest.fixture(scope="module")
def scratch(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("fuzz")


@FUZZ
@given(case=mutated(CHAPTERS))
def test_chapter_files(case: tuple[Path, str], scratch: Path) -> None:
    real, text = case
    path = rewrite(scratch, real, text)
    roles, _ = load_roles(CORPUS / "roles.yaml", CORPUS)
    _, problems = parse_chapter_file(path, scratch / "corpus", roles)
    sound(problems, str(path.relative_to(scratch)), text)


@FUZZ
@given(case=mutated(FLOWCHARTS))
def test_flowchart_files(case: tuple[Path, str], scratch: Path, real: Knowledge) -> None:
    source, text = case
    path = rewrite(scratch, source, text)
    keys = {p.key for p in real.corpus.provisions}
    _, problems = load_flowchart(path, scratch / "corpus", keys, set(real.corpus.roles))
    sound(problems, str(path.relative_to(scratch)), text)


@FUZZ
@given(case=mutated(OVERLAYS))
def test_overlay_files(case: tuple[Path, str], scratch: Path, real: Knowledge) -> None:
    source, text = case
    path = rewrite(scratch, source, text)
    _, problems = load_overlay(path, scratch / "corpus", real.corpus.flowcharts)
    sound(problems, str(path.relative_to(scratch)), text)


@FUZZ
@given(case=mutated(SCENARIOS))
def test_scenario_text(case: tuple[Path, str], real: Knowledge) -> None:
    _, text = case
    try:
        load_scenario(real, text, "fuzz.yaml")
    except ScenarioInvalid as exc:
        assert exc.problems
        sound(exc.problems, "fuzz.yaml", text)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(case=mutated(SCENARIOS))
def test_scenario_over_http(case: tuple[Path, str], real: Knowledge) -> None:
    client = TestClient(create_app(knowledge=real))
    response = client.post(
        "/api/scenarios/run", content=case[1].encode(), headers={"content-type": "application/yaml"}
    )
    assert response.status_code in (200, 400, 413, 422), response.text
    page = client.post("/scenarios", data={"scenario": case[1]})
    assert page.status_code in (200, 400, 413, 422) and page.headers["content-type"].startswith("text/html")


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=20),
    lambda inner: st.lists(inner, max_size=5) | st.dictionaries(st.text(max_size=10), inner, max_size=5),
    max_leaves=30,
)
scenario_like = st.fixed_dictionaries(
    {},
    optional={
        key: json_values
        for key in (
            "title",
            "edition",
            "flow",
            "child",
            "events",
            "decisions",
            "agencies",
            "local",
            "questions",
        )
    },
)


@settings(max_examples=60, deadline=None)
@given(body=st.one_of(json_values, scenario_like))
def test_scenario_json_bodies(body: object, real: Knowledge) -> None:
    client = TestClient(create_app(knowledge=real))
    response = client.post(
        "/api/scenarios/run", content=json.dumps(body), headers={"content-type": "application/json"}
    )
    assert response.status_code in (200, 400, 422), response.text


def test_the_seeds_are_the_real_corpus() -> None:
    assert CHAPTERS and FLOWCHARTS and OVERLAYS and SCENARIOS
    assert not load_corpus(CORPUS).problems, "unmutated, the real files have no problems"


def test_files_that_are_not_utf8_are_file_line_problems(scratch: Path) -> None:
    for name in ("documents.yaml", "roles.yaml"):
        rewrite(scratch, CORPUS / name, (CORPUS / name).read_text(encoding="utf-8"))
    chapter = rewrite(scratch, CHAPTERS[0], "")
    chapter.write_bytes(CHAPTERS[0].read_bytes().replace(b"\n", b"\n\xe9 caf\xe9 ", 1))
    flowchart = rewrite(scratch, FLOWCHARTS[0], "")
    flowchart.write_bytes(b"key: referral\n# caf\xe9\n" + FLOWCHARTS[0].read_bytes())
    problems = load_corpus(scratch / "corpus").problems
    messages = {(p.path, p.line, p.message.split(" (")[0]) for p in problems}
    assert (str(chapter.relative_to(scratch)), 2, "not UTF-8 text") in messages
    assert (str(flowchart.relative_to(scratch)), 2, "not UTF-8 text") in messages
