"""sha256 of files read in blocks: one reader for the build manifest's hashes, the ONNX export's hash and
the digest of the model's files, so large files (the ONNX graph is ~90 MB) are never read whole."""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Any

BLOCK = 1 << 20


def update_from_file(digest: Any, path: Path) -> None:
    """Feed a file's bytes into a running hash, a block at a time."""
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(BLOCK), b""):
            digest.update(block)


def file_sha256(path: Path) -> str:
    """The hex sha256 of one file."""
    digest = hashlib.sha256()
    update_from_file(digest, path)
    return digest.hexdigest()
