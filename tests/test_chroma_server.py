"""WTKB_CHROMA_MODE=http: the same build with its vectors stored in a real Chroma server (`chroma run`);
search answers from the build's own vector matrix."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from api.app import create_app
from kb.embed import Embedder
from kb.index import IndexDamaged, build, chroma_client
from kb.search import Query
from kb.service import Knowledge
from kb.settings import Settings
from tests.conftest import write_corpus

CHROMA = shutil.which("chroma") or str(Path(sys.executable).parent / "chroma")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class ChromaServer:
    """A real `chroma run` process on a fixed port and data folder, which tests stop and start again."""

    def __init__(self, path: Path):
        self.path = path
        self.port = free_port()
        self.proc: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        args = ["run", "--path", str(self.path), "--host", "127.0.0.1", "--port", str(self.port)]
        self.proc = subprocess.Popen([CHROMA, *args], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                socket.create_connection(("127.0.0.1", self.port), timeout=0.5).close()
                return
            except OSError:
                time.sleep(0.1)
        raise RuntimeError("chroma run did not start within 60 s")

    def stop(self, kill: bool = False) -> None:
        if self.proc is not None:
            self.proc.kill() if kill else self.proc.terminate()
            self.proc.wait(timeout=30)
            self.proc = None


@pytest.fixture
def chroma(tmp_path: Path) -> Iterator[ChromaServer]:
    running = ChromaServer(tmp_path / "server")
    running.start()
    try:
        yield running
    finally:
        running.stop()


@pytest.fixture
def settings(tmp_path: Path, chroma: ChromaServer) -> Settings:
    """The fixture corpus, with its vectors on the running Chroma server."""
    return Settings(
        corpus_dir=write_corpus(tmp_path),
        index_dir=tmp_path / "index",
        chroma_mode="http",
        chroma_port=chroma.port,
    )


def test_build_and_search_through_a_chroma_server(
    tmp_path: Path, embedder: Embedder, settings: Settings
) -> None:
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


@pytest.mark.parametrize("kill", [True, False], ids=["killed", "stopped"])
def test_a_server_down_is_a_503_and_recovery_needs_no_restart_of_wtkb(
    settings: Settings, embedder: Embedder, chroma: ChromaServer, kill: bool
) -> None:
    build(settings, lambda: embedder)
    client = TestClient(create_app(knowledge=Knowledge(settings, embedder)))
    assert client.get("/api/search", params={"q": "section 47"}).status_code == 200

    chroma.stop(kill=kill)
    message = f"the Chroma server at http://127.0.0.1:{chroma.port} is not answering"
    for url, params in (("/api/search", {"q": "section 47"}), ("/api/statutory", {"statement": "refer"})):
        response = client.get(url, params=params)
        assert response.status_code == 503
        assert response.json()["detail"].startswith(message)
    page = client.get("/search", params={"q": "section 47"})
    assert page.status_code == 503 and message in page.text
    health = client.get("/health").json()
    assert health["status"] == "degraded" and health["problem"].startswith(message)
    assert fail_cli(settings).startswith(f"error: {message}")

    chroma.start()  # the same data folder and port: the same wtkb process answers again
    response = client.get("/api/search", params={"q": "section 47 enquiries"})
    assert response.status_code == 200
    assert response.json()[0]["key"] == "section-47-enquiry"
    assert client.get("/health").json()["status"] == "ok"


def test_a_server_that_lost_its_data_is_a_damaged_index_and_build_repairs_it(
    settings: Settings, embedder: Embedder, chroma: ChromaServer
) -> None:
    first = build(settings, lambda: embedder)
    chroma.stop()
    shutil.rmtree(chroma.path)
    chroma.start()
    kb = Knowledge(settings, embedder)
    with pytest.raises(IndexDamaged, match=f"collection wtkb-{first.build_id} on the Chroma server"):
        kb.search(Query("section 47"))
    report = build(settings, lambda: embedder)
    assert report.repaired == f"collection wtkb-{first.build_id} on the Chroma server"
    assert report.embedded == 0
    assert kb.search(Query("section 47 enquiries"))[0].provision.key == "section-47-enquiry"


def fail_cli(settings: Settings) -> str:
    """What `wtkb search` prints when it cannot answer: one line on stderr, never a traceback."""
    env = {
        **os.environ,
        "WTKB_CORPUS_DIR": str(settings.corpus_dir),
        "WTKB_INDEX_DIR": str(settings.index_dir),
        "WTKB_CHROMA_MODE": "http",
        "WTKB_CHROMA_PORT": str(settings.chroma_port),
    }
    result = subprocess.run(
        [sys.executable, "-m", "kb.cli", "search", "section 47"],
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode != 0 and "Traceback" not in result.stderr
    return " ".join(result.stderr.split())
