"""A council's clock (pure: no database, no web framework)."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Protocol
from zoneinfo import ZoneInfo


class HasTimezone(Protocol):
    timezone: str


def council_today(council: HasTimezone, now: datetime | None = None) -> date:
    """The date in the council's timezone at ``now`` (aware; the current time if left out)."""
    return (now or datetime.now(UTC)).astimezone(ZoneInfo(council.timezone)).date()


def local_date(at: datetime, council: HasTimezone) -> date:
    """The date in the council's timezone of a stored moment (naive: UTC, as the database
    keeps them): a concern raised at 00:30 in a London summer was raised that day, not the
    day before."""
    aware = at if at.tzinfo else at.replace(tzinfo=UTC)
    return aware.astimezone(ZoneInfo(council.timezone)).date()
