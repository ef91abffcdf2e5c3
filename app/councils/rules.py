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
