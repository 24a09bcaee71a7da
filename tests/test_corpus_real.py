"""The bundled corpus: it is valid, and each edition's key timescales are pinned to their citations.

A wrong timescale is the most harmful bug this product can have, so every headline timescale is
asserted here with the event it runs from and where it is cited; changing one must be deliberate.
"""

from __future__ import annotations

import pytest

from kb.corpus import Corpus, load_corpus
from kb.settings import Settings

PROTECTION = "Section 3: Child protection"
WELFARE = "Section 2: Safeguarding and promoting the welfare of children"
INCIDENTS = "Learning from serious child safeguarding incidents"

# (edition, key, within, from, chapter, section cited, force)
TIMESCALES_2023 = [
    (2023, "referral-decision", "1 working day", "referral-received", "3", WELFARE, "should"),
    (2023, "referral-feedback", "1 working day", "referral-received", "3", WELFARE, "should"),
    (2023, "assessment-timescale", "45 working days", "referral-received", "3", WELFARE, "should"),
    (2023, "icpc-timescale", "15 working days", "strategy-discussion", "3", PROTECTION, "should"),
    (2023, "first-core-group", "10 working days", "initial-conference", "3", PROTECTION, "should"),
    (2023, "first-review-conference", "3 months", "initial-conference", "3", PROTECTION, "should"),
    (
        2023,
        "subsequent-review-conferences",
        "6 months",
        "previous-review-conference",
        "3",
        PROTECTION,
        "should",
    ),
    (2023, "moved-area-conference", "15 working days", "notified-of-move", "3", PROTECTION, "should"),
    (2023, "serious-incident-notification", "5 working days", "aware-of-incident", "5", INCIDENTS, "must"),
]


@pytest.fixture(scope="module")
def corpus() -> Corpus:
    return load_corpus(Settings().corpus_dir)


def test_the_bundled_corpus_is_valid(corpus: Corpus) -> None:
    assert corpus.problems == []
    assert 2023 in corpus.editions and corpus.current_edition == 2023


@pytest.mark.parametrize(
    ("edition", "key", "within", "start", "chapter", "section", "force"), TIMESCALES_2023
)
def test_timescales_are_pinned_to_their_citations(
    corpus: Corpus, edition: int, key: str, within: str, start: str, chapter: str, section: str, force: str
) -> None:
    p = corpus.get(edition, key)
    assert p is not None, f"{edition}/{key} missing"
    assert (p.timescale.within, p.timescale.start) == (within, start)
    assert (p.chapter, p.para or p.section, p.status, p.force) == (chapter, section, "statutory", force)
    assert p.basis and p.checked


def test_the_rapid_review_has_no_unconfirmed_timescale(corpus: Corpus) -> None:
    """The 15 working days could not be confirmed in the 2023 text, so it must not be machine-readable."""
    rapid = corpus.get(2023, "rapid-review")
    assert rapid.status == "statutory" and rapid.timescale is None
    assert "15 working days" in rapid.text


def test_serious_incident_notification_is_a_legal_duty(corpus: Corpus) -> None:
    p = corpus.get(2023, "serious-incident-notification")
    assert p.basis == "Children Act 2004, s.16C(1)" and "local-authority" in p.roles
