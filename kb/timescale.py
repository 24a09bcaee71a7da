"""Timescales as data: ``within="15 working days" from="strategy-discussion"``.

A timescale is the most dangerous fact in the corpus (users plan cases by it), so it is parsed into
a number and a unit once, here, and every other part works with the parsed form.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

# "school day" (KCSIE's file transfers) is data only: it depends on a school's term dates, so no due
# date is computed from it and flowcharts may not use it.
UNITS = ("working day", "school day", "day", "hour", "week", "month", "year")
CALENDAR_UNITS = tuple(u for u in UNITS if u != "school day")
_WITHIN = re.compile(r"^(\d+)\s+(" + "|".join(UNITS) + r")s?$")
EVENT = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")


class TimescaleError(ValueError):
    """A ``within``/``from`` value that cannot be read; the message says what is accepted."""


@dataclass(frozen=True)
class Timescale:
    """``amount`` units of time counted from the event ``start``."""

    amount: int
    unit: str
    start: str

    @property
    def within(self) -> str:
        """The duration as written in the corpus, e.g. ``1 working day`` or ``15 working days``."""
        return f"{self.amount} {self.unit}{'' if self.amount == 1 else 's'}"

    def to_dict(self) -> dict[str, object]:
        return {"within": self.within, "amount": self.amount, "unit": self.unit, "from": self.start}

    def __str__(self) -> str:
        return timescale_text(self.to_dict())


def timescale_text(timescale: Mapping[str, Any] | None) -> str:
    """``within 15 working days from strategy-discussion`` for a timescale's JSON form; blank for none.

    The one wording the CLI, the diff and the pages use, so a timescale reads the same everywhere."""
    return f"within {timescale['within']} from {timescale['from']}" if timescale else ""


def parse_within(text: str) -> tuple[int, str]:
    """Read ``'45 working days'`` as ``(45, 'working day')``."""
    match = _WITHIN.match(text.strip())
    if not match:
        raise TimescaleError(
            f"bad timescale {text!r}: write '<number> <unit>' with unit one of "
            + ", ".join(f"{u}(s)" for u in UNITS)
        )
    amount = int(match.group(1))
    if amount <= 0:
        raise TimescaleError(f"bad timescale {text!r}: the number must be positive")
    return amount, match.group(2)


def parse_timescale(within: str | None, start: str | None) -> Timescale | None:
    """Both parts or neither: a duration without the event it runs from cannot be used for a due date."""
    if within is None and start is None:
        return None
    if within is None:
        raise TimescaleError("'from' given without 'within'")
    if start is None:
        raise TimescaleError("'within' given without 'from' (the event the timescale runs from)")
    if not isinstance(start, str) or not EVENT.match(start):
        raise TimescaleError(f"bad 'from' event {start!r}: use kebab-case, e.g. referral-received")
    if not isinstance(within, str):
        raise TimescaleError(f"bad timescale {within!r}: write '<number> <unit>', e.g. 15 working days")
    amount, unit = parse_within(within)
    return Timescale(amount, unit, start)
