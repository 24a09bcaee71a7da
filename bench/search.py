"""Search benchmark: index build time, warm search latency, and its ratio to bare query encoding.

Run with `make bench`. Builds the bundled corpus into a temporary index (the developer's own index
is left alone), then for a fixed query set measures in the same run:
  - encode:  the query encoder (the build's ONNX model) encoding one query, the floor any dense
             search pays,
  - search:  a full hybrid search with the query-embedding cache cleared first,
  - cached:  the same search with the query's embedding already cached,
  - chroma:  Chroma's bare nearest-neighbour query over the editions in force, with the vector
             given: what any search that asks Chroma pays on top of the encode,
  - encode_then_chroma: the encode followed by that query, timed together: the floor of any search
             that asks Chroma, since a query run straight after an encode is slower than one run
             alone (the model's work has evicted Chroma's data from the CPU caches),
  - encode_sentence_transformers: the build-time model encoding one query, for comparison (last,
             since torch's idle threads spin after it and would slow what ran next).
Prints the figures and writes them to bench/results/search.json.
"""

from __future__ import annotations

import statistics
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from report import machine, save  # bench/report.py

from kb.embed import Embedder
from kb.index import build
from kb.search import Query
from kb.service import Knowledge
from kb.settings import Settings

QUERIES = [
    "what happens after a referral is made",
    "how long can an assessment take",
    "when must the initial child protection conference be held",
    "first core group meeting",
    "how often are review conferences held",
    "strategy discussion who attends",
    "section 47 enquiries",
    "immediate protection emergency protection order police powers",
    "duties of schools and designated safeguarding leads",
    "notify the national panel of a serious incident",
    "rapid review timescale",
    "early help assessment lead practitioner",
    "safeguarding partners yearly report",
    "child death review meeting",
    "information sharing with consent",
    "allegations against people who work with children",
]
ROUNDS = 5


def percentile(values: list[float], pct: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(pct / 100 * (len(ordered) - 1)))]


def summary(values: list[float]) -> dict[str, float]:
    ms = [v * 1000 for v in values]
    return {
        "p50_ms": round(percentile(ms, 50), 2),
        "p95_ms": round(percentile(ms, 95), 2),
        "mean_ms": round(statistics.mean(ms), 2),
    }


def timed(fn) -> float:
    start = time.perf_counter()
    fn()
    return time.perf_counter() - start


def main() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        settings = Settings(index_dir=Path(tmp) / "index")  # the bundled corpus, or WTKB_CORPUS_DIR
        embedder = Embedder(settings.model_package)
        report = build(settings, lambda: embedder)
        rebuild = build(settings, lambda: embedder)
        kb = Knowledge(settings, embedder)
        load_started = time.perf_counter()
        kb.warm()  # open the index, load the query encoder, answer once
        warm_up = time.perf_counter() - load_started
        encoder = kb.searcher.encoder
        index = kb.searcher.index
        current = kb.corpus.current_editions()
        in_force = [p.uid for p in index.provisions if (p.document, p.edition) in current]
        vectors = {q: encoder.encode([q])[0].tolist() for q in QUERIES}

        def chroma_query(q: str) -> None:
            index.collection.query(query_embeddings=[vectors[q]], n_results=50, ids=in_force, include=[])

        def encode_then_chroma(q: str) -> None:
            vector = encoder.encode([q])[0].tolist()
            index.collection.query(query_embeddings=[vector], n_results=50, ids=in_force, include=[])

        def fresh_search(q: str) -> None:
            encoder.clear_cache()
            kb.search(Query(q))

        passes: dict[str, Callable[[str], object]] = {
            "encode": lambda q: encoder.encode([q]),
            "chroma": chroma_query,
            "encode_then_chroma": encode_then_chroma,
            "search": fresh_search,
            "cached": lambda q: kb.search(Query(q)),
        }
        times: dict[str, list[float]] = {name: [] for name in passes}
        for _ in range(ROUNDS):  # a pass of each kind per round: a model's idle threads spin for a
            for name, run in passes.items():  # while after it works, slowing whatever runs next
                if name == "cached":  # every query's vector in the cache (the search pass cleared it)
                    for q in QUERIES:
                        encoder.encode_query(q)
                times[name] += [timed(lambda q=q, run=run: run(q)) for q in QUERIES]
        encode, chroma, floor, search, cached = (times[name] for name in passes)
        st_encode = [timed(lambda q=q: embedder.encode([q])) for _ in range(ROUNDS) for q in QUERIES]
        results = {
            "machine": machine(),
            "provisions": report.provisions,
            "query_encoder": kb.searcher.encoder_note,
            "warm_up_s": round(warm_up, 2),
            "build_s": round(report.seconds, 2),
            "build_embedded": report.embedded,
            "rebuild_unchanged_s": round(rebuild.seconds, 3),
            "rebuild_embedded": rebuild.embedded,
            "queries": len(QUERIES) * ROUNDS,
            "encode": summary(encode),
            "search": summary(search),
            "search_cached": summary(cached),
            "chroma_query": summary(chroma),
            "encode_then_chroma": summary(floor),
            "encode_sentence_transformers": summary(st_encode),
        }
        results["ratio_search_to_encode_p50"] = round(
            results["search"]["p50_ms"] / results["encode"]["p50_ms"], 2
        )
        results["ratio_cached_to_encode_p50"] = round(
            results["search_cached"]["p50_ms"] / results["encode"]["p50_ms"], 2
        )
        results["ratio_floor_encode_plus_chroma_p50"] = round(
            (results["encode"]["p50_ms"] + results["chroma_query"]["p50_ms"]) / results["encode"]["p50_ms"], 2
        )
        results["ratio_floor_encode_then_chroma_p50"] = round(
            results["encode_then_chroma"]["p50_ms"] / results["encode"]["p50_ms"], 2
        )
        results["ratio_search_to_floor_p50"] = round(
            results["search"]["p50_ms"] / results["encode_then_chroma"]["p50_ms"], 2
        )
    for key, value in results.items():
        print(f"{key:28} {value}")
    save("search", results)


if __name__ == "__main__":
    main()
