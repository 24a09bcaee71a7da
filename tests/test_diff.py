"""Version diffs on small synthetic corpora: one test per kind of change, then alignment, filters,
local overlays, errors, and the CLI and the API giving the same report."""

from __future__ import annotations

import csv
import io
import json
import re
from pathlib import Path
from typing import Any

import pytest
import yaml
from fastapi.testclient import TestClient

from api.app import create_app
from kb.corpus import load_corpus
from kb.diff import KINDS, MATCH_THRESHOLD, word_diff
from kb.embed import Embedder
from kb.search import QueryError
from kb.service import Knowledge
from kb.settings import Settings
from tests.conftest import write_corpus
from tests.test_cli import wtkb

ROOT = Path(__file__).resolve().parent.parent
DEV_SET = ROOT / "tests" / "data" / "diff_dev.yaml"

EXTRA = """
## Early help offer {{#early-help-offer para="14" force=should basis="Children Act 2004, s.10" roles="{roles}" checked="https://example.org/a"}}

{text}
"""

OVERLAY = """\
area: testshire
title: Testshire (fictional)
edition: 2018
provenance: {note: test overlay}
steps:
  - {flow: referral, step: decision, within: 2 working days, from: referral-received, note: Decided by the duty manager}
  - {flow: referral, step: referral-received, note: Referrals go to the front door team}
"""


@pytest.fixture
def two(tmp_path: Path) -> Settings:
    """The fixture corpus as edition 2018 and an identical 2023, for each test to change."""
    return Settings(corpus_dir=write_corpus(tmp_path, (2018, 2023)), index_dir=tmp_path / "index")


def edit(settings: Settings, year: int, folder: str, old: str, new: str) -> None:
    path = settings.corpus_dir / f"wt/{year}/{folder}/03-help.md"
    text = path.read_text()
    assert old in text, old
    path.write_text(text.replace(old, new))


def add_provision(settings: Settings, year: int, text: str, roles: str = "la-social-care") -> None:
    path = settings.corpus_dir / f"wt/{year}/statutory/03-help.md"
    path.write_text(path.read_text() + EXTRA.format(roles=roles, text=text))


def report(
    settings: Settings, embedder: Embedder, old: str = "2018", new: str = "2023", **filters: str
) -> dict:
    return Knowledge(settings, embedder).diff(old, new, **filters)


def only(result: dict[str, Any]) -> dict[str, Any]:
    assert result["summary"]["total"] == len(result["changes"]) == 1, result["changes"]
    return result["changes"][0]


# ---------------------------------------------------------------- one test per kind


def test_identical_editions_have_no_changes(two: Settings, embedder: Embedder) -> None:
    result = report(two, embedder)
    assert result["changes"] == [] and result["summary"]["total"] == 0
    assert result["alignment"] == {
        "key": 4,
        "replaces": 0,
        "similar": 0,
        "unchanged": 4,
        "threshold": MATCH_THRESHOLD,
    }


def test_added(two: Settings, embedder: Embedder) -> None:
    add_provision(two, 2023, "The local authority publishes what early help it offers.")
    change = only(report(two, embedder))
    assert change["kinds"] == ["added"] and change["old"] is None
    assert change["new"]["key"] == "early-help-offer" and change["new"]["citation"]["paragraph"] == "14"


def test_removed(two: Settings, embedder: Embedder) -> None:
    (two.corpus_dir / "wt/2023/advice/03-help.md").unlink()
    change = only(report(two, embedder))
    assert change["kinds"] == ["removed"] and change["new"] is None
    assert change["old"]["key"] == "talking-to-family"
    assert change["chapter"] == {"document": "wt", "edition": 2018, "chapter": "3", "title": "Providing help"}


def test_reworded_with_a_word_diff_that_rebuilds_both_texts(two: Settings, embedder: Embedder) -> None:
    edit(
        two,
        2023,
        "statutory",
        "the local authority makes enquiries.",
        "the local authority must make enquiries at once about it.",
    )
    change = only(report(two, embedder))
    assert change["kinds"] == ["reworded"]
    segments = change["details"]["reworded"]["diff"]
    old = " ".join(s["text"] for s in segments if s["op"] != "insert")
    new = " ".join(s["text"] for s in segments if s["op"] != "delete")
    assert (old, new) == (change["old"]["text"], change["new"]["text"])
    assert segments[-4:] == [
        {"op": "delete", "text": "makes"},
        {"op": "insert", "text": "must make"},
        {"op": "delete", "text": "enquiries."},  # aligned on the word, shown with its punctuation
        {"op": "insert", "text": "enquiries at once about it."},
    ]
    assert 0.5 < change["details"]["reworded"]["similarity"] < 1


