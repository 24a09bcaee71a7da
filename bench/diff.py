"""Benchmark of `wtkb diff` on tests/data/diff_dev.yaml: recall and precision of change detection per
kind, alignment accuracy, diff counts per pair of editions, timing, and the key-blind calibration that
chose the semantic-matching weight and threshold (kb.diff.MATCH_WEIGHT, MATCH_THRESHOLD).

    python bench/diff.py

A detected kind counts for an item when the diff reports it for the item's provision on either side;
every item lists every kind a correct diff reports, so a kind reported and not listed is a false
positive. Calibration aligns consecutive editions blind to keys, with the keys as the answer. Timing
runs on a temporary index folder, so the first diff of each pair embeds with an empty cache.
Figures go to bench/results/diff.json.
"""

from __future__ import annotations

import statistics
import sys
import tempfile
import time
from itertools import pairwise
from pathlib import Path
from typing import Any

import numpy as np
import yaml

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from report import save  # noqa: E402  (bench/report.py)

from kb.corpus import Corpus, Provision  # noqa: E402
from kb.diff import KINDS, MATCH_THRESHOLD, MATCH_WEIGHT, align, blend, greedy_pairs, similarity_parts  # noqa: E402
from kb.service import Knowledge  # noqa: E402
from kb.settings import Settings, get_settings  # noqa: E402

DEV = ROOT / "tests" / "data" / "diff_dev.yaml"
WEIGHTS = (0.0, 0.25, 0.5, 0.75, 1.0)
THRESHOLDS = tuple(round(float(t), 3) for t in np.arange(0.35, 0.8, 0.025))


def predicted_kinds(report: dict[str, Any], item: dict[str, Any]) -> set[str]:
    """Every kind the diff reports for the item's provisions (old side or new side)."""
    old = (item.get("from") or {}).get("key")
    new = (item.get("to") or {}).get("key")
    return {
        kind
        for c in report["changes"]
        if (old and c["old"] and c["old"]["key"] == old) or (new and c["new"] and c["new"]["key"] == new)
        for kind in c["kinds"]
    }


def per_kind(gold: list[set[str]], predicted: list[set[str]]) -> dict[str, dict[str, Any]]:
    scores = {}
    for kind in KINDS:
        tp = sum(kind in g and kind in p for g, p in zip(gold, predicted, strict=True))
        fp = sum(kind not in g and kind in p for g, p in zip(gold, predicted, strict=True))
        fn = sum(kind in g and kind not in p for g, p in zip(gold, predicted, strict=True))
        scores[kind] = {
            "n": tp + fn,
            "recall": round(tp / (tp + fn), 3) if tp + fn else None,
            "precision": round(tp / (tp + fp), 3) if tp + fp else None,
            "false_positives": fp,
        }
    return scores


def alignment_accuracy(kb: Knowledge, items: list[dict[str, Any]]) -> dict[str, Any]:
    """For items with both sides: were they paired, and by the expected method?"""
    pairs: dict[tuple[int, int], dict[tuple[str, str], str]] = {}
    right: dict[str, list[bool]] = {}
    for item in items:
        if not item.get("match"):
            continue
        a, b = item["pair"]
        if (a, b) not in pairs:
            found = align(kb.corpus, a, b, kb.embed_provisions)
            pairs[(a, b)] = {(p.old.key, p.new.key): p.by for p in found}
        by = pairs[(a, b)].get((item["from"]["key"], item["to"]["key"]))
        right.setdefault(item["match"], []).append(by == item["match"])
    return {m: {"n": len(v), "right": sum(v)} for m, v in right.items()}


def evaluate(kb: Knowledge, items: list[dict[str, Any]]) -> dict[str, Any]:
    reports: dict[tuple[int, int], dict[str, Any]] = {}
    gold, predicted, caveated_fp = [], [], 0
    for item in items:
        a, b = item["pair"]
        if (a, b) not in reports:
            reports[(a, b)] = kb.diff(str(a), str(b))
        got = predicted_kinds(reports[(a, b)], item)
        gold.append(set(item["kinds"]))
        predicted.append(got)
        keys = {(item.get(s) or {}).get("key") for s in ("from", "to")}
        if got - set(item["kinds"]):
            caveated_fp += any(c["caveats"] and c["key"] in keys for c in reports[(a, b)]["changes"])
    tp = sum(len(g & p) for g, p in zip(gold, predicted, strict=True))
    said = sum(len(p) for p in predicted)
    real = sum(len(g) for g in gold)
    return {
        "items": len(items),
        "micro_precision": round(tp / said, 3),
        "micro_recall": round(tp / real, 3),
        "exact": round(sum(g == p for g, p in zip(gold, predicted, strict=True)) / len(items), 3),
        "items_with_a_false_positive_flagged_by_a_caveat": caveated_fp,
        "per_kind": per_kind(gold, predicted),
        "alignment": alignment_accuracy(kb, items),
        "misses": [
            {
                "pair": it["pair"],
                "from": (it.get("from") or {}).get("key"),
                "to": (it.get("to") or {}).get("key"),
                "expected": sorted(g),
                "predicted": sorted(p),
            }
            for it, g, p in zip(items, gold, predicted, strict=True)
            if g != p
        ],
    }


