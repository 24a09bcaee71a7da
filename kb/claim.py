"""What a statement claims, read from its words: a duration, the event it runs from, the actors it
names, and whether it denies that something is required.

The statutory checker compares these against the structured fields of the provisions it retrieves.
Embeddings find the provision a statement is about, but they cannot tell "15 working days" from "20
working days" or "must" from "doesn't need to"; these few deliberate readings can.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from kb.corpus import Event, Role

NUMBERS = {
    "a": 1, "an": 1, "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7,
    "eight": 8, "nine": 9, "ten": 10, "eleven": 11, "twelve": 12, "fifteen": 15, "twenty": 20,
    "thirty": 30, "forty-five": 45,
}  # fmt: skip
_NUMBER = r"(\d+|" + "|".join(sorted(NUMBERS, key=len, reverse=True)) + r")"
_UNIT = r"(working[ -]days?|days?|hours?|weeks?|fortnights?|months?|years?)"
_DURATION = re.compile(rf"\b{_NUMBER}[ -]{_UNIT}\b", re.IGNORECASE)
_AGE = re.compile(r"[ -]olds?\b")
_FREQUENCY = re.compile(
    r"\b(?:once\s+)?(?:a|per|each|every)\s+(year|month|week|day)\b|\bannual(?:ly)?\b", re.I
)
# Frequencies said in one word or as "twice a year": the span between occurrences.
_PERIODIC = {
    "quarterly": (3, "month"), "every quarter": (3, "month"), "once a quarter": (3, "month"),
    "twice a year": (6, "month"), "biannually": (6, "month"), "six-monthly": (6, "month"),
    "monthly": (1, "month"), "weekly": (1, "week"), "fortnightly": (2, "week"), "daily": (1, "day"),
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
    r"|\bonly (?:have|has|need|needs) to\b|\bcan't be held\b|\bstop automatically\b|\bfall outside\b",
    re.IGNORECASE,
)


@dataclass(frozen=True)
class Duration:
    """An amount of time normalised so equal spans compare equal (a year is 12 months)."""

    amount: int
    unit: str  # working day | day | hour | week | month

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


def durations(text: str) -> list[tuple[Duration, int]]:
    """Every span of time the text states, with where it ends (to look for the event after it)."""
    found = [
        (normalise(_number(m.group(1)), m.group(2)), m.end())
        for m in _DURATION.finditer(text)
        if not _AGE.match(text, m.end())  # "a 12-year-old" is an age
    ]
    found += [(normalise(1, m.group(1) or "year"), m.end()) for m in _FREQUENCY.finditer(text)]
    periodic = [(normalise(*_PERIODIC[m.group(0).lower()]), m.end()) for m in _PERIODIC_RE.finditer(text)]
    taken = {end for _, end in periodic}  # "twice a year" is not also "a year"
    found = periodic + [(d, end) for d, end in found if end not in taken]
    return sorted(found, key=lambda item: item[1])


def _number(word: str) -> int:
    return int(word) if word.isdigit() else NUMBERS[word.lower()]


def event_after(text: str, position: int, events: dict[str, Event]) -> str | None:
    """The first event named after ``position``: what a stated timescale runs from."""
    rest = text[position:].lower()
    best: tuple[int, str] | None = None
    for event in events.values():
        for phrase in event.synonyms:
            at = rest.find(phrase)
            if at >= 0 and (best is None or at < best[0]):
                best = (at, event.key)
    return best[1] if best else None


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
    r"|\b(?:set up|run|led|chaired|convened|handled|done|carried out) by (?P<d>[^,.;]+)",
    re.IGNORECASE,
)
_OBLIGATION = re.compile(
    r"\b(?:must|should|shall|has to|have to|had to|needs? to|duty|required|responsible|obliged|legally)\b",
    re.IGNORECASE,
)
_NOT_ACTOR = re.compile(r"\bnot (?:the |us\b)?(?P<x>[^,.;]+)", re.IGNORECASE)


def actors_claimed(text: str, roles: dict[str, Role]) -> set[str]:
    """Who a statement says is responsible: the focus of "it's the police who", "only the X",
    "the X alone/itself", "set up by X" when present; otherwise, if it speaks of an obligation, every
    role it names, less any it rules out ("X, not Y"). The catch-all 'practitioners' names nobody
    in particular and is left out."""
    named = set()
    for match in _FOCUS.finditer(text):
        named |= roles_named(next(g for g in match.groups() if g), roles)
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
    r"\b(?:partners?|members?|membership)\b[^.;]*?"
    r"\b(?:are|is|consists? of|comprises?|made up of)\s+(?P<rest>[^.;]*)",
    re.IGNORECASE,
)
_EXPECTATION = re.compile(r"\b(?:expected|encouraged|able|free|allowed|invited|asked|meant)\b", re.I)


_MEMBER_OF = re.compile(
    r"^(?P<who>[^,.;]*?)\b(?:is|are)\s+(?:also\s+)?(?:one of|among|a|an)\s+(?:the\s+)?(?:\w+\s+){0,3}?"
    r"(?:partners?|members?)\b",
    re.IGNORECASE,
)


def members_claimed(text: str, roles: dict[str, Role]) -> set[str]:
    """The members a statement asserts a group has: the bodies named after "the partners are" /
    "consist of" ("the three partners are the local authority, the police and schools"), or before
    "is one of the partners" ("the police are one of the child death review partners"); empty when
    the statement says what members do ("partners are required to ...") rather than who they are."""
    match = _MEMBERSHIP.search(text)
    if match and not _OBLIGATION.search(match.group("rest")) and not _EXPECTATION.search(match.group("rest")):
        named = roles_named(match.group("rest"), roles) - GROUPS
        if len(named) >= 2:
            return named
    member = _MEMBER_OF.search(text)
    return roles_named(member.group("who"), roles) - GROUPS if member else set()


_ONLY = re.compile(r"\bonly\b|\bjust\b", re.IGNORECASE)

# Things a requirement can be about: the words that name one in a statement, and the stems by which a
# provision mentions it. A statement whose requirement is about one of these that no provision on the
# topic mentions has invented that detail ("partners must hold a quarterly public meeting").
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
    "fee": (r"fees?", ("fee", "charge", "pay")),
    "fine": (r"fined?|fines", ("fine", "penalt")),
    "vote": (r"votes?|ballots?", ("vote", "ballot", "elect")),
    "consent": (r"consent", ("consent", "agree", "permission")),
    "certificate": (r"certificates?", ("certif",)),
    "helpline": (r"helplines?|hotlines?", ("helpline", "hotline", "phone line")),
    "database": (r"databases?", ("database", "system")),
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
}


_COUNTED_GROUP = re.compile(
    r"(?:\s+\w+){0,2}?\s+(?:partners|members|agencies)\b", re.I
)  # "the three partners"
_YEAR = re.compile(r"(?:19|20)\d\d")  # "the Children Act 2004" states no quantity
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
    }
    return named


def mentions(provision_text: str, obj: str) -> bool:
    """Whether a provision's words mention an object (by any stem of it) or a quantity (in digits or
    in words)."""
    lowered = provision_text.lower()
    if obj.startswith("number:"):
        n = int(obj.split(":")[1])
        words = [w for w, v in NUMBERS.items() if v == n] + [str(n)]
        return any(re.search(rf"\b{w}\b", lowered) for w in words)
    return any(stem in lowered for stem in OBJECTS[obj][1])


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


def read_claim(text: str, roles: dict[str, Role], events: dict[str, Event]) -> Claim:
    """Read a statement once; the first duration it states is the one it claims."""
    spans = durations(text)
    duration, event = None, None
    if spans:
        duration, end = spans[0]
        event = event_after(text, end, events)
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
    )


def _without_events(text: str, events: dict[str, Event]) -> str:
    """The text less the events it names, so "45 days from the first home visit" does not read as a
    requirement about a visit."""
    for event in events.values():
        for phrase in event.synonyms:
            text = re.sub(re.escape(phrase), " ", text, flags=re.IGNORECASE)
    return text