def test_case_and_punctuation_alone_are_not_a_rewording(two: Settings, embedder: Embedder) -> None:
    edit(
        two, 2023, "statutory", "the local authority makes enquiries.", "the Local Authority makes enquiries!"
    )
    assert report(two, embedder)["changes"] == []


def test_moved_to_another_paragraph(two: Settings, embedder: Embedder) -> None:
    edit(two, 2023, "statutory", 'para="11"', 'para="21"')
    change = only(report(two, embedder))
    assert change["kinds"] == ["moved"]
    assert change["details"]["moved"] == {"from": "WT 2018, ch. 3, para 11", "to": "WT 2023, ch. 3, para 21"}


def test_moved_to_another_chapter(two: Settings, embedder: Embedder) -> None:
    edit(two, 2023, "advice", "chapter: 3", "chapter: 4")
    change = only(report(two, embedder))
    assert change["kinds"] == ["moved"] and change["details"]["moved"]["to"] == "WT 2023, ch. 4, para 13"


def test_reclassified_from_should_to_must(two: Settings, embedder: Embedder) -> None:
    edit(two, 2023, "statutory", 'para="12" force=should', 'para="12" force=must')
    change = only(report(two, embedder))
    assert change["kinds"] == ["reclassified"] and change["key"] == "schools-refer"
    assert change["details"]["reclassified"] == {
        "from": {"status": "statutory", "force": "should"},
        "to": {"status": "statutory", "force": "must"},
    }


def test_reclassified_from_advice_to_statutory(two: Settings, embedder: Embedder) -> None:
    advice = two.corpus_dir / "wt/2023/advice/03-help.md"
    moved = advice.read_text().replace('para="13"', 'para="13" force=should basis="Children Act 1989, s.17"')
    advice.unlink()
    (two.corpus_dir / "wt/2023/statutory/03-family.md").write_text(moved)
    change = only(report(two, embedder))
    assert change["kinds"] == ["reclassified"]
    assert change["details"]["reclassified"]["from"] == {"status": "advice", "force": None}
    assert change["details"]["reclassified"]["to"] == {"status": "statutory", "force": "should"}


@pytest.mark.parametrize(
    ("within", "expected"),
    [
        ('within="2 working days" from="referral-received"', {"within": "2 working days", "amount": 2}),
        ('within="24 hours" from="referral-received"', {"within": "24 hours", "amount": 24}),
        ("", None),
    ],
)
def test_timescale_changed_compares_the_structured_timescale(
    two: Settings, embedder: Embedder, within: str, expected: dict | None
) -> None:
    edit(two, 2023, "statutory", 'within="1 working day" from="referral-received"', within)
    change = only(report(two, embedder))
    assert change["kinds"] == ["timescale"] and change["key"] == "referral-decision"
    timescale = change["details"]["timescale"]
    assert timescale["from"] == {
        "within": "1 working day",
        "amount": 1,
        "unit": "working day",
        "from": "referral-received",
    }
    assert timescale["to"] == (
        expected and {**expected, "unit": timescale["to"]["unit"], "from": "referral-received"}
    )


def test_roles_changed(two: Settings, embedder: Embedder) -> None:
    edit(two, 2023, "statutory", 'roles="la-social-care,police"', 'roles="la-social-care,schools"')
    change = only(report(two, embedder))
    assert change["kinds"] == ["roles"]
    assert change["details"]["roles"] == {"added": ["schools"], "removed": ["police"]}


def test_one_provision_can_show_several_kinds(two: Settings, embedder: Embedder) -> None:
    edit(two, 2023, "statutory", 'para="12" force=should', 'para="22" force=must')
    edit(two, 2023, "statutory", 'roles="dsl"', 'roles="dsl,schools"')
    assert only(report(two, embedder))["kinds"] == ["moved", "reclassified", "roles"]


