"""A learned last stage for the statutory checker: the final verdict from what the rules compute.

The rules (kb.statutory) fit the wording of the sets they were tuned on; this stage is a multinomial
(four-verdict) L2-penalised logistic regression whose features are the rules' own decision and the
signals behind it (similarity, the statuses of the nearest provisions, the claim's flags, which of
its fields a provision contradicts), fitted on decisions made with a threshold fitted without the
statement's fold. Query time needs numpy only: the weights are a JSON file.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from functools import cached_property
from pathlib import Path
from typing import Any

import numpy as np

from kb.claim import Claim
from kb.statutory import (
    DESCRIBED,
    VERDICTS,
    Candidate,
    Decision,
    RoleCheck,
    about_provision,
    design,
    invented_detail,
    names_another,
    spans_like,
)

log = logging.getLogger(__name__)


class ModelError(ValueError):
    """The verdict model's file is missing or not a model this code can apply."""


def features(
    claim: Claim,
    candidates: Sequence[Candidate],
    decision: Decision,
    threshold: float,
    actors_match: RoleCheck,
) -> dict[str, float]:
    """What the model sees of one statement: the rules' verdict and reason, how far above the
    threshold and how far ahead of the next the best provision is, the statuses of the nearest
    provisions, the claim's flags, and which field of the provision it is about it differs on."""
    x = {"bias": 1.0, f"rule:{decision.verdict}": 1.0, f"reason:{decision.reason}": 1.0}
    x["unmatched"] = decision.unmatched
    x[f"unmatched:{decision.verdict}"] = decision.unmatched
    flags = {
        "obliges": claim.obliges,
        "permits": claim.permits,
        "explains": claim.explains,
        "universal": claim.universal,
        "denial": claim.denial,
        "only": claim.only,
        "duration": claim.duration is not None,
        "event": claim.event is not None,
        "members": bool(claim.members),
        "roles": bool(claim.roles),
        "recipients": bool(claim.recipients),
        "objects": bool(claim.objects),
    }
    x.update({f"claim:{name}": 1.0 for name, on in flags.items() if on})
    if not candidates:
        return x
    best = candidates[0].similarity
    x["above"] = best - threshold
    x["margin"] = best - (candidates[1].similarity if len(candidates) > 1 else 0.0)
    top = candidates[0].provision
    x[f"top:{top.status}:{top.force}"] = 1.0
    near = [c.provision for c in candidates[:3]]
    x["near_statutory"] = sum(p.status == "statutory" for p in near) / len(near)
    x["advice_close"] = float(
        any(c.provision.status == "advice" for c in candidates if c.similarity >= best - DESCRIBED)
    )
    p = about_provision(claim, candidates).provision
    if claim.duration is not None:
        spans = spans_like(p, claim.duration)
        x["span:" + ("same" if claim.duration in spans else "other" if spans else "none")] = 1.0
    if claim.members and p.members:
        x["members_differ"] = float(names_another(claim.members, p.members, actors_match))
    if claim.roles:
        x["actor_differs"] = float(not actors_match(claim.roles, p.roles))
    if claim.objects and not claim.denial:
        x["invented"] = float(invented_detail(claim, candidates) is not None)
    return x


def fit(rows: Sequence[dict[str, float]], gold: Sequence[str], l2: float = 1.0) -> dict[str, Any]:
    """Weights of a multinomial logistic regression (Newton's method, L2-penalised except the bias),
    one row of weights per verdict, as a JSON-ready dict."""
    names, x, penalty = design(rows, l2)
    y = np.array([[g == v for v in VERDICTS] for g in gold], dtype=float)
    k, d = len(VERDICTS), len(names)
    w = np.zeros((k, d))
    for _ in range(100):
        p = _softmax(x @ w.T)
        gradient = ((p - y).T @ x + penalty * w).ravel()
        # Hessian blocks: sum_i (p_ik [k == l] - p_ik p_il) x_i x_i^T
        weights = np.einsum("ik,kl->ikl", p, np.eye(k)) - np.einsum("ik,il->ikl", p, p)
        hessian = np.einsum("ikl,ia,ib->kalb", weights, x, x).reshape(k * d, k * d)
        hessian += np.diag(np.tile(penalty, k)) + 1e-6 * np.eye(k * d)
        step = np.linalg.solve(hessian, gradient).reshape(k, d)
        w -= step
        if np.abs(step).max() < 1e-8:
            break
    return {
        "verdicts": list(VERDICTS),
        "weights": {n: [round(float(v), 4) for v in w[:, j]] for j, n in enumerate(names)},
    }


