"""A damaged build is caught and never served, and a plain `wtkb build` repairs it.

Each kind of file of a build is cut short as a full disk or an interrupted copy would leave it: the
library, the CLI (exit 1, one line), the API (503) and /health (degraded) all say "the index is damaged
(FILE): run `wtkb build`", and the next build makes a sound one again without embedding anything.
"""

from __future__ import annotations

import sqlite3
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from api.app import create_app
from kb.embed import Embedder
from kb.index import EMBEDDINGS, IndexDamaged, build, current_build, live_state, read_manifest, verify
from kb.search import Query
from kb.service import Knowledge
from kb.settings import Settings
from tests.test_cli import wtkb

PROVISIONS = 470  # more than four of Chroma's batches of 100, as the real corpus
STAT = "wt/2023/statutory/03-help.md"
KINDS = ["bm25/data.csc.index.npy", "bm25/vocab.index.json", "chroma/chroma.sqlite3", "provisions.json"]
KINDS += ["vectors.npy", "manifest.json"]


def cut_short(path: Path) -> None:
    """What a full disk or a copy cut short leaves: the first half of the file."""
    data = path.read_bytes()
    path.write_bytes(data[: len(data) // 2])


def search(settings: Settings, embedder: Embedder) -> str:
    return Knowledge(settings, embedder).search(Query("section 47 enquiries"))[0].provision.key


@pytest.mark.parametrize("name", KINDS)
def test_a_file_cut_short_is_named_everywhere_and_a_plain_build_repairs_it(
    settings: Settings, embedder: Embedder, name: str
) -> None:
    build(settings, lambda: embedder)
    live = current_build(settings.index_dir)
    damaged = live / name
    cut_short(damaged)
    message = f"the index is damaged ({damaged}): run `wtkb build`"

    with pytest.raises(IndexDamaged) as caught:
        search(settings, embedder)
    assert str(caught.value) == message

    cli = wtkb(settings, "search", "section 47")
    assert cli.returncode == 1
    assert cli.stdout == "" and " ".join(cli.stderr.split()) == f"error: {message}", "one line, no traceback"

    client = TestClient(create_app(knowledge=Knowledge(settings, embedder)))
    response = client.get("/api/search", params={"q": "section 47"})
    assert (response.status_code, response.json()["detail"]) == (503, message)
    health = client.get("/health").json()
    assert (health["status"], health["problem"]) == ("degraded", message)

    report = build(settings, lambda: embedder)
    assert report.changed and report.repaired == str(damaged) and report.embedded == 0
    assert search(settings, embedder) == "section-47-enquiry"
    assert client.get("/api/search", params={"q": "section 47"}).status_code == 200, "no restart needed"
    assert client.get("/health").json()["status"] == "ok"


def test_the_cli_build_says_it_repaired_the_index(settings: Settings, embedder: Embedder) -> None:
    build(settings, lambda: embedder)
    damaged = current_build(settings.index_dir) / "bm25" / "data.csc.index.npy"
    cut_short(damaged)
    result = wtkb(settings, "build")
    assert result.returncode == 0
    assert f"the index was damaged ({damaged}): built it again" in " ".join(result.stderr.split())
    assert "0 embedded" in result.stdout


def test_same_size_damage_is_found_by_verify_and_repaired(settings: Settings, embedder: Embedder) -> None:
    build(settings, lambda: embedder)
    live = current_build(settings.index_dir)
    path = live / "provisions.json"
    path.write_text(path.read_text().replace("local authority", "local authorisy"))  # same size
    search(settings, embedder)  # the cheap check on opening sees sizes only
    result = wtkb(settings, "build", "--verify")
    assert result.returncode == 1
    assert f"the index is damaged ({path})" in " ".join(result.stderr.split())
    assert build(settings, lambda: embedder).repaired == str(path)
    verify(settings)
    assert wtkb(settings, "build", "--verify").stdout.startswith("index ok: build ")


def test_searching_leaves_a_build_verifiable(settings: Settings, embedder: Embedder) -> None:
    """Chroma rewrites bytes of its files as it reads them, and (unless told otherwise) finishes its
    HNSW files only once readers come: neither may ever count as damage. The provisions fill more than
    four of Chroma's batches."""
    points = "".join(
        f'## Point {n} {{#point-{n} section="Providing help" roles="all-practitioners" '
        f'checked="https://example.org/b"}}\n\nPractitioners note point number {n} of {PROVISIONS}.\n\n'
        for n in range(PROVISIONS)
    )
    path = settings.corpus_dir / "wt/2023/advice/03-help.md"
    path.write_text(path.read_text() + "\n" + points)
    build(settings, lambda: embedder)
    kb = Knowledge(settings, embedder)
    with ThreadPoolExecutor(16) as pool:
        list(pool.map(lambda n: kb.search(Query(f"point number {n}")), range(400)))
    assert live_state(settings) == (read_manifest(current_build(settings.index_dir)), None)
    verify(settings)
    assert not build(settings, lambda: embedder).changed


def test_a_damaged_embedding_cache_is_rebuilt_with_a_warning(settings: Settings, embedder: Embedder) -> None:
    build(settings, lambda: embedder)
    cache = settings.index_dir / EMBEDDINGS
    cut_short(cache)
    cut_short(current_build(settings.index_dir) / "provisions.json")
    report = build(settings, lambda: embedder)
    [warning] = report.warnings
    assert warning.startswith(f"the embedding cache {cache} is damaged") and "starting a new one" in warning
    assert (report.embedded, report.reused) == (4, 0)
    assert (settings.index_dir / (EMBEDDINGS + ".damaged")).exists()
    assert search(settings, embedder) == "section-47-enquiry"


def test_a_damaged_cached_vector_is_embedded_again(settings: Settings, embedder: Embedder) -> None:
    build(settings, lambda: embedder)
    with sqlite3.connect(settings.index_dir / EMBEDDINGS) as db:
        db.execute("UPDATE vectors SET vector = substr(vector, 1, 10) WHERE rowid = 1")
        db.execute("UPDATE vectors SET vector = zeroblob(length(vector)) WHERE rowid = 2")
    path = settings.corpus_dir / STAT
    path.write_text(path.read_text() + "\nOne more sentence.\n")  # a new build reads the cache
    report = build(settings, lambda: embedder)
    assert report.warnings == ("2 damaged vector(s) in the embedding cache: embedded again",)
    assert report.embedded == 3  # the two damaged and the changed provision
    assert not build(settings, lambda: embedder).changed


@pytest.mark.parametrize("keep", [1, 3])
def test_old_builds_are_pruned_to_the_setting_never_the_live_one(
    settings: Settings, embedder: Embedder, keep: int
) -> None:
    settings = settings.model_copy(update={"keep_builds": keep})
    path = settings.corpus_dir / STAT
    for n in range(4):
        path.write_text(path.read_text() + f"\nExtra sentence {n}.\n")
        build(settings, lambda: embedder)
    builds = sorted(b.name for b in (settings.index_dir / "builds").iterdir())
    assert len(builds) == keep
    assert builds[-1] == current_build(settings.index_dir).name
    assert read_manifest(current_build(settings.index_dir))["files"]