# ---------------------------------------------------------------- alignment


def test_recorded_succession_is_reported_as_replaced(two: Settings, embedder: Embedder) -> None:
    edit(two, 2023, "statutory", "{#schools-refer ", '{#dsl-refers replaces="schools-refer" ')
    change = only(report(two, embedder))
    assert change["kinds"] == ["replaced"] and change["match"] == {"by": "replaces", "score": None}
    assert change["details"]["replaced"] == {"from": "schools-refer", "to": "dsl-refers"}


def test_succession_is_followed_across_editions(tmp_path: Path, embedder: Embedder) -> None:
    settings = Settings(corpus_dir=write_corpus(tmp_path, (2015, 2018, 2023)), index_dir=tmp_path / "index")
    edit(settings, 2018, "statutory", "{#schools-refer ", '{#dsl-refers replaces="schools-refer" ')
    edit(settings, 2023, "statutory", "{#schools-refer ", "{#dsl-refers ")
    change = only(report(settings, embedder, "2015", "2023"))
    assert change["details"]["replaced"] == {"from": "schools-refer", "to": "dsl-refers"}


def test_a_renamed_key_is_matched_by_meaning(two: Settings, embedder: Embedder) -> None:
    edit(two, 2023, "statutory", "{#schools-refer ", "{#designated-lead-referrals ")
    edit(two, 2023, "statutory", "refers concerns about a pupil", "refers any concern about a pupil")
    change = only(report(two, embedder))
    assert change["kinds"] == ["reworded"] and change["match"]["by"] == "similar"
    assert change["match"]["score"] >= MATCH_THRESHOLD and change["new"]["key"] == "designated-lead-referrals"


def test_unrelated_provisions_are_not_matched(two: Settings, embedder: Embedder) -> None:
    (two.corpus_dir / "wt/2023/advice/03-help.md").unlink()
    add_provision(two, 2023, "Local authorities publish a directory of youth clubs and holiday activities.")
    result = report(two, embedder)
    assert sorted(c["kinds"][0] for c in result["changes"]) == ["added", "removed"]
    assert result["alignment"]["similar"] == 0


def test_a_key_that_comes_back_later_is_not_matched_to_another(tmp_path: Path, embedder: Embedder) -> None:
    """schools-refer is missing from 2018 but back in 2023: in 2018 it is absent, not renamed."""
    settings = Settings(corpus_dir=write_corpus(tmp_path, (2015, 2018, 2023)), index_dir=tmp_path / "index")
    edit(settings, 2018, "statutory", "{#schools-refer ", "{#designated-lead-referrals ")
    result = report(settings, embedder, "2015", "2018")
    assert sorted((c["kinds"][0], c["key"]) for c in result["changes"]) == [
        ("added", "designated-lead-referrals"),
        ("removed", "schools-refer"),
    ]


def test_gaps_recorded_in_source_yaml_are_shown_as_caveats(two: Settings, embedder: Embedder) -> None:
    (two.corpus_dir / "wt/2023/advice/03-help.md").unlink()
    source = two.corpus_dir / "wt/2023/SOURCE.yaml"
    source.write_text(source.read_text() + "gaps:\n  - talking-to-family was left out for want of a copy.\n")
    change = only(report(two, embedder))
    assert change["caveats"] == [
        "WT 2023 SOURCE.yaml gap: talking-to-family was left out for want of a copy."
    ]


def test_word_diff_of_identical_texts_is_one_equal_run() -> None:
    assert word_diff("a b c", "a b c") == [{"op": "equal", "text": "a b c"}]


# ---------------------------------------------------------------- filters and summary


@pytest.fixture
def changed(two: Settings) -> Settings:
    """2023 rewords the police duty, makes the DSL's referral a must, and adds an early help offer."""
    edit(
        two,
        2023,
        "statutory",
        "the local authority makes enquiries.",
        "the local authority must make enquiries.",
    )
    edit(two, 2023, "statutory", 'para="12" force=should', 'para="12" force=must')
    add_provision(two, 2023, "The local authority publishes what early help it offers.")
    return two


