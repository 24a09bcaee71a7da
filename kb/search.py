"""Hybrid search: dense (Chroma) and sparse (bm25s) rankings fused by reciprocal rank fusion.

Dense retrieval finds provisions phrased differently from the query ("what happens after I refer");
BM25 keeps exact terms ("section 47", "core group") from being drowned out. RRF needs no score
calibration between the two, which is why it is used instead of a weighted sum.

Chroma answers the dense side, embedded in the build folder or as a server (WTKB_CHROMA_MODE=http),
restricted to the ids the filters admit; bm25s the sparse side with the same filters as a mask; both
made once per filter per build (``LoadedIndex.admitted``). Queries are encoded by the build's ONNX
query model (kb/query_model.py), or by sentence-transformers for a build without one, so a search
never imports torch.
"""

from __future__ import annotations

import json
import logging
import os
import re
import threading
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

import numpy as np

from kb import query_model
from kb.corpus import EditionKey, Provision
from kb.index import (
    IndexDamaged,
    IndexMissing,
    check_files,
    chroma_failure,
    current_build,
    index_problem,
    open_collection,
    read_manifest,
    tokenize,
)
from kb.settings import Settings

if TYPE_CHECKING:
    import bm25s

log = logging.getLogger("wtkb")

STATUSES = ("statutory", "advice")
FORCES = ("must", "should")


# Abbreviations practitioners type that the guidance spells out; the model does not know most of them.
ABBREVIATIONS = {
    "icpc": "initial child protection conference",
    "rcpc": "review child protection conference",
    "cp": "child protection",
    "cin": "child in need",
    "lado": "local authority designated officer",
    "dsl": "designated safeguarding lead",
    "s47": "section 47",
    "s17": "section 17",
    "mash": "multi-agency safeguarding hub",
    "icb": "integrated care board",
    "ccg": "clinical commissioning group",
    "cdop": "child death overview panel",
    "cspr": "child safeguarding practice review",
    "lscb": "local safeguarding children board",
    "scr": "serious case review",
    "yot": "youth offending team",
    "epo": "emergency protection order",
}
_ABBREVIATION = re.compile(r"\b(" + "|".join(ABBREVIATIONS) + r")s?\b", re.IGNORECASE)


def expand_abbreviations(text: str) -> str:
    """'ICPC' -> 'ICPC (initial child protection conference)', so both retrievers see the words the
    guidance uses while the abbreviation still matches any text that uses it."""
    return _ABBREVIATION.sub(lambda m: f"{m.group(0)} ({ABBREVIATIONS[m.group(1).lower()]})", text)


class QueryError(ValueError):
    """A request the search cannot answer as asked; the message tells the user what to change."""


def parse_edition(value: str | None) -> int | None:
    """Read an edition as given by a user: a year, 'all' (0 internally) or nothing (the current one)."""
    if value is None or value == "":
        return None
    if value == "all":
        return 0
    if not value.isdigit():
        raise QueryError(f"edition must be a year such as 2023, or 'all', not {value!r}")
    return int(value)


def parse_document(value: str | None, known: list[str]) -> str | None:
    """Read a document as given by a user: a key such as wt or kcsie, or nothing (every document)."""
    if value is None or value == "" or value == "all":
        return None
    if value not in known:
        raise QueryError(f"unknown document {value!r}; known: {', '.join(known)}")
    return value


def edition_scope(editions: list[EditionKey], document: str | None, edition: int | None) -> list[EditionKey]:
    """The editions a question covers.

    No edition: the one in force of each document asked about (every document when none is named).
    'all' (0): every edition. A year: that edition of each document asked about that has it."""
    documents = [document] if document else list(dict.fromkeys(doc for doc, _ in editions))
    ours = [e for e in editions if e[0] in documents]
    if not ours:
        raise QueryError(f"the corpus has no edition of {', '.join(documents) or 'any document'} yet")
    if edition == 0:
        return sorted(ours)
    if edition is None:
        return [max(e for e in ours if e[0] == doc) for doc in documents if any(e[0] == doc for e in ours)]
    chosen = [e for e in ours if e[1] == edition]
    if not chosen:
        names = ", ".join(f"{doc}/{year}" for doc, year in sorted(ours))
        raise QueryError(f"unknown edition {edition}; known: {names}")
    return chosen


