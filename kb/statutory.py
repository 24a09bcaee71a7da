""" "Is this statutory?": one verdict for a statement, with the provisions that prove it.

Retrieval finds the provisions a statement is about; the decision then compares what the statement
claims (kb.claim) with the best provision's structured fields. Verdicts, in the order they are tried:

1. ``not_in_guidance`` when no provision is similar enough (the threshold is fitted on the
   development sets by ``calibrate``, never picked by hand; a claim about a recorded field may be a
   little below it), when the statement's requirement is about something no nearby provision
   mentions, when it sets a timescale of a kind the provision it is about does not set, or when it
   sets an every-time requirement mostly in words the guidance lacks;
2. ``contradicts`` when the provision covers it but differs: other members, a required participant
   denied, another timescale, another event the timescale runs from, another actor, the statement
   denies a statutory requirement, or it asserts what the provision is headed as denying;
3. ``advice`` for a statement of what may be done or what something is for, with no obligation in it;
4. otherwise the provision's own status: ``statutory`` (force must/should, with its basis) or ``advice``.
"""

from __future__ import annotations

import itertools
import json
import math
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path
from typing import Any

from kb.claim import (
    Claim,
    Duration,
    allows,
    durations,
    limits_what_is_not_limited,
    mentions,
    normalise,
    restricts,
    same_event,
    unmatched_share,
)
from kb.corpus import Event, Provision
from kb.filehash import file_sha256
from kb.timescale import parse_within

VERDICTS = ("statutory", "advice", "not_in_guidance", "contradicts")


@dataclass(frozen=True)
class Candidate:
    """A retrieved provision and its cosine similarity to the statement."""

    provision: Provision
    similarity: float
    # who the provision says something is reported to (kb.claim.recipients)
    told: frozenset[str] = frozenset()
    leads: frozenset[str] = frozenset()  # who the provision puts its duty on (kb.claim.leads)


@dataclass(frozen=True)
class Decision:
    """The verdict, the provision it rests on (None when nothing matched), and why."""

    verdict: str
    reason: str  # status | low_similarity | no_timescale | timescale | event | actor | denial | polarity
    evidence: Candidate | None
    detail: dict[str, str] = field(default_factory=dict)
    unmatched: float = 0.0  # share of the statement's content words no near provision has (confidence)


@dataclass(frozen=True)
class Calibration:
    """The abstention threshold and the confidence model, with what they were fitted on.

    ``weights`` are a logistic regression of "the verdict is right" on the features of a decision
    (``features``): its confidence is the probability that the verdict is right."""

    threshold: float
    weights: dict[str, float]
    fitted_on: dict[str, Any]

    @classmethod
    def load(cls, path: Path) -> Calibration:
        return cls(**json.loads(path.read_text(encoding="utf-8")))

    def save(self, path: Path) -> None:
        path.write_text(json.dumps(asdict(self), indent=2, sort_keys=True) + "\n", encoding="utf-8")

    def confidence(self, decision: Decision, candidates: Sequence[Candidate]) -> float:
        """The probability that this verdict is right."""
        x = features(decision, candidates)
        z = sum(self.weights.get(name, 0.0) * value for name, value in x.items())
        return 1.0 / (1.0 + math.exp(-z))


def stated_durations(p: Provision) -> set[Duration]:
    """The spans a provision sets: its structured timescale and frequency and any its text states (e.g.
    'every 12-month period' for a yearly report, which has no due date and so no ``within``)."""
    spans = {d for d, _ in durations(p.text)}
    if p.timescale:
        spans.add(normalise(p.timescale.amount, p.timescale.unit))
    if p.every:
        spans.add(replace(normalise(*parse_within(p.every)), recurring=True))
    return spans


def spans_like(p: Provision, claimed: Duration) -> set[Duration]:
    """The spans a provision sets of the claimed kind: a frequency ("the core group meets every six
    weeks") is compared with the provision's frequencies, a deadline with its deadlines, so a deadline
    for another step is not read as contradicting a frequency the guidance never sets."""
    return {d for d in stated_durations(p) if d.recurring == claimed.recurring}


