"""`wtkb serve`: host, port and workers from WTKB_HOST, WTKB_PORT and WTKB_WORKERS, and a real server
that starts without an index, says what to run, and answers 503 until then."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from typer.testing import CliRunner

from kb import cli
from kb.settings import get_settings
from tests.conftest import write_corpus


@pytest.fixture
def uvicorn_calls(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[dict[str, Any]]]:
    import uvicorn

    calls: list[dict[str, Any]] = []
    monkeypatch.setattr(uvicorn, "run", lambda app, **kwargs: calls.append({"app": app, **kwargs}))
    get_settings.cache_clear()
    yield calls
    get_settings.cache_clear()


def test_serve_takes_host_port_and_workers_from_the_environment(
    monkeypatch: pytest.MonkeyPatch, uvicorn_calls: list[dict[str, Any]]
) -> None:
    monkeypatch.setenv("WTKB_HOST", "127.0.0.2")
    monkeypatch.setenv("WTKB_PORT", "8123")
    monkeypatch.setenv("WTKB_WORKERS", "3")
    assert CliRunner().invoke(cli.app, ["serve"]).exit_code == 0
    [call] = uvicorn_calls
    assert (call["host"], call["port"], call["workers"]) == ("127.0.0.2", 8123, 3)
    assert call["app"] == "api.app:create_app" and call["factory"] is True, "workers need an import string"
    assert call["log_config"]["loggers"]["wtkb"]["handlers"] == ["default"], "startup messages are shown"


def test_serve_options_win_over_the_environment(
    monkeypatch: pytest.MonkeyPatch, uvicorn_calls: list[dict[str, Any]]
) -> None:
    monkeypatch.setenv("WTKB_PORT", "8123")
    result = CliRunner().invoke(cli.app, ["serve", "--port", "9000", "--workers", "2"])
    assert result.exit_code == 0
    assert (uvicorn_calls[0]["port"], uvicorn_calls[0]["workers"]) == (9000, 2)


def test_bad_worker_settings_are_refused_with_a_message() -> None:
    result = CliRunner().invoke(cli.app, ["serve", "--workers", "0"])
    assert result.exit_code == 2 and "--workers" in result.output


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_a_server_without_an_index_starts_explains_and_answers_503(tmp_path: Path) -> None:
    port = free_port()
    env = {
        **os.environ,
        "WTKB_CORPUS_DIR": str(write_corpus(tmp_path)),
        "WTKB_INDEX_DIR": str(tmp_path / "no-index"),
        "WTKB_PORT": str(port),
        "WTKB_WORKERS": "2",
    }
    log = tmp_path / "server.log"
    with open(log, "wb") as handle:
        server = subprocess.Popen(
            [sys.executable, "-m", "kb.cli", "serve"], env=env, stdout=handle, stderr=handle
        )
    try:
        health = wait_for_health(f"http://127.0.0.1:{port}", server)
        assert health["status"] == "degraded" and "run `wtkb build`" in health["problem"]
        search = httpx.get(f"http://127.0.0.1:{port}/api/search", params={"q": "referral"}, timeout=30)
        assert search.status_code == 503 and "run `wtkb build`" in search.json()["detail"]
    finally:
        server.terminate()
        server.wait(timeout=30)
    text = log.read_text()
    assert "no index in" in text and "run `wtkb build` first" in text and "Traceback" not in text


def wait_for_health(base: str, server: subprocess.Popen[bytes]) -> dict[str, Any]:
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        assert server.poll() is None, "the server exited"
        try:
            return httpx.get(f"{base}/health", timeout=5).json()
        except httpx.HTTPError:
            time.sleep(0.3)
    raise AssertionError("the server did not answer within 120 s")
