"""Reading what a statement claims: durations, events, actors, denials."""

from __future__ import annotations

import pytest

from kb.claim import (
    Duration,
    actors_claimed,
    allows,
    denies,
    durations,
    event_after,
    focus,
    leads,
    limits_what_is_not_limited,
    members_claimed,
    objects_named,
    permits,
    read_claim,
    recipients,
    restricts,
    roles_named,
    step_before,
    unmatched_share,
)
from kb.corpus import Event, Role

EVENTS = {
    "referral-received": Event(
        "referral-received", "the referral", ("the referral", "receipt of the referral")
    ),
    "strategy-discussion": Event("strategy-discussion", "the strategy discussion", ("strategy discussion",)),
    "home-visit": Event("home-visit", "the first home visit", ("first home visit",)),
}

ROLES = {
    "local-authority": Role(
        "local-authority", "Local authority", ("la-social-care", "lado"), ("council", "local authority")
    ),
    "la-social-care": Role(
        "la-social-care", "Children's social care", (), ("social worker", "children's social care")
    ),
    "lado": Role("lado", "LADO", (), ("lado", "local authority designated officer")),
    "police": Role("police", "Police", (), ("police",)),
    "schools": Role("schools", "Schools", ("dsl",), ("school", "schools")),
    "dsl": Role("dsl", "DSL", (), ("dsl", "designated safeguarding lead")),
    "all-practitioners": Role(
        "all-practitioners", "All practitioners", (), ("practitioner", "practitioners")
    ),
}


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("within one working day", Duration(1, "working day")),
        ("has up to three working days", Duration(3, "working day")),
        ("within 15 working-days of it", Duration(15, "working day")),
        ("every two years", Duration(24, "month")),
        ("no later than six months after", Duration(6, "month")),
        ("at least every four weeks", Duration(4, "week")),
        ("within 24 hours", Duration(24, "hour")),
        ("a report once a year", Duration(12, "month")),
        ("publish annually", Duration(12, "month")),
        ("at least once in every 12-month period", Duration(12, "month")),
        ("a quarterly public meeting", Duration(3, "month")),
        ("meet twice a year", Duration(6, "month")),
        ("a monthly newsletter", Duration(1, "month")),
        ("within twenty-four hours", Duration(24, "hour")),
        ("within forty eight hours", Duration(48, "hour")),
        ("no later than fourteen days after", Duration(14, "day")),
        ("within sixty days", Duration(60, "day")),
        ("a report every term", Duration(1, "term")),
        ("a termly report", Duration(1, "term")),
        ("publish it yearly", Duration(12, "month")),
        ("meet every other year", Duration(24, "month")),
        ("by the end of the next working day", Duration(1, "working day")),
        ("within five school days", Duration(5, "school day")),
        ("within 20 calendar days", Duration(20, "day")),
        ("a calendar month from being told", Duration(1, "month")),
    ],
)
def test_durations_in_words_and_digits(text: str, expected: Duration) -> None:
    assert durations(text)[0][0] == expected


@pytest.mark.parametrize(
    ("text", "recurring"),
    [
        ("at least every six weeks", True),
        ("once a year", True),
        ("quarterly", True),
        ("meetings no more than six weeks apart", True),
        ("at intervals of not more than six months", True),
        ("within six weeks of the referral", False),
        ("by the end of the next working day", False),
        ("within a month of the referral", False),
        ("the council has a calendar month to hold it", False),
        ("a month after the conference", False),
        ("the group meets once a month", True),
        ("at intervals of no more than a year", True),
    ],
)
def test_a_frequency_is_told_from_a_deadline(text: str, recurring: bool) -> None:
    assert durations(text)[0][0].recurring is recurring


@pytest.mark.parametrize(
    ("text", "event"),
    [
        ("Once the duty social worker has done the first home visit, there is one working day to decide "
         "about the referral.", "home-visit"),
        ("There are 45 working days, but only after the first home visit, not from the referral.", "home-visit"),
        ("There are 45 working days from the referral.", "referral-received"),
        ("The 45 working days start when the strategy discussion ends, not at the referral.",
         "strategy-discussion"),
        ("After the strategy discussion, the conference is within 15 working days.", "strategy-discussion"),
        ("After the first home visit at about three months, visits are at most six months apart.", None),
    ],
)  # fmt: skip
def test_the_start_event_is_the_one_marked_as_a_start_and_not_ruled_out(text: str, event: str | None) -> None:
    assert read_claim(text, ROLES, EVENTS).event == event


@pytest.mark.parametrize("text", ["a 12-year-old pupil", "the three safeguarding partners", "aged 16 to 25"])
def test_ages_and_counts_are_not_durations(text: str) -> None:
    assert durations(text) == []


def test_the_event_a_timescale_runs_from_is_the_first_named_after_it() -> None:
    text = "The ICPC must be held within 15 working days of the referral, not the strategy discussion."
    spans = durations(text)
    assert event_after(text, spans[0][1], EVENTS) == "referral-received"
    claim = read_claim(
        "The conference must be within 15 working days of the strategy discussion.", ROLES, EVENTS
    )
    assert (claim.duration, claim.event) == (Duration(15, "working day"), "strategy-discussion")