SLACK = 0.05  # how far below the threshold a claim about a recorded field may be and still be decided
DESCRIBED = 0.05  # how much less similar an advice provision may be for a description to rest on it
UNMATCHED_INVENTED = 0.4  # share of unmatched words that makes an "every time" requirement invented
UNMATCHED_POOL = 3  # the provisions whose words a statement's words are looked for in
MARGIN = 0.1  # how much less similar a provision with the field a claim speaks of may be than the best
# A provision headed as a denial ("Education is not a statutory safeguarding partner") contradicts a
# statement that asserts the same thing without the "not".
SUBORDINATE = re.compile(
    r"\b(?:when|if|where|unless|whether)\b", re.IGNORECASE
)  # only the main clause counts
NEGATED = re.compile(r"\b(?:is|are|does|do|was|were)(?: not|n't)\b|\bisn't\b|\baren't\b", re.IGNORECASE)


def about_provision(claim: Claim, candidates: Sequence[Candidate]) -> Candidate:
    """The provision the statement is about: the most similar one, except that a statement about a
    field (a timescale, a membership, who takes part) is about a provision that sets that field, if
    one is nearly as similar (within ``MARGIN``): "decide on a referral within one working day" is
    about the referral decision, not the general text on making referrals."""
    best = candidates[0]
    near = [c for c in candidates if c.similarity >= best.similarity - MARGIN]
    for has_field in _fields_wanted(claim):
        fitting = [c for c in near if has_field(c.provision)]
        if fitting:
            return fitting[0]
    return best


def _fields_wanted(claim: Claim) -> list[Callable[[Provision], bool]]:
    """Tests for the provisions that record a field the claim speaks of, most telling first."""
    wanted: list[Callable[[Provision], bool]] = []
    if claim.members:  # the group it names ("the lead safeguarding partners") if one sets members
        wanted.append(lambda p: bool(p.members) and bool(claim.groups & set(p.roles)))
        wanted.append(lambda p: bool(p.members))
    if claim.duration is not None:
        duration = claim.duration
        wanted.append(lambda p: duration in spans_like(p, duration))
        wanted.append(lambda p: bool(spans_like(p, duration)))
    if (claim.denial or claim.only) and claim.named:
        wanted.append(lambda p: bool(p.participants))
    if claim.denial:  # a denial is about a requirement
        wanted.append(lambda p: p.status == "statutory")
    return wanted


def _close_enough(claim: Claim, candidates: Sequence[Candidate], threshold: float) -> bool:
    """Whether the statement is about something the guidance covers: its best provision is above the
    threshold, or it speaks of a field (a timescale, a membership, who takes part, a requirement it
    denies) that one of the three nearest provisions records, which a paraphrase far from the
    provision's words still contradicts or confirms ("the receiving council has 10 working days")."""
    best = candidates[0].similarity
    if best >= threshold or _denies_a_participant(claim, candidates[:3]) or _same_span(claim, candidates[:3]):
        return True
    return best >= threshold - SLACK and any(
        has_field(c.provision) for has_field in _fields_wanted(claim) for c in candidates[:3]
    )


RoleCheck = Callable[[frozenset[str], tuple[str, ...]], bool]


def _same_span(claim: Claim, nearest: Sequence[Candidate]) -> bool:
    """Whether the statement states the very span one of the nearest provisions sets, and counts it
    from an event ("the 45 working days run from the strategy discussion"): however worded, it is
    about that timescale."""
    duration = claim.duration
    return bool(duration and claim.event) and any(
        duration in spans_like(c.provision, duration) for c in nearest
    )


def _denies_a_participant(claim: Claim, nearest: Sequence[Candidate]) -> bool:
    """Whether the statement denies that a body one of the nearest provisions requires to take part
    need do so ("a strategy discussion doesn't need anyone from health"): however short, and so far
    from the provision's words, it is about that provision."""
    return claim.denial and any(set(claim.named) & set(c.provision.participants) for c in nearest)


def names_another(claimed: frozenset[str], actual: tuple[str, ...], match: RoleCheck) -> bool:
    """Whether a claimed set of bodies names one the actual set lacks (one left out is not counted:
    people shorten lists, and an alias the vocabulary lacks would read as one left out)."""
    return any(not match(frozenset({c}), actual) for c in claimed)


