"""What every benchmark shares: the machine it ran on and where its figures are written.

Each script's figures go to ``bench/results/<name>.json``, so runs can be compared over time.
"""

from __future__ import annotations

import json
import os
import platform
import socket
from pathlib import Path
from typing import Any

import yaml

RESULTS = Path(__file__).resolve().parent / "results"
DEV_STATEMENTS = Path(__file__).resolve().parent.parent / "tests" / "data" / "statutory_dev.yaml"
HOST = "127.0.0.1"  # benchmarks serve and load on loopback only


def free_port() -> int:
    """A loopback port nothing listens on, for a server a benchmark starts."""
    with socket.socket() as s:
        s.bind((HOST, 0))
        return s.getsockname()[1]


def statements() -> list[str]:
    """The statutory checker's development statements: the questions the benchmarks ask."""
    items = yaml.safe_load(DEV_STATEMENTS.read_text(encoding="utf-8"))
    return [item["statement"] for item in items]


def machine() -> dict[str, Any]:
    """The figures mean little without the machine: Python, processor and core count."""
    return {"python": platform.python_version(), "processor": platform.machine(), "cores": os.cpu_count()}


def save(name: str, figures: dict[str, Any]) -> Path:
    """Write ``bench/results/<name>.json`` and say where it went."""
    RESULTS.mkdir(exist_ok=True)
    out = RESULTS / f"{name}.json"
    out.write_text(json.dumps(figures, indent=2) + "\n", encoding="utf-8")
    print(f"written to {out.relative_to(RESULTS.parent.parent)}")
    return out


def show_and_save(name: str, figures: dict[str, Any]) -> Path:
    """Print the figures one per line, then write them as :func:`save` does."""
    for key, value in figures.items():
        print(f"{key:16} {value}")
    return save(name, figures)
