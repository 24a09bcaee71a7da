"""What a statement claims, read from its words: a duration, the event it runs from, the actors it
names, and whether it denies that something is required.

The statutory checker compares these against the structured fields of the provisions it retrieves.
Embeddings find the provision a statement is about, but they cannot tell "15 working days" from "20
working days" or "must" from "doesn't need to"; these few deliberate readings can.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from kb.corpus import Role

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

# Events a timescale can run from, and the words people use for them. Keys match the corpus
# ``from=`` values where the guidance uses the event; the others are events people wrongly count from.
EVENTS: dict[str, tuple[str, ...]] = {
    "referral-received": ("the referral", "a referral", "referral was received", "receiving the referral"),
    "strategy-discussion": ("strategy discussion", "strategy meeting"),
    "initial-conference": ("initial conference", "initial child protection conference", "icpc"),
    "previous-review-conference": ("previous review", "last review", "first review"),
    "first-core-group": ("first core group",),
    "aware-of-incident": ("becoming aware", "finding out", "found out", "learning of", "became aware"),
    "incident-occurred": ("incident happened", "incident occurred", "date of the incident"),
    "incident-notified": ("notifying the national panel", "notifying the panel", "notification to the panel"),
    "notified-of-move": ("told about the move", "notified of the move", "notification of the move"),
    "family-moved": ("actually moved", "moved in", "date of the move"),
    "assessment-started": ("assessment begins", "assessment starts", "start of the assessment"),
    "death-registered": ("death was registered", "registration of the death"),
}
SAME_EVENT = {"referral-made": "referral-received"}
# How explanations name an event ("15 working days from the strategy discussion").
EVENT_NAMES = {
    "referral-received": "the referral",
    "referral-made": "the referral",
    "strategy-discussion": "the strategy discussion",
    "initial-conference": "the initial conference",
    "previous-review-conference": "the previous review conference",
    "first-core-group": "the first core group",
    "aware-of-incident": "becoming aware of the incident",
    "incident-occurred": "the incident itself",
    "incident-notified": "the notification to the national panel",
    "notified-of-move": "being told of the move",
    "family-moved": "the move itself",
    "assessment-started": "the start of the assessment",
    "core-assessment-start": "the start of the core assessment",
    "death-registered": "the registration of the death",
}


def event_name(key: str | None) -> str:
    return EVENT_NAMES.get(key or "", (key or "another event").replace("-", " "))


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
    return sorted(found, key=lambda item: item[1])


def _number(word: str) -> int:
    return int(word) if word.isdigit() else NUMBERS[word.lower()]


def event_after(text: str, position: int) -> str | None:
    """The first event named after ``position``: what a stated timescale runs from."""
    rest = text[position:].lower()
    best: tuple[int, str] | None = None
    for event, phrases in EVENTS.items():
        for phrase in phrases:
            at = rest.find(phrase)
            if at >= 0 and (best is None or at < best[0]):
                best = (at, event)
    return best[1] if best else None


def same_event(a: str, b: str) -> bool:
    return SAME_EVENT.get(a, a) == SAME_EVENT.get(b, b)


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


@dataclass(frozen=True)
class Claim:
    """The parts of a statement the checker can compare with a provision's structured fields."""

    text: str
    duration: Duration | None
    event: str | None
    roles: frozenset[str]
    denial: bool


def read_claim(text: str, roles: dict[str, Role]) -> Claim:
    """Read a statement once; the first duration it states is the one it claims."""
    spans = durations(text)
    duration, event = None, None
    if spans:
        duration, end = spans[0]
        event = event_after(text, end)
    return Claim(text, duration, event, frozenset(actors_claimed(text, roles)), denies(text))
