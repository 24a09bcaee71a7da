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


# Earlier editions, cited by section heading as their SOURCE.yaml explains.
CH5_2010 = "Chapter 5, Managing individual cases: "
TIMESCALES_EARLIER = [
    (
        2010,
        "referral-decision",
        "1 working day",
        "referral-received",
        "5",
        CH5_2010 + "response of local authority children's social care to a referral",
        "should",
    ),
    (
        2010,
        "referral-written-confirmation",
        "48 hours",
        "referral-made",
        "5",
        CH5_2010 + "referral to local authority children's social care",
        "should",
    ),
    (
        2010,
        "initial-assessment-timescale",
        "10 working days",
        "referral-received",
        "5",
        CH5_2010 + "initial assessment",
        "should",
    ),
    (
        2010,
        "core-assessment-timescale",
        "35 working days",
        "core-assessment-start",
        "5",
        CH5_2010 + "core assessment",
        "should",
    ),
    (
        2010,
        "icpc-timescale",
        "15 working days",
        "strategy-discussion",
        "5",
        CH5_2010 + "initial child protection conference",
        "should",
    ),
    (
        2010,
        "first-core-group",
        "10 working days",
        "initial-conference",
        "5",
        CH5_2010 + "the core group",
        "should",
    ),
    (
        2010,
        "first-review-conference",
        "3 months",
        "initial-conference",
        "5",
        CH5_2010 + "child protection review conference",
        "should",
    ),
    (
        2010,
        "subsequent-review-conferences",
        "6 months",
        "previous-review-conference",
        "5",
        CH5_2010 + "child protection review conference",
        "should",
    ),
    (
        2013,
        "referral-decision",
        "1 working day",
        "referral-received",
        "1",
        "Chapter 1: Assessing need and providing help",
        "should",
    ),
    (
        2013,
        "assessment-timescale",
        "45 working days",
        "referral-received",
        "1",
        "Chapter 1: Assessing need and providing help",
        "should",
    ),
    (
        2015,
        "assessment-timescale",
        "45 working days",
        "referral-received",
        "1",
        "Chapter 1: Assessing need and providing help",
        "should",
    ),
    (
        2015,
        "serious-incident-notification",
        "5 working days",
        "aware-of-incident",
        "4",
        "Chapter 4: Learning and improvement framework",
        "should",
    ),
    (
        2015,
        "scr-decision",
        "1 month",
        "incident-notified",
        "4",
        "Chapter 4: Learning and improvement framework",
        "should",
    ),
    (2018, "referral-decision", "1 working day", "referral-received", "1", "Referral", "should"),
    (2018, "referral-feedback", "1 working day", "referral-received", "1", "Referral", "should"),
    (2018, "assessment-timescale", "45 working days", "referral-received", "1", "Timeliness", "should"),
    (
        2018,
        "icpc-timescale",
        "15 working days",
        "strategy-discussion",
        "1",
        "Initial child protection conferences",
        "should",
    ),
    (
        2018,
        "first-core-group",
        "10 working days",
        "initial-conference",
        "1",
        "The child protection plan",
        "should",
    ),
    (
        2018,
        "first-review-conference",
        "3 months",
        "initial-conference",
        "1",
        "Child protection review conference",
        "should",
    ),
    (
        2018,
        "subsequent-review-conferences",
        "6 months",
        "previous-review-conference",
        "1",
        "Child protection review conference",
        "should",
    ),
    (2018, "serious-incident-notification", "5 working days", "aware-of-incident", "4", "Chapter 4", "must"),
]


@pytest.fixture(scope="module")
def corpus() -> Corpus:
    return load_corpus(Settings().corpus_dir)


def test_the_bundled_corpus_is_valid(corpus: Corpus) -> None:
    assert corpus.problems == []
    assert ("wt", 2023) in corpus.editions and corpus.current_edition == 2023


