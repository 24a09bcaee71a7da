"""The query encoder that travels with a build: the embedding model exported to ONNX.

Importing sentence-transformers (and torch) costs seconds, most of a cold search. So ``wtkb build``,
which has the model loaded anyway, also exports it to ONNX with the same mean pooling and L2
normalisation, and the query path runs that graph with onnxruntime and the ``tokenizers`` library
(tenths of a second to load). Provisions are still embedded by sentence-transformers; the two agree
to a cosine of 0.9999 or better (tests/test_query_model.py).

Exports are content-addressed by the model's files under ``<index>/query-models/<digest>/`` and
hard-linked into each build's ``query-model/`` folder, so a rebuild with the same model never
exports again and a build always carries the encoder of the model its vectors came from.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

from kb.embed import LruCache, model_path
from kb.filehash import file_sha256, update_from_file

FOLDER = "query-model"  # inside a build
STORE = "query-models"  # inside the index folder: one export per model digest
ONNX_FILE = "model.onnx"
TOKENIZER_FILE = "tokenizer.json"
CONFIG_FILE = "query_model.json"
FILES = (ONNX_FILE, TOKENIZER_FILE, CONFIG_FILE)
FORMAT = 1  # bump when the export changes, so that builds made with an older export are redone
OPSET = 17
INPUTS = ("input_ids", "attention_mask", "token_type_ids")


def model_digest(package: str) -> str:
    """sha256 over the model's files (names and bytes): the identity of what an export was made from."""
    folder = model_path(package)
    digest = hashlib.sha256(f"format {FORMAT}\n".encode())
    for path in sorted(p for p in folder.rglob("*") if p.is_file()):
        digest.update(str(path.relative_to(folder)).encode() + b"\0")
        update_from_file(digest, path)
    return digest.hexdigest()


def max_length(package: str) -> int:
    """The token limit sentence-transformers truncates at (sentence_bert_config.json), not the
    tokenizer file's own padding and truncation settings, which sentence-transformers overrides."""
    config = json.loads((model_path(package) / "sentence_bert_config.json").read_text(encoding="utf-8"))
    return int(config["max_seq_length"])


def _check_pooling(package: str) -> None:
    """The export implements mean pooling plus normalisation; refuse a model that pools otherwise."""
    folder = model_path(package)
    pooling = json.loads((folder / "1_Pooling" / "config.json").read_text(encoding="utf-8"))
    modules = json.loads((folder / "modules.json").read_text(encoding="utf-8"))
    means = [k for k, v in pooling.items() if k.startswith("pooling_mode_") and v]
    if means != ["pooling_mode_mean_tokens"] or not any(m["type"].endswith("Normalize") for m in modules):
        raise RuntimeError(f"model {package!r} does not use mean pooling with normalisation: cannot export")


def export(package: str, transformer: Any, folder: Path) -> None:
    """Write the ONNX graph (transformer, mean pooling, L2 normalisation), the tokenizer and a config.

    ``transformer`` is the loaded Hugging Face model inside the sentence-transformers model, so the
    exported weights are exactly those that embedded the provisions. Needs torch and onnx: build time.
    """
    import warnings

    import torch

    _check_pooling(package)

    class Pooled(torch.nn.Module):
        def __init__(self, model: Any):
            super().__init__()
            self.model = model

        def forward(self, input_ids: Any, attention_mask: Any, token_type_ids: Any) -> Any:
            hidden = self.model(
                input_ids=input_ids, attention_mask=attention_mask, token_type_ids=token_type_ids
            ).last_hidden_state
            weights = attention_mask.unsqueeze(-1).to(hidden.dtype)
            mean = (hidden * weights).sum(1) / weights.sum(1).clamp(min=1e-9)
            return torch.nn.functional.normalize(mean, p=2, dim=1)

    folder.mkdir(parents=True, exist_ok=True)
    # a padded batch of two, so the trace keeps the attention mask's effect on padding
    ids = torch.tensor([[101, 2054, 2003, 102], [101, 2054, 102, 0]])
    mask = (ids != 0).to(torch.long)
    attention = getattr(transformer.config, "_attn_implementation", None)
    transformer.config._attn_implementation = "eager"  # traces to plain ops, whatever the batch
    try:
        with torch.no_grad(), warnings.catch_warnings():
            warnings.simplefilter("ignore")  # tracer notes about shapes the dynamic axes already cover
            torch.onnx.export(
                Pooled(transformer).eval(),
                (ids, mask, torch.zeros_like(ids)),
                str(folder / ONNX_FILE),
                input_names=list(INPUTS),
                output_names=["embedding"],
                dynamic_axes={**{n: {0: "batch", 1: "tokens"} for n in INPUTS}, "embedding": {0: "batch"}},
                opset_version=OPSET,
                dynamo=False,
            )
    finally:
        transformer.config._attn_implementation = attention
    shutil.copyfile(model_path(package) / TOKENIZER_FILE, folder / TOKENIZER_FILE)
    config = {
        "package": package,
        "source": model_digest(package),
        "max_length": max_length(package),
        "pooling": "mean",
        "normalize": True,
        "opset": OPSET,
        "onnx_sha256": file_sha256(folder / ONNX_FILE),
    }
    (folder / CONFIG_FILE).write_text(json.dumps(config, indent=1), encoding="utf-8")


