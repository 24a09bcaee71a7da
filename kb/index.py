"""Build and open the search index: Chroma vectors + bm25s arrays + the provision records.

Layout under ``settings.index_dir``::

    embeddings.sqlite3        vectors by (model, content hash): survives builds, so unchanged text is
                              never embedded twice (the idea of simonw/llm's embeddings store)
    CURRENT                   name of the live build; replaced atomically with os.replace
    builds/<id>/              one complete build: provisions.json, manifest.json, vectors.npy (the
                              dense vectors the query path searches), bm25/, chroma/, query-model/
    query-models/<digest>/    the model exported to ONNX for queries, by the digest of the model's
                              files; hard-linked into each build (kb/query_model.py)
    builds/.tmp-<id>/         a build under way; renamed into place only when complete

A build interrupted at any point (Ctrl-C, kill -9) leaves CURRENT naming the previous, complete
build, which keeps serving; the next build sweeps the leftover temporary folder away.
"""

from __future__ import annotations

import fcntl
import hashlib
import json
import os
import shutil
import sqlite3
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import cache
from pathlib import Path
from typing import Any

import numpy as np

from kb import query_model
from kb.corpus import Corpus, Provision, load_valid_corpus, records_json
from kb.embed import Embedder
from kb.settings import Settings

COLLECTION = "provisions"
EMBEDDINGS = "embeddings.sqlite3"  # the content-hash cache, shared by builds and diffs
VECTORS = "vectors.npy"  # the provisions' vectors in provision order, for exact dense search
KEEP_BUILDS = 2  # the live build and the one before it, which a running server may still hold open


class IndexMissing(RuntimeError):
    """No usable build: none exists yet, or the live one was made with another embedding model."""


@dataclass(frozen=True)
class BuildReport:
    build_id: str | None
    provisions: int
    embedded: int
    reused: int
    seconds: float
    changed: bool
    query_model: str = ""  # how queries will be encoded, for the build's summary line


@cache
def _stemmer() -> Any:
    import Stemmer

    return Stemmer.Stemmer("english")


def tokenize(texts: list[str]) -> list[list[str]]:
    """The one tokenizer for documents and queries: lower-case, English stop words out, Snowball stems.

    bm25s (and scipy with it) is imported here, not at the top, so that commands that never search
    (check, flow, due, diff) do not pay for it."""
    import bm25s

    return bm25s.tokenize(texts, stopwords="en", stemmer=_stemmer(), return_ids=False, show_progress=False)


def chroma_metadata(p: Provision) -> dict[str, Any]:
    """Filterable fields; roles become boolean flags because Chroma filters on scalars."""
    meta: dict[str, Any] = {
        "key": p.key,
        "document": p.document,
        "edition": p.edition,
        "edition_id": p.edition_id,
        "status": p.status,
        "force": p.force or "",
        "chapter": p.chapter,
    }
    meta.update({f"role_{r}": True for r in p.roles})
    return meta


def chroma_client(settings: Settings, path: Path | None):
    """Embedded Chroma at ``path`` by default; a Chroma server when WTKB_CHROMA_MODE=http."""
    import chromadb
    from chromadb.config import Settings as ChromaSettings

    chroma_settings = ChromaSettings(anonymized_telemetry=False, allow_reset=False)
    if settings.chroma_mode == "http":
        return chromadb.HttpClient(
            host=settings.chroma_host, port=settings.chroma_port, settings=chroma_settings
        )
    return chromadb.PersistentClient(path=str(path), settings=chroma_settings)


def collection_name(settings: Settings, build_id: str) -> str:
    """One collection per build on a shared server; the embedded store has a folder per build."""
    return f"wtkb-{build_id}" if settings.chroma_mode == "http" else COLLECTION


def release_chroma() -> None:
    """Drop Chroma's per-path client cache so a build folder can be renamed or deleted."""
    from chromadb.api.client import SharedSystemClient

    SharedSystemClient.clear_system_cache()


# ---------------------------------------------------------------- embedding cache


class EmbeddingCache:
    """Vectors keyed by (model, content hash) in SQLite; each batch is committed as it is made."""

    def __init__(self, path: Path):
        path.parent.mkdir(parents=True, exist_ok=True)
        self._db = sqlite3.connect(path)
        self._db.execute(
            "CREATE TABLE IF NOT EXISTS vectors"
            " (model TEXT, hash TEXT, vector BLOB, PRIMARY KEY (model, hash))"
        )

    def get(self, model: str, hashes: list[str]) -> dict[str, np.ndarray]:
        found: dict[str, np.ndarray] = {}
        for start in range(0, len(hashes), 500):
            chunk = hashes[start : start + 500]
            marks = ",".join("?" * len(chunk))
            rows = self._db.execute(
                f"SELECT hash, vector FROM vectors WHERE model = ? AND hash IN ({marks})", [model, *chunk]
            )
            found.update({h: np.frombuffer(v, dtype=np.float32) for h, v in rows})
        return found

    def put(self, model: str, vectors: dict[str, np.ndarray]) -> None:
        with self._db:
            self._db.executemany(
                "INSERT OR REPLACE INTO vectors VALUES (?, ?, ?)",
                [(model, h, v.astype(np.float32).tobytes()) for h, v in vectors.items()],
            )

    def close(self) -> None:
        self._db.close()