def test_longest_alias_wins_so_one_phrase_names_one_role() -> None:
    assert roles_named("Tell the local authority designated officer.", ROLES) == {"lado"}
    assert roles_named("Tell the local authority and the police.", ROLES) == {"local-authority", "police"}
    assert roles_named("The policeman's schoolbag", ROLES) == set()  # whole words only


@pytest.mark.parametrize(
    ("text", "actors"),
    [
        ("It's the police who decide within one working day what a referral needs.", {"police"}),
        ("It's the police, not children's social care, who convene the conference.", {"police"}),
        ("Only the designated safeguarding lead can make a referral.", {"dsl"}),
        ("Channel panels are set up by the police; the council just sends someone along.", {"police"}),
        ("The council must act, not the police.", {"local-authority"}),
        ("The police lead the enquiry and the school supports it.", {"police"}),
        ("Schools are responsible for convening the meeting.", {"schools"}),
        ("Schools and the police must share information.", {"schools", "police"}),
        ("Practitioners should share information.", set()),  # names nobody in particular
        ("Youth offending teams sit within the local council.", set()),  # describes, asks nothing
    ],
)
def test_the_actors_a_statement_holds_responsible(text: str, actors: set[str]) -> None:
    assert actors_claimed(text, ROLES) == actors


@pytest.mark.parametrize(
    ("text", "denial"),
    [
        ("Social care doesn't need to acknowledge the referral.", True),
        ("Schools can refuse to give the partners information.", True),
        ("Independent scrutiny is optional.", True),
        ("The council has no legal duty to make enquiries.", True),
        ("Working Together is only advice.", True),
        ("Working Together isn't optional for the council.", False),
        ("Academies are exempt from the duty.", True),
        ("There is no need to tell the police.", True),
        ("Whether to hold one is at the council's discretion.", True),
        ("The school may choose not to share the plan.", True),
        ("The duty doesn't apply to independent schools.", True),
        ("The council must make enquiries.", False),
    ],
)
def test_denials(text: str, denial: bool) -> None:
    assert denies(text) is denial


ROLES_WITH_BODIES = {
    **ROLES,
    "icb": Role("icb", "ICB", (), ("icb", "integrated care board")),
    "safeguarding-partners": Role(
        "safeguarding-partners", "Safeguarding partners", (), ("safeguarding partners",)
    ),
}


@pytest.mark.parametrize(
    ("text", "members"),
    [
        (
            "The three partners are the local authority, the police and schools.",
            {"local-authority", "police", "schools"},
        ),
        ("The safeguarding partners are the council and the ICB.", {"local-authority", "icb"}),
        ("The police are one of the child death review partners.", {"police"}),
        ("Our school is one of the three statutory safeguarding partners.", {"schools"}),
        (
            "The local authority, the police and schools are the three safeguarding partners.",
            {"local-authority", "police", "schools"},
        ),
        ("The council and the ICB form the safeguarding partners.", {"local-authority", "icb"}),
        ("Safeguarding partners are required to consult schools and the police.", set()),
        ("Safeguarding partners are expected to include schools and the police.", set()),
        ("The police must tell social workers.", set()),
        ("The lead safeguarding partner for the council is the police.", {"police"}),  # one, said singly
        ("The lead partner role sits with the police rather than the council.", {"police"}),
        ("The police are the council's lead safeguarding partner.", {"police"}),
        ("The safeguarding partners are the police.", set()),  # "partners are" one body: not a membership
    ],
)
def test_the_members_a_statement_asserts(text: str, members: set[str]) -> None:
    assert members_claimed(text, ROLES_WITH_BODIES) == members


def test_a_claim_reads_its_named_roles_its_only_and_its_objects_but_not_objects_in_its_event() -> None:
    claim = read_claim(
        "Only the police and a social worker need to be at a strategy discussion.", ROLES, EVENTS
    )
    assert claim.only and claim.named == {"police", "la-social-care"}
    visit = read_claim("The 45 working days run from the first home visit.", ROLES, EVENTS)
    assert (visit.event, visit.objects) == ("home-visit", frozenset())
    assert objects_named("Partners must hold a quarterly public meeting and publish a newsletter.") == {
        "meeting",
        "newsletter",
    }


@pytest.mark.parametrize(
    ("text", "objects"),
    [
        ("The DSL must attend every conference in person.", {"presence"}),
        ("The LADO must be a registered social worker.", {"credential"}),
        ("The delegated partner must hold the rank of chief superintendent.", {"rank"}),
        ("Schools must pay an annual subscription to the partnership.", {"subscription"}),
        ("Referrals must be made on the partnership's standard form.", {"form"}),
        ("A scrutiny panel and a sub-committee must be set up.", {"panel", "committee"}),
    ],
)
def test_operative_details_a_requirement_can_invent(text: str, objects: set[str]) -> None:
    assert objects_named(text) == objects


