"""A cook's private calendar feed (RFC 5545): plain meal data in, iCalendar bytes out.

The feed's URL is secret but could leak (shared calendars, proxies), so it carries the least
that lets a cook plan: when, and the diner's first name. No address, surname or diet.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from zoneinfo import ZoneInfo

from app.names import first_name
from app.vocab import MealStatus

MEAL_LENGTH = dt.timedelta(hours=1)
REFRESH = dt.timedelta(hours=1)
PRODID = "-//Extra Portion//Cook calendar//EN"
FALLBACK_NAME = "your neighbour"


@dataclass(frozen=True)
class FeedMeal:
    id: int
    date: dt.date
    start: str  # "HH:MM", local time in the calendar's timezone
    status: str  # scheduled | needs_cover | delivered | missed | cancelled
    diner_name: str | None  # the full name; None when it must not be shown (anonymised)
    is_cover: bool = False


def meal_uid(meal_id: int) -> str:
    return f"meal-{meal_id}@extra-portion"


OUTCOME_WORDS: dict[str, str] = {
    MealStatus.delivered: " (delivered)",
    MealStatus.missed: " (missed)",
}


def cook_calendar(
    meals: Sequence[FeedMeal], *, cook_display_name: str, tz: str, stamp: dt.datetime
) -> bytes:
    """One VEVENT per meal that is not cancelled; `stamp` (aware) is the feed's DTSTAMP."""
    # Imported when a feed is asked for, not at start-up.
    from icalendar import Calendar, Event, vDuration

    zone = ZoneInfo(tz)
    calendar = Calendar()
    calendar.add("prodid", PRODID)
    calendar.add("version", "2.0")
    calendar.add("calscale", "GREGORIAN")
    calendar.add("method", "PUBLISH")
    calendar.add("x-wr-calname", f"Extra Portion: {cook_display_name}")
    calendar.add("x-wr-timezone", tz)
    calendar.add("refresh-interval", REFRESH, parameters={"VALUE": "DURATION"})
    # An X- property has no type to infer: given a timedelta it wrote "1:00:00" (Python's
    # words), which Outlook cannot read; RFC 5545's duration is "PT1H".
    calendar.add("x-published-ttl", vDuration(REFRESH))
    shown = sorted(
        (m for m in meals if m.status != MealStatus.cancelled), key=lambda m: (m.date, m.id)
    )
    for meal in shown:
        hours, minutes = (int(part) for part in meal.start.split(":"))
        event = Event()
        event.add("uid", meal_uid(meal.id))
        event.add("dtstamp", stamp.astimezone(dt.UTC))
        event.start = dt.datetime.combine(meal.date, dt.time(hours, minutes), tzinfo=zone)
        event.duration = MEAL_LENGTH
        name = first_name(meal.diner_name) or FALLBACK_NAME
        # What became of it, on the day: a missed meal read as an ordinary one (a walk).
        outcome = OUTCOME_WORDS.get(meal.status, "")
        event.add("summary", f"Meal for {name}{outcome}")
        if meal.is_cover:
            event.add("description", f"You are covering this meal for {name}'s regular cook.")
        event.add("status", "TENTATIVE" if meal.status == MealStatus.needs_cover else "CONFIRMED")
        event.add("transp", "OPAQUE")
        calendar.add_component(event)
    if shown:
        calendar.add_missing_timezones(
            first_date=dt.date(shown[0].date.year, 1, 1),
            last_date=dt.date(shown[-1].date.year + 1, 12, 31),
        )
    return calendar.to_ical()
