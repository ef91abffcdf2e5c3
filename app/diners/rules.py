"""A diner's public status and pause, and when an erasure asked for is due (pure: no
database, no web framework)."""

from __future__ import annotations

import calendar
from datetime import date
from typing import Protocol

from app.vocab import DinerStatus


class Pausable(Protocol):
    @property
    def status(self) -> str: ...

    paused_from: date | None
    paused_to: date | None


def public_status(diner: Pausable, today: date) -> str:
    """ "paused" while today falls in the pause; otherwise the stored status."""
    if (
        diner.status != DinerStatus.left
        and diner.paused_from is not None
        and diner.paused_to is not None
        and diner.paused_from <= today <= diner.paused_to
    ):
        return DinerStatus.paused
    return diner.status


def paused_on(diner: Pausable, day: date) -> bool:
    """Whether the diner is paused on ``day`` (a meal that day is not wanted)."""
    return public_status(diner, day) == DinerStatus.paused


def erase_by(asked: date) -> date:
    """The day an erasure asked for on `asked` is due: a calendar month later (UK GDPR), the
    last day of a shorter month for the 31st (31 January: 28 February, not 2 March)."""
    year, month = divmod(asked.month, 12)  # the next month, 0-based, and the years it adds
    year, month = asked.year + year, month + 1
    return date(year, month, min(asked.day, calendar.monthrange(year, month)[1]))