def test_summary_counts_per_kind_and_chapter(changed: Settings, embedder: Embedder) -> None:
    summary = report(changed, embedder)["summary"]
    assert summary["total"] == 3
    assert {k: n for k, n in summary["by_kind"].items() if n} == {
        "added": 1,
        "reworded": 1,
        "reclassified": 1,
    }
    assert set(summary["by_kind"]) == set(KINDS)
    assert summary["by_chapter"] == [
        {
            "document": "wt",
            "edition": 2023,
            "chapter": "3",
            "title": "Providing help",
            "total": 3,
            "by_kind": {"added": 1, "reworded": 1, "reclassified": 1},
        }
    ]


def test_role_filter_finds_the_narrower_roles_it_includes(changed: Settings, embedder: Embedder) -> None:
    result = report(changed, embedder, role="schools")
    assert [c["key"] for c in result["changes"]] == ["schools-refer"]  # its role is dsl, part of schools
    assert result["summary"]["total"] == 1 and result["filters"]["role"] == "schools"


def test_kind_filter_takes_a_comma_separated_list(changed: Settings, embedder: Embedder) -> None:
    result = report(changed, embedder, kind="added, reclassified")
    assert sorted(c["key"] for c in result["changes"]) == ["early-help-offer", "schools-refer"]
    assert result["filters"]["kind"] == ["added", "reclassified"]


def test_chapter_filter(changed: Settings, embedder: Embedder) -> None:
    edit(changed, 2023, "advice", "chapter: 3", "chapter: 4")
    assert [c["key"] for c in report(changed, embedder, chapter="4")["changes"]] == ["talking-to-family"]


def test_changes_come_in_the_order_of_the_newer_edition(changed: Settings, embedder: Embedder) -> None:
    keys = [c["key"] for c in report(changed, embedder)["changes"]]
    assert keys == ["section-47-enquiry", "schools-refer", "early-help-offer"]


# ---------------------------------------------------------------- local overlays


def write_overlay(settings: Settings, text: str = OVERLAY) -> None:
    folder = settings.corpus_dir / "local/testshire"
    folder.mkdir(parents=True)
    (folder / "overlay.yaml").write_text(text)


def test_local_overlay_against_its_national_edition(two: Settings, embedder: Embedder) -> None:
    write_overlay(two)
    result = report(two, embedder, "2018", "local/testshire")
    assert result["to"] == {
        "local": "testshire",
        "document": "wt",
        "title": "Testshire (fictional)",
        "edition": 2018,
        "label": "local/testshire",
    }
    decision, received = result["changes"]
    assert decision["kinds"] == ["timescale", "note"] and decision["step"]["step"] == "decision"
    assert decision["details"]["timescale"]["from"]["within"] == "1 working day"
    assert decision["details"]["timescale"]["to"]["within"] == "2 working days"
    assert decision["old"]["key"] == "referral-decision" and decision["old"]["edition"] == 2018
    assert received["kinds"] == ["note"]
    assert received["details"]["note"] == {"text": "Referrals go to the front door team"}
    assert result["alignment"] is None


def test_a_local_figure_equal_to_the_national_one_is_not_a_change(two: Settings, embedder: Embedder) -> None:
    write_overlay(
        two,
        OVERLAY.replace("2 working days", "1 working day").replace(", note: Decided by the duty manager", ""),
    )
    assert [c["step"]["step"] for c in report(two, embedder, "2018", "local/testshire")["changes"]] == [
        "referral-received"
    ]


def test_local_overlay_against_a_later_edition_without_that_flowchart(
    two: Settings, embedder: Embedder
) -> None:
    """2023 has no referral flowchart here: the national figure comes from the step's provision."""
    write_overlay(two)
    (two.corpus_dir / "wt/2023/flowcharts/referral.yaml").unlink()
    edit(two, 2023, "statutory", 'within="1 working day"', 'within="3 working days"')
    decision = report(two, embedder, "2023", "local/testshire", kind="timescale")["changes"][0]
    assert decision["details"]["timescale"]["from"]["within"] == "3 working days"
    assert decision["old"]["key"] == "referral-decision" and decision["old"]["edition"] == 2023


# ---------------------------------------------------------------- errors, CLI and API