def _participants_differ(claim: Claim, p: Provision, match: RoleCheck) -> bool:
    """A required participant denied ("doesn't need anyone from health"), or left out of an "only" list."""
    if claim.denial:
        return any(match(frozenset({r}), p.participants) for r in claim.named)
    return claim.only and any(not match(claim.named, (r,)) for r in p.participants)


def invented_detail(claim: Claim, candidates: Sequence[Candidate]) -> str | None:
    """An object the claim's requirement is about that no provision near the top mentions."""
    best = candidates[0].similarity
    near = [c.provision for c in candidates if c.similarity >= best - MARGIN]
    for obj in sorted(claim.objects):
        if not any(mentions(f"{p.title} {p.text}", obj) for p in near):
            return obj
    return None


def decide(
    claim: Claim,
    candidates: Sequence[Candidate],
    threshold: float,
    actors_match: RoleCheck,
    events: Mapping[str, Event] | None = None,
) -> Decision:
    """The verdict for a claim given its retrieved candidates (pure, so calibration can replay it),
    with the share of its words the nearest provisions lack, which the confidence model weighs."""
    texts = [f"{c.provision.title} {c.provision.text}" for c in candidates[:UNMATCHED_POOL]]
    unmatched = unmatched_share(claim.text, texts)
    decision = _decide(claim, candidates, threshold, actors_match, events, unmatched)
    return replace(decision, unmatched=unmatched)


def _decide(
    claim: Claim,
    candidates: Sequence[Candidate],
    threshold: float,
    actors_match: RoleCheck,
    events: Mapping[str, Event] | None,
    unmatched: float,
) -> Decision:
    if not candidates or not _close_enough(claim, candidates, threshold):
        return Decision("not_in_guidance", "low_similarity", candidates[0] if candidates else None)
    best = about_provision(claim, candidates)
    p = best.provision
    if claim.members and p.members and names_another(claim.members, p.members, actors_match):
        return Decision("contradicts", "members", best, {"claimed": ", ".join(sorted(claim.members))})
    if p.participants and _participants_differ(claim, p, actors_match):
        return Decision("contradicts", "participants", best, {"claimed": ", ".join(sorted(claim.named))})
    invented = invented_detail(claim, candidates) if not claim.denial else None
    if invented:
        return Decision("not_in_guidance", "detail", best, {"claimed": invented})
    if claim.duration is not None:
        spans = spans_like(p, claim.duration)
        if not spans or _deadline_for_its_start(claim, p, events or {}):
            return Decision("not_in_guidance", "no_timescale", best, {"claimed": str(claim.duration)})
        if claim.duration not in spans:
            said = ", ".join(sorted(map(str, spans)))
            return Decision("contradicts", "timescale", best, {"claimed": str(claim.duration), "says": said})
        if claim.event and p.timescale and not same_event(claim.event, p.timescale.start, events or {}):
            return Decision("contradicts", "event", best, {"claimed": claim.event, "says": p.timescale.start})
    if claim.recipients and best.told and not actors_match(claim.recipients, tuple(best.told)):
        detail = {"claimed": ", ".join(sorted(claim.recipients)), "says": ", ".join(sorted(best.told))}
        return Decision("contradicts", "recipient", best, detail)
    holders = tuple(best.leads) or p.members  # a group's members carry a duty the provision gives no one
    if claim.focus and holders and not actors_match(claim.focus, holders):
        detail = {"claimed": ", ".join(sorted(claim.focus)), "says": ", ".join(sorted(holders))}
        return Decision("contradicts", "actor", best, detail)
    if claim.roles and not actors_match(claim.roles, p.roles):
        return Decision("contradicts", "actor", best, {"claimed": ", ".join(sorted(claim.roles))})
    if claim.denial and p.status == "statutory":
        return Decision("contradicts", "denial", best)
    if _asserts_what_is_denied(claim, p) or limits_what_is_not_limited(claim.text, p.text):
        return Decision("contradicts", "polarity", best)
    if p.status == "statutory" and not claim.obliges and allows(claim.text) and restricts(p.text):
        return Decision("contradicts", "polarity", best, {"claimed": "allowed"})
    if p.status == "statutory" and claim.universal and claim.obliges and unmatched >= UNMATCHED_INVENTED:
        return Decision("not_in_guidance", "detail", best, {"claimed": "requirement that applies every time"})
    described = _described(claim, candidates, best)
    if described:
        return Decision("advice", "status", described)
    if p.status == "statutory" and _explains_or_permits(claim):
        return Decision("advice", "status", best)
    return Decision(p.status, "status", best)