@dataclass(frozen=True)
class Query:
    text: str
    edition: int | None = None  # None: the current edition; 0: every edition
    document: str | None = None  # None: every document
    status: str | None = None
    force: str | None = None
    role: str | None = None
    chapter: str | None = None
    limit: int = 10


def provision_json(p: Provision, url: str) -> dict[str, Any]:
    """A provision in the JSON shape shared by the CLI and the API (DESIGN.md section 4)."""
    return {
        "key": p.key,
        "document": p.document,
        "edition": p.edition,
        "title": p.title,
        "text": p.text,
        "status": p.status,
        "force": p.force,
        "basis": p.basis,
        "roles": list(p.roles),
        "timescale": p.timescale.to_dict() if p.timescale else None,
        "citation": {
            "document": p.document,
            "edition": p.edition,
            "chapter": p.chapter,
            "chapter_title": p.chapter_title,
            "paragraph": p.para,
            "section": p.section,
            "url": url,
            "text": p.cite(),
        },
        "checked": list(p.checked),
        "replaces": p.replaces,
        "see": list(p.see),
    }


@dataclass
class Hit:
    provision: Provision
    score: float
    url: str
    shaped: dict[str, Any] | None = None  # the provision's JSON, made once per build (LoadedIndex.shaped)

    def to_dict(self) -> dict[str, Any]:
        """The search-hit shape: the provision plus its fused score."""
        shaped = self.shaped if self.shaped is not None else provision_json(self.provision, self.url)
        return {**shaped, "score": round(self.score, 6)}


class QueryEncoder(Protocol):
    """What the search needs of an encoder: kb.query_model.OnnxEncoder, or kb.embed.Embedder."""

    name: str

    def encode(self, texts: list[str]) -> np.ndarray: ...

    def encode_query(self, query: str) -> np.ndarray: ...

    def clear_cache(self) -> None: ...


FALLBACK_NOTE = (
    "sentence-transformers (fallback): the index has no ONNX query model, so the first query "
    "loads torch (seconds); run `wtkb build` with the onnx package installed to add one"
)
MASKS_KEPT = 256  # filter combinations whose masks are kept per build


