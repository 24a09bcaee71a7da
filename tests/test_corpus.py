"""The corpus parser: what a valid file yields, and every validation rule with its file:line."""

from __future__ import annotations

from pathlib import Path

import pytest

from kb.corpus import chapter_name, load_corpus, load_valid_corpus
from kb.problems import CorpusInvalid

STAT = "wt/2023/statutory/03-help.md"
ADV = "wt/2023/advice/03-help.md"
FLOW = "wt/2023/flowcharts/referral.yaml"


def edit(corpus: Path, rel: str, old: str, new: str) -> None:
    path = corpus / rel
    text = path.read_text()
    assert old in text, f"fixture lacks {old!r}"
    path.write_text(text.replace(old, new, 1))


def problems(corpus: Path) -> list[str]:
    return [str(p) for p in load_corpus(corpus).problems]


def test_valid_corpus_yields_provisions_with_status_force_and_timescale(corpus_dir: Path) -> None:
    corpus = load_valid_corpus(corpus_dir)
    by_key = {p.key: p for p in corpus.provisions}
    assert sorted(by_key) == ["referral-decision", "schools-refer", "section-47-enquiry", "talking-to-family"]
    decision = by_key["referral-decision"]
    assert (decision.status, decision.force, decision.basis) == (
        "statutory",
        "should",
        "Children Act 1989, s.17",
    )
    assert (decision.timescale.amount, decision.timescale.unit, decision.timescale.start) == (
        1,
        "working day",
        "referral-received",
    )
    assert decision.line == 7 and decision.path == "corpus/" + STAT
    assert decision.cite() == "WT 2023, ch. 3, para 10"
    assert by_key["section-47-enquiry"].roles == ("la-social-care", "police")
    advice = by_key["talking-to-family"]
    assert (advice.status, advice.force, advice.basis, advice.timescale) == ("advice", None, None, None)
    assert "unless that would put the child at risk" in advice.text
    assert corpus.flowcharts[(2023, "referral")].steps[1].timescale.within == "1 working day"
    assert corpus.expand_role("schools") == {"schools", "dsl"}


@pytest.mark.parametrize(
    ("rel", "old", "new", "expected"),
    [
        (STAT, "chapter: 3\n", "chapter: [3\n", f"corpus/{STAT}:4: malformed YAML"),
        (
            STAT,
            "chapter: 3\n",
            "chapter: 3\nauthor: me\n",
            f"corpus/{STAT}:2: unknown front matter key 'author'",
        ),
        (STAT, "edition: 2023", "edition: 2018", f"corpus/{STAT}:2: edition 2018 does not match folder 2023"),
        (STAT, "---\nedition", "edition", f"corpus/{STAT}:1: no front matter"),
        (STAT, 'para="11"', 'para="11" colour="red"', f"corpus/{STAT}:11: unknown attribute 'colour'"),
        (
            STAT,
            "#schools-refer",
            "#section-47-enquiry",
            f"corpus/{STAT}:15: duplicate key 'section-47-enquiry'",
        ),
        (STAT, ' basis="Children Act 1989, s.47"', "", f"corpus/{STAT}:11: statutory provision needs basis"),
        (STAT, "force=must ", "", f"corpus/{STAT}:11: statutory provision needs force=must or force=should"),
        (STAT, "force=must", "force=may", f"corpus/{STAT}:11: statutory provision needs force=must"),
        (ADV, 'para="13"', 'para="13" force=should', f"corpus/{ADV}:7: advice provision cannot have 'force'"),
        (STAT, 'roles="dsl"', 'roles="teachers"', f"corpus/{STAT}:15: unknown role 'teachers'"),
        (
            STAT,
            'within="1 working day"',
            'within="1 fortnight"',
            f"corpus/{STAT}:7: bad timescale '1 fortnight'",
        ),
        (STAT, ' from="referral-received"', "", f"corpus/{STAT}:7: 'within' given without 'from'"),
        (STAT, ' checked="https://example.org/a"}', "}", f"corpus/{STAT}:7: no checked="),
        (STAT, "#referral-decision", "#Referral_Decision", f"corpus/{STAT}:7: bad key 'Referral_Decision'"),
        (STAT, 'para="10" ', "", f"corpus/{STAT}:7: no citation"),
        (STAT, 'para="10"', 'para="ten"', f"corpus/{STAT}:7: bad para 'ten'"),
        (ADV, " {#talking-to-family", " #talking-to-family", f"corpus/{ADV}:7: heading has no attributes"),
        (ADV, 'para="13"', 'para="13', f"corpus/{ADV}:7: malformed attributes"),
        (
            ADV,
            "\nPractitioners explain",
            '\n## Empty {#empty para="14" roles="dsl" checked="https://x.org"}\n\nPractitioners explain',
            f"corpus/{ADV}:7: provision has no text",
        ),
        (ADV, "## Talking", "# Title\n\n## Talking", f"corpus/{ADV}:7: use ## for provisions"),
        (
            FLOW,
            "provisions: [referral-decision]\n    next",
            "provisions: [nowhere]\n    next",
            f"corpus/{FLOW}:4: step links to missing provision 'nowhere'",
        ),
        (FLOW, "{to: decision}", "{to: limbo}", f"corpus/{FLOW}:4: 'next' names missing step 'limbo'"),
        (
            FLOW,
            "from: referral-received",
            "from: nowhere",
            f"corpus/{FLOW}:10: 'from' names missing step 'nowhere'",
        ),
        (
            STAT,
            'para="12"',
            'para="12" replaces="lscb"',
            f"corpus/{STAT}:15: replaces 'lscb', which no earlier edition has",
        ),
    ],
)
def test_each_rule_reports_file_and_line(
    corpus_dir: Path, rel: str, old: str, new: str, expected: str
) -> None:
    edit(corpus_dir, rel, old, new)
    found = problems(corpus_dir)
    assert any(p.startswith(expected) for p in found), found


