"""Benchmark and calibration of the "is this statutory?" checker on tests/data/statutory_dev.yaml.

Prints accuracy, per-verdict precision and recall, statutory recall, evidence accuracy, the confusion
matrix and latency, against a retrieval-only baseline (the status of the top search hit) in the same
run, and the threshold's 5-fold cross-validated accuracy (fitted on four folds, scored on the fifth),
which is the honest figure for statements the threshold was not fitted on.

    python bench/statutory.py            # evaluate with the shipped kb/calibration.json
    python bench/statutory.py --write    # refit the threshold and confidence curve, then evaluate
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from pathlib import Path
from typing import Any

import yaml

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from report import save  # noqa: E402  (bench/report.py)

from kb.checker import Checker, examples  # noqa: E402
from kb.search import Query  # noqa: E402
from kb.service import Knowledge  # noqa: E402
from kb.settings import get_settings  # noqa: E402
from kb.statutory import VERDICTS, Calibration, Example, calibrate, decide, file_digest  # noqa: E402

DEV = ROOT / "tests" / "data" / "statutory_dev.yaml"


def scores(gold: list[str], predicted: list[str]) -> dict[str, Any]:
    """Accuracy, per-verdict precision/recall and the confusion matrix (rows gold, columns predicted)."""
    per = {}
    for v in VERDICTS:
        tp = sum(g == p == v for g, p in zip(gold, predicted, strict=True))
        said = sum(p == v for p in predicted)
        real = sum(g == v for g in gold)
        per[v] = {
            "precision": round(tp / said, 3) if said else None,
            "recall": round(tp / real, 3),
            "n": real,
        }
    matrix = {
        g: {p: sum(x == g and y == p for x, y in zip(gold, predicted, strict=True)) for p in VERDICTS}
        for g in VERDICTS
    }
    accuracy = sum(g == p for g, p in zip(gold, predicted, strict=True)) / len(gold)
    return {"accuracy": round(accuracy, 3), "per_verdict": per, "confusion": matrix}


def cross_validated(data: list[Example], checker: Checker, folds: int = 5) -> float:
    """Accuracy when each fold is judged with a threshold fitted on the other folds only."""
    right = 0
    for k in range(folds):
        train = [e for i, e in enumerate(data) if i % folds != k]
        test = [e for i, e in enumerate(data) if i % folds == k]
        fitted = calibrate(train, checker.actors_match, {})
        right += sum(
            decide(e.claim, e.candidates, fitted.threshold, checker.actors_match).verdict == e.gold
            for e in test
        )
    return round(right / len(data), 3)


def latency(kb: Knowledge, statements: list[str]) -> dict[str, float]:
    """Whole-check time with the query cache cleared, against bare query encoding in the same run."""
    checks, encodes = [], []
    encoder = kb.searcher.encoder  # the build's ONNX query model (or the fallback it says it uses)
    for s in statements:
        encoder.clear_cache()
        t = time.perf_counter()
        kb.statutory(s)
        checks.append(time.perf_counter() - t)
        encoder.clear_cache()
        t = time.perf_counter()
        encoder.encode_query(s)
        encodes.append(time.perf_counter() - t)
    p50, enc = statistics.median(checks), statistics.median(encodes)
    return {
        "check_p50_ms": round(p50 * 1000, 1),
        "check_p95_ms": round(statistics.quantiles(checks, n=20)[-1] * 1000, 1),
        "encode_p50_ms": round(enc * 1000, 1),
        "check_over_encode": round(p50 / enc, 2),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--write", action="store_true", help="refit and write kb/calibration.json first")
    args = parser.parse_args()
    settings = get_settings()
    kb = Knowledge(settings)
    items = yaml.safe_load(DEV.read_text(encoding="utf-8"))
    t0 = time.perf_counter()
    if args.write:
        bare = Checker(kb.corpus, kb.searcher, kb.searcher.embed_query, Calibration(0.0, 1.0, 0.0, {}))
        data = examples(bare, items)
        fitted_on = {
            "dev_set": DEV.name,
            "dev_sha": file_digest(DEV),
            "items": len(items),
            "model": settings.model_package,
        }
        calibrate(data, bare.actors_match, fitted_on).save(settings.calibration_file)
    checker = kb.checker
    data = examples(checker, items)
    gold = [e.gold for e in data]
    decisions = [
        decide(e.claim, e.candidates, checker.calibration.threshold, checker.actors_match) for e in data
    ]
    predicted = [d.verdict for d in decisions]
    baseline = [kb.search(Query(it["statement"], limit=1))[0].provision.status for it in items]
    with_evidence = [
        (it, d)
        for it, d in zip(items, decisions, strict=True)
        if it.get("evidence") and d.verdict == it["verdict"]
    ]
    evidence_right = sum(
        d.evidence is not None and d.evidence.provision.key == it["evidence"] for it, d in with_evidence
    )
    statutory = [(it, d) for it, d in zip(items, decisions, strict=True) if it["verdict"] == "statutory"]
    groups = sorted({it["group"] for it in items})
    report = {
        "items": len(items),
        "threshold": checker.calibration.threshold,
        "checker": scores(gold, predicted),
        "baseline_top_hit_status": scores(gold, baseline),
        "cross_validated_accuracy": cross_validated(data, checker),
        "statutory_recall": round(sum(d.verdict == "statutory" for _, d in statutory) / len(statutory), 3),
        "force_right_when_statutory": round(
            sum(
                d.evidence.provision.force == it.get("force")
                for it, d in statutory
                if d.verdict == "statutory"
            )
            / max(1, sum(d.verdict == "statutory" for _, d in statutory)),
            3,
        ),
        "evidence_accuracy": round(evidence_right / max(1, len(with_evidence)), 3),
        "accuracy_by_group": {
            g: round(
                sum(p == it["verdict"] for it, p in zip(items, predicted, strict=True) if it["group"] == g)
                / sum(it["group"] == g for it in items),
                3,
            )
            for g in groups
        },
        "accuracy_by_kind": {
            k: round(
                sum(p == it["verdict"] for it, p in zip(items, predicted, strict=True) if it["kind"] == k)
                / sum(it["kind"] == k for it in items),
                3,
            )
            for k in sorted({it["kind"] for it in items})
        },
        "evaluation_seconds": round(time.perf_counter() - t0, 1),
        "latency": latency(kb, [it["statement"] for it in items[:60]]),
    }
    print(json.dumps(report, indent=2))
    save("statutory", report)


if __name__ == "__main__":
    main()
