"""GET /health, and the same facts logged once at startup: whether search can answer, from which
index build and model, and, when it cannot, what to run. The app starts either way, so an operator
sees the message instead of a crash loop, and search answers 503 until the index is built.

At startup the index, the query encoder and the calibration are loaded and one query answered
(``warm_up``) before the server accepts connections, so a /health that answers ``ok`` means the next
search is as fast as the hundredth. GET /health/live only says the process answers.
"""

from __future__ import annotations

import logging
import time
from collections import Counter
from typing import Any

from fastapi import APIRouter

from api.deps import KnowledgeDep
from api.schemas import Health, Liveness, documented
from kb.index import IndexMissing, live_state
from kb.service import Knowledge

router = APIRouter(tags=["health"])
log = logging.getLogger("wtkb.api")


def readiness(kb: Knowledge) -> dict[str, Any]:
    """The facts /health reports, read afresh each time (a rebuild swaps the index under a server)."""
    manifest, problem = live_state(kb.settings)
    served = Counter(uid.rpartition("/")[0] for uid in (manifest or {}).get("hashes", {}))
    corpus = kb.corpus
    return {
        "status": "ok" if problem is None and not corpus.problems else "degraded",
        "problem": problem,
        "index": manifest["build"] if manifest else None,
        "index_model": manifest.get("model") if manifest else None,
        "model": kb.settings.model_package,
        "query_encoder": query_encoder(manifest),
        "provisions": len(corpus.provisions),
        "provisions_per_edition": dict(sorted(served.items())),
        "corpus_problems": len(corpus.problems),
        "editions": sorted(e.id for e in corpus.editions.values()),
    }


def query_encoder(manifest: dict[str, Any] | None) -> str | None:
    """How queries are encoded: the build's ONNX model, or sentence-transformers for a build without one."""
    if manifest is None:
        return None
    return "onnx" if manifest.get("query_model") else "sentence-transformers"


@router.get("/health", **documented(Health, "Whether the corpus loads cleanly and a usable index is live"))
def health(kb: KnowledgeDep) -> dict[str, Any]:
    """Status, the live index build and its model, provisions per edition, and corpus problems."""
    return readiness(kb)


@router.get("/health/live", **documented(Liveness, "The process answers (it may still be degraded)"))
def live() -> dict[str, str]:
    """Liveness: answers as soon as the server accepts connections, without touching the index."""
    return {"status": "alive"}


def warm_up(kb: Knowledge) -> None:
    """Load the index, the query encoder and the calibration and answer once, before serving; with no
    usable index there is nothing to load (log_readiness has said what to run)."""
    started = time.perf_counter()
    try:
        kb.warm()
    except IndexMissing:
        return
    log.info("ready in %.1f s (queries: %s)", time.perf_counter() - started, kb.searcher.encoder_note)


def log_readiness(kb: Knowledge) -> None:
    """Say at startup, in one line each, what stops the service answering and how to fix it."""
    facts = readiness(kb)
    if facts["problem"]:
        log.warning("%s (until then search and statutory checks answer 503)", facts["problem"])
    else:
        log.info("serving index %s (model %s)", facts["index"], facts["model"])
    if facts["corpus_problems"]:
        log.warning("the corpus has %d problem(s): run `wtkb check`", facts["corpus_problems"])
