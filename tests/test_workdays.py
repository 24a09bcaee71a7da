"""Working-day arithmetic: the documented rules, England's bank holidays, and properties that must
hold for any date (never a weekend or bank holiday, monotone in the offset)."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from kb.timescale import Timescale
from kb.workdays import (
    add_working_days,
    bank_holiday_name,
    drift,
    due_date,
    is_working_day,
    working_days_between,
)

DATES = st.dates(min_value=date(2009, 1, 1), max_value=date(2030, 12, 31))


def ts(within: str, start: str = "event") -> Timescale:
    amount, unit = within.split(" ", 1)
    return Timescale(int(amount), unit.removesuffix("s"), start)


@pytest.mark.parametrize(
    ("start", "within", "due"),
    [
        (date(2023, 12, 22), "1 working day", date(2023, 12, 27)),  # Fri -> over Christmas and Boxing Day
        (date(2023, 12, 20), "1 working day", date(2023, 12, 21)),
        (date(2024, 3, 28), "1 working day", date(2024, 4, 2)),  # Thu before Good Friday and Easter Monday
        (date(2024, 1, 5), "15 working days", date(2024, 1, 26)),
        (date(2023, 12, 18), "10 working days", date(2024, 1, 4)),  # Christmas, Boxing Day, New Year's Day
        (date(2024, 1, 6), "1 working day", date(2024, 1, 8)),  # a Saturday event: Monday is day 1
        (date(2024, 5, 31), "3 months", date(2024, 8, 30)),  # 31 Aug 2024 is a Saturday: brought forward
        (date(2024, 8, 31), "3 months", date(2024, 11, 29)),  # 30 Nov 2024 is a Saturday
        (date(2024, 2, 1), "6 months", date(2024, 8, 1)),
        (date(2024, 1, 1), "2 weeks", date(2024, 1, 15)),
        (date(2024, 1, 1), "24 hours", date(2024, 1, 2)),
        (date(2024, 1, 6), "1 day", date(2024, 1, 7)),  # bringing forward would pass the event: kept
    ],
)
def test_documented_examples(start: date, within: str, due: date) -> None:
    assert due_date(start, ts(within)) == due


def test_bank_holidays_are_englands() -> None:
    assert bank_holiday_name(date(2023, 5, 8)) == "Coronation of Charles III"
    assert bank_holiday_name(date(2024, 3, 17)) is None  # St Patrick's Day is Northern Ireland only
    assert is_working_day(date(2024, 1, 2))  # 2 January is a holiday in Scotland, not England


@given(DATES, st.integers(min_value=1, max_value=120))
def test_due_is_always_a_working_day_after_the_start(start: date, n: int) -> None:
    due = add_working_days(start, n)
    assert is_working_day(due) and due > start
    assert working_days_between(start, due) == n


@given(DATES, st.integers(min_value=0, max_value=80), st.integers(min_value=0, max_value=80))
def test_monotone_in_the_offset(start: date, a: int, b: int) -> None:
    low, high = sorted((a, b))
    assert add_working_days(start, low) <= add_working_days(start, high)


@given(DATES, st.integers(min_value=1, max_value=12))
def test_month_deadlines_are_working_days_no_later_than_the_calendar_date(start: date, months: int) -> None:
    due = due_date(start, ts(f"{months} months"))
    assert is_working_day(due) and start < due
    assert due.month in {(start.month + months - 1) % 12 + 1, (start.month + months - 2) % 12 + 1}


@given(DATES, st.integers(min_value=-40, max_value=40))
def test_drift_inverts_adding_working_days(due: date, offset: int) -> None:
    due = add_working_days(due, 1)  # a working day
    actual = add_working_days(due, offset) if offset >= 0 else _subtract(due, -offset)
    assert drift(due, actual) == offset


def _subtract(day: date, n: int) -> date:
    while n:
        day -= timedelta(days=1)
        n -= is_working_day(day)
    return day


def test_year_end_and_easter_crossings() -> None:
    assert add_working_days(date(2024, 12, 24), 1) == date(2024, 12, 27)
    assert add_working_days(date(2025, 4, 17), 1) == date(2025, 4, 22)  # Good Friday, Easter Monday 2025
    assert working_days_between(date(2023, 12, 22), date(2024, 1, 2)) == 4
