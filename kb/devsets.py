"""Which development statements the statutory checker is fitted on, and which are kept aside.

Two development sets: ``statutory_dev.yaml``, written alongside the rules, and ``statutory_dev2.yaml``,
written apart from them from public sources only (in the style of the frozen held-out set). A slice
of dev2 is a validation slice: never fitted on and never read item by item, it is the honest figure
for statements the rules and the calibration have not seen. The frozen held-out sets are not here;
only ``bench/statutory.py --heldout`` reads them.
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
VALIDATION = range(140, 180)  # dev2 items 140-179 (0-based, file order): its last 40 when first read (180)


@dataclass(frozen=True)
class DevSets:
    """The statements the checker is fitted on (each tagged with its set) and the validation slice."""

    training: list[dict[str, Any]]
    validation: list[dict[str, Any]]

    def of(self, name: str) -> list[dict[str, Any]]:
        """The training statements of one set (``dev`` or ``dev2``)."""
        return [item for item in self.training if item["set"] == name]


def _read(path: Path, name: str) -> list[dict[str, Any]]:
    if not path.exists():
        return []
    return [{**item, "set": name} for item in yaml.safe_load(path.read_text(encoding="utf-8")) or []]


def load(dev: Path = DEV, dev2: Path = DEV2) -> DevSets:
    """Both development sets, dev2's validation slice set apart."""
    second = _read(dev2, "dev2")
    kept = [item for i, item in enumerate(second) if i not in VALIDATION]
    aside = [item for i, item in enumerate(second) if i in VALIDATION]
    return DevSets(_read(dev, "dev") + kept, aside)