def embed_all(
    provisions: list[Provision],
    embedder: Embedder,
    cache: EmbeddingCache,
    progress: Callable[[int], Callable[[int], None]] | None = None,
    batch: int = 32,
) -> tuple[np.ndarray, int]:
    """Vectors for every provision, embedding only texts the cache has not seen.

    Returns the vectors in provision order and how many texts were embedded.
    """
    hashes = [p.content_hash() for p in provisions]
    known = cache.get(embedder.name, sorted(set(hashes)))
    missing = {h: p for h, p in zip(hashes, provisions, strict=True) if h not in known}
    todo = list(missing.items())
    tick = progress(len(todo)) if progress else None
    for start in range(0, len(todo), batch):
        chunk = todo[start : start + batch]
        vectors = embedder.encode([p.embedding_text() for _, p in chunk])
        fresh = {h: v for (h, _), v in zip(chunk, vectors, strict=True)}
        cache.put(embedder.name, fresh)
        known.update(fresh)
        if tick:
            tick(len(chunk))
    return np.stack([known[h] for h in hashes]), len(todo)


# ---------------------------------------------------------------- builds


def _records_hash(corpus: Corpus, model: str) -> str:
    """Identity of a build's content: if it matches the live build, there is nothing to do."""
    payload = f"{model} query-model {query_model.FORMAT} " + records_json(corpus.provisions)
    return hashlib.sha256(payload.encode("utf-8")).hexdigest()


def current_build(index_dir: Path) -> Path | None:
    pointer = index_dir / "CURRENT"
    if not pointer.exists():
        return None
    build = index_dir / "builds" / pointer.read_text().strip()
    return build if (build / "manifest.json").exists() else None


def read_manifest(build: Path) -> dict[str, Any]:
    """A build's manifest: its id, content hash, model, and each provision's content hash."""
    return json.loads((build / "manifest.json").read_text(encoding="utf-8"))


def live_manifest(index_dir: Path) -> dict[str, Any] | None:
    """The live build's manifest, or None when there is no build."""
    build = current_build(index_dir)
    return read_manifest(build) if build else None


def index_problem(settings: Settings, manifest: dict[str, Any] | None) -> str | None:
    """Why the live index cannot answer for these settings, saying what to run; None when it can.

    Vectors from another model live in another space: querying them with this model's vectors would
    return confident nonsense, so a mismatch is refused rather than served.
    """
    if manifest is None:
        return f"no index in {settings.index_dir}: run `wtkb build` first"
    if manifest.get("model") != settings.model_package:
        return (
            f"the index in {settings.index_dir} was built with model {manifest.get('model')!r}, "
            f"but this server uses {settings.model_package!r}: run `wtkb build` to rebuild it"
        )
    if "query_model" not in manifest:
        return f"the index in {settings.index_dir} was built by an older wtkb: run `wtkb build` to rebuild it"
    return None


@contextmanager
def _build_lock(index_dir: Path) -> Iterator[None]:
    """One build at a time; the lock dies with the process, so a killed build never blocks the next."""
    index_dir.mkdir(parents=True, exist_ok=True)
    with open(index_dir / ".build.lock", "w") as handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError as exc:
            raise RuntimeError(f"another build is running in {index_dir}") from exc
        yield


def _write_chroma(
    settings: Settings, folder: Path, build_id: str, corpus: Corpus, vectors: np.ndarray
) -> None:
    client = chroma_client(settings, folder / "chroma")
    collection = client.create_collection(
        collection_name(settings, build_id), metadata={"hnsw:space": "cosine"}
    )
    provisions = corpus.provisions
    for start in range(0, len(provisions), 500):
        chunk = provisions[start : start + 500]
        collection.add(
            ids=[p.uid for p in chunk],
            embeddings=vectors[start : start + len(chunk)].tolist(),
            metadatas=[chroma_metadata(p) for p in chunk],
            documents=[p.embedding_text() for p in chunk],
        )
    release_chroma()