def _softmax(z: np.ndarray) -> np.ndarray:
    z = z - z.max(axis=-1, keepdims=True)
    e = np.exp(z)
    return e / e.sum(axis=-1, keepdims=True)


@dataclass(frozen=True)
class VerdictModel:
    """Fitted weights (feature name -> one weight per verdict) and what they were fitted on."""

    weights: dict[str, list[float]]
    fitted_on: dict[str, Any]

    @classmethod
    def load(cls, path: Path) -> VerdictModel:
        """The model in a JSON file, or a ModelError that says what is wrong with it: checked here, so
        that a hand-edited file fails once at start-up, not on every verdict."""
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
            verdicts, weights, fitted_on = data["verdicts"], dict(data["weights"]), data.get("fitted_on", {})
        except (OSError, ValueError, KeyError, TypeError, AttributeError) as e:
            raise ModelError(f"cannot load the verdict model {path}: {e}") from e
        if verdicts != list(VERDICTS) or any(
            not isinstance(w, list) or len(w) != len(VERDICTS) for w in weights.values()
        ):
            raise ModelError(f"{path}: weights are not one per verdict {VERDICTS}")
        if not all(isinstance(v, int | float) for w in weights.values() for v in w):
            raise ModelError(f"{path}: weights are not numbers")
        return cls(weights, fitted_on)

    def save(self, path: Path) -> None:
        data = {"verdicts": list(VERDICTS), "weights": self.weights, "fitted_on": self.fitted_on}
        path.write_text(json.dumps(data, indent=2, sort_keys=True) + "\n", encoding="utf-8")

    @cached_property
    def _arrays(self) -> dict[str, np.ndarray]:
        """The weights as arrays, made once: every verdict reads a few of them."""
        return {name: np.array(w, dtype=float) for name, w in self.weights.items()}

    def probabilities(self, x: Mapping[str, float]) -> dict[str, float]:
        """The probability of each verdict for a feature row (features it was not fitted on count 0)."""
        z = np.zeros(len(VERDICTS))
        for name, value in x.items():
            if name in self._arrays:
                z += value * self._arrays[name]
        return dict(zip(VERDICTS, _softmax(z).tolist(), strict=True))


def revise(decision: Decision, candidates: Sequence[Candidate], verdict: str) -> Decision:
    """The rules' decision if the model agrees with it; else the model's verdict with evidence and a
    reason that fit it: ``status`` on the most similar provision of that status, ``low_similarity``
    for not_in_guidance, ``learned`` for a contradiction no rule named a field for. A status verdict
    with no provision of that status among the candidates stays the rules' one."""
    if verdict == decision.verdict:
        return decision
    if verdict == "not_in_guidance":
        return Decision(
            verdict, "low_similarity", candidates[0] if candidates else None, {}, decision.unmatched
        )
    if verdict == "contradicts":
        evidence = decision.evidence or (candidates[0] if candidates else None)
        return Decision(verdict, "learned", evidence, {}, decision.unmatched)
    fitting = next((c for c in candidates if c.provision.status == verdict), None)
    if fitting is None:
        return decision
    return replace(decision, verdict=verdict, reason="status", evidence=fitting, detail={})


def apply(
    model: VerdictModel,
    claim: Claim,
    candidates: Sequence[Candidate],
    decision: Decision,
    threshold: float,
    actors_match: RoleCheck,
) -> tuple[Decision, dict[str, float]]:
    """The final decision and the model's probability of each verdict."""
    probabilities = model.probabilities(features(claim, candidates, decision, threshold, actors_match))
    verdict = max(probabilities, key=lambda v: probabilities[v])
    return revise(decision, candidates, verdict), probabilities


def load_model(path: Path) -> tuple[VerdictModel | None, str | None]:
    """The shipped model, or None and why not: a checker without it gives the rules' verdict and says
    so in its answer (``verdict_model``), rather than failing every request."""
    try:
        return VerdictModel.load(path), None
    except ModelError as e:
        log.warning("%s; verdicts are the rules' alone", e)
        return None, f"rules only: {e}"
