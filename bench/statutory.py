"""Benchmark and calibration of the "is this statutory?" checker on its three development sets
(tests/data/statutory_dev.yaml, statutory_dev2.yaml and statutory_dev3.yaml, the last two less their
validation slices, see kb/devsets.py).

Prints accuracy, per-verdict precision and recall, statutory recall, evidence accuracy, the confusion
matrix and latency, against a retrieval-only baseline (the status of the top search hit) in the same
run; the same figures 5-fold cross-validated (threshold and confidence fitted on four folds, scored on
the fifth); each set's figures apart; and the validation slices of dev2 and dev3, never fitted on, in
aggregate only.

    python bench/statutory.py            # evaluate with the shipped kb/calibration.json
    python bench/statutory.py --write    # refit the threshold and confidence curve, then evaluate
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from dataclasses import replace
from pathlib import Path
from typing import Any

import numpy as np
import yaml

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from report import RESULTS, save  # noqa: E402  (bench/report.py)
from verdict_fit import cross_validated, fit_shipped, grouped_folds, thresholds  # noqa: E402

from kb import devsets  # noqa: E402
from kb.checker import Checker, examples  # noqa: E402
from kb.filehash import file_sha256  # noqa: E402
from kb.search import Query  # noqa: E402
from kb.service import Knowledge  # noqa: E402
from kb.settings import get_settings  # noqa: E402
from kb.statutory import (  # noqa: E402
    VERDICTS,
    Calibration,
    Decision,
    Example,
    features,
    file_digest,
    fit_logistic,
    fit_threshold,
    out_of_fold,
)
from kb.verdict_model import VerdictModel  # noqa: E402

HELDOUT = {  # frozen held-out sets: A (scored since issue 16's first rules); B-E written later, apart
    "a": ROOT / "tests" / "data" / "statutory_heldout.yaml",
    "b": ROOT / "tests" / "data" / "statutory_heldout_b.yaml",
    "c": ROOT / "tests" / "data" / "statutory_heldout_c.yaml",
    "d": ROOT / "tests" / "data" / "statutory_heldout_d.yaml",
    "e": ROOT / "tests" / "data" / "statutory_heldout_e.yaml",
}
TRAINING = list(devsets.SETS.values())  # every statement the rules may have been written against
TWIN = 0.9  # cosine at which a held-out statement counts as a near twin of a training statement
HELDOUT_RESULTS = (  # the held-out figures shown beside the dev ones, when scored
    "statutory_heldout_baseline",
    "statutory_heldout",
    "statutory_heldout_b_baseline",
    "statutory_heldout_b",
    "statutory_heldout_c_baseline",
    "statutory_heldout_c",
    "statutory_heldout_d",
    "statutory_heldout_e_baseline",
    "statutory_heldout_e",
)
BINS = 10


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


def reliability(gold: list[str], predicted: list[str], confidence: list[float]) -> dict[str, Any]:
    """Confidence bins against accuracy, and how right and how common confident (>= 0.9) verdicts are."""
    right = [g == p for g, p in zip(gold, predicted, strict=True)]
    bins = []
    for b in range(BINS):
        inside = [(c, r) for c, r in zip(confidence, right, strict=True) if min(int(c * BINS), BINS - 1) == b]
        if inside:
            bins.append(
                {
                    "from": b / BINS,
                    "to": (b + 1) / BINS,
                    "n": len(inside),
                    "mean_confidence": round(statistics.fmean(c for c, _ in inside), 3),
                    "accuracy": round(statistics.fmean(r for _, r in inside), 3),
                }
            )
    confident = [r for c, r in zip(confidence, right, strict=True) if c >= 0.9]
    return {
        "bins": bins,
        "confident_coverage": round(len(confident) / len(right), 3),
        "confident_accuracy": round(statistics.fmean(confident), 3) if confident else None,
    }


def summary(gold: list[str], predicted: list[str], confidence: list[float]) -> dict[str, Any]:
    """Aggregate figures only (no per-item errors, no confusion matrix): what the frozen held-out set
    may be scored with without its errors being read."""
    figures = scores(gold, predicted)
    del figures["confusion"]
    statutory = [p for g, p in zip(gold, predicted, strict=True) if g == "statutory"]
    return {
        "items": len(gold),
        **figures,
        "statutory_recall": round(statutory.count("statutory") / len(statutory), 3) if statutory else None,
        "reliability": reliability(gold, predicted, confidence),
    }


def frozen(path: Path) -> str:
    """The held-out file's sha256, refused unless it is the one recorded when the set was frozen."""
    digest = file_sha256(path)
    recorded = (RESULTS / f"{path.stem}.sha256").read_text(encoding="utf-8").split()[0]
    if digest != recorded:
        raise SystemExit(f"{path.name} is not the frozen file (sha256 {digest}, recorded {recorded})")
    return digest