@pytest.mark.parametrize(
    ("edition", "key", "within", "start", "chapter", "section", "force"), TIMESCALES_2023 + TIMESCALES_EARLIER
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


def test_2013_replaced_the_initial_and_core_assessments(corpus: Corpus) -> None:
    """2010 had two assessment timescales; from 2013 there is one maximum of 45 working days."""
    for year in (2013, 2015, 2018, 2023):
        assert corpus.get(year, "initial-assessment-timescale") is None
        assert corpus.get(year, "core-assessment-timescale") is None
        assert corpus.get(year, "assessment-timescale").timescale.within == "45 working days"


def test_successions_name_the_provisions_they_replace(corpus: Corpus) -> None:
    partners = corpus.get(2018, "safeguarding-partners-duty")
    assert partners.replaces == "lscb-establishment"
    assert (
        corpus.get(2015, "lscb-establishment") is not None and corpus.get(2018, "lscb-establishment") is None
    )


@pytest.mark.parametrize("edition", [2023, 2018, 2013])
def test_the_referral_decision_on_a_friday_before_christmas(corpus: Corpus, edition: int) -> None:
    """The issue's own example: referral received Friday 22 December 2023, decision due Wednesday 27th."""
    from datetime import date

    from kb.deadlines import deadlines

    chart = corpus.flowcharts[(edition, "referral")]
    rows = {r.step.id: r for r in deadlines(chart, date(2023, 12, 22))}
    assert rows["decision"].due == date(2023, 12, 27)


# (flowchart, step, within, from) for every timed step of the 2023 charts; nothing else is timed
FLOW_TIMESCALES_2023 = {
    ("referral", "decision"): ("1 working day", "referral-received"),
    ("assessment", "assessment"): ("45 working days", "referral-received"),
    ("strategy-discussion", "convene-icpc"): ("15 working days", "strategy-discussion"),
    ("child-protection-conference", "first-core-group"): ("10 working days", "initial-conference"),
    ("child-protection-conference", "first-review"): ("3 months", "initial-conference"),
    ("child-protection-conference", "later-review"): ("6 months", "first-review"),
    ("serious-incident", "notify-panel"): ("5 working days", "aware-of-incident"),
}


def test_the_2023_flowcharts_time_only_what_their_provisions_set(corpus: Corpus) -> None:
    """Every timed step of a 2023 chart carries the figure of a provision it links to; no other step
    (the rapid review, the child death review) gets a time limit the 2023 text was not seen to set."""
    timed = {}
    for (year, key), chart in corpus.flowcharts.items():
        if year != 2023:
            continue
        for step in chart.steps:
            assert step.provisions, f"{key}/{step.id} links to no provision"
            if step.timescale:
                timed[(key, step.id)] = (step.timescale.within, step.timescale.start)
                figures = {
                    corpus.get(2023, k).timescale.within
                    for k in step.provisions
                    if corpus.get(2023, k).timescale
                }
                assert step.timescale.within in figures, f"{key}/{step.id}"
    assert timed == FLOW_TIMESCALES_2023


def test_the_2023_source_records_every_chart_and_pins_numbers_only_where_a_page_prints_them(
    corpus: Corpus,
) -> None:
    recorded = {c["key"]: c for c in corpus.edition(2023).source["flowcharts"]}
    charts = {key: chart for (year, key), chart in corpus.flowcharts.items() if year == 2023}
    assert set(recorded) == set(charts)
    assert recorded["immediate-protection"]["printed"] == {"number": 3, "title": "Immediate protection"}
    for key, entry in recorded.items():
        if entry["printed"] and entry["printed"]["number"]:
            assert entry["confirmed_by"], key
        assert charts[key].note, key
        assert charts[key].derived == (key in {"serious-incident", "child-death-review"}), key


def test_the_2023_corpus_findings_stay_resolved(corpus: Corpus) -> None:
    """Issue 15: the first core group rests on the same basis as the other conference provisions, the
    review conference decision keeps no local-procedure sentence, and the unsourced EPO note is gone."""
    lassa = "Local Authority Social Services Act 1970, s.7"
    for key in (
        "icpc-timescale",
        "first-core-group",
        "first-review-conference",
        "subsequent-review-conferences",
    ):
        assert corpus.get(2023, key).basis == lassa, key
    assert "category" not in corpus.get(2023, "review-conference-decision").text
    assert corpus.get(2023, "emergency-protection-order-explained") is None
