"""What a statement claims, read from its words: a duration, the event it runs from, the actors it
names, and whether it denies that something is required.

The statutory checker compares these against the structured fields of the provisions it retrieves.
Embeddings find the provision a statement is about, but they cannot tell "15 working days" from "20
working days" or "must" from "doesn't need to"; these few deliberate readings can.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field, replace

from kb.corpus import Event, Role

_UNITS = {
    "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7, "eight": 8, "nine": 9,
    "ten": 10, "eleven": 11, "twelve": 12, "thirteen": 13, "fourteen": 14, "fifteen": 15, "sixteen": 16,
    "seventeen": 17, "eighteen": 18, "nineteen": 19,
}  # fmt: skip
_TENS = {
    "twenty": 20, "thirty": 30, "forty": 40, "fifty": 50, "sixty": 60, "seventy": 70, "eighty": 80,
    "ninety": 90,
}  # fmt: skip
# Every number from one to ninety-nine in words ("forty-five", "twenty four"), and "a"/"an" for one.
NUMBERS = {
    "a": 1, "an": 1, **_UNITS, **_TENS,
    **{f"{t}{sep}{u}": tv + uv for t, tv in _TENS.items() for u, uv in _UNITS.items() if uv < 10
       for sep in ("-", " ")},
}  # fmt: skip
_NUMBER = r"(\d+|" + "|".join(sorted(NUMBERS, key=len, reverse=True)) + r")"
_UNIT = r"(working[ -]days?|school[ -]days?|days?|hours?|weeks?|fortnights?|months?|years?|terms?)"
_DURATION = re.compile(rf"\b{_NUMBER}[ -](?:calendar[ -])?{_UNIT}\b", re.IGNORECASE)
_AGE = re.compile(r"[ -]olds?\b")
_FREQUENCY = re.compile(
    r"\b(?:once\s+)?(?:a|per|each|every)\s+(?:calendar\s+)?(year|month|week|day|term)\b|\bannual(?:ly)?\b|\byearly\b",
    re.I,
)
# Words after which "a month" is one month's span ("within a month", "has a week to"), not "once a month"
_FROM_AFTER = re.compile(r"\s+(?:from|after|of|since)\b", re.I)
_SPAN_BEFORE = re.compile(
    r"\b(?:within|in|after|before|for|than|of|by|over|under|to|up to|has|have|had|gets?|given|takes?)\s+$",
    re.I,
)
# Frequencies said in one word or as "twice a year": the span between occurrences.
_PERIODIC = {
    "quarterly": (3, "month"), "every quarter": (3, "month"), "once a quarter": (3, "month"),
    "twice a year": (6, "month"), "biannually": (6, "month"), "six-monthly": (6, "month"),
    "monthly": (1, "month"), "weekly": (1, "week"), "fortnightly": (2, "week"), "daily": (1, "day"),
    "termly": (1, "term"), "every other year": (24, "month"), "biennially": (24, "month"),
    "next working day": (1, "working day"), "following working day": (1, "working day"),
}  # fmt: skip
_PERIODIC_RE = re.compile(r"\b(?:" + "|".join(map(re.escape, _PERIODIC)) + r")\b", re.IGNORECASE)


def event_name(key: str | None, events: dict[str, Event]) -> str:
    """How an explanation names an event ("the strategy discussion")."""
    event = events.get(key or "")
    return event.name if event else (key or "another event").replace("-", " ")


_DENIAL = re.compile(
    r"\b(?:do(?:es)?n't|do(?:es)? not|never|no)\s+(?:\w+\s+){0,2}?"
    r"(?:need|have|has|required|requirement|duty|obligation)"
    r"|\b(?:isn't|is not|aren't|are not|not)\s+(?:\w+\s+){0,2}?"
    r"(?:required|necessary|needed|mandatory|obliged|looked after)"
    r"|\boptional\b|\bonly (?:advice|good practice|guidance)\b|\bjust good practice\b|\bpurely\b"
    r"|\bcan(?:not|'t)? (?:refuse|turn down|decline|ignore)\b|\bwhenever it (?:thinks|wants)\b"
    r"|\bonly (?:have|has|need|needs) to\b|\bcan't be held\b|\bstop automatically\b|\bfall outside\b"
    r"|\bexempt\b|\bno need\b|\bdiscretion(?:ary)?\b|\b(?:can|may) (?:choose|decide) (?:not|whether)\b"
    r"|\bnot bound\b|\bnothing (?:requires|obliges)\b|\b(?:do(?:es)?n't|do(?:es)? not) apply\b",
    re.IGNORECASE,
)


@dataclass(frozen=True)
class Duration:
    """An amount of time normalised so equal spans compare equal (a year is 12 months). Whether it
    recurs ("every six weeks") or is a deadline ("within six weeks") is noted but not compared, so
    that a frequency and a deadline of one span are equal spans."""

    amount: int
    unit: str  # working day | day | hour | week | month
    recurring: bool = field(default=False, compare=False)

    def __str__(self) -> str:
        return f"{self.amount} {self.unit}{'' if self.amount == 1 else 's'}"


def normalise(amount: int, unit: str) -> Duration:
    """One spelling per span: 'working-days' -> 'working day', years -> months, fortnights -> weeks."""
    unit = unit.lower().replace("-", " ").rstrip("s")
    if unit == "year":
        return Duration(amount * 12, "month")
    if unit == "fortnight":
        return Duration(amount * 2, "week")
    return Duration(amount, unit)


_RECURS = re.compile(
    r"\b(?:every|each|intervals? of|(?:no|not) (?:more|longer) than)\s+(?:\w+\s+){0,2}$", re.IGNORECASE
)  # "at least every six weeks", "at intervals of no more than six months" before a span
_DEADLINES = {"next working day", "following working day"}  # periodic words that are a deadline


def durations(text: str) -> list[tuple[Duration, int]]:
    """Every span of time the text states, with where it ends (to look for the event after it);
    a frequency ("once a year", "quarterly", "every six weeks") is marked ``recurring``."""
    found = [
        (
            replace(
                normalise(_number(m.group(1)), m.group(2)),
                recurring=bool(_RECURS.search(text, 0, m.start()) or _apart(text, m.end())),
            ),
            m.end(),
        )
        for m in _DURATION.finditer(text)
        if not _AGE.match(text, m.end())  # "a 12-year-old" is an age
    ]
    frequencies = [(_frequency(text, m), m.end()) for m in _FREQUENCY.finditer(text)]
    periodic = [
        (
            _periodic(m.group(0)),
            m.end(),
        )
        for m in _PERIODIC_RE.finditer(text)
    ]
    # Where readings end at one place, the more specific wins: "twice a year" is not also "a year",
    # and "once a year" is a frequency, not the span "a year".
    for better in (frequencies, periodic):
        taken = {end for _, end in better}
        found = better + [(d, end) for d, end in found if end not in taken]
    return sorted(found, key=lambda item: item[1])


def _frequency(text: str, m: re.Match[str]) -> Duration:
    """The span a frequency names: "once a month" and "every month" recur, but "a month" after a
    word that opens a span ("within a month", "has a calendar month to") or before the event it runs
    from ("a month after the conference") is a one-month deadline, unless the span is itself a gap
    between occurrences ("no more than a year")."""
    span = normalise(1, m.group(1) or "year")
    counted = _SPAN_BEFORE.search(text, 0, m.start()) or _FROM_AFTER.match(text, m.end())
    if m.group(0).split()[0].lower() == "a" and counted and not _RECURS.search(text, 0, m.start()):
        return span
    return replace(span, recurring=True)


def _periodic(words: str) -> Duration:
    """The span a one-word frequency or deadline names ("quarterly", "the next working day")."""
    return replace(normalise(*_PERIODIC[words.lower()]), recurring=words.lower() not in _DEADLINES)


def _apart(text: str, end: int) -> bool:
    """Whether a span is followed by "apart" ("meetings no more than six weeks apart")."""
    return bool(re.match(r"\s+apart\b", text[end:]))


def _number(word: str) -> int:
    return int(word) if word.isdigit() else NUMBERS[word.lower()]


def event_after(text: str, position: int, events: dict[str, Event]) -> str | None:
    """The event a stated timescale runs from: one the statement marks as a start ("once the first
    home visit is done", "after the strategy discussion"), else the first named after ``position``;
    an event the statement rules out ("not when the referral came in") is neither, and nor is one said
    to happen at the span ("after the first review conference at three months": the span is when it
    happens, not what runs from it)."""
    named = sorted(_events_named(text, events))
    marked = [
        key
        for at, key in named
        if _START.search(text, max(0, at - 60), at) and not _AT_SPAN.match(text, at, position)
    ]
    if marked:
        return marked[0]
    after = [key for at, key in named if at >= position]
    return after[0] if after else None


def step_before(text: str, position: int, start: str | None, events: dict[str, Event]) -> str | None:
    """The step a stated timescale is a deadline for, when the statement names it as an event in the
    clause before the span and names the event the span runs from ("a strategy discussion must be held
    within 24 hours of the referral"): the first such event other than the start."""
    if start is None:
        return None
    before = sorted(
        (at, key)
        for at, key in _events_named(text, events)
        if at < position and key != start and not re.search(r"[,;:]", text[at:position])
    )
    return before[0][1] if before else None


_START = re.compile(
    r"(?:\b(?:from|after|once|since|following)\b(?:\s+\S+){0,8}|\b(?:of|when)\b(?:\s+\S+){0,2})\s+$",
    re.IGNORECASE,
)
_AT_SPAN = re.compile(r"[^,;:]*\bat\s+(?:about\s+|around\s+|roughly\s+)?\S+[ -]\S+$", re.IGNORECASE)
_RULED_OUT = re.compile(r"\b(?:not|rather than|instead of)\s+(?:\S+\s+){0,3}$", re.IGNORECASE)


def _events_named(text: str, events: dict[str, Event]) -> list[tuple[int, str]]:
    """Where each event is named (its first synonym found there), less those ruled out."""
    lowered = text.lower()
    found: dict[int, str] = {}
    for event in events.values():
        for phrase in sorted(event.synonyms, key=len, reverse=True):
            for m in re.finditer(re.escape(phrase), lowered):
                if not _RULED_OUT.search(lowered, max(0, m.start() - 30), m.start()):
                    found.setdefault(m.start(), event.key)
    return list(found.items())


def same_event(a: str, b: str, events: dict[str, Event]) -> bool:
    """Whether two event keys are one event (``same_as`` in corpus/events.yaml)."""

    def canonical(key: str) -> str:
        event = events.get(key)
        return event.same_as if event and event.same_as else key

    return canonical(a) == canonical(b)


def roles_named(text: str, roles: dict[str, Role]) -> set[str]:
    """Roles a statement names by their aliases, longest alias first, so that "local authority
    designated officer" names the LADO and not also the local authority."""
    lowered = text.lower()
    aliases = sorted(
        ((a.lower(), key) for key, r in roles.items() for a in r.aliases), key=lambda x: -len(x[0])
    )
    taken: list[range] = []
    named: set[str] = set()
    for alias, key in aliases:
        if alias not in lowered:  # most aliases are absent: skip building their pattern
            continue
        for match in re.finditer(rf"(?<![\w-]){re.escape(alias)}(?![\w-])", lowered):
            span = range(match.start(), match.end())
            if not any(span.start < t.stop and t.start < span.stop for t in taken):
                taken.append(span)
                named.add(key)
    return named


_NOT_OPTIONAL = re.compile(r"\b(?:isn't|is not|not)\s+optional\b", re.IGNORECASE)


def denies(text: str) -> bool:
    """Whether a statement says something is not required, optional, or may be refused
    ("isn't optional" is the opposite, and is removed before looking)."""
    return bool(_DENIAL.search(_NOT_OPTIONAL.sub("", text)))


_FOCUS = re.compile(
    r"\bit(?:'s| is| was) (?:the )?(?P<a>[^,.;]+?)(?: who\b| that\b|,)"
    r"|\bonly (?:the )?(?P<b>[^,.;]+?) (?:need|needs|has|have|must|can|should)\b"
    r"|\b(?P<c>[^,.;]+?) (?:alone|itself|themselves)\b"
    r"|\b(?:set up|run|led|chaired|convened|handled|done|carried out) by (?P<d>[^,.;]+)"
    r"|^(?P<e>(?:(?!\b(?:must|should|shall|has|have|needs?|requires?|says?|can|may|will|is|are)\b)[^,.;])+?)"
    r" (?:leads?|chairs?|convenes?|runs?|carr(?:y|ies) out|decides?|takes? the lead"
    r"|(?:is|are) (?:responsible|in charge|the lead))\b",
    re.IGNORECASE,
)
_LEAD = re.compile(
    r"^(?P<who>[^.;:]+?)\s+(?:must|should|shall|leads?|convenes?|chairs?|notif(?:y|ies)"
    r"|(?:is|are) responsible|(?:has|have) (?:a|the) (?:legal |statutory )?duty)\b(?!\s+(?:be|not)\b)"
    r"|\b(?:rests?|sits?|lies|lie) with (?P<with>[^.;,]+)"
    r"|\b(?:led|convened|chaired|run|set up|carried out) by (?P<by>[^.;,]+)",
    re.IGNORECASE,
)  # the subject of a sentence's first duty, or who a duty rests with or a step is led by


def leads(title: str, text: str, roles: dict[str, Role]) -> set[str]:
    """Who a provision puts its duty on: the roles named as the subject of the first "must", "should",
    "leads", "convenes", "is responsible" (not "should be", a passive), or after "rests with" or "led
    by", in its title, else in the first of its sentences that names one. Only the words after the last
    comma of a subject count, so "Whenever there is ..., children's social care should" names social
    care and not what the clause before it mentions."""
    for sentence in [title, *re.split(r"(?<=[.;:])\s+", text)]:
        for match in _LEAD.finditer(sentence):
            who = match.group("with") or match.group("by") or match.group("who").split(",")[-1]
            named = roles_named(who, roles) - {"all-practitioners"}
            if named:
                return named
    return set()


_OBLIGATION = re.compile(
    r"\b(?:must|should|shall|has to|have to|had to|needs? to|duty|required|responsible|obliged|legally"
    r"|expected|shouldn't|mustn't)\b",
    re.IGNORECASE,
)
_NOT_ACTOR = re.compile(r"\bnot (?:the |us\b)?(?P<x>[^,.;]+)", re.IGNORECASE)


def focus(text: str, roles: dict[str, Role]) -> set[str]:
    """Who a statement singles out as the one who acts: "it's the police who", "only the X", "the X
    alone/itself", "set up by X", "X leads/chairs/is responsible"."""
    return _singled_out(text, roles) - {"all-practitioners"}


def _singled_out(text: str, roles: dict[str, Role]) -> set[str]:
    named: set[str] = set()
    for match in _FOCUS.finditer(text):
        named |= roles_named(next(g for g in match.groups() if g), roles)
    return named


def actors_claimed(text: str, roles: dict[str, Role]) -> set[str]:
    """Who a statement says is responsible: the focus of "it's the police who", "only the X",
    "the X alone/itself", "set up by X" when present; otherwise, if it speaks of an obligation, every
    role it names, less any it rules out ("X, not Y"). The catch-all 'practitioners' names nobody
    in particular and is left out."""
    named = _singled_out(text, roles)
    if not named and not _OBLIGATION.search(text):
        return set()  # "YOTs sit within the council" describes; it does not say who must act
    if not named:
        named = roles_named(text, roles)
        for match in _NOT_ACTOR.finditer(text):
            named -= roles_named(match.group("x"), roles)
    return named - {"all-practitioners"}


# Roles that name a group rather than a body in it: "the safeguarding partners are ..." names its members
# after the verb, and the group itself is not one of them.
GROUPS = {
    "safeguarding-partners", "lead-safeguarding-partners", "delegated-safeguarding-partners",
    "child-death-review-partners", "relevant-agencies", "all-practitioners",
}  # fmt: skip
_MEMBERSHIP = re.compile(
    r"\b(?:partner(?P<one>\s+role)?|partners|members?|membership)\b[^.;]*?"
    r"\b(?P<verb>are|is|consists? of|comprises?|made up of|sits? with|rests? with)\s+(?P<rest>[^.;]*)",
    re.IGNORECASE,
)
_OTHER_THAN = re.compile(
    r"\b(?:rather than|instead of|not)\b.*", re.IGNORECASE
)  # "X rather than Y": Y is not claimed
_EXPECTATION = re.compile(r"\b(?:expected|encouraged|able|free|allowed|invited|asked|meant)\b", re.I)


_MEMBER_OF = re.compile(
    r"^(?P<who>[^.;]*?)\b(?:is|are|form|make up)\s+(?:also\s+)?(?:one of|among|a|an|the)\s+(?:the\s+)?"
    r"(?:[\w']+\s+){0,3}?(?:partners?|members?)\b",
    re.IGNORECASE,
)


def members_claimed(text: str, roles: dict[str, Role]) -> set[str]:
    """The members a statement asserts a group has: the bodies named after "the partners are" /
    "consist of" ("the three partners are the local authority, the police and schools"), or before
    "is one of the partners" / "are the partners" ("the police are one of the child death review
    partners", "the council and the ICB form the partners"); empty when
    the statement says what members do ("partners are required to ...") rather than who they are."""
    match = _MEMBERSHIP.search(text)
    if match and not _OBLIGATION.search(match.group("rest")) and not _EXPECTATION.search(match.group("rest")):
        named = roles_named(_OTHER_THAN.sub("", match.group("rest")), roles) - GROUPS
        singular = match.group(0).lower().startswith("partner ") and match.group("verb").lower() != "are"
        if len(named) >= (1 if singular else 2):  # "the lead partner is X" names one; "partners are" more
            return named
    member = _MEMBER_OF.search(text)
    return roles_named(member.group("who"), roles) - GROUPS if member else set()


_ONLY = re.compile(r"(?<!not )\b(?:only|just)\b", re.IGNORECASE)  # "not only X" does not limit to X
_PERMISSIVE = re.compile(
    r"\b(?:can|could|may|might)\b|\ba matter for\b|\bup to (?:the|each|them|it)\b"
    r"|\bfor (?:them|it|the \w+) to decide\b",
    re.IGNORECASE,
)
_AS_FAR_AS = re.compile(r"\bas (?:far|soon|much|well) as (?:\w+ )?(?:can|could|may|might)\b", re.IGNORECASE)


_TOLD = re.compile(
    r"\b(?:report|refer|notif|tell|told|inform|pass|send|sent)\w*\b[^.;]{0,40}?\bto (?:the |a |an )?"
    r"(?P<who>[^.;,]+)",
    re.IGNORECASE,
)


def recipients(text: str, roles: dict[str, Role]) -> set[str]:
    """The bodies a statement or provision says something is reported or referred to ("report to the
    police a known case", "refer them to children's social care"): the first such phrase only."""
    match = _TOLD.search(text)
    return roles_named(match.group("who"), roles) - GROUPS if match else set()


_EXPLAINS = re.compile(
    r"\b(?:is|are) (?:there|designed|intended|used|started|held|set up)\b"
    r"|\b(?:is|are) (?:important|essential|vital|key|crucial)\b"
    r"|\b(?:the )?(?:purpose|aim|point|role) of\b|\bhelps?\b|\bplays? a\b",
    re.IGNORECASE,
)  # a statement of purpose or importance, which explains rather than requires
_UNIVERSAL = re.compile(r"\b(?:every|whenever|always)\b", re.IGNORECASE)


_ALLOWS = re.compile(r"\b(?:can|may|could)\b(?! (?:not|never)\b)|\b(?:allowed|fine|free) to\b", re.IGNORECASE)
_RESTRICTS = re.compile(
    r"\b(?:should|must|may|can) not\b|\b(?:cannot|can't|mustn't|shouldn't|never)\b"
    r"|\bonly (?:after|once|when|where|if|in exceptional)\b",
    re.IGNORECASE,
)  # a prohibition, or a step allowed only after another or only exceptionally


def allows(text: str) -> bool:
    """Whether a statement says something may be done ("the DSL can hand over", "it's fine to"), not
    leaving a choice ("a matter for the school"), and itself denies nothing."""
    return bool(_ALLOWS.search(_AS_FAR_AS.sub("", text))) and not _RESTRICTS.search(text)


def restricts(text: str) -> bool:
    """Whether a provision forbids something or allows it only after another step or exceptionally."""
    return bool(_RESTRICTS.search(text))


# "just" followed by an -ing word ("just emerging") is an adverb of time, not a limit
_NOT_ONLY = re.compile(
    r"\bnot (?:only|just(?! \w+ing\b)|solely)\s+(?:(?:of|by|for|to|in)\s+)?(?P<x>[^,.;()]+)", re.IGNORECASE
)
_ONLY_X = re.compile(r"(?<!not )\b(?:only|just(?! \w+ing\b)|solely)\s+(?P<x>[^,.;()]+)", re.IGNORECASE)


def limits_what_is_not_limited(statement: str, provision_text: str) -> bool:
    """Whether a statement limits to X ("only the partners need to pass it on") what the provision says
    is not limited to X ("not only of the partners"), or the reverse: most of the words of X are the
    same on both sides."""
    for limited, unlimited in ((statement, provision_text), (provision_text, statement)):
        for wide in _NOT_ONLY.finditer(unlimited):
            for narrow in _ONLY_X.finditer(limited):
                if unmatched_share(wide.group("x"), [narrow.group("x")]) <= 0.5:
                    return True
    return False


def permits(text: str) -> bool:
    """Whether a statement says what may or can be done, or leaves a choice to someone, rather than
    what must be ("as far as we can" qualifies a duty, and is removed before looking)."""
    return bool(_PERMISSIVE.search(_AS_FAR_AS.sub("", text)))


# Things a requirement can be about: the words that name one in a statement, and the stems (regular
# expressions matched at the start of a word) by which a provision mentions it. A statement whose
# requirement is about one of these that no provision on the topic mentions has invented that detail
# ("partners must hold a quarterly public meeting").
OBJECTS: dict[str, tuple[str, tuple[str, ...]]] = {
    "meeting": (r"meetings?", ("meeting", "meet")),
    "report": (r"reports?", ("report",)),
    "register": (r"registers?", ("register",)),
    "audit": (r"audits?", ("audit",)),
    "inspection": (r"inspections?", ("inspect",)),
    "visit": (r"visits?", ("visit",)),
    "training": (r"training", ("train",)),
    "policy": (r"polic(?:y|ies)", ("policy", "policies", "procedure")),
    "website": (r"websites?", ("website", "online", "publish")),
    "newsletter": (r"newsletters?", ("newsletter",)),
    "fee": (r"fees?", ("fee", "payment", "paid", "charging")),
    "fine": (r"fined?|fines", ("fine", "penalt")),
    "vote": (r"votes?|ballots?", ("vote", "ballot", "elect")),
    "consent": (r"consent", ("consent", "agree", "permission")),
    "certificate": (r"certificates?", ("certif",)),
    "helpline": (r"helplines?|hotlines?", ("helpline", "hotline", "phone line")),
    "database": (r"databases?", ("database",)),
    "insurance": (r"insurance", ("insurance",)),
    "licence": (r"licen[cs]es?", ("licen",)),
    "questionnaire": (r"questionnaires?|surveys?", ("questionnaire", "survey")),
    "signature": (r"signatures?", ("sign",)),
    "letter": (r"letters?", ("letter", "writing")),
    "interview": (r"interviews?", ("interview",)),
    "hearing": (r"hearings?", ("hearing", "court")),
    "budget": (r"budgets?", ("budget", "fund", "money")),
    "appeal": (r"appeals?", ("appeal",)),
    "exam": (r"exams?", ("exam", "test")),
    "register-of-interests": (r"register of interests", ("interests",)),
    "panel": (r"panels?", ("panel",)),
    "committee": (r"committees?|sub-committees?", ("committee",)),
    "form": (r"forms?", (r"forms?\b", "template", "pro forma")),
    "subscription": (r"subscriptions?|levy|levies|membership fees?", ("subscri", "levy", "fee")),
    "badge": (r"badges?|id cards?|lanyards?", ("badge", "identi", "lanyard")),
    "app": (r"apps?|portals?|software", (r"apps?\b", "portal", "software", "electronic")),
    "presence": (
        r"in person|face[ -]to[ -]face|physically|on site",
        ("in person", "face to face", "face-to-face", "physical", "on site"),
    ),
    "credential": (
        r"registered|qualified|accredited|chartered|certified|licensed",
        ("regist", "qualif", "accredit", "charter", "certif", "licen"),
    ),
    "rank": (r"rank|grade", ("rank", "grade")),
    "minutes": (r"minutes", ("minute", "record")),
    "contract": (r"contracts?", ("contract", "commission")),
}


_COUNTED_GROUP = re.compile(
    r"(?:\s+\w+){0,2}?\s+(?:partners|members|agencies)\b", re.I
)  # "the three partners"
_YEAR = re.compile(r"(?:19|20)\d\d")  # "the Children Act 2004" states no quantity
_PER = re.compile(r"-(?:yearly|monthly|weekly|daily)\b", re.I)  # "two-yearly" is how often, not how many
_QUANTITY = re.compile(r"\b(\d+|" + "|".join(w for w in NUMBERS if NUMBERS[w] > 1) + r")\b", re.IGNORECASE)


def objects_named(text: str) -> set[str]:
    """The things a statement's requirement is about, from the OBJECTS lexicon, and the quantities it
    states outside its durations ("aged 12 or over", "two deputies") as ``number:12``."""
    named = {
        key for key, (words, _) in OBJECTS.items() if re.search(rf"\b(?:{words})\b", text, re.IGNORECASE)
    }
    spans = [m.span() for m in _DURATION.finditer(text)]
    named |= {
        f"number:{_number(m.group(1))}"
        for m in _QUANTITY.finditer(text)
        if not any(a <= m.start() < b for a, b in spans)
        and not _YEAR.fullmatch(m.group(1))
        and not _COUNTED_GROUP.match(text, m.end())
        and not _PER.match(text, m.end())
    }
    return named


def mentions(provision_text: str, obj: str) -> bool:
    """Whether a provision's words mention an object (a word that starts with one of its stems, so
    "pay" is not found in "repay") or a quantity (in digits or in words)."""
    lowered = provision_text.lower()
    if obj.startswith("number:"):
        n = int(obj.split(":")[1])
        words = [w for w, v in NUMBERS.items() if v == n] + [str(n)]
        return any(re.search(rf"\b{w}\b", lowered) for w in words)
    return any(re.search(rf"\b{stem}", lowered) for stem in OBJECTS[obj][1])


@dataclass(frozen=True)
class Claim:
    """The parts of a statement the checker can compare with a provision's structured fields."""

    text: str
    duration: Duration | None
    event: str | None
    roles: frozenset[str]
    denial: bool
    members: frozenset[str] = frozenset()  # the membership it asserts
    named: frozenset[str] = frozenset()  # every role it names (a denial may deny any of them)
    only: bool = False  # "only X and Y": the roles it names are all there are
    objects: frozenset[str] = frozenset()  # what its requirement is about (OBJECTS)
    obliges: bool = False  # it speaks of an obligation (must, should, required, duty...)
    permits: bool = False  # it says what may or can be done, or leaves it to someone (can, may, a matter for)
    universal: bool = False  # it says something holds every time (every, whenever, always)
    explains: bool = False  # it says what something is for or why it matters ("is essential", "is there to")
    recipients: frozenset[str] = frozenset()  # who it says is told ("report known cases to the police")
    focus: frozenset[str] = frozenset()  # who it singles out as the one who acts ("it's the police who")
    step: str | None = None  # the event its timescale is a deadline for, named before the span
    groups: frozenset[str] = frozenset()  # the groups it names ("the lead safeguarding partners")


def read_claim(text: str, roles: dict[str, Role], events: dict[str, Event]) -> Claim:
    """Read a statement once; the first duration it states is the one it claims."""
    spans = durations(text)
    duration, event, step = None, None, None
    if spans:
        duration, end = spans[0]
        event = event_after(text, end, events)
        step = step_before(text, end, event, events)
    return Claim(
        text,
        duration,
        event,
        frozenset(actors_claimed(text, roles)),
        denies(text),
        frozenset(members_claimed(text, roles)),
        frozenset(roles_named(text, roles) - GROUPS),
        bool(_ONLY.search(text)),
        frozenset(objects_named(_without_events(text, events))),
        bool(_OBLIGATION.search(text)),
        permits(text),
        bool(_UNIVERSAL.search(text)),
        bool(_EXPLAINS.search(text)),
        frozenset(recipients(text, roles)),
        frozenset(focus(text, roles)),
        step,
        frozenset(roles_named(text, roles) & GROUPS),
    )


def _without_events(text: str, events: dict[str, Event]) -> str:
    """The text less the events it names, so "45 days from the first home visit" does not read as a
    requirement about a visit."""
    for event in events.values():
        for phrase in event.synonyms:
            text = re.sub(re.escape(phrase), " ", text, flags=re.IGNORECASE)
    return text


# Words that carry no detail of their own: function words, modals, and the names of the documents.
_PLAIN = frozenset(
    {
        "the", "a", "an", "and", "or", "of", "to", "in", "on", "for", "with", "by", "from", "at", "as",
        "is", "are", "be", "been", "was", "were", "it", "its", "this", "that", "these", "those",
        "their", "they", "them", "there", "we", "our", "us", "you", "your", "i", "my", "me", "he",
        "she", "his", "her", "which", "who", "whom", "whose", "what", "when", "where", "why", "how",
        "not", "no", "nor", "but", "if", "then", "than", "so", "such", "can", "could", "may", "might",
        "must", "should", "shall", "will", "would", "has", "have", "had", "do", "does", "did", "done",
        "doing", "very", "also", "just", "only", "more", "most", "much", "many", "some", "any", "all",
        "each", "every", "other", "another", "own", "same", "both", "either", "neither", "into", "onto",
        "out", "over", "under", "about", "after", "before", "during", "within", "without", "through",
        "between", "against", "up", "down", "off", "again", "further", "once", "here", "working",
        "together", "kcsie", "guidance", "says", "say", "said", "require", "requires", "required",
        "keeping", "children", "safe", "education",
    }
)  # fmt: skip


def content_words(text: str) -> set[str]:
    """The words of a statement that can carry a detail (four letters or more, not in ``_PLAIN``),
    singular ("meetings" is "meeting")."""
    words = re.findall(r"[a-z][a-z'-]+", text.lower())
    return {w.removesuffix("s") for w in words if len(w) > 3 and w not in _PLAIN}


def unmatched_share(text: str, provision_texts: list[str]) -> float:
    """The share of a statement's content words that no word of the provisions starts like (their first
    five letters): high when a statement adds details the guidance does not mention, low for a
    paraphrase."""
    words = content_words(text)
    if not words:
        return 0.0
    found = {w[:5] for t in provision_texts for w in re.findall(r"[a-z][a-z'-]+", t.lower())}
    return sum(w[:5] not in found for w in words) / len(words)
