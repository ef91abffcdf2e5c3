"""Recurrence rules for a pairing's meals.

A pairing is "this cook brings a meal to this neighbour on <weekday> at
<start>, <frequency>". This module turns that rule into concrete, timezone-aware
meal times. It is pure: no database, no web framework, and it never reads the
clock -- every date it works with is passed in, so the same arguments always
give the same answer.

Rules
-----
* The *first occurrence* is the first date on or after ``anchor`` that falls on
  ``weekday`` (0 = Monday .. 6 = Sunday). It may be ``anchor`` itself.
* ``weekly``: the first occurrence and every 7 days after it.
* ``fortnightly``: the first occurrence and every 14 days after it. The phase is
  fixed by the anchor, never by the window being asked about, so any window
  sees the same dates.
* ``monthly``: the same *n*-th weekday of every month as the first occurrence
  (for example "the 2nd Tuesday"), starting with the first occurrence's month.
  If the first occurrence is the 5th such weekday of its month, which most
  months do not have, the rule becomes "the last such weekday of each month".
  A 4th weekday stays the 4th, even in months that have a 5th.

Local time and clock changes
----------------------------
Meals are held at the same local wall-clock time (``start``) in ``tz``, so a
17:30 meal stays 17:30 when the clocks change and only its UTC offset moves.
Two local times need a rule; both follow RFC 5545 (iCalendar), section 3.3.5:

* An *ambiguous* time (it happens twice when the clocks go back) means the
  first of the two, i.e. ``fold=0`` -- in Europe/London, 01:30 BST (+01:00)
  on the last Sunday of October.
* A *nonexistent* time (skipped when the clocks go forward) is shifted forward
  by the length of the gap: it is read with the UTC offset in force before the
  gap. In Europe/London, 01:30 on the last Sunday of March becomes 02:30 BST
  (+01:00). The meal keeps its calendar date.

Supported dates are those whose meal times, and their UTC equivalents, fit in
:class:`datetime.datetime` (in practice, years 2 to 9998).
"""

from __future__ import annotations

import calendar
import datetime as dt
from typing import Literal, get_args
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

__all__ = [
    "DEFAULT_TZ",
    "FREQUENCIES",
    "Frequency",
    "first_occurrence",
    "next_occurrence",
    "occurrences",
]

Frequency = Literal["weekly", "fortnightly", "monthly"]

FREQUENCIES: tuple[str, ...] = get_args(Frequency)
"""The accepted values of :data:`Frequency`, in order."""

DEFAULT_TZ = "Europe/London"

_STEP_DAYS = {"weekly": 7, "fortnightly": 14}
_LAST = -1  # "the last such weekday of the month"
# Any two consecutive occurrences of a monthly rule are at most 35 days apart.
_MAX_GAP_DAYS = 35


def _check_weekday(weekday: int) -> None:
    if isinstance(weekday, bool) or not isinstance(weekday, int) or not 0 <= weekday <= 6:
        raise ValueError(f"weekday must be an int from 0 (Monday) to 6 (Sunday), got {weekday!r}")


def _check_frequency(frequency: str) -> None:
    if frequency not in FREQUENCIES:
        raise ValueError(f"frequency must be one of {FREQUENCIES}, got {frequency!r}")


def _check_start(start: dt.time) -> None:
    if not isinstance(start, dt.time):
        raise ValueError(f"start must be a datetime.time, got {start!r}")
    if start.tzinfo is not None:
        raise ValueError("start must be a naive local time; pass the time zone as tz")


def _zone(tz: str) -> ZoneInfo:
    try:
        return ZoneInfo(tz)
    except (ZoneInfoNotFoundError, ValueError, TypeError) as exc:
        raise ValueError(f"unknown time zone {tz!r}") from exc


def _first_ordinal(weekday: int, anchor: dt.date) -> int:
    """Proleptic ordinal of the first date on/after ``anchor`` with ``weekday``."""
    return anchor.toordinal() + (weekday - anchor.weekday()) % 7


def first_occurrence(*, weekday: int, frequency: Frequency, anchor: dt.date) -> dt.date:
    """The date of a pairing's first meal: the first ``weekday`` on or after ``anchor``.

    This is the same for every frequency; for ``monthly`` it also fixes which
    n-th weekday of the month later meals fall on (see the module docstring).
    Raises ``ValueError`` for an invalid weekday or frequency.
    """
    _check_weekday(weekday)
    _check_frequency(frequency)
    return dt.date.fromordinal(_first_ordinal(weekday, anchor))


def _nth_of_month(first: dt.date) -> int:
    """1..4 for the 1st..4th weekday of its month, or ``_LAST`` for a 5th."""
    n = (first.day - 1) // 7 + 1
    return _LAST if n == 5 else n


