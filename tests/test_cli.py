"""The CLI as a user runs it: exit codes, file:line output, and JSON identical to the API's."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from api.app import create_app
from kb import stats
from kb.corpus import load_corpus
from kb.embed import Embedder
from kb.index import build
from kb.service import Knowledge
from kb.settings import Settings
from tests.conftest import write_corpus


def wtkb(settings: Settings, *args: str) -> subprocess.CompletedProcess[str]:
    env = {
        **os.environ,
        "WTKB_CORPUS_DIR": str(settings.corpus_dir),
        "WTKB_INDEX_DIR": str(settings.index_dir),
    }
    return subprocess.run(
        [sys.executable, "-m", "kb.cli", *args], env=env, capture_output=True, text=True, timeout=300
    )


def test_check_passes_with_a_summary(settings: Settings) -> None:
    result = wtkb(settings, "check")
    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stdout.startswith("ok: 4 provisions, 1 flowcharts, 1 editions (wt/2023)")


def test_check_lists_every_problem_with_file_and_line(settings: Settings) -> None:
    path = settings.corpus_dir / "wt/2023/statutory/03-help.md"
    path.write_text(path.read_text().replace('roles="dsl"', 'roles="wizard"').replace("force=must ", ""))
    result = wtkb(settings, "check")
    assert result.returncode == 1
    assert result.stdout.splitlines() == [
        "corpus/wt/2023/statutory/03-help.md:11: statutory provision needs force=must or force=should, not None",
        "corpus/wt/2023/statutory/03-help.md:15: unknown role 'wizard' (see corpus/roles.yaml)",
    ]
    assert "Traceback" not in result.stderr


def test_build_refuses_a_broken_corpus_without_a_traceback(settings: Settings) -> None:
    path = settings.corpus_dir / "wt/2023/advice/03-help.md"
    path.write_text(path.read_text().replace("chapter: 3", "chapter: [3"))
    result = wtkb(settings, "build")
    assert result.returncode == 1
    assert "malformed YAML" in result.stderr and "previous index is unchanged" in result.stderr
    assert "Traceback" not in result.stderr
    assert not settings.index_dir.joinpath("CURRENT").exists()


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["search", ""], "the query is empty"),
        (["search", "x" * 10_000], "the limit is 500"),
        (["search", "referral", "--edition", "1999"], "unknown edition 1999"),
        (["search", "referral", "--edition", "latest"], "edition must be a year"),
        (["search", "referral", "--role", "wizard"], "unknown role 'wizard'"),
    ],
)
def test_bad_searches_exit_2_with_one_line(
    settings: Settings, embedder: Embedder, args: list[str], message: str
) -> None:
    build(settings, lambda: embedder)
    result = wtkb(settings, *args)
    assert result.returncode == 2 and message in result.stderr and "Traceback" not in result.stderr


def test_search_without_index_says_what_to_do(settings: Settings) -> None:
    result = wtkb(settings, "search", "referral")
    assert result.returncode == 2 and "run `wtkb build` first" in result.stderr


def test_search_json_is_the_api_shape(settings: Settings, embedder: Embedder) -> None:
    build(settings, lambda: embedder)
    cli = json.loads(wtkb(settings, "search", "section 47", "--status", "statutory", "--json").stdout)
    api = TestClient(create_app(knowledge=Knowledge(settings, embedder))).get(
        "/api/search", params={"q": "section 47", "status": "statutory"}
    )
    assert cli == api.json() and cli[0]["key"] == "section-47-enquiry"


def test_stats_counts_and_coverage(tmp_path: Path) -> None:
    settings = Settings(corpus_dir=write_corpus(tmp_path), index_dir=tmp_path / "index")
    counts = json.loads(wtkb(settings, "stats", "--json").stdout)
    assert counts["status"] == {"wt/2023 advice": 1, "wt/2023 statutory": 3}
    assert counts["force"] == {"wt/2023 advice": 1, "wt/2023 must": 1, "wt/2023 should": 2}
    coverage = json.loads(wtkb(settings, "stats", "--coverage", "--json").stdout)
    assert coverage == [r.to_dict() for r in stats.coverage(load_corpus(settings.corpus_dir))]
    assert (coverage[0]["printed"], coverage[0]["cited"], coverage[0]["percent"]) == ("10-14", 4, 80.0)
    table = wtkb(settings, "stats", "--coverage").stdout
    assert "WT 2023" in table and "10-14" in table and "4/5 (80%)" in table


def test_the_readme_due_date_example_needs_no_edition(real_settings: Settings) -> None:
    """`wtkb due --flow referral --from 2023-12-22` follows the edition in force (WT 2023): the decision
    on a referral received on Friday 22 December 2023 is due on Wednesday 27 December."""
    result = wtkb(real_settings, "due", "--flow", "referral", "--from", "2023-12-22", "--json")
    assert result.returncode == 0, result.stderr
    answer = json.loads(result.stdout)
    decision = next(s for s in answer["steps"] if s["step"] == "decision")
    assert (answer["edition"], decision["due"], decision["origin"]) == (2023, "2023-12-27", "national")
    printed = wtkb(real_settings, "due", "--flow", "referral", "--from", "2023-12-22")
    assert printed.returncode == 0 and "2023-12-27" in printed.stdout


def test_an_overlay_of_another_edition_is_refused_naming_both(real_settings: Settings) -> None:
    for args, message in [
        ([], "local area 'example-area-2018' adapts WT 2018, but the flowchart is WT 2023"),
        (["--edition", "2018"], "local area 'example-area' adapts WT 2023, but the flowchart is WT 2018"),
    ]:
        area = "example-area" if args else "example-area-2018"
        base = ["due", "--flow", "strategy-discussion", "--from", "2024-03-29", "--local", area]
        result = wtkb(real_settings, *base, *args)
        assert result.returncode == 2 and message in result.stderr and "Traceback" not in result.stderr


def test_every_command_has_a_one_line_summary_for_the_command_list() -> None:
    """Typer lists a command by its docstring's first paragraph and keeps that paragraph's line
    breaks, so a summary that spans two source lines prints broken mid-sentence in `wtkb --help`."""
    import typer.main

    from kb.cli import app

    group = typer.main.get_group(app)
    commands = [group.commands[name] for name in group.commands]
    for sub in [c for c in commands if hasattr(c, "commands")]:
        commands += list(sub.commands.values())
    for command in commands:
        summary = (command.help or "").split("\n\n")[0]
        assert summary and "\n" not in summary.strip(), f"{command.name}: {summary!r}"
