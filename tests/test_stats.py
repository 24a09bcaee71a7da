"""Paragraph coverage: the range a copy prints per chapter (SOURCE.yaml ``paras``) against the
paragraphs the chapter's provisions cite, on the tiny fixture corpus."""

from __future__ import annotations

from pathlib import Path

import pytest

from kb.corpus import load_corpus
from kb.stats import compact, coverage, expand_paras

SOURCE = "wt/2023/SOURCE.yaml"
RANGE = '  - {chapter: 3, title: Providing help, paras: "10-14"}\n'


def edit(corpus: Path, rel: str, old: str, new: str) -> None:
    path = corpus / rel
    assert old in path.read_text(), f"fixture lacks {old!r}"
    path.write_text(path.read_text().replace(old, new, 1))


def test_expand_and_compact_are_inverse() -> None:
    assert expand_paras("5.38-5.40,5.42") == {(5, 38), (5, 39), (5, 40), (5, 42)}
    assert compact(expand_paras("1-3,7,9-10")) == "1-3, 7, 9-10"


def test_chapter_shows_printed_range_against_paragraphs_cited(corpus_dir: Path) -> None:
    # para 13 becomes 14-15: 15 lies outside the printed range, so it is cited but covers nothing.
    edit(corpus_dir, "wt/2023/advice/03-help.md", 'para="13"', 'para="14-15"')
    edit(corpus_dir, SOURCE, RANGE, RANGE + "  - {chapter: 4, title: Organisations}\n")
    chapter_3, chapter_4 = (r.to_dict() for r in coverage(load_corpus(corpus_dir)))
    assert chapter_3 == {
        "document": "wt",
        "edition": 2023,
        "chapter": "3",
        "title": "Providing help",
        "printed": "10-14",
        "provisions": 4,
        "with_para": 4,
        "cited": 5,
        "total": 5,
        "covered": 4,
        "uncovered": "13",
        "percent": 80.0,
    }
    assert (chapter_4["printed"], chapter_4["total"], chapter_4["percent"], chapter_4["cited"]) == (
        None,
        None,
        None,
        0,
    )


@pytest.mark.parametrize("spec", ["14-10", "5.1-6.9", "1.1-151", "ten-14", "10"])
def test_a_range_that_is_not_first_to_last_is_a_problem_with_its_line(corpus_dir: Path, spec: str) -> None:
    edit(corpus_dir, SOURCE, '"10-14"', f'"{spec}"')
    found = [str(p) for p in load_corpus(corpus_dir).problems]
    assert found == [
        f"corpus/{SOURCE}:7: chapter 3: bad paras {spec!r}: give the first and last number printed, "
        'e.g. "1-86" or "5.1-5.151"'
    ]