@dataclass
class LoadedIndex:
    """One complete build: the records and BM25 in memory, its Chroma collection and, when the build
    has one, its ONNX query encoder. Per-filter masks and provision JSON are made once, then reused."""

    build: Path
    provisions: list[Provision]
    retriever: bm25s.BM25
    collection: Any
    positions: dict[str, int]  # uid -> row in provisions, to map Chroma ids back
    settings: Settings
    encoder: QueryEncoder | None
    masks: dict[tuple[Any, ...], tuple[np.ndarray, list[str]]] = field(default_factory=dict)
    shaped: dict[int, dict[str, Any]] = field(default_factory=dict)
    stored: dict[str, np.ndarray] = field(default_factory=dict)  # uid -> embedding, once asked of Chroma

    @classmethod
    def open(cls, settings: Settings, build: Path | None = None) -> LoadedIndex:
        """The live build, after checking its files' sizes; IndexDamaged if any part fails to load."""
        build = build or current_build(settings.index_dir)
        manifest = read_manifest(build) if build else None
        problem = index_problem(settings, manifest)
        if build is None or manifest is None or problem:
            raise IndexMissing(problem)
        check_files(build, manifest)
        import bm25s  # here, not at the top: commands that never search do not pay for it

        try:
            records = json.loads((build / "provisions.json").read_text(encoding="utf-8"))
            provisions = [Provision.from_record(r) for r in records]
            retriever = bm25s.BM25.load(str(build / "bm25"), show_progress=False)
        except Exception:  # same size, other bytes: whatever the reader raises, the build is damaged
            raise IndexDamaged(build) from None
        encoder = None
        if query_model.read_config(build / query_model.FOLDER) is not None:
            encoder = query_model.OnnxEncoder(build / query_model.FOLDER, settings.query_cache_size)
        positions = {p.uid: i for i, p in enumerate(provisions)}
        index = cls(build, provisions, retriever, None, positions, settings, encoder)
        index.collection = index.chroma(lambda: open_collection(settings, build))
        return index

    def chroma(self, call: Callable[[], Any]) -> Any:
        """Chroma's answer to ``call``, or an IndexMissing saying what failed: a Chroma server that
        does not answer (tried afresh on the next request), or a damaged embedded store."""
        try:
            return call()
        except Exception as exc:
            raise chroma_failure(self.settings, self.build, exc) from None

    def vectors(self, uids: list[str]) -> np.ndarray:
        """The stored embeddings of some provisions, in the order asked (rows are unit length).
        Each is asked of Chroma once per build, then kept: a build's vectors never change, and a
        verdict rescores the same few provisions again and again."""
        if not uids:
            return np.zeros((0, 0), dtype=np.float32)
        missing = [u for u in uids if u not in self.stored]
        if missing:
            got = self.chroma(lambda: self.collection.get(ids=missing, include=["embeddings"]))
            for uid, vector in zip(got["ids"], got["embeddings"], strict=True):
                self.stored[uid] = np.asarray(vector, dtype=np.float32)
        return np.stack([self.stored[u] for u in uids])

    def admitted(
        self, key: tuple[Any, ...], matches: Callable[[Provision], bool]
    ) -> tuple[np.ndarray, list[str]]:
        """What a filter admits, computed once per filter per build: a mask (1.0 or 0.0 per provision)
        for BM25's scores, and the uids that restrict Chroma's query. Chroma answers a query restricted
        to ids in about half the time of the same query with a metadata ``where``, with the same
        ranking (bench/search.py), because it need not look the metadata up in SQLite."""
        found = self.masks.get(key)
        if found is None:
            if len(self.masks) >= MASKS_KEPT:
                self.masks.pop(next(iter(self.masks)))
            mask = np.array([matches(p) for p in self.provisions], dtype=np.float32)
            found = self.masks[key] = (mask, [p.uid for p, m in zip(self.provisions, mask, strict=True) if m])
        return found

    def hit(self, position: int, score: float, url: str) -> Hit:
        shaped = self.shaped.get(position)
        if shaped is None:
            shaped = self.shaped[position] = provision_json(self.provisions[position], url)
        return Hit(self.provisions[position], score, url, shaped)


