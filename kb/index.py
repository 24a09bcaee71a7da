"""Build and open the search index: Chroma vectors + bm25s arrays + the provision records.

Layout under ``settings.index_dir``::

    embeddings.sqlite3        vectors by (model, content hash): survives builds, so unchanged text is
                              never embedded twice (the idea of simonw/llm's embeddings store)
    CURRENT                   name of the live build; replaced atomically with os.replace
    builds/<id>/              one complete build: provisions.json, vectors.npy (a copy of the vectors to
                              check Chroma's against), manifest.json, bm25/, chroma/, query-model/
    query-models/<digest>/    the model exported to ONNX for queries, by the digest of the model's
                              files; hard-linked into each build (kb/query_model.py)
    builds/.tmp-<id>/         a build under way; renamed into place only when complete

A build interrupted at any point (Ctrl-C, kill -9) leaves CURRENT naming the previous, complete
build, which keeps serving; the next build sweeps the leftover temporary folder away.

A build that is damaged afterwards (a full disk, a restore cut short, an edit in the wrong folder) is
caught, never served: the manifest records every file's size and sha256. Opening a build compares
the sizes (cheap, every time); ``wtkb build --verify`` and every ``wtkb build`` compare the hashes and
read the vectors back from Chroma. Chroma rewrites bytes of its own files as it reads them (the sizes
stay), so its files are checked by size, and its content by comparing the vectors it returns with the
build's own copy (vectors.npy) and by finding a sample of them through its HNSW index.
"""

from __future__ import annotations

import fcntl
import hashlib
import json
import os
import shutil
import sqlite3
import time
from collections import Counter
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
from kb.filehash import file_sha256
from kb.settings import Settings

COLLECTION = "provisions"
EMBEDDINGS = "embeddings.sqlite3"  # the content-hash cache, shared by builds and diffs
CHROMA_FILES = "chroma/"  # files Chroma rewrites as it reads them: checked by size, not by hash
VECTORS = "vectors.npy"  # the build's copy of its vectors, to check Chroma's against
SAMPLED = 20  # vectors a full check looks up through Chroma's HNSW index: most must find themselves
NEIGHBOURS = 10  # among their nearest ten (HNSW is approximate: near-duplicates may outrank a vector)


class IndexMissing(RuntimeError):
    """The index cannot answer: none exists yet, the live one was made with another embedding model,
    it is damaged, or its Chroma server is not answering. The message says what to do."""


class IndexDamaged(IndexMissing):
    """A file of the live build is missing, cut short or altered; the message names it."""

    def __init__(self, what: Path | str):
        self.what = str(what)
        super().__init__(f"the index is damaged ({what}): run `wtkb build`")


class ChromaUnavailable(IndexMissing):
    """The Chroma server (WTKB_CHROMA_MODE=http) did not answer; the next request tries it again."""

    def __init__(self, settings: Settings):
        where = f"http://{settings.chroma_host}:{settings.chroma_port}"
        super().__init__(
            f"the Chroma server at {where} is not answering: start it (`chroma run`) "
            "or check WTKB_CHROMA_HOST and WTKB_CHROMA_PORT"
        )


@dataclass(frozen=True)
class BuildReport:
    build_id: str | None
    provisions: int
    embedded: int
    reused: int
    seconds: float
    changed: bool
    repaired: str | None = None  # the damaged file for which the live build was built again
    warnings: tuple[str, ...] = ()
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
    """What a record is, so a collection can be read on its own (on a shared Chroma server, say).
    Searches restrict Chroma by ids, not by these fields (see ``LoadedIndex.admitted``)."""
    return {
        "key": p.key,
        "document": p.document,
        "edition": p.edition,
        "edition_id": p.edition_id,
        "status": p.status,
        "force": p.force or "",
        "chapter": p.chapter,
    }


