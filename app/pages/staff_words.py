"""Words the staff pages share: pairing, meal and ending statuses as GOV.UK tags and sentences,
dates in the council's time zone, and a select's options."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, date, datetime
from typing import Any
from zoneinfo import ZoneInfo

from app.models import Council
from app.pages.cook_forms import WEEKDAYS

PAIRING_WORDS: dict[str, tuple[str, str]] = {
    "proposed": ("Invited", "govuk-tag--blue"),
    "active": ("Cooking", "govuk-tag--green"),
    "paused": ("Paused", "govuk-tag--yellow"),
    "declined": ("Declined", "govuk-tag--grey"),
    "withdrawn": ("Withdrawn", "govuk-tag--grey"),
    "ended": ("Ended", "govuk-tag--grey"),
}
END_WORDS: dict[str, str] = {
    "declined": "The cook declined the invitation",
    "withdrawn": "Staff withdrew the invitation",
    "diner_left": "The diner left the service",
    "change_requested": "The carer asked for a different cook",
    "cook_stopped": "The cook stopped cooking",
    "cook_moved": "The cook moved away",
    "cook_suspended": "The cook was suspended",
    "concern_upheld": "A concern was upheld",
    "needs_changed": "The diner's needs changed",
    "cook_changed": "The cook's offer changed",
    "ended_by_staff": "Staff ended the pairing",
}
# Why a meal was cancelled, after "Cancelled": "Cancelled cook: Sean Green" read as if the cook
# had been (an outside check).
CANCEL_WORDS: dict[str, str] = {
    "diner_paused": "the diner's meals were paused for those days",
    "concern_pause": "a serious concern paused the meals",
    **{reason: words[:1].lower() + words[1:] for reason, words in END_WORDS.items()},
}
MEAL_WORDS: dict[str, tuple[str, str]] = {
    "scheduled": ("Planned", "govuk-tag--blue"),
    "needs_cover": ("Needs cover", "govuk-tag--yellow"),
    "delivered": ("Delivered", "govuk-tag--green"),
    "missed": ("Missed", "govuk-tag--red"),
    "cancelled": ("Cancelled", "govuk-tag--grey"),
}


def date_words(council: Council) -> Callable[..., str]:
    """A date, or a moment in the council's time zone, as GOV.UK writes it: "3 March 2026"
    (with its weekday: "Tuesday 3 March 2026"). A moment without a zone is UTC, as stored."""
    zone = ZoneInfo(council.timezone)

    def words(at: date | datetime | None, *, weekday: bool = False) -> str:
        if at is None:
            return ""
        if isinstance(at, datetime):
            day = (at if at.tzinfo else at.replace(tzinfo=UTC)).astimezone(zone).date()
        else:
            day = at
        return (f"{WEEKDAYS[day.weekday()]} " if weekday else "") + f"{day.day} {day:%B %Y}"

    return words


def options(pairs: list[tuple[str, str]], chosen: str, blank: str) -> list[dict[str, Any]]:
    """A GOV.UK select's items: a blank first ("Any"), the chosen one selected."""
    return [{"value": "", "text": blank, "selected": not chosen}] + [
        {"value": v, "text": t, "selected": v == chosen} for v, t in pairs
    ]
