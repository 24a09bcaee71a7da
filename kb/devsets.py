"""Which development statements the statutory checker is fitted on, and which are kept aside.

Three development sets: ``statutory_dev.yaml``, written alongside the rules, and ``statutory_dev2.yaml``
and ``statutory_dev3.yaml``, each written apart from the rules from public sources only (in the style of
the frozen held-out sets). A slice of dev2 and a slice of dev3 are validation slices: never fitted on
and never read item by item, they are the honest figures for statements the rules and the calibration
have not seen. The frozen held-out sets are not here; only ``bench/statutory.py --heldout`` reads them.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from kb.settings import PROJECT_ROOT

DATA = PROJECT_ROOT / "tests" / "data"
DEV = DATA / "statutory_dev.yaml"
DEV2 = DATA / "statutory_dev2.yaml"
DEV3 = DATA / "statutory_dev3.yaml"
SETS = {"dev": DEV, "dev2": DEV2, "dev3": DEV3}
# Validation slices (0-based, file order), never fitted on: dev2's last 40 of the 180 it had when first
# read, and dev3's third batch of 40 (items 80-119), which was never read.
VALIDATION = range(140, 180)
VALIDATION_DEV3 = range(80, 120)
SLICES = {"dev2": VALIDATION, "dev3": VALIDATION_DEV3}


@dataclass(frozen=True)
class DevSets:
    """The statements the checker is fitted on (each tagged with its set) and the validation slices."""

    training: list[dict[str, Any]]
    slices: dict[str, list[dict[str, Any]]]  # validation slice of each set that has one

    def of(self, name: str) -> list[dict[str, Any]]:
        """The training statements of one set (a name in ``SETS``)."""
        return [item for item in self.training if item["set"] == name]


def _read(path: Path, name: str) -> list[dict[str, Any]]:
    if not path.exists():
        return []
    return [{**item, "set": name} for item in yaml.safe_load(path.read_text(encoding="utf-8")) or []]


def load(paths: dict[str, Path] | None = None) -> DevSets:
    """The development sets (``SETS``, or other files under the same names), each one's validation
    slice set apart."""
    training: list[dict[str, Any]] = []
    slices: dict[str, list[dict[str, Any]]] = {}
    for name, path in (paths or SETS).items():
        items = _read(path, name)
        kept = SLICES.get(name, range(0))
        training += [item for i, item in enumerate(items) if i not in kept]
        if kept:
            slices[name] = [item for i, item in enumerate(items) if i in kept]
    return DevSets(training, slices)
