"""Cold-start benchmark: whole `wtkb` processes from nothing, and `wtkb serve` from start to answering.

    python bench/coldstart.py               # 5 rounds of each command, 3 server starts
    python bench/coldstart.py --runs 9 --starts 5

Brings the configured index up to date first (`wtkb build`). Then, in rounds, runs each
command once per round in turn (so that a busy machine slows them all alike): a search, a statutory
verdict, and two commands that load no model, `due` and `flow list`, timing each whole process and
reading its peak memory (max RSS) with /usr/bin/time; beside them, a bare Python and a Python that
only imports chromadb: the import any dense search through Chroma pays and the no-model commands do not.
Then starts `wtkb serve` on a loopback port and times start to a healthy /health, and to the first
search answered after it; then the same server's warm searches (queries not seen before) for the
first search's ratio to the warm p95.
Figures, with each command's ratio to the commands that load no model, go to
bench/results/coldstart.json. Nothing is downloaded.
"""

from __future__ import annotations

import argparse
import os
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import httpx

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from report import HOST, free_port, machine, save, statements  # noqa: E402  (bench/report.py)
from search import QUERIES  # noqa: E402  (bench/search.py: the search benchmark's query set)

TIME = "/usr/bin/time"  # GNU time (Debian package `time`), for each command's peak memory
STARTUP_SECONDS = 180
COMMANDS = {
    "search": ["search", "decision on a referral", "--json"],
    "statutory": ["statutory", "The ICPC must be held within 15 working days of the strategy discussion"],
    "due": ["due", "--flow", "referral", "--edition", "2018", "--from", "2024-01-08", "--json"],
    "flow_list": ["flow", "list", "--edition", "2018"],
}
PYTHONS = {"python_bare": ["-c", "pass"], "python_import_chromadb": ["-c", "import chromadb"]}
BASELINES = ("flow_list", "due")  # commands that load no model
WARM_SEARCHES = 100


def wtkb(*args: str) -> list[str]:
    return [sys.executable, "-m", "kb.cli", *args]


def python(*args: str) -> list[str]:
    return [sys.executable, *args]


def run_cold(argv: list[str]) -> tuple[float, float]:
    """Seconds and peak MiB of one whole process; fails loudly if the command fails.

    The peak comes from /usr/bin/time, whose child is forked from it: a child forked from this
    process would count the pages it shared with this one before exec."""
    with tempfile.NamedTemporaryFile() as peak, tempfile.TemporaryFile() as log:
        command = [TIME, "-f", "%M", "-o", peak.name, *argv]
        started = time.perf_counter()
        done = subprocess.run(command, stdout=subprocess.DEVNULL, stderr=log, cwd=ROOT, check=False)
        seconds = time.perf_counter() - started
        if done.returncode != 0:
            log.seek(0)
            raise RuntimeError(f"{' '.join(argv)} failed: {log.read().decode()[-2000:]}")
        return seconds, int(Path(peak.name).read_text().split()[-1]) / 1024  # %M is in KiB


def cold_commands(runs: int) -> dict[str, dict[str, float]]:
    argvs = {
        **{name: wtkb(*args) for name, args in COMMANDS.items()},
        **{name: python(*args) for name, args in PYTHONS.items()},
    }
    times: dict[str, list[float]] = {name: [] for name in argvs}
    peaks: dict[str, list[float]] = {name: [] for name in argvs}
    for _ in range(runs):
        for name, argv in argvs.items():
            seconds, peak = run_cold(argv)
            times[name].append(seconds)
            peaks[name].append(peak)
    return {
        name: {
            "median_s": round(statistics.median(times[name]), 3),
            "min_s": round(min(times[name]), 3),
            "peak_mib": round(max(peaks[name]), 1),
        }
        for name in argvs
    }


def wait_healthy(client: httpx.Client, server: subprocess.Popen[bytes]) -> dict[str, Any]:
    deadline = time.monotonic() + STARTUP_SECONDS
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise RuntimeError(f"the server exited with code {server.returncode}")
        try:
            health = client.get("/health").json()
        except httpx.HTTPError:
            time.sleep(0.01)
            continue
        if health["status"] != "ok":
            raise RuntimeError(f"the server is not ready: {health['problem'] or health}")
        return health
    raise RuntimeError(f"the server did not answer within {STARTUP_SECONDS} s")


