"""What saving a cook's away dates does to the periods they have already saved (pure).

A cook keeps one period per absence: the same dates saved twice (two tabs, a second press of
the button), or dates inside a period already saved, change nothing; dates that overlap or touch
a period join it, so the list never names one day twice (a screen reader heard "Change away
dates from Monday 14 December 2026" twice). A period that has started is left as it is: it can
no longer be changed or cancelled from the cook's page, and the days added after it should
stay theirs to change; the new dates begin the day after it instead.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Literal

ONE_DAY = timedelta(days=1)

Outcome = Literal["added", "merged", "already"]


@dataclass(frozen=True)
class Period:
    id: int
    from_date: date
    to_date: date


@dataclass(frozen=True)
class AwayPlan:
    outcome: Outcome  # a new period, one grown from those it touches, or nothing to do
    first_new: date  # the days from here to the last day asked for are new (when not "already")
    from_date: date  # the period the dates are part of once saved
    to_date: date
    grow: int | None  # the period given from_date..to_date (None: a new one)
    drop: tuple[int, ...]  # periods folded into `grow`


def plan_away(periods: Sequence[Period], *, from_: date, to: date, today: date) -> AwayPlan:
    """How to save from_..to (from today on) beside the cook's saved `periods`."""
    started = [p for p in periods if p.from_date <= today]
    # Each started period began on or before from_ (today at the latest), so those reaching
    # from_ cover it up to their last day: the new days begin after the latest of them.
    first = max([from_, *(p.to_date + ONE_DAY for p in started if p.to_date >= from_)])
    if all(_covered(day, periods) for day in _days(first, to)):
        holder = _holding(periods, from_)  # from_ is covered too: by a started period
        return AwayPlan("already", first, holder.from_date, holder.to_date, holder.id, ())
    joined = sorted(
        (
            p
            for p in periods
            if p.from_date > today and p.from_date <= to + ONE_DAY and p.to_date >= first - ONE_DAY
        ),
        key=lambda p: (p.from_date, p.id),
    )
    if not joined:
        return AwayPlan("added", first, first, to, None, ())
    return AwayPlan(
        "merged",
        first,
        min(first, joined[0].from_date),
        max(to, *(p.to_date for p in joined)),
        joined[0].id,
        tuple(p.id for p in joined[1:]),
    )


def _days(first: date, last: date) -> list[date]:
    return [first + timedelta(days=n) for n in range((last - first).days + 1)]


def _covered(day: date, periods: Sequence[Period]) -> bool:
    return any(p.from_date <= day <= p.to_date for p in periods)


def _holding(periods: Sequence[Period], day: date) -> Period:
    """The saved period holding `day` (the first, should older ones overlap)."""
    return min(
        (p for p in periods if p.from_date <= day <= p.to_date), key=lambda p: (p.from_date, p.id)
    )