def twins(kb: Knowledge, statements: list[str]) -> list[bool]:
    """Whether each held-out statement has a near twin (cosine >= TWIN) among the training statements,
    whose rules could have been written against it in all but name."""
    said = [it["statement"] for path in TRAINING if path.exists() for it in yaml.safe_load(path.read_text())]
    encode = kb.searcher.encoder.encode
    seen = np.vstack([encode(said[i : i + 64]) for i in range(0, len(said), 64)])
    return [float(np.max(seen @ encode([s])[0])) >= TWIN for s in statements]


def heldout(kb: Knowledge, path: Path) -> dict[str, Any]:
    """A frozen held-out set scored with the shipped checker, per document, in aggregate only; and
    again without the statements that have a near twin in the training sets."""
    items = yaml.safe_load(path.read_text(encoding="utf-8"))
    answers = [kb.statutory(it["statement"]) for it in items]
    twin = twins(kb, [it["statement"] for it in items])
    figures: dict[str, Any] = {"file": path.name, "sha256": frozen(path), "near_twins": sum(twin)}
    parts = {d: lambda i, d=d: items[i]["document"] == d for d in sorted({it["document"] for it in items})}
    for part, keep in {"all": lambda i: True, **parts, "without_twins": lambda i: not twin[i]}.items():
        chosen = [i for i in range(len(items)) if keep(i)]
        figures[part] = summary(
            [items[i]["verdict"] for i in chosen],
            [answers[i]["verdict"] for i in chosen],
            [answers[i]["confidence"] for i in chosen],
        )
        # the rules' own verdict beside the learned stage's, for the record: which one ships was
        # decided on the validation slices before any held-out set was scored with the model
        rules = [answers[i].get("rules_verdict") == items[i]["verdict"] for i in chosen]
        figures[part]["rules_only_accuracy"] = round(sum(rules) / len(rules), 3) if rules else None
    return figures


def svg_reliability(series: dict[str, dict[str, Any]]) -> str:
    """A reliability diagram: for each named set of figures, accuracy against mean confidence per bin
    (a dot's area is its bin's share of statements); the diagonal is perfect calibration."""
    size, pad = 360, 50
    colours = ["#1d70b8", "#d4351c", "#00703c", "#f47738", "#912b88"]

    def at(x: float, y: float) -> tuple[float, float]:
        return pad + x * size, pad + (1 - y) * size

    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{size + 2 * pad + 170}" height="{size + 2 * pad}" '
        'font-family="sans-serif" font-size="12">',
        "<title>Reliability of the statutory checker's confidence</title>",
        f'<rect x="{pad}" y="{pad}" width="{size}" height="{size}" fill="none" stroke="#b1b4b6"/>',
        f'<line x1="{pad}" y1="{pad + size}" x2="{pad + size}" y2="{pad}" stroke="#b1b4b6" '
        'stroke-dasharray="4"/>',
        f'<text x="{pad + size / 2}" y="{size + pad + 35}" text-anchor="middle">confidence</text>',
        f'<text x="15" y="{pad + size / 2}" transform="rotate(-90 15 {pad + size / 2})" '
        'text-anchor="middle">share right</text>',
    ]
    for tick in (0, 0.5, 1):
        x, y = at(tick, tick)
        parts.append(f'<text x="{x}" y="{pad + size + 15}" text-anchor="middle">{tick}</text>')
        parts.append(f'<text x="{pad - 8}" y="{y + 4}" text-anchor="end">{tick}</text>')
    for n, (name, figures) in enumerate(series.items()):
        colour = colours[n % len(colours)]
        bins = figures["bins"]
        total = sum(b["n"] for b in bins) or 1
        points = [at(b["mean_confidence"], b["accuracy"]) for b in bins]
        parts.append(
            f'<polyline fill="none" stroke="{colour}" stroke-width="2" points="'
            + " ".join(f"{x:.1f},{y:.1f}" for x, y in points)
            + '"/>'
        )
        parts += [
            f'<circle cx="{x:.1f}" cy="{y:.1f}" r="{2 + 12 * (b["n"] / total) ** 0.5:.1f}" fill="{colour}" '
            f'fill-opacity="0.6"><title>{name}: {b["n"]} statements, confidence {b["mean_confidence"]}, '
            f"right {b['accuracy']}</title></circle>"
            for (x, y), b in zip(points, bins, strict=True)
        ]
        parts.append(
            f'<rect x="{pad + size + 20}" y="{pad + 20 * n}" width="12" height="12" fill="{colour}"/>'
        )
        parts.append(f'<text x="{pad + size + 38}" y="{pad + 20 * n + 11}">{name}</text>')
    return "\n".join([*parts, "</svg>"]) + "\n"