@pytest.mark.parametrize(
    ("text", "permissive"),
    [
        ("Anyone can make a referral.", True),
        ("Partners may also review other deaths.", True),
        ("Whether to have deputies is a matter for the school.", True),
        ("It is for them to decide whether a review is needed.", True),
        ("We work with parents as far as we can.", False),
        ("The council must make enquiries.", False),
    ],
)
def test_what_a_statement_permits(text: str, permissive: bool) -> None:
    assert permits(text) is permissive


def test_a_claim_says_whether_it_speaks_of_an_obligation_in_every_case() -> None:
    assert read_claim("The police must share information.", ROLES, EVENTS).obliges
    assert read_claim("The police must always share information.", ROLES, EVENTS).universal
    assert not read_claim("The police must share information.", ROLES, EVENTS).universal
    assert read_claim("Sharing information is essential to keep children safe.", ROLES, EVENTS).explains
    assert read_claim("A review is there to learn lessons.", ROLES, EVENTS).explains
    assert not read_claim("The police must share information.", ROLES, EVENTS).explains
    assert not read_claim("A review conference looks at the plan.", ROLES, EVENTS).obliges


def test_the_share_of_a_statement_its_provisions_do_not_mention() -> None:
    provisions = ["Safeguarding partners publish a yearly report on their arrangements."]
    assert unmatched_share("The partners must publish reports on the arrangements.", provisions) == 0.0
    assert unmatched_share("Partners must publish minutes of a quarterly public hearing.", provisions) == 0.5
    assert unmatched_share("It is so.", provisions) == 0.0


def test_who_a_statement_says_is_told() -> None:
    assert recipients("Teachers must report known cases to the police.", ROLES) == {"police"}
    assert recipients("Refer the concern straight to children's social care.", ROLES) == {"la-social-care"}
    assert recipients("The police must share information.", ROLES) == set()


def test_quantities_outside_durations_years_and_group_counts_are_details() -> None:
    assert objects_named("Children aged 12 or over must be invited.") == {"number:12"}
    assert objects_named("It must be held within 15 working days.") == set()
    assert objects_named("Under the Children Act 2004 the three safeguarding partners must act.") == set()


@pytest.mark.parametrize(
    ("title", "text", "expected"),
    [
        ("The social worker leads the enquiries; others support", "", {"la-social-care"}),
        ("Holding a strategy discussion", "Whenever a child may be at risk, children's social care should "
         "convene one. The police should take part.", {"la-social-care"}),
        ("Notifying the Panel", "The legal duty to notify rests with the local authority.", {"local-authority"}),
        ("Evidence is passed on", "The police should be made aware of it.", set()),  # a passive
        ("A principle", "Practitioners should share information.", set()),  # everyone is nobody in particular
    ],
)  # fmt: skip
def test_who_a_provision_puts_its_duty_on(title: str, text: str, expected: set[str]) -> None:
    assert leads(title, text, ROLES) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("It's the police who convene the strategy discussion.", {"police"}),
        ("Police officers lead the enquiries and social workers support them.", {"police"}),
        ("Panels are set up by the police.", {"police"}),
        ("Every school must have a deputy designated safeguarding lead.", set()),  # "lead" is a noun here
        ("The council must act.", set()),  # an obligation, but nobody singled out
    ],
)
def test_who_a_statement_singles_out(text: str, expected: set[str]) -> None:
    assert focus(text, ROLES) == expected


def test_the_step_a_deadline_is_set_for() -> None:
    text = "A strategy discussion must be held within 24 hours of the referral."
    claim = read_claim(text, ROLES, EVENTS)
    assert (claim.event, claim.step) == ("referral-received", "strategy-discussion")
    assert step_before("After the strategy discussion, within 15 working days", 47, None, EVENTS) is None
    conditional = "If there was a strategy discussion, the 15 working days run from the referral."
    assert read_claim(conditional, ROLES, EVENTS).step is None  # another clause names it


def test_what_a_statement_allows_and_what_a_provision_restricts() -> None:
    assert allows("The DSL can hand lead responsibility over to a deputy.")
    assert not allows("Whether to have deputies is a matter for the school.")  # a choice, not a permission
    assert not allows("The plan can't be ended before the conference.")
    assert restricts("The plan may be ended only after that conference has taken place.")
    assert restricts("Lead responsibility should not be delegated.")
    assert not restricts("The receiving authority should convene a conference.")


@pytest.mark.parametrize(
    ("statement", "provision", "expected"),
    [
        ("Only the partners need to pass it on.", "A duty of all professionals, not only of the partners.", True),
        ("The duty covers suspected cases, not just known cases.", "It applies to known cases only.", False),
        ("The duty covers girls at risk, not just known cases.", "The duty applies only to known cases.", True),
        ("Share early, not only once the child is known.", "Whether problems are just emerging or not.", False),
        ("Only the council can apply.", "The council, not only the police, may apply.", False),
    ],
)  # fmt: skip
def test_limiting_what_the_provision_says_is_not_limited(
    statement: str, provision: str, expected: bool
) -> None:
    assert limits_what_is_not_limited(statement, provision) is expected
