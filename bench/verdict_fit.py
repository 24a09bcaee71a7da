"""Fitting and honest scoring of the statutory checker's learned last stage (kb/verdict_model.py).

Folds are grouped by set and item (a statement's fold is its index within its set, mod 5), so each
fold holds a share of every set. A statement's features always come from rule decisions made with a
threshold fitted without its fold: the shipped model learns from such out-of-fold decisions, and in
cross-validation the model scored on fold k was fitted on the other folds' decisions, each made with a
threshold fitted without fold k and without its own fold.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Sequence
from typing import Any

from kb.checker import Checker
from kb.statutory import Decision, Example, decide, fit_threshold
from kb.verdict_model import VerdictModel, apply, features, fit

FOLDS = 5


def grouped_folds(sets: Sequence[str], folds: int = FOLDS) -> list[int]:
    """Each statement's fold: its index within its own set, mod ``folds``."""
    seen: Counter[str] = Counter()
    fold = []
    for name in sets:
        fold.append(seen[name] % folds)
        seen[name] += 1
    return fold


Without = Callable[..., float]  # the threshold fitted without the folds it is given


def thresholds(checker: Checker, data: Sequence[Example], fold: Sequence[int]) -> Without:
    """The threshold fitted without the given folds (each fitted once)."""
    fitted: dict[frozenset[int], float] = {}

    def without(*excluded: int) -> float:
        key = frozenset(excluded)
        if key not in fitted:
            kept = [e for e, f in zip(data, fold, strict=True) if f not in key]
            fitted[key] = fit_threshold(kept, checker.actors_match, checker.corpus.events)
        return fitted[key]

    return without


def rules_decision(checker: Checker, e: Example, threshold: float) -> Decision:
    return decide(e.claim, e.candidates, threshold, checker.actors_match, checker.corpus.events)


def _row(checker: Checker, e: Example, threshold: float) -> dict[str, float]:
    d = rules_decision(checker, e, threshold)
    return features(e.claim, e.candidates, d, threshold, checker.actors_match)


def fit_shipped(
    checker: Checker, data: Sequence[Example], fold: Sequence[int], without: Without
) -> dict[str, Any]:
    """The shipped model's weights, from each statement's decision with a threshold fitted without
    its fold."""
    rows = [_row(checker, e, without(f)) for e, f in zip(data, fold, strict=True)]
    return fit(rows, [e.gold for e in data])


def cross_validated(
    checker: Checker, data: Sequence[Example], fold: Sequence[int], without: Without
) -> tuple[list[str], list[str], list[float]]:
    """Each statement's rules-only verdict, the model's verdict and its probability, all decided
    without its fold."""
    rules, model, probability = [""] * len(data), [""] * len(data), [0.0] * len(data)
    for k in range(FOLDS):
        train = [i for i, f in enumerate(fold) if f != k]
        rows = [_row(checker, data[i], without(k, fold[i])) for i in train]
        fitted = VerdictModel(fit(rows, [data[i].gold for i in train])["weights"], {})
        threshold = without(k)
        for i, f in enumerate(fold):
            if f == k:
                e = data[i]
                d = rules_decision(checker, e, threshold)
                final, p = apply(fitted, e.claim, e.candidates, d, threshold, checker.actors_match)
                rules[i], model[i], probability[i] = d.verdict, final.verdict, p[final.verdict]
    return rules, model, probability