def counts(kb: Knowledge, pairs: list[tuple[str, str]]) -> dict[str, Any]:
    """Changes per kind for each pair, with how the provisions were aligned."""
    out = {}
    for a, b in pairs:
        report = kb.diff(a, b)
        out[f"{a}->{b}"] = {
            "total": report["summary"]["total"],
            "by_kind": {k: n for k, n in report["summary"]["by_kind"].items() if n},
            "alignment": report["alignment"],
            "with_caveats": sum(bool(c["caveats"]) for c in report["changes"]),
        }
    return out


def timing(settings: Settings, kb: Knowledge, pairs: list[tuple[str, str]]) -> dict[str, Any]:
    """Model load, first diff per pair with an empty embedding cache, then warm diffs (median of 5)."""
    with tempfile.TemporaryDirectory() as tmp:
        fresh = Knowledge(Settings(corpus_dir=settings.corpus_dir, index_dir=Path(tmp)))
        t = time.perf_counter()
        fresh.embedder.encode(["warm up"])
        # the libraries are imported already (the evaluation ran first): this is loading the weights only
        result: dict[str, Any] = {"model_load_s": round(time.perf_counter() - t, 2), "pairs": {}}
        for a, b in pairs:
            t = time.perf_counter()
            fresh.diff(a, b)
            first = time.perf_counter() - t
            warm = []
            for _ in range(5):
                t = time.perf_counter()
                fresh.diff(a, b)
                warm.append(time.perf_counter() - t)
            result["pairs"][f"{a}->{b}"] = {
                "first_ms": round(first * 1000),
                "warm_p50_ms": round(statistics.median(warm) * 1000),
            }
        result["texts_embedded"] = fresh.embedder.encoded - 1
    return result


def calibrate(kb: Knowledge) -> dict[str, Any]:
    """Align consecutive editions ignoring keys; the shared keys say which pairs are right."""
    corpus: Corpus = kb.corpus
    years = corpus.years()  # Working Together's editions: the calibration the threshold was set on
    parts = []
    for a, b in pairwise(years):
        old: list[Provision] = [p for p in corpus.provisions if p.edition_id == f"wt/{a}"]
        new: list[Provision] = [p for p in corpus.provisions if p.edition_id == f"wt/{b}"]
        parts.append((old, new, similarity_parts(old, new, kb.embed_provisions(old + new))))
    gold = sum(len({p.key for p in old} & {p.key for p in new}) for old, new, _ in parts)
    table = []
    for weight in WEIGHTS:
        for threshold in THRESHOLDS:
            right = wrong = 0
            for old, new, (cosine, ratios) in parts:
                for i, j, _ in greedy_pairs(blend(cosine, ratios, weight), threshold):
                    right += old[i].key == new[j].key
                    wrong += old[i].key != new[j].key
            p = right / (right + wrong) if right + wrong else 0.0
            r = right / gold
            f1 = 2 * p * r / (p + r) if p + r else 0.0
            f05 = 1.25 * p * r / (0.25 * p + r) if p + r else 0.0
            table.append(
                {
                    "weight": weight,
                    "threshold": threshold,
                    "precision": round(p, 3),
                    "recall": round(r, 3),
                    "f1": round(f1, 3),
                    "f0_5": round(f05, 3),
                }
            )
    best = max(table, key=lambda row: (row["f0_5"], row["f1"]))
    in_use = next(
        r for r in table if r["weight"] == MATCH_WEIGHT and abs(r["threshold"] - MATCH_THRESHOLD) < 1e-9
    )
    best_per_weight = {
        w: max((r for r in table if r["weight"] == w), key=lambda r: r["f0_5"]) for w in WEIGHTS
    }
    return {"gold_pairs": gold, "best_f0_5": best, "in_use": in_use, "best_per_weight": best_per_weight}


def main() -> None:
    settings = get_settings()
    kb = Knowledge(settings)
    items = yaml.safe_load(DEV.read_text(encoding="utf-8"))
    years = [str(y) for y in kb.corpus.years()]
    consecutive = list(pairwise(years))
    others = [  # consecutive editions of the other documents, named document/year
        (f"{doc}/{a}", f"{doc}/{b}")
        for doc in kb.corpus.documents
        if doc != "wt"
        for a, b in pairwise(kb.corpus.years(doc))
    ]
    wider = [(years[0], years[-1]), *others] + [
        (str(o.edition), f"local/{a}") for a, o in sorted(kb.corpus.overlays.items())
    ]
    report = {
        "dev_set": DEV.name,
        "model": settings.model_package,
        "weight": MATCH_WEIGHT,
        "threshold": MATCH_THRESHOLD,
        "evaluation": evaluate(kb, items),
        "counts": counts(kb, consecutive + wider),
        "calibration": calibrate(kb),
        "timing": timing(settings, kb, consecutive),
    }
    ev = report["evaluation"]
    print(
        f"{ev['items']} known changes: micro precision {ev['micro_precision']}, recall {ev['micro_recall']}, "
        f"exact {ev['exact']}"
    )
    for kind, s in ev["per_kind"].items():
        print(
            f"  {kind:13} n={s['n']:3}  recall={s['recall']}  precision={s['precision']}"
            f"  false positives={s['false_positives']}"
        )
    print("alignment:", ev["alignment"])
    for pair, c in report["counts"].items():
        print(f"{pair:24} {c['total']:4} changes  {c['by_kind']}")
    cal = report["calibration"]
    print("calibration in use:", cal["in_use"], "best F0.5:", cal["best_f0_5"])
    print("timing:", report["timing"])
    save("diff", report)


if __name__ == "__main__":
    main()