def _write_query_model(settings: Settings, folder: Path, embedder: Embedder) -> tuple[dict | None, str]:
    """The build's ONNX query model and a line saying how queries will be encoded. A build whose
    export cannot be made still completes: its queries fall back to sentence-transformers."""
    store = settings.index_dir / query_model.STORE
    before = {p.name for p in store.iterdir()} if store.exists() else set()
    try:
        config = query_model.add_to_build(
            settings.model_package, settings.index_dir, folder, embedder.export_onnx
        )
    except (ImportError, RuntimeError) as exc:
        return None, f"queries fall back to sentence-transformers: the ONNX export failed ({exc})"
    how = "reused" if config["source"][:16] in before else "exported"
    return config, f"queries use the ONNX query model ({how})"


def _write_bm25(folder: Path, corpus: Corpus) -> None:
    import bm25s

    retriever = bm25s.BM25()
    retriever.index(tokenize([p.embedding_text() for p in corpus.provisions]), show_progress=False)
    retriever.save(str(folder / "bm25"), show_progress=False)


def _swap(index_dir: Path, tmp: Path, build_id: str) -> None:
    """Make the finished build live: rename its folder, then atomically replace the pointer."""
    final = index_dir / "builds" / build_id
    tmp.rename(final)
    pointer_tmp = index_dir / "CURRENT.tmp"
    pointer_tmp.write_text(build_id)
    with open(pointer_tmp) as handle:
        os.fsync(handle.fileno())
    os.replace(pointer_tmp, index_dir / "CURRENT")


def _sweep(settings: Settings, keep: set[str]) -> None:
    """Remove interrupted temporary builds and builds older than the last KEEP_BUILDS."""
    builds = settings.index_dir / "builds"
    for folder in builds.glob(".tmp-*"):
        shutil.rmtree(folder, ignore_errors=True)
    finished = sorted((f for f in builds.iterdir() if not f.name.startswith(".")), key=lambda f: f.name)
    for folder in finished[:-KEEP_BUILDS]:
        if folder.name not in keep:
            shutil.rmtree(folder, ignore_errors=True)
            if settings.chroma_mode == "http":
                _drop_remote_collection(settings, folder.name)


def _drop_remote_collection(settings: Settings, build_id: str) -> None:
    client = chroma_client(settings, None)
    if collection_name(settings, build_id) in [c.name for c in client.list_collections()]:
        client.delete_collection(collection_name(settings, build_id))


def build(
    settings: Settings,
    embedder_factory: Callable[[], Embedder],
    progress: Callable[[int], Callable[[int], None]] | None = None,
) -> BuildReport:
    """Build a new index from the corpus and make it live, or do nothing if the live one is current.

    ``progress(texts_to_embed)`` returns a callback advanced as texts are embedded.
    """
    started = time.perf_counter()
    corpus = load_valid_corpus(settings.corpus_dir)
    index_dir = settings.index_dir
    with _build_lock(index_dir):
        (index_dir / "builds").mkdir(exist_ok=True)
        content = _records_hash(corpus, settings.model_package)
        live = current_build(index_dir)
        if live and json.loads((live / "manifest.json").read_text()).get("content") == content:
            return BuildReport(None, len(corpus.provisions), 0, len(corpus.provisions), 0.0, False)
        _sweep(settings, {live.name} if live else set())
        embedder = embedder_factory()
        cache = EmbeddingCache(index_dir / EMBEDDINGS)
        try:
            total = len(corpus.provisions)
            vectors, embedded = embed_all(corpus.provisions, embedder, cache, progress)
        finally:
            cache.close()
        # sortable by creation time down to the microsecond, so pruning keeps the newest builds
        build_id = datetime.now(UTC).strftime("%Y%m%dT%H%M%S%f") + f"-{content[:8]}"
        tmp = index_dir / "builds" / f".tmp-{build_id}"
        tmp.mkdir()
        _write_chroma(settings, tmp, build_id, corpus, vectors)
        _write_bm25(tmp, corpus)
        np.save(tmp / VECTORS, vectors.astype(np.float32))
        encoder, encoding = _write_query_model(settings, tmp, embedder)
        (tmp / "provisions.json").write_text(records_json(corpus.provisions), encoding="utf-8")
        manifest = {
            "build": build_id,
            "content": content,
            "model": settings.model_package,
            "chroma_mode": settings.chroma_mode,
            "provisions": total,
            "editions": sorted(e.id for e in corpus.editions.values()),
            "query_model": encoder,
            "hashes": {p.uid: p.content_hash() for p in corpus.provisions},
        }
        (tmp / "manifest.json").write_text(json.dumps(manifest, indent=1), encoding="utf-8")
        _swap(index_dir, tmp, build_id)
        _sweep(settings, {build_id})
    seconds = time.perf_counter() - started
    return BuildReport(build_id, total, embedded, total - embedded, seconds, True, encoding)