def _weekday_in_month(year: int, month: int, weekday: int, nth: int) -> dt.date:
    """The ``nth`` (1..4, or ``_LAST``) ``weekday`` of the given month."""
    if nth == _LAST:
        last_of_month = dt.date(year, month, calendar.monthrange(year, month)[1])
        back = (last_of_month.weekday() - weekday) % 7
        return dt.date.fromordinal(last_of_month.toordinal() - back)
    first_of_month = dt.date(year, month, 1)
    offset = (weekday - first_of_month.weekday()) % 7 + 7 * (nth - 1)
    return dt.date.fromordinal(first_of_month.toordinal() + offset)


def _meal_dates(
    weekday: int, frequency: str, anchor: dt.date, window_from: dt.date, window_to: dt.date
) -> list[dt.date]:
    first_ord = _first_ordinal(weekday, anchor)
    lo = max(first_ord, window_from.toordinal())
    hi = window_to.toordinal()
    if lo > hi:
        return []

    step = _STEP_DAYS.get(frequency)
    if step is not None:
        # Jump straight to the first step at or after ``lo``.
        k = -((first_ord - lo) // step)  # ceil((lo - first_ord) / step), >= 0
        return [dt.date.fromordinal(o) for o in range(first_ord + k * step, hi + 1, step)]

    first = dt.date.fromordinal(first_ord)
    nth = _nth_of_month(first)
    start_day = dt.date.fromordinal(lo)
    month_index = start_day.year * 12 + start_day.month - 1
    last_index = window_to.year * 12 + window_to.month - 1
    dates: list[dt.date] = []
    for index in range(month_index, last_index + 1):
        day = _weekday_in_month(index // 12, index % 12 + 1, weekday, nth)
        if lo <= day.toordinal() <= hi:
            dates.append(day)
    return dates


def _local(day: dt.date, start: dt.time, zone: ZoneInfo) -> dt.datetime:
    """``day`` at wall-clock ``start`` in ``zone``, resolved as the module docstring says."""
    wall = dt.datetime.combine(day, start.replace(fold=0), tzinfo=zone)
    # fold=0 already means "the first" for an ambiguous time. A nonexistent
    # time does not survive a round trip through UTC; the round trip yields the
    # instant read with the pre-gap offset, i.e. shifted forward by the gap.
    resolved = wall.astimezone(dt.UTC).astimezone(zone)
    if resolved.replace(tzinfo=None) != wall.replace(tzinfo=None):
        return resolved
    return wall


def occurrences(
    *,
    weekday: int,
    start: dt.time,
    frequency: Frequency,
    anchor: dt.date,
    window_from: dt.date,
    window_to: dt.date,
    tz: str = DEFAULT_TZ,
) -> list[dt.datetime]:
    """Meal times of a pairing whose meals are dated within ``[window_from, window_to]``.

    The pairing's first meal is :func:`first_occurrence` (on/after ``anchor``);
    later ones follow ``frequency``. Each result is a timezone-aware datetime in
    ``tz`` at local time ``start`` (see the module docstring for clock
    changes), in increasing order. Both window ends are included; the window is
    compared with the meal's calendar date. An empty list is returned when
    ``window_from > window_to`` or nothing falls inside the window.

    Raises ``ValueError`` for a weekday outside 0..6, an unknown frequency, a
    ``start`` that is not a naive ``datetime.time``, or an unknown time zone.
    """
    _check_weekday(weekday)
    _check_frequency(frequency)
    _check_start(start)
    zone = _zone(tz)
    if window_from > window_to:
        return []
    return [
        _local(day, start, zone)
        for day in _meal_dates(weekday, frequency, anchor, window_from, window_to)
    ]


def next_occurrence(
    *,
    weekday: int,
    start: dt.time,
    frequency: Frequency,
    anchor: dt.date,
    on_or_after: dt.date,
    tz: str = DEFAULT_TZ,
) -> dt.datetime:
    """The pairing's first meal dated on or after ``on_or_after``.

    Equivalent to the first element of :func:`occurrences` over an open-ended
    window starting at ``on_or_after``. Raises ``ValueError`` like
    :func:`occurrences`.
    """
    _check_weekday(weekday)
    _check_frequency(frequency)
    first = dt.date.fromordinal(_first_ordinal(weekday, anchor))
    window_from = max(on_or_after, first)
    window_to = dt.date.fromordinal(
        min(window_from.toordinal() + _MAX_GAP_DAYS, dt.date.max.toordinal())
    )
    found = occurrences(
        weekday=weekday,
        start=start,
        frequency=frequency,
        anchor=anchor,
        window_from=window_from,
        window_to=window_to,
        tz=tz,
    )
    if not found:
        raise ValueError("no occurrence before the end of the supported date range")
    return found[0]
