"""Load benchmark: many concurrent clients against `wtkb serve` on loopback, for a bounded time.

    python bench/load.py                      # 50 clients for 60 s, one uvicorn worker
    python bench/load.py --seconds 20 --clients 10 --workers 2

Brings the configured index up to date (as `wtkb build` does; nothing is embedded when it is
current), starts `wtkb serve` on a free 127.0.0.1 port in a subprocess, warms it with one request of
each kind, then runs the clients (asyncio, one httpx connection each) until the time is up. Each
client sends a mix of searches (bench/search.py's queries), statutory checks (the development set's
statements; only when the server has /api/statutory) and deadline calculations (every flowchart of
the 2018 edition). Prints throughput, latency percentiles and errors per worker count and writes them
to bench/results/load.json. Traffic goes to loopback only; the server is stopped at the end.
bench/faults.py runs the same clients while something goes wrong (a rebuild, Chroma killed).
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import statistics
import subprocess
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Callable
from datetime import date, timedelta
from pathlib import Path
from typing import Any, Protocol

import httpx

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from report import HOST, free_port, machine, show_and_save, statements  # noqa: E402  (bench/report.py)
from search import QUERIES  # noqa: E402  (bench/search.py: the search benchmark's query set)

from kb.embed import Embedder  # noqa: E402
from kb.index import build  # noqa: E402
from kb.settings import get_settings  # noqa: E402

EDITION = 2018  # the newest edition with flowcharts for managing individual cases
STARTUP_SECONDS = 180
REQUEST_TIMEOUT = 30.0
Request = tuple[str, str, str, dict[str, Any]]  # kind, method, URL, httpx keyword arguments
FAILURES: Counter[str] = Counter()  # each failed answer's kind, status and text, over the whole run
Record = tuple[str, float, int, float]  # kind, seconds, HTTP status (0: no answer), when it ended


class Fault(Protocol):
    """Something that goes wrong while the clients run (bench/faults.py), and what it did to them."""

    async def run(self, base: str, start: float, seconds: float) -> None: ...

    def figures(self, records: list[Record]) -> dict[str, Any]: ...


def request_makers(charts: list[str], with_statutory: bool) -> list[Callable[[random.Random], Request]]:
    """One maker per kind of request, searches twice as often as each of the others."""

    def search(rng: random.Random) -> Request:
        return "search", "GET", "/api/search", {"params": {"q": rng.choice(QUERIES)}}

    said = statements()

    def statutory(rng: random.Random) -> Request:
        return "statutory", "GET", "/api/statutory", {"params": {"statement": rng.choice(said)}}

    def deadlines(rng: random.Random) -> Request:
        start = date(2024, 1, 1) + timedelta(days=rng.randrange(365))
        body = {"flow": rng.choice(charts), "edition": EDITION, "from": start.isoformat()}
        return "deadlines", "POST", "/api/deadlines", {"json": body}

    return [search, search, deadlines, *([statutory] if with_statutory else [])]


def start_server(
    port: int, workers: int, log: Path, env: dict[str, str] | None = None
) -> subprocess.Popen[bytes]:
    """`wtkb serve` on loopback, with ``env`` added to this process's environment."""
    env = {
        **os.environ,
        **(env or {}),
        "WTKB_HOST": HOST,
        "WTKB_PORT": str(port),
        "WTKB_WORKERS": str(workers),
    }
    with open(log, "wb") as handle:
        return subprocess.Popen(
            [sys.executable, "-m", "kb.cli", "serve"], env=env, stdout=handle, stderr=subprocess.STDOUT
        )


async def wait_ready(client: httpx.AsyncClient, server: subprocess.Popen[bytes]) -> dict[str, Any]:
    """The server's /health once it answers ok; fails if it exits, is degraded, or takes too long."""
    deadline = time.monotonic() + STARTUP_SECONDS
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise RuntimeError(f"the server exited with code {server.returncode}")
        try:
            health = (await client.get("/health")).json()
        except httpx.HTTPError:
            await asyncio.sleep(0.5)
            continue
        if health["status"] != "ok":
            raise RuntimeError(f"the server is not ready: {health['problem'] or health}")
        return health
    raise RuntimeError(f"the server did not answer within {STARTUP_SECONDS} s")


