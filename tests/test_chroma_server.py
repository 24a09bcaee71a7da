"""WTKB_CHROMA_MODE=http: the same build with its vectors stored in a real Chroma server (`chroma run`);
search answers from the build's own vector matrix."""

from __future__ import annotations

import shutil
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from kb.embed import Embedder
from kb.index import build, chroma_client
from kb.search import Query
from kb.service import Knowledge
from kb.settings import Settings
from tests.conftest import write_corpus

CHROMA = shutil.which("chroma") or str(Path(sys.executable).parent / "chroma")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def server(tmp_path: Path) -> Iterator[int]:
    port = free_port()
    proc = subprocess.Popen(
        [CHROMA, "run", "--path", str(tmp_path / "server"), "--host", "127.0.0.1", "--port", str(port)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
            break
        except OSError:
            time.sleep(0.2)
    try:
        yield port
    finally:
        proc.terminate()
        proc.wait(timeout=30)


def test_build_and_search_through_a_chroma_server(tmp_path: Path, embedder: Embedder, server: int) -> None:
    settings = Settings(
        corpus_dir=write_corpus(tmp_path),
        index_dir=tmp_path / "index",
        chroma_mode="http",
        chroma_port=server,
    )
    first = build(settings, lambda: embedder)
    assert not (tmp_path / "index" / "builds" / first.build_id / "chroma").exists(), (
        "vectors live on the server"
    )
    hits = Knowledge(settings, embedder).search(Query("enquiries under section 47", status="statutory"))
    assert hits[0].provision.key == "section-47-enquiry"
    path = settings.corpus_dir / "wt/2023/advice/03-help.md"
    for n in range(3):
        path.write_text(path.read_text() + f"\nMore advice {n}.\n")
        build(settings, lambda: embedder)
    names = {c.name for c in chroma_client(settings, None).list_collections()}
    assert len(names) == 2 and f"wtkb-{first.build_id}" not in names, "old builds' collections are dropped"