def test_missing_source_yaml_is_a_problem(corpus_dir: Path) -> None:
    (corpus_dir / "wt/2023/SOURCE.yaml").unlink()
    assert "corpus/wt/2023/SOURCE.yaml:1: SOURCE.yaml missing" in problems(corpus_dir)[0]


def test_all_problems_are_reported_not_just_the_first(corpus_dir: Path) -> None:
    edit(corpus_dir, STAT, 'roles="dsl"', 'roles="nobody"')
    edit(corpus_dir, ADV, 'para="13"', 'para="13" basis="x"')
    assert len(problems(corpus_dir)) == 2


def test_valid_corpus_is_required_for_work_that_needs_it(corpus_dir: Path) -> None:
    edit(corpus_dir, STAT, 'roles="dsl"', 'roles="nobody"')
    with pytest.raises(CorpusInvalid) as raised:
        load_valid_corpus(corpus_dir)
    assert "unknown role 'nobody'" in str(raised.value)


def test_replaces_names_a_key_in_an_earlier_edition(tmp_path: Path) -> None:
    from tests.conftest import write_corpus

    corpus = write_corpus(tmp_path, years=(2018, 2023))
    edit(corpus, ADV, "#talking-to-family", "#talking-with-family")
    edit(corpus, ADV, 'para="13"', 'para="13" replaces="talking-to-family"')
    loaded = load_valid_corpus(corpus)
    assert loaded.get(2023, "talking-with-family").replaces == "talking-to-family"
    assert loaded.current_edition == 2023


def test_a_successor_cannot_stand_beside_what_it_replaces(tmp_path: Path) -> None:
    from tests.conftest import write_corpus

    corpus = write_corpus(tmp_path, years=(2018, 2023))
    edit(corpus, STAT, 'para="12"', 'para="12" replaces="section-47-enquiry"')
    assert f"corpus/{STAT}:15: replaces 'section-47-enquiry', which this edition still has" in problems(
        corpus
    )


def test_a_date_no_calendar_has_is_a_problem_with_its_line(corpus_dir: Path) -> None:
    source = corpus_dir / "wt/2023/SOURCE.yaml"
    source.write_text(source.read_text().replace("published: 2023-01-01", "published: 2023-02-30"))
    problems = [str(p) for p in load_corpus(corpus_dir).problems]
    assert any(p.startswith("corpus/wt/2023/SOURCE.yaml:3: not a calendar date") for p in problems), problems


@pytest.mark.parametrize(
    ("number", "short", "long"),
    [("3", "ch. 3", "Chapter 3"), ("0", "introduction", "Introduction"), ("A", "appendix A", "Appendix A")],
)
def test_chapters_are_named_one_way_everywhere(number: str, short: str, long: str) -> None:
    assert (chapter_name(number), chapter_name(number, long=True)) == (short, long)