async def one_client(
    base: str, makers: list[Callable[[random.Random], Request]], until: float, seed: int
) -> list[Record]:
    """Requests back to back until ``until``; each record is (kind, seconds, status, end time)."""
    rng = random.Random(seed)
    records = []
    limits = httpx.Limits(max_connections=1)
    async with httpx.AsyncClient(base_url=base, timeout=REQUEST_TIMEOUT, limits=limits) as client:
        while time.monotonic() < until:
            kind, method, url, kwargs = rng.choice(makers)(rng)
            started = time.perf_counter()
            try:
                response = await client.request(method, url, **kwargs)
                status = response.status_code
                if status != 200:
                    FAILURES[f"{kind} {status}: {response.text[:300]}"] += 1
            except httpx.HTTPError as exc:
                status = 0
                FAILURES[f"{kind}: {type(exc).__name__}"] += 1
            records.append((kind, time.perf_counter() - started, status, time.monotonic()))
    return records


def latency(seconds: list[float]) -> dict[str, float]:
    if len(seconds) < 2:
        return {}
    cuts = statistics.quantiles([s * 1000 for s in seconds], n=100, method="inclusive")
    return {"p50_ms": round(cuts[49], 1), "p95_ms": round(cuts[94], 1), "p99_ms": round(cuts[98], 1)}


def summarise(records: list[Record], elapsed: float) -> dict[str, Any]:
    kinds = sorted({kind for kind, *_ in records})
    by_kind = {
        kind: {
            "requests": sum(1 for k, *_ in records if k == kind),
            "errors": sum(1 for k, _, status, _ in records if k == kind and status != 200),
            **latency([s for k, s, *_ in records if k == kind]),
        }
        for kind in kinds
    }
    return {
        "requests": len(records),
        "errors": sum(1 for _, _, status, _ in records if status != 200),
        "throughput_rps": round(len(records) / elapsed, 1),
        **latency([s for _, s, *_ in records]),
        "by_kind": by_kind,
        "failures": dict(FAILURES.most_common(5)),  # what the commonest failed answers said
    }


async def load(
    base: str,
    server: subprocess.Popen[bytes],
    clients: int,
    seconds: float,
    fault: Fault | None = None,
) -> dict[str, Any]:
    """Run the clients; a ``fault``, if given, happens alongside them (bench/faults.py) and adds its
    figures, computed from every request's record."""
    async with httpx.AsyncClient(base_url=base, timeout=STARTUP_SECONDS) as probe:  # warm-up loads the model
        health = await wait_ready(probe, server)
        with_statutory = "/api/statutory" in (await probe.get("/openapi.json")).json()["paths"]
        charts = [c["key"] for c in (await probe.get("/api/flowcharts", params={"edition": EDITION})).json()]
        makers = request_makers(charts, with_statutory)
        for make in makers:  # warm up: open the index, load the model, fill nothing else
            _, method, url, kwargs = make(random.Random(0))
            (await probe.request(method, url, **kwargs)).raise_for_status()
    started = time.monotonic()
    until = started + seconds
    happening = asyncio.create_task(fault.run(base, started, seconds)) if fault else None
    runs = await asyncio.gather(*(one_client(base, makers, until, seed) for seed in range(clients)))
    elapsed = time.monotonic() - started
    records = [record for run in runs for record in run]
    if happening:
        await happening
    return {
        "index": health["index"],
        "statutory": "included" if with_statutory else "skipped: the server has no /api/statutory",
        **summarise(records, elapsed),
        "elapsed_s": round(elapsed, 1),
        **(fault.figures(records) if fault else {}),
    }


def serve_and_load(
    workers: int, clients: int, seconds: float, env: dict[str, str] | None = None, fault: Fault | None = None
) -> dict[str, Any]:
    """Start `wtkb serve` (with ``env`` added), load it, stop it; its log is shown if anything fails."""
    port = free_port()
    with tempfile.TemporaryDirectory() as tmp:
        log = Path(tmp) / "server.log"
        server = start_server(port, workers, log, env)
        try:
            return asyncio.run(load(f"http://{HOST}:{port}", server, clients, seconds, fault))
        except Exception:
            print(log.read_text(errors="replace")[-3000:], file=sys.stderr)
            raise
        finally:
            server.terminate()
            try:
                server.wait(timeout=30)
            except subprocess.TimeoutExpired:
                server.kill()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seconds", type=float, default=60.0, help="how long the clients run (default 60)")
    parser.add_argument("--clients", type=int, default=50, help="concurrent clients (default 50)")
    parser.add_argument(
        "--workers",
        type=int,
        nargs="+",
        default=[1, 2],
        help="uvicorn worker counts, one run each (default 1 2)",
    )
    args = parser.parse_args()
    settings = get_settings()
    build(settings, lambda: Embedder(settings.model_package, settings.query_cache_size))
    results: dict[str, Any] = {"machine": machine(), "clients": args.clients, "seconds": args.seconds}
    for workers in args.workers:
        results[f"workers_{workers}"] = serve_and_load(workers, args.clients, args.seconds)
    show_and_save("load", results)


if __name__ == "__main__":
    main()