@pytest.mark.parametrize(
    ("old", "new", "filters", "message"),
    [
        ("1999", "2023", {}, "unknown edition '1999'; compare editions 2018, 2023 or local/AREA"),
        ("latest", "2023", {}, "unknown edition 'latest'"),
        ("2023", "2018", {}, "put the older edition first, e.g. 2018 2023"),
        ("2023", "2023", {}, "compare two different editions"),
        ("2018", "local/nowhere", {}, "unknown local area 'local/nowhere'; known: none"),
        ("2018", "2023", {"role": "wizard"}, "unknown role 'wizard'"),
        ("2018", "2023", {"kind": "added,renamed"}, "unknown change kind 'renamed'; kinds: added, removed"),
        ("2018", "2023", {"chapter": "9"}, "WT 2018 and 2023 has no chapter '9'; chapters: 3"),
    ],
)
def test_bad_requests_say_what_is_allowed(
    two: Settings, embedder: Embedder, old: str, new: str, filters: dict, message: str
) -> None:
    with pytest.raises(QueryError, match="^" + re.escape(message)):
        report(two, embedder, old, new, **filters)
    response = TestClient(create_app(knowledge=Knowledge(two, embedder))).get(
        "/api/diff", params={"from": old, "to": new, **filters}
    )
    assert response.status_code == 400 and response.json()["detail"].startswith(message)


def test_a_local_overlay_goes_second(two: Settings, embedder: Embedder) -> None:
    write_overlay(two)
    with pytest.raises(
        QueryError, match=re.escape("put the local overlay second, e.g. 2018 local/testshire")
    ):
        report(two, embedder, "local/testshire", "2023")


def test_cli_json_is_the_api_json(changed: Settings, embedder: Embedder) -> None:
    api = TestClient(create_app(knowledge=Knowledge(changed, embedder))).get(
        "/api/diff", params={"from": "2018", "to": "2023", "kind": "reworded,reclassified"}
    )
    assert api.status_code == 200
    for flag in (["--json"], ["--format", "json"]):
        cli = wtkb(changed, "diff", "2018", "2023", "--kind", "reworded,reclassified", *flag)
        assert cli.returncode == 0, cli.stderr
        assert json.loads(cli.stdout) == api.json()


def test_cli_text_csv_and_html(changed: Settings) -> None:
    text = wtkb(changed, "diff", "2018", "2023")
    assert text.returncode == 0, text.stderr
    assert "WT 2018 -> WT 2023: 3 changes" in text.stdout
    assert "reclassified: statutory (should) -> statutory (must)" in text.stdout
    rows = list(csv.DictReader(io.StringIO(wtkb(changed, "diff", "2018", "2023", "--format", "csv").stdout)))
    assert [(r["kinds"], r["key"]) for r in rows] == [
        ("reworded", "section-47-enquiry"),
        ("reclassified", "schools-refer"),
        ("added", "early-help-offer"),
    ]
    page = wtkb(changed, "diff", "2018", "2023", "--format", "html").stdout
    assert (
        page.startswith("<!DOCTYPE html>") and "<ins>must make</ins>" in page and "<del>makes</del>" in page
    )


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["2018", "2023", "--format", "pdf"], "unknown format 'pdf'"),
        (["2018", "2031"], "unknown edition '2031'"),
        (["2018", "2023", "--kind", "typo"], "unknown change kind 'typo'"),
    ],
)
def test_cli_errors_are_one_line_and_exit_2(two: Settings, args: list[str], message: str) -> None:
    result = wtkb(two, "diff", *args)
    assert result.returncode == 2 and message in result.stderr and "Traceback" not in result.stderr


# ---------------------------------------------------------------- the evaluation set


def test_every_known_change_cites_real_provisions() -> None:
    """tests/data/diff_dev.yaml stays true to the corpus: each side exists and is cited as written."""
    corpus = load_corpus(Settings().corpus_dir)
    items = yaml.safe_load(DEV_SET.read_text(encoding="utf-8"))
    assert len(items) >= 40
    for item in items:
        assert set(item["kinds"]) <= set(KINDS), item
        for side, year in zip(("from", "to"), item["pair"], strict=True):
            ref = item.get(side)
            if ref is None:
                continue
            assert ref["edition"] == year, item
            p = corpus.get(ref["edition"], ref["key"])
            assert p is not None, ref
            assert ref["cite"] == p.cite(), ref
        assert ("added" in item["kinds"]) == (item.get("from") is None), item
        assert ("removed" in item["kinds"]) == (item.get("to") is None), item