def _deadline_for_its_start(claim: Claim, p: Provision, events: Mapping[str, Event]) -> bool:
    """Whether the statement sets a deadline for the very step the provision's timescale runs from ("a
    strategy discussion within 24 hours" against "the conference within 15 working days of the
    strategy discussion"): the provision sets no timescale for that step."""
    return bool(claim.step and p.timescale and same_event(claim.step, p.timescale.start, events))


def _asserts_what_is_denied(claim: Claim, p: Provision) -> bool:
    """Whether the provision is headed as a denial ("Education is not a statutory safeguarding
    partner") and the statement says the same thing without the "not": it repeats at least half the
    words of the denying clause (only the main clause counts), so a statement on another point of
    the provision ("sharing information is essential") is not read as its opposite."""
    clauses = [c for c in re.split(r"[;:]", SUBORDINATE.split(p.title)[0]) if NEGATED.search(c)]
    if not clauses or NEGATED.search(claim.text):
        return False
    return unmatched_share(clauses[0], [claim.text]) <= 0.5


def _explains_or_permits(claim: Claim) -> bool:
    """A statement of what may be done ("anyone can make a referral") or of what something is for
    ("sharing information is essential to..."), with no obligation, denial or timescale in it, says
    what the guidance explains around a requirement, not the requirement."""
    if claim.obliges or claim.denial or claim.duration is not None:
        return False
    return claim.permits or claim.explains


def _described(claim: Claim, candidates: Sequence[Candidate], best: Candidate) -> Candidate | None:
    """An advice provision nearly as similar as a statutory best one, for a statement that speaks of
    no obligation: a description or explanation ("a review conference looks at whether the plan
    should continue") restates the guidance's explanation, not its requirement."""
    if best.provision.status != "statutory" or claim.obliges or claim.denial:
        return None
    near = [c for c in candidates if c.similarity >= best.similarity - DESCRIBED]
    return next((c for c in near if c.provision.status == "advice"), None)


# ------------------------------------------------------------------------------------ calibration

# Reasons grouped by how often such a verdict tends to be right: the confidence model learns one
# weight per group, so a reason seen a few times in the dev set does not get a weight of its own.
REASON_GROUPS = {
    "status": "status", "low_similarity": "abstain", "detail": "abstain", "no_timescale": "abstain",
    "timescale": "field", "event": "field", "members": "field", "participants": "field",
    "actor": "actor", "recipient": "actor", "denial": "denial", "polarity": "denial",
}  # fmt: skip


def features(decision: Decision, candidates: Sequence[Candidate]) -> dict[str, float]:
    """What the confidence model sees: how similar the best provision is, how far ahead of the next
    it is, and the verdict and reason (a field mismatch is surer than a status from a near miss)."""
    sims = [c.similarity for c in candidates] or [0.0]
    best = sims[0]
    second = sims[1] if len(sims) > 1 else 0.0
    x = {"bias": 1.0, "similarity": best, "margin": best - second}
    x[f"unmatched:{decision.verdict}"] = decision.unmatched
    x[f"verdict:{decision.verdict}"] = 1.0
    x[f"reason:{REASON_GROUPS.get(decision.reason, decision.reason)}"] = 1.0
    if decision.verdict == "statutory" and decision.evidence:
        x[f"force:{decision.evidence.provision.force}"] = 1.0
    return x


def design(rows: Sequence[dict[str, float]], l2: float) -> tuple[list[str], Any, Any]:
    """The feature names (sorted), the design matrix (a feature a row lacks is 0) and each feature's
    L2 penalty (none on the bias): shared by the confidence model and the learned verdict stage."""
    import numpy as np

    names = sorted({name for row in rows for name in row})
    x = np.array([[row.get(n, 0.0) for n in names] for row in rows])
    return names, x, np.array([0.0 if n == "bias" else l2 for n in names])


