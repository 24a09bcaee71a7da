"""Shared fixtures: a small corpus written afresh per test, and one real embedding model per run.

The fixture corpus is test data in the corpus format (its texts are written for the tests); the
real corpus is exercised by the feature files and by tests/test_corpus_real.py.
"""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from kb.settings import Settings

ROLES = """\
all-practitioners:
  label: All practitioners
la-social-care:
  label: Local authority children's social care
schools:
  label: Schools
  includes: [dsl]
dsl:
  label: Designated safeguarding leads
police:
  label: Police
"""

DOCUMENTS = """\
wt:
  short: WT
  title: Working Together to Safeguard Children
kcsie:
  short: KCSIE
  title: Keeping children safe in education
  chapters: {number: part, letter: annex}
  paragraphs: document
"""

SOURCE = """\
title: Test edition {year}
publisher: Test
published: {year}-01-01
url: https://example.org/wt{year}
licence: OGL v3.0
chapters:
  - {{chapter: 3, title: Providing help, paras: "10-14"}}
"""

STATUTORY = """\
---
edition: {year}
chapter: 3
chapter_title: Providing help
---

## Decision on a referral {{#referral-decision para="10" force=should basis="Children Act 1989, s.17" roles="la-social-care" within="1 working day" from="referral-received" checked="https://example.org/a"}}

The local authority decides what response a referral needs within one working day of receiving it.

## Enquiries under section 47 {{#section-47-enquiry para="11" force=must basis="Children Act 1989, s.47" roles="la-social-care,police" checked="https://example.org/a"}}

Where there is reasonable cause to suspect significant harm the local authority makes enquiries.

## Schools refer concerns {{#schools-refer para="12" force=should basis="Education Act 2002, s.175" roles="dsl" checked="https://example.org/a"}}

The designated safeguarding lead refers concerns about a pupil to children's social care.
"""

ADVICE = """\
---
edition: {year}
chapter: 3
chapter_title: Providing help
---

## Talking to the family {{#talking-to-family para="13" roles="all-practitioners" checked="https://example.org/b"}}

Practitioners explain to parents what will happen next, unless that would put the child at risk.
"""

FLOWCHART = """\
key: referral
title: Referral
steps:
  - id: referral-received
    title: Referral received
    roles: [la-social-care]
    provisions: [referral-decision]
    next:
      - {to: decision}
  - id: decision
    title: Decision
    within: 1 working day
    from: referral-received
    provisions: [referral-decision]
"""


def write_corpus(root: Path, years: tuple[int, ...] = (2023,)) -> Path:
    """Write the fixture corpus under ``root`` and return the corpus folder."""
    corpus = root / "corpus"
    (corpus / "wt").mkdir(parents=True)
    (corpus / "documents.yaml").write_text(DOCUMENTS)
    (corpus / "roles.yaml").write_text(ROLES)
    for year in years:
        edition = corpus / "wt" / str(year)
        for sub in ("statutory", "advice", "flowcharts"):
            (edition / sub).mkdir(parents=True)
        (edition / "SOURCE.yaml").write_text(SOURCE.format(year=year))
        (edition / "statutory" / "03-help.md").write_text(STATUTORY.format(year=year))
        (edition / "advice" / "03-help.md").write_text(ADVICE.format(year=year))
        (edition / "flowcharts" / "referral.yaml").write_text(FLOWCHART)
    return corpus


KCSIE_STATUTORY = """\
---
edition: {year}
chapter: C
chapter_title: The role of the designated safeguarding lead
---

## The DSL refers cases to children's social care {{#dsl-refers-to-social-care para="{para}" force=should basis="Education Act 2002, s.175" roles="dsl" see="wt/2023/referral-decision" checked="https://example.org/k"}}

The designated safeguarding lead refers suspected abuse and neglect to local authority children's social care.

## Training renewed every two years {{#dsl-training section="Training" force=should basis="Education Act 2002, s.175" roles="dsl" within="{training}" from="dsl-training" checked="https://example.org/k"}}

The designated safeguarding lead updates their safeguarding training at regular intervals.
"""


def write_kcsie(corpus: Path, years: tuple[int, ...] = (2024, 2025), training: str = "2 years") -> Path:
    """Add a two-provision KCSIE (Annex C) to a fixture corpus: one cites a paragraph and sends the
    reader to WT 2023's referral decision, one cites a section and sets a timescale in years."""
    for n, year in enumerate(years):
        edition = corpus / "kcsie" / str(year)
        (edition / "statutory").mkdir(parents=True)
        (edition / "SOURCE.yaml").write_text(SOURCE.format(year=year).replace(f"wt{year}", f"kcsie{year}"))
        text = KCSIE_STATUTORY.format(year=year, para=100 + n, training=training)
        (edition / "statutory" / "C-dsl.md").write_text(text)
    return corpus


def dedent(text: str) -> str:
    return textwrap.dedent(text).lstrip("\n")


@pytest.fixture
def corpus_dir(tmp_path: Path) -> Path:
    return write_corpus(tmp_path)


@pytest.fixture
def settings(tmp_path: Path, corpus_dir: Path) -> Settings:
    return Settings(corpus_dir=corpus_dir, index_dir=tmp_path / "index")