class Searcher:
    """Answers queries against the live build, reopening it when a new build is swapped in."""

    def __init__(
        self,
        settings: Settings,
        fallback: Callable[[], QueryEncoder],
        roles: dict[str, set[str]],
        editions: dict[EditionKey, str],
    ):
        self.settings = settings
        self._fallback = fallback  # sentence-transformers, for a build without an ONNX query model
        self._roles = roles
        self._editions = editions
        self._index: LoadedIndex | None = None
        self._pointer: tuple[int, int] | None = None  # (inode, mtime) of CURRENT when _index was opened
        self._opening = threading.Lock()  # one thread opens a new build; the others wait for it

    @property
    def index(self) -> LoadedIndex:
        """The live build. A rebuild replaces the CURRENT pointer (a new inode), so one stat per use
        picks up a new build without reading the pointer or the manifest again."""
        pointer = self.settings.index_dir / "CURRENT"
        try:
            stat = os.stat(pointer)
        except FileNotFoundError:
            raise IndexMissing(f"no index in {self.settings.index_dir}: run `wtkb build` first") from None
        seen = (stat.st_ino, stat.st_mtime_ns)
        with self._opening:
            if self._index is None or self._pointer != seen:
                build = current_build(self.settings.index_dir)
                if build is None:
                    raise IndexMissing(f"no index in {self.settings.index_dir}: run `wtkb build` first")
                if self._index is None or self._index.build != build:
                    self._index = LoadedIndex.open(self.settings, build)
                    if self._index.encoder is None:
                        log.warning("%s", FALLBACK_NOTE)
                self._pointer = seen
            return self._index

    @property
    def encoder(self) -> QueryEncoder:
        """The live build's ONNX query encoder, or sentence-transformers when the build has none."""
        return self.index.encoder or self._fallback()

    @property
    def encoder_note(self) -> str:
        """Which encoder answers queries, and why, for /health and the logs."""
        return "onnx: the build's query model" if self.index.encoder is not None else FALLBACK_NOTE

    def embed_query(self, text: str) -> np.ndarray:
        """The query's unit vector (called only once a query has passed validation)."""
        return self.encoder.encode_query(text)

    def scope(self, q: Query) -> list[EditionKey]:
        """The editions a query searches (see ``edition_scope``)."""
        documents = list(dict.fromkeys(doc for doc, _ in self._editions))  # in documents.yaml order
        return edition_scope(list(self._editions), parse_document(q.document, documents), q.edition)

    def validate(self, query: Query) -> Query:
        """Reject what cannot be answered, with a message naming the problem and the allowed values."""
        text = query.text.strip()
        if not text:
            raise QueryError("the query is empty: type a few words, e.g. 'decision on a referral'")
        if len(text) > self.settings.max_query_chars:
            raise QueryError(
                f"the query is {len(text)} characters; the limit is {self.settings.max_query_chars}"
            )
        self.scope(query)  # an unknown document or edition is refused here, with the known ones
        if query.status not in (None, *STATUSES):
            raise QueryError(f"unknown status {query.status!r}; use statutory or advice")
        if query.force not in (None, *FORCES):
            raise QueryError(f"unknown force {query.force!r}; use must or should")
        if query.role is not None and query.role not in self._roles:
            raise QueryError(f"unknown role {query.role!r}; see `wtkb roles` or GET /api/roles")
        if not 1 <= query.limit <= self.settings.max_limit:
            raise QueryError(f"limit must be between 1 and {self.settings.max_limit}")
        return Query(
            expand_abbreviations(text),
            query.edition,
            query.document,
            query.status,
            query.force,
            query.role,
            query.chapter,
            query.limit,
        )

    def _matches(self, p: Provision, q: Query, scope: set[str]) -> bool:
        roles = self._roles[q.role] if q.role else None
        return (
            p.edition_id in scope
            and (q.status is None or p.status == q.status)
            and (q.force is None or p.force == q.force)
            and (q.chapter is None or p.chapter == q.chapter)
            and (roles is None or bool(roles.intersection(p.roles)))
        )

    def _dense(self, index: LoadedIndex, q: Query, uids: list[str], pool: int) -> list[int]:
        vector = self.embed_query(q.text)
        result = index.chroma(
            lambda: index.collection.query(
                query_embeddings=[vector.tolist()], n_results=pool, ids=uids, include=[]
            )
        )
        return [index.positions[uid] for uid in result["ids"][0]]

    def _sparse(self, index: LoadedIndex, mask: np.ndarray, q: Query, pool: int) -> list[int]:
        tokens = tokenize([q.text])[0]
        if not tokens:
            return []
        scores = index.retriever.get_scores(tokens) * mask
        ranked = np.argsort(-scores, kind="stable")[:pool]
        return [int(i) for i in ranked if scores[i] > 0]

    def search(self, query: Query) -> list[Hit]:
        """The best provisions for the query, fused from both retrievers, within the filters."""
        q = self.validate(query)
        index = self.index
        scope = {f"{doc}/{year}" for doc, year in self.scope(q)}
        filters = (frozenset(scope), replace(q, text="", limit=0))  # every filter field, whatever it holds
        mask, uids = index.admitted(filters, lambda p: self._matches(p, q, scope))
        pool = min(self.settings.candidates, len(uids))
        if pool == 0:
            return []
        fused: dict[int, float] = {}
        for ranking in (self._dense(index, q, uids, pool), self._sparse(index, mask, q, pool)):
            for rank, position in enumerate(ranking):
                fused[position] = fused.get(position, 0.0) + 1.0 / (self.settings.rrf_k + rank + 1)
        best = sorted(fused.items(), key=lambda item: (-item[1], index.provisions[item[0]].uid))[: q.limit]
        return [index.hit(i, score, self.url(index.provisions[i])) for i, score in best]

    def url(self, p: Provision) -> str:
        """The official publication of the provision's edition."""
        return self._editions.get((p.document, p.edition), "")