def fit_logistic(
    rows: Sequence[dict[str, float]], right: Sequence[bool], l2: float = 1.0
) -> dict[str, float]:
    """Weights of a logistic regression (Newton's method, L2-penalised except the bias) of "the verdict
    is right" on the feature rows; small and dependency-free, as the dev set is a few hundred rows."""
    import numpy as np

    names, x, l2s = design(rows, l2)
    y = np.array(right, dtype=float)
    penalty = np.diag(l2s)
    w = np.zeros(len(names))
    for _ in range(50):
        p = 1 / (1 + np.exp(-(x @ w)))
        gradient = x.T @ (p - y) + penalty @ w
        hessian = (x.T * (p * (1 - p))) @ x + penalty + 1e-9 * np.eye(len(names))
        step = np.linalg.solve(hessian, gradient)
        w -= step
        if np.abs(step).max() < 1e-8:
            break
    return {n: round(float(v), 4) for n, v in zip(names, w, strict=True)}


@dataclass(frozen=True)
class Example:
    """A development-set statement with its claim read and candidates retrieved, ready to replay."""

    statement: str
    gold: str
    claim: Claim
    candidates: tuple[Candidate, ...]


def macro_f1(gold: Sequence[str], predicted: Sequence[str]) -> float:
    """Mean F1 over the four verdicts, so abstaining is not rewarded for being the most common answer."""
    scores = []
    for verdict in VERDICTS:
        tp = sum(g == p == verdict for g, p in zip(gold, predicted, strict=True))
        fp = sum(p == verdict != g for g, p in zip(gold, predicted, strict=True))
        fn = sum(g == verdict != p for g, p in zip(gold, predicted, strict=True))
        scores.append(2 * tp / (2 * tp + fp + fn) if tp else 0.0)
    return sum(scores) / len(scores)


def fit_threshold(
    examples: Sequence[Example], actors_match: RoleCheck, events: Mapping[str, Event] | None = None
) -> float:
    """The similarity threshold that maximises macro-F1 on the examples; of equally good thresholds,
    the middle one, so a small shift in the data moves it least."""
    sims = sorted({round(e.candidates[0].similarity, 4) for e in examples if e.candidates})
    grid = [(a + b) / 2 for a, b in itertools.pairwise(sims)] or sims
    gold = [e.gold for e in examples]
    scored = [
        (
            macro_f1(
                gold, [decide(e.claim, e.candidates, t, actors_match, events).verdict for e in examples]
            ),
            t,
        )
        for t in grid
    ]
    best = max(score for score, _ in scored)
    ties = [t for score, t in scored if score == best]
    return round(ties[len(ties) // 2], 4)


def fit_confidence(
    examples: Sequence[Example], threshold: float, actors_match: RoleCheck, events: Mapping[str, Event]
) -> dict[str, float]:
    """The confidence model fitted on the examples' decisions at this threshold."""
    decisions = [decide(e.claim, e.candidates, threshold, actors_match, events) for e in examples]
    rows = [features(d, e.candidates) for d, e in zip(decisions, examples, strict=True)]
    return fit_logistic(rows, [d.verdict == e.gold for d, e in zip(decisions, examples, strict=True)])


def out_of_fold(
    examples: Sequence[Example], actors_match: RoleCheck, events: Mapping[str, Event], folds: int = 5
) -> list[tuple[Decision, float]]:
    """Each example's decision and confidence from a threshold and confidence model fitted on the other
    folds only: what the checker would say about a statement it was not fitted on."""
    answers: list[tuple[Decision, float] | None] = [None] * len(examples)
    for k in range(folds):
        train = [e for i, e in enumerate(examples) if i % folds != k]
        fitted = calibrate(train, actors_match, events, {})
        for i, e in enumerate(examples):
            if i % folds == k:
                d = decide(e.claim, e.candidates, fitted.threshold, actors_match, events)
                answers[i] = (d, fitted.confidence(d, e.candidates))
    return [a for a in answers if a is not None]


def calibrate(
    examples: Sequence[Example],
    actors_match: RoleCheck,
    events: Mapping[str, Event],
    fitted_on: dict[str, Any],
) -> Calibration:
    """The threshold that maximises macro-F1, then the confidence model of its decisions."""
    threshold = fit_threshold(examples, actors_match, events)
    return Calibration(threshold, fit_confidence(examples, threshold, actors_match, events), fitted_on)


def file_digest(path: Path) -> str:
    """A short content hash, recorded so a stale calibration can be detected."""
    return file_sha256(path)[:16]
