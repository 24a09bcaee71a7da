"""Faults under load: a new index build swapped in, or the Chroma server killed and started again,
while clients load `wtkb serve` (bench/load.py's clients and mix of requests).

    python bench/faults.py rebuild                  # 50 clients for 60 s, 3 rebuilds during the run
    python bench/faults.py chroma --clients 20      # Chroma killed at a third of the run, back 5 s later

Both copy the corpus and the configured embedding cache to a temporary folder, so a build embeds only
what the run changes and the configured index is never touched.

rebuild: each rebuild adds a sentence to an advice file and runs `wtkb build` as its own process, as
an operator would, while the server keeps answering; every request must answer 200 (errors: 0), and
the server must end on the last build without a restart.

chroma: the vectors live in a real `chroma run` server (WTKB_CHROMA_MODE=http), killed with SIGKILL
and started again on the same data and port. While it is down, searches and statutory checks answer
503 with a message and deadline calculations go on answering 200; recovery is the time from the
server accepting connections again to the next search answered 200, with wtkb never restarted.

Figures go to bench/results/faults-rebuild.json and bench/results/faults-chroma.json.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import shutil
import subprocess
import sys
import tempfile
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from load import Record, serve_and_load  # noqa: E402  (bench/load.py)
from report import machine, show_and_save  # noqa: E402  (bench/report.py)

from kb.index import EMBEDDINGS  # noqa: E402
from kb.settings import get_settings  # noqa: E402
from tests.test_chroma_server import ChromaServer  # noqa: E402

NEEDS_CHROMA = ("search", "statutory")


def workspace(tmp: Path, extra: dict[str, str]) -> dict[str, str]:
    """A copy of the corpus and the embedding cache under ``tmp``: the environment that points at it."""
    settings = get_settings()
    shutil.copytree(settings.corpus_dir, tmp / "corpus")
    (tmp / "index").mkdir()
    cache = settings.index_dir / EMBEDDINGS
    if cache.exists():
        shutil.copy2(cache, tmp / "index" / EMBEDDINGS)
    return {"WTKB_CORPUS_DIR": str(tmp / "corpus"), "WTKB_INDEX_DIR": str(tmp / "index"), **extra}


def wtkb_build(env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    command = [sys.executable, "-m", "kb.cli", "build"]
    return subprocess.run(command, env={**os.environ, **env}, capture_output=True, text=True, check=True)


@dataclass
class Rebuilds:
    """``count`` builds, evenly spread over the run, each of a corpus one sentence longer."""

    env: dict[str, str]
    count: int
    builds: list[dict[str, Any]] = field(default_factory=list)
    served_at_end: str | None = None
    seconds: float = 0.0

    async def run(self, base: str, start: float, seconds: float) -> None:
        self.seconds = seconds
        advice = sorted(Path(self.env["WTKB_CORPUS_DIR"]).rglob("advice/*.md"))[0]
        for n in range(self.count):
            await asyncio.sleep(max(0.0, start + seconds * (n + 1) / (self.count + 1) - time.monotonic()))
            advice.write_text(advice.read_text(encoding="utf-8") + f"\nSentence {n} added under load.\n")
            began = time.monotonic()
            done = await asyncio.to_thread(wtkb_build, self.env)
            self.builds.append(
                {
                    "at_s": round(began - start, 1),
                    "took_s": round(time.monotonic() - began, 1),
                    "said": " ".join(done.stdout.split()),
                }
            )
        await asyncio.sleep(1.0)
        async with httpx.AsyncClient(base_url=base) as client:
            health = (await client.get("/health")).json()
            self.served_at_end = health["index"] or health["problem"]

    def figures(self, records: list[Record]) -> dict[str, Any]:
        last = self.builds[-1]["said"].split()[1].rstrip(":") if self.builds else None
        return {
            "rebuilds": self.builds,
            "swapped_in_under_load": sum(1 for b in self.builds if b["at_s"] + b["took_s"] <= self.seconds),
            "statuses": dict(Counter(status for _, _, status, _ in records)),
            "last_build": last,
            "served_after_the_run": self.served_at_end,
        }


@dataclass
class ChromaRestart:
    """The Chroma server killed a third of the way through the run and started again ``down`` s later."""

    server: ChromaServer
    down: float
    killed: float = 0.0
    back: float = 0.0

    async def run(self, base: str, start: float, seconds: float) -> None:
        await asyncio.sleep(max(0.0, start + seconds / 3 - time.monotonic()))
        self.killed = time.monotonic()
        self.server.stop(kill=True)
        await asyncio.sleep(self.down)
        await asyncio.to_thread(self.server.start)  # returns once it accepts connections
        self.back = time.monotonic()

    def figures(self, records: list[Record]) -> dict[str, Any]:
        searches = [r for r in records if r[0] in NEEDS_CHROMA]
        recovered = min(
            (end for _, _, status, end in searches if status == 200 and end > self.back), default=None
        )
        while_down = Counter(
            f"{kind} {status}" for kind, _, status, end in records if self.killed <= end <= self.back
        )
        return {
            "chroma_down_s": round(self.back - self.killed, 1),
            "answers_while_down": dict(sorted(while_down.items())),
            "recovery_s": round(recovered - self.back, 3) if recovered else None,
            "answers_other_than_200_or_503": sum(
                1 for _, _, status, _ in records if status not in (200, 503)
            ),
            "503_after_recovery": sum(
                1 for _, _, status, end in searches if status == 503 and recovered and end > recovered
            ),
        }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("fault", choices=["rebuild", "chroma"])
    parser.add_argument("--seconds", type=float, default=60.0, help="how long the clients run (default 60)")
    parser.add_argument("--clients", type=int, default=50, help="concurrent clients (default 50)")
    parser.add_argument("--workers", type=int, default=1, help="uvicorn worker processes (default 1)")
    parser.add_argument(
        "--rebuilds", type=int, default=3, help="builds swapped in during the run (default 3)"
    )
    parser.add_argument("--down", type=float, default=5.0, help="seconds Chroma stays down (default 5)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        tmp = Path(folder)
        if args.fault == "rebuild":
            env = workspace(tmp, {})
            wtkb_build(env)
            fault: Rebuilds | ChromaRestart = Rebuilds(env, args.rebuilds)
            result = serve_and_load(args.workers, args.clients, args.seconds, env, fault)
        else:
            server = ChromaServer(tmp / "chroma")
            server.start()
            try:
                port = str(server.port)
                env = workspace(tmp, {"WTKB_CHROMA_MODE": "http", "WTKB_CHROMA_PORT": port})
                wtkb_build(env)
                fault = ChromaRestart(server, args.down)
                result = serve_and_load(args.workers, args.clients, args.seconds, env, fault)
            finally:
                server.stop()
    results = {
        "machine": machine(),
        "fault": args.fault,
        "clients": args.clients,
        "seconds": args.seconds,
        **result,
    }
    show_and_save(f"faults-{args.fault}", results)


if __name__ == "__main__":
    main()
