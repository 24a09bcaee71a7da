""" "Is this statutory?": one verdict for a statement, with the provisions that prove it.

Retrieval finds the provisions a statement is about; the decision then compares what the statement
claims (kb.claim) with the best provision's structured fields. Verdicts, in the order they are tried:

1. ``not_in_guidance`` when no provision is similar enough (the threshold is fitted on the
   development set by ``calibrate``, never picked by hand), or when the statement sets a timescale
   and the provision it is about sets none;
2. ``contradicts`` when the provision covers it but differs: another timescale, another event the
   timescale runs from, another actor, the statement denies a statutory requirement, or it asserts
   what the provision is headed as denying;
3. otherwise the provision's own status: ``statutory`` (force must/should, with its basis) or ``advice``.
"""

from __future__ import annotations

import hashlib
import itertools
import json
import math
import re
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from kb.claim import Claim, Duration, durations, normalise, same_event
from kb.corpus import Provision

VERDICTS = ("statutory", "advice", "not_in_guidance", "contradicts")


@dataclass(frozen=True)
class Candidate:
    """A retrieved provision and its cosine similarity to the statement."""

    provision: Provision
    similarity: float


@dataclass(frozen=True)
class Decision:
    """The verdict, the provision it rests on (None when nothing matched), and why."""

    verdict: str
    reason: str  # status | low_similarity | no_timescale | timescale | event | actor | denial | polarity
    evidence: Candidate | None
    detail: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class Calibration:
    """The abstention threshold and the confidence curve, with what they were fitted on."""

    threshold: float
    slope: float
    intercept: float
    fitted_on: dict[str, Any]

    @classmethod
    def load(cls, path: Path) -> Calibration:
        return cls(**json.loads(path.read_text(encoding="utf-8")))

    def save(self, path: Path) -> None:
        path.write_text(json.dumps(asdict(self), indent=2, sort_keys=True) + "\n", encoding="utf-8")

    def in_guidance(self, similarity: float) -> float:
        """Probability that a statement this similar to its best provision is covered by the guidance."""
        return 1.0 / (1.0 + math.exp(-(self.slope * similarity + self.intercept)))


def stated_durations(p: Provision) -> set[Duration]:
    """The spans a provision sets: its structured timescale and any its text states (e.g. 'every
    12-month period' for a yearly report, which has no due date and so no ``within``)."""
    spans = {d for d, _ in durations(p.text)}
    if p.timescale:
        spans.add(normalise(p.timescale.amount, p.timescale.unit))
    return spans


TIMED_MARGIN = 0.1
# A provision headed as a denial ("Education is not a statutory safeguarding partner") contradicts a
# statement that asserts the same thing without the "not".
SUBORDINATE = re.compile(
    r"\b(?:when|if|where|unless|whether)\b", re.IGNORECASE
)  # only the main clause counts
NEGATED = re.compile(r"\b(?:is|are|does|do|was|were)(?: not|n't)\b|\bisn't\b|\baren't\b", re.IGNORECASE)


def _about(claim: Claim, candidates: Sequence[Candidate]) -> Candidate:
    """The provision the statement is about: the most similar one, except that a statement stating a
    timescale is about a provision that sets one, if such a one is nearly as similar (within
    ``TIMED_MARGIN``): "decide on a referral within one working day" is about the referral decision,
    not the general text on making referrals."""
    best = candidates[0]
    if claim.duration is None:
        return best
    timed = [
        c
        for c in candidates
        if stated_durations(c.provision) and c.similarity >= best.similarity - TIMED_MARGIN
    ]
    return timed[0] if timed else best


RoleCheck = Callable[[frozenset[str], tuple[str, ...]], bool]


def decide(
    claim: Claim, candidates: Sequence[Candidate], threshold: float, actors_match: RoleCheck
) -> Decision:
    """The verdict for a claim given its retrieved candidates (pure, so calibration can replay it)."""
    if not candidates or candidates[0].similarity < threshold:
        return Decision("not_in_guidance", "low_similarity", candidates[0] if candidates else None)
    best = _about(claim, candidates)
    p = best.provision
    if claim.duration is not None:
        spans = stated_durations(p)
        if not spans:
            return Decision("not_in_guidance", "no_timescale", best, {"claimed": str(claim.duration)})
        if claim.duration not in spans:
            said = ", ".join(sorted(map(str, spans)))
            return Decision("contradicts", "timescale", best, {"claimed": str(claim.duration), "says": said})
        if claim.event and p.timescale and not same_event(claim.event, p.timescale.start):
            return Decision("contradicts", "event", best, {"claimed": claim.event, "says": p.timescale.start})
    if claim.roles and not actors_match(claim.roles, p.roles):
        return Decision("contradicts", "actor", best, {"claimed": ", ".join(sorted(claim.roles))})
    if claim.denial and p.status == "statutory":
        return Decision("contradicts", "denial", best)
    if NEGATED.search(SUBORDINATE.split(p.title)[0]) and not NEGATED.search(claim.text):
        return Decision("contradicts", "polarity", best)
    return Decision(p.status, "status", best)


# ------------------------------------------------------------------------------------ calibration


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


def fit_threshold(examples: Sequence[Example], actors_match: RoleCheck) -> float:
    """The similarity threshold that maximises macro-F1 on the examples; of equally good thresholds,
    the middle one, so a small shift in the data moves it least."""
    sims = sorted({round(e.candidates[0].similarity, 4) for e in examples if e.candidates})
    grid = [(a + b) / 2 for a, b in itertools.pairwise(sims)] or sims
    gold = [e.gold for e in examples]
    scored = [
        (macro_f1(gold, [decide(e.claim, e.candidates, t, actors_match).verdict for e in examples]), t)
        for t in grid
    ]
    best = max(score for score, _ in scored)
    ties = [t for score, t in scored if score == best]
    return round(ties[len(ties) // 2], 4)


def fit_confidence(examples: Sequence[Example], steps: int = 200) -> tuple[float, float]:
    """Logistic regression of 'the guidance covers it' on the best similarity (Newton's method)."""
    xs = [e.candidates[0].similarity if e.candidates else 0.0 for e in examples]
    ys = [0.0 if e.gold == "not_in_guidance" else 1.0 for e in examples]
    slope, intercept = 0.0, 0.0
    for _ in range(steps):
        ps = [1 / (1 + math.exp(-(slope * x + intercept))) for x in xs]
        g0 = sum((p - y) * x for p, y, x in zip(ps, ys, xs, strict=True))
        g1 = sum(p - y for p, y in zip(ps, ys, strict=True))
        w = [p * (1 - p) for p in ps]
        h00 = sum(wi * x * x for wi, x in zip(w, xs, strict=True)) + 1e-6
        h01 = sum(wi * x for wi, x in zip(w, xs, strict=True))
        h11 = sum(w) + 1e-6
        det = h00 * h11 - h01 * h01
        slope -= (h11 * g0 - h01 * g1) / det
        intercept -= (h00 * g1 - h01 * g0) / det
    return round(slope, 4), round(intercept, 4)


def calibrate(examples: Sequence[Example], actors_match: RoleCheck, fitted_on: dict[str, Any]) -> Calibration:
    slope, intercept = fit_confidence(examples)
    return Calibration(fit_threshold(examples, actors_match), slope, intercept, fitted_on)


def file_digest(path: Path) -> str:
    """A short content hash, recorded so a stale calibration can be detected."""
    return hashlib.sha256(path.read_bytes()).hexdigest()[:16]
