"""Due dates for the guidance's timescales, in England's working days and calendar periods.

The counting rules, written down once (docs and tests rely on them):

- **Day 0 is the day of the event** the timescale runs from (the day the referral was received, the
  day of the strategy discussion). It does not count, whether or not it is a working day.
- **N working days**: the N-th working day after day 0. Working days are Monday to Friday except the
  bank holidays of England (the ``holidays`` package, country GB, subdivision ENG). A referral received
  on Friday 22 December 2023 has 1 working day until Wednesday 27 December 2023.
- **N days / N weeks**: N (or 7 x N) calendar days after day 0.
- **N years**: the same date N years later (28 February for 29 February in a common year).
- **N months**: the same day of the month N months later (the last day of that month where it is
  shorter, e.g. 31 August + 3 months = 30 November).
- **N hours**: counted in whole calendar days, rounding up (24 hours after Monday is Tuesday).
- **N school days** cannot be counted: they depend on a school's term dates (KCSIE's file transfers).
- For calendar periods, when the date reached is not a working day, the deadline is brought
  **forward** to the last working day before it: "within 3 months" cannot be met on a day when
  services are closed, and moving it later would let it be missed. Where that would reach back to the
  event day itself (a short period over a weekend), the calendar date is kept.
"""

from __future__ import annotations

from datetime import date, timedelta
from functools import lru_cache

import holidays
from dateutil.relativedelta import relativedelta

from kb.timescale import Timescale


@lru_cache(maxsize=64)
def _bank_holidays(year: int) -> frozenset[date]:
    return frozenset(holidays.country_holidays("GB", subdiv="ENG", years=year))


def bank_holiday_name(day: date) -> str | None:
    """The name of an England bank holiday falling on ``day``, if any."""
    return holidays.country_holidays("GB", subdiv="ENG", years=day.year).get(day)


def is_working_day(day: date) -> bool:
    """Monday to Friday, and not an England bank holiday."""
    return day.weekday() < 5 and day not in _bank_holidays(day.year)


def add_working_days(start: date, n: int) -> date:
    """The n-th working day after ``start`` (day 0); n == 0 returns ``start`` itself."""
    if n < 0:
        raise ValueError("a timescale cannot be negative")
    day = start
    while n:
        day += timedelta(days=1)
        if is_working_day(day):
            n -= 1
    return day


def last_working_day_on_or_before(day: date) -> date:
    while not is_working_day(day):
        day -= timedelta(days=1)
    return day


def working_days_between(earlier: date, later: date) -> int:
    """Working days after ``earlier`` up to and including ``later`` (negative if ``later`` is earlier)."""
    if later < earlier:
        return -working_days_between(later, earlier)
    count, day = 0, earlier
    while day < later:
        day += timedelta(days=1)
        count += is_working_day(day)
    return count


def due_date(start: date, timescale: Timescale) -> date:
    """When a step with this timescale is due, if its event happened on ``start`` (see module rules)."""
    amount, unit = timescale.amount, timescale.unit
    if unit == "working day":
        return add_working_days(start, amount)
    if unit == "year":
        reached = start + relativedelta(years=amount)
    elif unit == "month":
        reached = start + relativedelta(months=amount)
    elif unit == "week":
        reached = start + timedelta(days=7 * amount)
    elif unit == "day":
        reached = start + timedelta(days=amount)
    elif unit == "hour":
        reached = start + timedelta(days=-(-amount // 24))
    else:  # school days: term dates are not known here (flowcharts refuse them)
        raise ValueError(f"no due date can be counted in {unit}s")
    adjusted = last_working_day_on_or_before(reached)
    return adjusted if adjusted > start else reached


def drift(due: date, actual: date) -> int:
    """Working days late (positive) or early (negative) of ``actual`` against ``due``."""
    return working_days_between(due, actual)