def chroma_client(settings: Settings, path: Path | None):
    """Embedded Chroma at ``path`` by default; a Chroma server when WTKB_CHROMA_MODE=http."""
    import chromadb
    from chromadb.config import Settings as ChromaSettings

    chroma_settings = ChromaSettings(anonymized_telemetry=False, allow_reset=False)
    if settings.chroma_mode == "http":
        try:
            return chromadb.HttpClient(
                host=settings.chroma_host, port=settings.chroma_port, settings=chroma_settings
            )
        except ValueError:  # what chromadb raises when no server answers
            raise ChromaUnavailable(settings) from None
    return chromadb.PersistentClient(path=str(path), settings=chroma_settings)


def collection_name(settings: Settings, build_id: str) -> str:
    """One collection per build on a shared server; the embedded store has a folder per build."""
    return f"wtkb-{build_id}" if settings.chroma_mode == "http" else COLLECTION


def chroma_failure(settings: Settings, build: Path, exc: Exception) -> IndexMissing:
    """What an exception from Chroma means to the user: a server that does not answer (tried afresh
    on the next request), or a damaged store (its folder, or the build's collection on the server)."""
    if settings.chroma_mode != "http":
        return IndexDamaged(build / "chroma")
    import httpx  # Chroma's HTTP client: loaded only in http mode, where chromadb has loaded it

    if isinstance(exc, httpx.TransportError | ChromaUnavailable):
        return ChromaUnavailable(settings)
    return IndexDamaged(f"collection {collection_name(settings, build.name)} on the Chroma server")


def open_collection(settings: Settings, build: Path) -> Any:
    """The Chroma collection of a build, on the server or in the build's folder."""
    return chroma_client(settings, build / "chroma").get_collection(collection_name(settings, build.name))


def release_chroma() -> None:
    """Drop Chroma's per-path client cache so a build folder can be renamed or deleted."""
    from chromadb.api.client import SharedSystemClient

    SharedSystemClient.clear_system_cache()


# ---------------------------------------------------------------- embedding cache


class EmbeddingCache:
    """Vectors keyed by (model, content hash) in SQLite; each batch is committed as it is made.

    The cache is never trusted blindly: a file SQLite finds damaged is moved aside and a new one
    started, and a row that is not a unit vector of the usual length is dropped and embedded again.
    Each such event is a line in ``warnings``.
    """

    def __init__(self, path: Path):
        path.parent.mkdir(parents=True, exist_ok=True)
        self.warnings: list[str] = []
        try:
            self._db = self._open(path)
        except sqlite3.DatabaseError as exc:
            aside = path.with_name(path.name + ".damaged")
            os.replace(path, aside)
            self.warnings.append(
                f"the embedding cache {path} is damaged ({exc}): moved to {aside.name}, starting a new one"
            )
            self._db = self._open(path)

    @staticmethod
    def _open(path: Path) -> sqlite3.Connection:
        db = sqlite3.connect(path)
        try:
            verdict = db.execute("PRAGMA quick_check").fetchone()[0]
            if verdict != "ok":
                raise sqlite3.DatabaseError(verdict)
            db.execute(
                "CREATE TABLE IF NOT EXISTS vectors"
                " (model TEXT, hash TEXT, vector BLOB, PRIMARY KEY (model, hash))"
            )
        except sqlite3.DatabaseError:
            db.close()
            raise
        return db

    def get(self, model: str, hashes: list[str]) -> dict[str, np.ndarray]:
        """The sound cached vectors among ``hashes``; damaged rows are deleted, to be embedded again."""
        rows: dict[str, bytes] = {}
        for start in range(0, len(hashes), 500):
            chunk = hashes[start : start + 500]
            marks = ",".join("?" * len(chunk))
            found = self._db.execute(
                f"SELECT hash, vector FROM vectors WHERE model = ? AND hash IN ({marks})", [model, *chunk]
            )
            rows.update(found)
        sizes = Counter(len(v) for v in rows.values())
        usual = sizes.most_common(1)[0][0] if sizes else 0
        sound = {h: np.frombuffer(v, dtype=np.float32) for h, v in rows.items() if _sound(v, usual)}
        damaged = sorted(set(rows) - set(sound))
        if damaged:
            with self._db:
                self._db.executemany(
                    "DELETE FROM vectors WHERE model = ? AND hash = ?", [(model, h) for h in damaged]
                )
            self.warnings.append(f"{len(damaged)} damaged vector(s) in the embedding cache: embedded again")
        return sound

    def put(self, model: str, vectors: dict[str, np.ndarray]) -> None:
        with self._db:
            self._db.executemany(
                "INSERT OR REPLACE INTO vectors VALUES (?, ?, ?)",
                [(model, h, v.astype(np.float32).tobytes()) for h, v in vectors.items()],
            )

    def close(self) -> None:
        self._db.close()