def decided(checker: Checker, data: list[Example]) -> tuple[list[Decision], list[float]]:
    """The shipped checker's decision on each example, and its confidence in it."""
    verdicts = [checker.judge(e.claim, e.candidates) for e in data]
    return [v.decision for v in verdicts], [v.confidence for v in verdicts]


def validation(checker: Checker, items: list[dict[str, Any]]) -> dict[str, Any] | None:
    """The validation slice scored with the shipped calibration, in aggregate only: its errors are not
    printed, so that it stays a measure of statements the rules were not tuned on."""
    if not items:
        return None
    data = examples(checker, items)
    decisions, confidence = decided(checker, data)
    return summary([e.gold for e in data], [d.verdict for d in decisions], confidence)


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


def write_calibration(kb: Knowledge, items: list[dict[str, Any]]) -> None:
    """Refit: the threshold on the whole dev set, and the confidence model on out-of-fold decisions
    (each made with a threshold fitted on the other folds), so it learns how often a verdict is right
    on statements it was not fitted on."""
    settings = kb.settings
    bare = Checker(kb.corpus, kb.searcher, kb.searcher.embed_query, Calibration(0.0, {}, {}))
    data = examples(bare, items)
    threshold = fit_threshold(data, bare.actors_match, kb.corpus.events)
    oof = out_of_fold(data, bare.actors_match, kb.corpus.events)
    weights = fit_logistic(
        [features(d, e.candidates) for (d, _), e in zip(oof, data, strict=True)],
        [d.verdict == e.gold for (d, _), e in zip(oof, data, strict=True)],
    )
    fitted_on = {
        "sets": {
            path.name: {"sha": file_digest(path), "items": sum(it["set"] == name for it in items)}
            for name, path in devsets.SETS.items()
            if path.exists()
        },
        "items": len(items),
        "not_fitted_on": "; ".join(
            f"statutory_{name}.yaml items {kept.start}-{kept.stop - 1} (0-based): a validation slice"
            for name, kept in devsets.SLICES.items()
            if kept
        ),
        "model": settings.model_package,
    }
    Calibration(threshold, weights, fitted_on).save(settings.calibration_file)
    fold = grouped_folds([it["set"] for it in items])
    model = fit_shipped(bare, data, fold, thresholds(bare, data, fold))
    VerdictModel(model["weights"], fitted_on).save(settings.verdict_model_file)


def side_by_side(report: dict[str, Any]) -> dict[str, Any]:
    """In-sample, cross-validated (both sets and each), validation-slice and frozen held-out figures
    (the held-out ones as last scored by ``--heldout``) in one table."""
    table = {"in_sample": report["in_sample"], "cross_validated": report["cross_validated"]}
    for name, figures in report.get("by_set", {}).items():
        table[f"in_sample_{name}"] = figures["in_sample"]
        table[f"cross_validated_{name}"] = figures["cross_validated"]
    if report.get("validation"):
        table["validation_dev2_slice"] = report["validation"]
    if report.get("validation_dev3"):
        table["validation_dev3_slice"] = report["validation_dev3"]
    for name in HELDOUT_RESULTS:
        path = RESULTS / f"{name}.json"
        if path.exists():
            table[name.replace("statutory_", "")] = json.loads(path.read_text(encoding="utf-8"))
    keys = ("accuracy", "statutory_recall")
    rows: dict[str, Any] = {}
    for name, figures in table.items():
        held = "sha256" in figures  # a held-out result: figures per part (all, per document, ...)
        parts = [p for p in ("all", "wt", "kcsie", "without_twins") if p in figures] if held else [name]
        for part in parts:
            f = figures[part] if held else figures
            rel = f["reliability"]
            rows[f"{name}:{part}" if held else name] = {
                "items": f["items"],
                **{k: f[k] for k in keys},
                "confident_accuracy": rel["confident_accuracy"],
                "confident_coverage": rel["confident_coverage"],
            }
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--write", action="store_true", help="refit and write kb/calibration.json first")
    parser.add_argument(
        "--heldout", metavar="NAME", help="score a frozen held-out set (aggregates only) into NAME.json"
    )
    parser.add_argument("--set", choices=sorted(HELDOUT), default="a", help="which held-out set (default a)")
    args = parser.parse_args()
    settings = get_settings()
    kb = Knowledge(settings)
    if args.heldout:
        save(args.heldout, heldout(kb, HELDOUT[args.set]))
        dev_report = RESULTS / "statutory.json"
        if dev_report.exists():  # put the new held-out figures beside the dev ones
            publish(json.loads(dev_report.read_text(encoding="utf-8")))
        return
    sets = devsets.load()
    items = sets.training
    t0 = time.perf_counter()
    if args.write:
        write_calibration(kb, items)
        kb = Knowledge(settings)
    checker = kb.checker
    data = examples(checker, items)
    gold = [e.gold for e in data]
    decisions, confidence = decided(checker, data)
    predicted = [d.verdict for d in decisions]
    oof = out_of_fold(data, checker.actors_match, kb.corpus.events)
    dev_figures = summary(gold, predicted, confidence)
    cv_figures = summary(gold, [d.verdict for d, _ in oof], [c for _, c in oof])
    by_set = {}
    for name in sorted({it["set"] for it in items}):
        at = [i for i, it in enumerate(items) if it["set"] == name]
        by_set[name] = {
            "in_sample": summary(
                [gold[i] for i in at], [predicted[i] for i in at], [confidence[i] for i in at]
            ),
            "cross_validated": summary(
                [gold[i] for i in at], [oof[i][0].verdict for i in at], [oof[i][1] for i in at]
            ),
        }
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
        "cross_validated_accuracy": cv_figures["accuracy"],
        "in_sample": dev_figures,
        "cross_validated": cv_figures,
        "by_set": by_set,
        "validation": validation(checker, sets.slices["dev2"]),
        "validation_dev3": validation(checker, sets.slices["dev3"]),
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
                sum(p == it["verdict"] for it, p in zip(items, predicted, strict=True) if it.get("kind") == k)
                / sum(it.get("kind") == k for it in items),
                3,
            )
            for k in sorted({it["kind"] for it in items if "kind" in it})
        },
        "evaluation_seconds": round(time.perf_counter() - t0, 1),
        "latency": latency(kb, [it["statement"] for it in items[:60]]),
    }
    report["verdict_model"] = learned_against_rules(kb, data, items, sets.slices)
    print(json.dumps(report, indent=2))
    publish(report)