def search_seconds(client: httpx.Client, query: str) -> float:
    started = time.perf_counter()
    client.get("/api/search", params={"q": query}).raise_for_status()
    return time.perf_counter() - started


def one_start(warm_queries: list[str]) -> dict[str, Any]:
    """Start to healthy, to the first search answered, warm searches, and the server's peak memory."""
    port = free_port()
    env = {**os.environ, "WTKB_HOST": HOST, "WTKB_PORT": str(port), "WTKB_WORKERS": "1"}
    with tempfile.TemporaryFile() as log:
        started = time.perf_counter()
        server = subprocess.Popen(
            [TIME, "-f", "peak %M", *wtkb("serve")],
            env=env,
            cwd=ROOT,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,  # a group of its own, so that a failure stops time and the server
        )
        try:
            with httpx.Client(base_url=f"http://{HOST}:{port}", timeout=60) as client:
                health = wait_healthy(client, server)
                healthy = time.perf_counter() - started
                first = search_seconds(client, QUERIES[0])
                answered = time.perf_counter() - started
                warm = [search_seconds(client, q) for q in warm_queries]
        except Exception:
            os.killpg(server.pid, signal.SIGKILL)
            server.wait()
            log.seek(0)
            print(log.read().decode(errors="replace")[-3000:], file=sys.stderr)
            raise
        stop_under_time(server.pid)
        server.wait(timeout=60)
        log.seek(0)
        peak = int(log.read().decode(errors="replace").rsplit("peak ", 1)[1].split()[0])
    cuts = statistics.quantiles([w * 1000 for w in warm], n=20, method="inclusive")
    return {
        "query_encoder": health.get("query_encoder"),
        "to_healthy_s": healthy,
        "to_first_search_s": answered,
        "first_search_ms": first * 1000,
        "warm_p50_ms": statistics.median(warm) * 1000,
        "warm_p95_ms": cuts[18],
        "peak_mib": peak / 1024,
    }


def stop_under_time(time_pid: int) -> None:
    """Stop the server that /usr/bin/time runs (time ignores SIGINT and passes nothing on), so that
    time reports its peak memory as it exits."""
    children = Path(f"/proc/{time_pid}/task/{time_pid}/children").read_text().split()
    for pid in children:
        os.kill(int(pid), signal.SIGTERM)


def serving(starts: int) -> dict[str, Any]:
    said = statements()
    runs = [
        one_start(said[i * WARM_SEARCHES : (i + 1) * WARM_SEARCHES] or said[:WARM_SEARCHES])
        for i in range(starts)
    ]
    figures = {
        key: round(statistics.median(r[key] for r in runs), 3)
        for key in ("to_healthy_s", "to_first_search_s", "first_search_ms", "warm_p50_ms", "warm_p95_ms")
    }
    figures["peak_mib"] = round(max(r["peak_mib"] for r in runs), 1)
    figures["first_search_over_warm_p95"] = round(figures["first_search_ms"] / figures["warm_p95_ms"], 2)
    return {
        "starts": starts,
        "query_encoder": runs[0]["query_encoder"],
        "warm_searches": WARM_SEARCHES,
        **figures,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=5, help="rounds of the cold commands (default 5)")
    parser.add_argument("--starts", type=int, default=3, help="server starts (default 3)")
    args = parser.parse_args()
    # in a child process: this one stays small (no torch), since each command is forked from it and
    # a forked child's peak memory counts the pages it shared with its parent before exec
    subprocess.run(wtkb("build"), cwd=ROOT, check=True, stdout=subprocess.DEVNULL)
    commands = cold_commands(args.runs)
    ratios = {
        f"{name}_over_{base}": round(commands[name]["median_s"] / commands[base]["median_s"], 2)
        for name in ("search", "statutory")
        for base in BASELINES
    }
    chromadb_import = commands["python_import_chromadb"]["median_s"] - commands["python_bare"]["median_s"]
    ratios["chromadb_import_over_flow_list"] = round(chromadb_import / commands["flow_list"]["median_s"], 2)
    results = {
        "machine": machine(),
        "runs": args.runs,
        "commands": commands,
        "ratios": ratios,
        "serve": serving(args.starts),
    }
    for key, value in results.items():
        print(f"{key:10} {value}")
    save("coldstart", results)


if __name__ == "__main__":
    main()