def read_config(folder: Path) -> dict[str, Any] | None:
    """An export's config, or None when the folder holds no complete export."""
    if not all((folder / name).exists() for name in FILES):
        return None
    return json.loads((folder / CONFIG_FILE).read_text(encoding="utf-8"))


def link_into(source: Path, build: Path) -> dict[str, Any]:
    """Hard-link a finished export into a build folder (copy where links are impossible)."""
    target = build / FOLDER
    target.mkdir()
    for name in FILES:
        try:
            os.link(source / name, target / name)
        except OSError:
            shutil.copyfile(source / name, target / name)
    config = read_config(target)
    assert config is not None
    return config


class OnnxEncoder:
    """Encodes queries with the exported graph: onnxruntime plus the model's own tokenizer.json."""

    def __init__(self, folder: Path, cache_size: int = 1024):
        import onnxruntime
        from tokenizers import Tokenizer

        config = read_config(folder)
        if config is None:
            raise FileNotFoundError(f"no complete query model in {folder}")
        self.name = config["package"]
        self.config = config
        self._tokenizer = Tokenizer.from_file(str(folder / TOKENIZER_FILE))
        self._tokenizer.no_padding()
        self._tokenizer.enable_truncation(max_length=int(config["max_length"]))
        options = onnxruntime.SessionOptions()
        options.log_severity_level = 3  # warnings about unused initialisers are noise here
        # Idle threads would otherwise spin for a while after each encode, and on a small machine that
        # spinning slows the Chroma query that follows it by half (bench/search.py).
        options.add_session_config_entry("session.intra_op.allow_spinning", "0")
        self._session = onnxruntime.InferenceSession(
            str(folder / ONNX_FILE), options, providers=["CPUExecutionProvider"]
        )
        self._cache = LruCache(cache_size)
        self.encoded = 0  # texts encoded so far; lets tests see real model work

    def encode(self, texts: list[str]) -> np.ndarray:
        """Unit vectors, one row per text (padded to the longest text of the batch)."""
        self.encoded += len(texts)
        encodings = self._tokenizer.encode_batch(texts)
        width = max(len(e.ids) for e in encodings)
        feed = {name: np.zeros((len(texts), width), dtype=np.int64) for name in INPUTS}
        for row, e in enumerate(encodings):
            n = len(e.ids)
            feed["input_ids"][row, :n] = e.ids
            feed["attention_mask"][row, :n] = e.attention_mask
            feed["token_type_ids"][row, :n] = e.type_ids
        return np.asarray(self._session.run(None, feed)[0], dtype=np.float32)

    def encode_query(self, query: str) -> np.ndarray:
        """Embed a query, reusing the vector for a query seen recently."""
        return self._cache.get(query, lambda: self.encode([query])[0])

    def clear_cache(self) -> None:
        self._cache.clear()


def add_to_build(
    package: str, index_dir: Path, build: Path, export_to: Callable[[Path], None]
) -> dict[str, Any]:
    """Put the model's export into a build: the stored one when the model's files are unchanged,
    else a fresh export, which replaces older ones in the store. Runs under the build lock."""
    store = index_dir / STORE
    store.mkdir(exist_ok=True)
    source = store / model_digest(package)[:16]
    if read_config(source) is None:
        tmp = store / ".tmp"
        shutil.rmtree(tmp, ignore_errors=True)
        shutil.rmtree(source, ignore_errors=True)
        export_to(tmp)
        tmp.rename(source)
    for old in store.iterdir():
        if old != source:
            shutil.rmtree(old, ignore_errors=True)  # builds still using it hold hard links
    return link_into(source, build)