def _sound(blob: bytes, size: int) -> bool:
    """A cached row is a finite unit vector (the embedder normalises) of the usual size in bytes."""
    if len(blob) != size or size % 4:
        return False
    vector = np.frombuffer(blob, dtype=np.float32)
    return bool(np.isfinite(vector).all()) and abs(float(np.linalg.norm(vector)) - 1.0) < 1e-3


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
    """A build's manifest: its id, content hash, model, each provision's content hash, and each
    file's size and sha256; IndexDamaged when it cannot be read."""
    path = build / "manifest.json"
    try:
        manifest = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError):
        raise IndexDamaged(path) from None
    if not isinstance(manifest, dict) or not isinstance(manifest.get("files", {}), dict):
        raise IndexDamaged(path)
    return manifest


def file_records(folder: Path) -> dict[str, dict[str, Any]]:
    """Each file of a build but the manifest: its size, and its sha256 unless Chroma rewrites it."""
    records: dict[str, dict[str, Any]] = {}
    for path in sorted(p for p in folder.rglob("*") if p.is_file() and p.name != "manifest.json"):
        name = path.relative_to(folder).as_posix()
        records[name] = {"size": path.stat().st_size}
        if not name.startswith(CHROMA_FILES):
            records[name]["sha256"] = file_sha256(path)
    return records


def check_files(build: Path, manifest: dict[str, Any], hashes: bool = False) -> None:
    """IndexDamaged naming the first file that is missing or of another size (or, with ``hashes``,
    other content) than the manifest records."""
    for name, record in manifest.get("files", {}).items():
        path = build / name
        try:
            size = path.stat().st_size
        except OSError:
            raise IndexDamaged(path) from None
        if size != record.get("size"):
            raise IndexDamaged(path)
        if hashes and "sha256" in record and file_sha256(path) != record["sha256"]:
            raise IndexDamaged(path)