def learned_against_rules(
    kb: Knowledge, data: list[Example], items: list[dict[str, Any]], slices: dict[str, list[dict[str, Any]]]
) -> dict[str, Any]:
    """Accuracy of the rules alone and of the rules with the learned last stage: in sample, grouped
    cross-validated (every threshold and model fitted without the fold scored), and on the
    validation slices (aggregate only)."""
    with_model = kb.checker
    rules_only = replace(with_model, model=None, model_note=None)
    gold = [e.gold for e in data]
    fold = grouped_folds([it["set"] for it in items])
    rules_cv, model_cv, model_p = cross_validated(rules_only, data, fold, thresholds(rules_only, data, fold))
    figures: dict[str, Any] = {"verdict_model": with_model.model_note or "applied"}
    cv = {"rules_only": rules_cv, "with_model": model_cv}
    for name, checker in (("rules_only", rules_only), ("with_model", with_model)):
        decisions, _ = decided(checker, data)
        row = {
            "in_sample": scores(gold, [d.verdict for d in decisions])["accuracy"],
            "cross_validated_grouped": scores(gold, cv[name])["accuracy"],
        }
        pooled_gold: list[str] = []
        pooled: list[str] = []
        pooled_confidence: list[float] = []
        for set_name, kept in slices.items():
            held = examples(checker, kept)
            said, confidence = decided(checker, held)
            row[f"validation_{set_name}"] = scores([e.gold for e in held], [d.verdict for d in said])[
                "accuracy"
            ]
            pooled_gold += [e.gold for e in held]
            pooled += [d.verdict for d in said]
            pooled_confidence += confidence
        if pooled:
            confident = reliability(pooled_gold, pooled, pooled_confidence)
            row["validation_pooled"] = scores(pooled_gold, pooled)["accuracy"]
            row["validation_pooled_confident_accuracy"] = confident["confident_accuracy"]
            row["validation_pooled_confident_coverage"] = confident["confident_coverage"]
        figures[name] = row
    confident = reliability(gold, model_cv, model_p)
    figures["with_model"]["cross_validated_confident_accuracy"] = confident["confident_accuracy"]
    figures["with_model"]["cross_validated_confident_coverage"] = confident["confident_coverage"]
    return figures


def publish(report: dict[str, Any]) -> None:
    """Write the dev report with the held-out figures beside it, and the reliability diagram."""
    report["side_by_side"] = side_by_side(report)
    save("statutory", report)
    series = {
        "dev sets, in sample": report["in_sample"]["reliability"],
        "dev sets, cross-validated": report["cross_validated"]["reliability"],
    }
    if report.get("validation"):
        series["dev2 validation slice"] = report["validation"]["reliability"]
    if report.get("validation_dev3"):
        series["dev3 validation slice"] = report["validation_dev3"]["reliability"]
    held = RESULTS / "statutory_heldout.json"
    if held.exists():
        series["held-out (frozen)"] = json.loads(held.read_text(encoding="utf-8"))["all"]["reliability"]
    (RESULTS / "statutory_reliability.svg").write_text(svg_reliability(series), encoding="utf-8")


if __name__ == "__main__":
    main()