def check_vectors(settings: Settings, build: Path, manifest: dict[str, Any]) -> None:
    """IndexDamaged unless Chroma gives back every vector as built (the build's own copy,
    vectors.npy, whose hash is checked first) and finds most of a sample of them by similarity
    (which reads its HNSW files); ChromaUnavailable when its server does not answer.

    Chroma normalises what it stores, so its vectors match the copy to within float32 rounding."""
    try:
        collection = open_collection(settings, build)
        got = collection.get(include=["embeddings"])
        vectors = np.asarray(got["embeddings"], dtype=np.float32)
        built = np.load(build / VECTORS)
        rows = {uid: row for row, uid in enumerate(manifest["hashes"])}
        order = [rows[uid] for uid in got["ids"]]
        if len(order) != len(rows) or not np.allclose(vectors, built[order], atol=1e-5):
            raise ValueError("other vectors than built")
        step = max(1, len(vectors) // SAMPLED)
        sample, ids = vectors[::step], got["ids"][::step]
        found = collection.query(query_embeddings=sample.tolist(), n_results=NEIGHBOURS, include=[])
        if sum(uid in near for uid, near in zip(ids, found["ids"], strict=True)) < 0.8 * len(ids):
            raise ValueError("stored vectors are not found by similarity")
    except Exception as exc:  # whatever Chroma raises over a damaged store, the store is what is wrong
        raise chroma_failure(settings, build, exc) from None
    finally:
        if settings.chroma_mode != "http":
            release_chroma()


def verify(settings: Settings) -> dict[str, Any]:
    """Check the live build in full (every hash, every vector); its manifest, or IndexMissing."""
    build = current_build(settings.index_dir)
    manifest = read_manifest(build) if build else None
    problem = index_problem(settings, manifest)
    if build is None or manifest is None or problem:
        raise IndexMissing(problem)
    if VECTORS not in manifest.get("files", {}):  # made before builds recorded their files
        raise IndexDamaged(build / "manifest.json")
    check_files(build, manifest, hashes=True)
    check_vectors(settings, build, manifest)
    return manifest


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


def live_state(settings: Settings) -> tuple[dict[str, Any] | None, str | None]:
    """The live build's manifest (None if unreadable or absent) and why it cannot answer, checking
    its files' sizes and that a Chroma server answers: what /health reports."""
    build = current_build(settings.index_dir)
    try:
        manifest = read_manifest(build) if build else None
    except IndexDamaged as exc:
        return None, str(exc)
    problem = index_problem(settings, manifest)
    if build and manifest and problem is None:
        try:
            check_files(build, manifest)
            if settings.chroma_mode == "http":
                chroma_client(settings, None).heartbeat()
        except IndexMissing as exc:
            problem = str(exc)
        except Exception as exc:  # the server went away after the client was made
            problem = str(chroma_failure(settings, build, exc))
    return manifest, problem


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
    # Chroma applies vectors to its HNSW files in batches (100) and saves them every 1000, leaving the
    # rest to the first readers, which would change the files' sizes after the manifest recorded them:
    # one batch of everything makes the files complete, and stable, when the build is.
    whole = max(len(corpus.provisions), 2)
    collection = client.create_collection(
        collection_name(settings, build_id),
        metadata={"hnsw:space": "cosine", "hnsw:batch_size": whole, "hnsw:sync_threshold": whole},
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
    """Remove interrupted temporary builds and builds older than the newest ``settings.keep_builds``
    (the live one and the one before it by default, which a running server may still hold open);
    the builds in ``keep`` (the live one) are never removed."""
    builds = settings.index_dir / "builds"
    for folder in builds.glob(".tmp-*"):
        shutil.rmtree(folder, ignore_errors=True)
    finished = sorted((f for f in builds.iterdir() if not f.name.startswith(".")), key=lambda f: f.name)
    for folder in finished[: -settings.keep_builds]:
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
        current, damage = _live_condition(settings, live, content)
        if current and damage is None:
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
        encoder, encoding = _write_query_model(settings, tmp, embedder)
        (tmp / "provisions.json").write_text(records_json(corpus.provisions), encoding="utf-8")
        np.save(tmp / VECTORS, vectors.astype(np.float32))
        manifest = {
            "build": build_id,
            "content": content,
            "model": settings.model_package,
            "chroma_mode": settings.chroma_mode,
            "provisions": total,
            "editions": sorted(e.id for e in corpus.editions.values()),
            "query_model": encoder,
            "hashes": {p.uid: p.content_hash() for p in corpus.provisions},
            "files": file_records(tmp),
        }
        (tmp / "manifest.json").write_text(json.dumps(manifest, indent=1), encoding="utf-8")
        _swap(index_dir, tmp, build_id)
        _sweep(settings, {build_id})
    seconds = time.perf_counter() - started
    warnings = tuple(cache.warnings)
    return BuildReport(build_id, total, embedded, total - embedded, seconds, True, damage, warnings, encoding)


def _live_condition(settings: Settings, live: Path | None, content: str) -> tuple[bool, str | None]:
    """Whether the live build holds this content, and its damaged file (None when it is sound).

    A build whose manifest cannot be read counts as current and damaged: it is built again either way.
    """
    if live is None:
        return False, None
    try:
        if read_manifest(live).get("content") != content:
            return False, None
        verify(settings)
    except IndexDamaged as exc:
        return True, exc.what
    return True, None
