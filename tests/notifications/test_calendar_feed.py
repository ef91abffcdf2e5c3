"""The cook's calendar feed builder: parsed back with icalendar, no database."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from icalendar import Calendar, Event

from app.calendar_feed import FeedMeal, cook_calendar

LONDON = ZoneInfo("Europe/London")
STAMP = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)


def meal(
    meal_id: int,
    day: date,
    *,
    start: str = "17:30",
    status: str = "scheduled",
    name: str | None = "Edna Smith",
    is_cover: bool = False,
) -> FeedMeal:
    return FeedMeal(
        id=meal_id, date=day, start=start, status=status, diner_name=name, is_cover=is_cover
    )


def build(meals: list[FeedMeal]) -> bytes:
    return cook_calendar(meals, cook_display_name="Priya", tz="Europe/London", stamp=STAMP)


def events(feed: bytes) -> list[Event]:
    return list(Calendar.from_ical(feed).events)


def test_one_event_per_meal_when_some_are_cancelled():
    feed = build(
        [
            meal(1, date(2026, 3, 3)),
            meal(2, date(2026, 3, 10), status="cancelled"),
            meal(3, date(2026, 3, 17), status="delivered"),
        ]
    )

    assert [str(e["UID"]) for e in events(feed)] == [
        "meal-1@extra-portion",
        "meal-3@extra-portion",
    ]


@pytest.mark.parametrize(
    ("before", "after"),
    [
        (date(2026, 3, 24), date(2026, 3, 31)),  # clocks go forward on 29 March 2026
        (date(2026, 10, 20), date(2026, 10, 27)),  # and back on 25 October 2026
    ],
)
def test_meals_stay_at_1730_local_when_the_clocks_change(before: date, after: date):
    feed = build([meal(1, before), meal(2, after)])

    starts = [e.start for e in events(feed)]
    assert starts == [
        datetime.combine(before, time(17, 30), tzinfo=LONDON),
        datetime.combine(after, time(17, 30), tzinfo=LONDON),
    ]
    assert all(isinstance(s, datetime) and str(s.tzinfo) == "Europe/London" for s in starts)
    offsets = {s.utcoffset() for s in starts}
    assert offsets == {timedelta(0), timedelta(hours=1)}  # the same wall time, an hour apart
    assert f"DTSTART;TZID=Europe/London:{before:%Y%m%d}T173000".encode() in feed


def test_meals_last_an_hour_when_listed():
    [event] = events(build([meal(1, date(2026, 6, 2), start="12:15")]))

    assert event.duration == timedelta(hours=1)
    assert event.end == datetime(2026, 6, 2, 13, 15, tzinfo=LONDON)


def test_feed_defines_its_timezone_when_it_has_meals():
    calendar = Calendar.from_ical(build([meal(1, date(2026, 3, 3))]))

    assert [tz.tz_name for tz in calendar.timezones] == ["Europe/London"]
    assert calendar.get_missing_tzids() == set()


def test_uids_and_bytes_stay_the_same_when_the_feed_is_rebuilt():
    meals = [meal(5, date(2026, 3, 3)), meal(9, date(2026, 3, 10))]

    assert build(meals) == build(list(reversed(meals)))
    assert [str(e["UID"]) for e in events(build(meals))] == [
        "meal-5@extra-portion",
        "meal-9@extra-portion",
    ]


def test_summary_names_the_diner_by_first_name_only_when_full_name_known():
    feed = build([meal(1, date(2026, 3, 3), name="Mrs Edna Mary Smith")])

    [event] = events(feed)
    assert str(event["SUMMARY"]) == "Meal for Edna"
    assert b"Smith" not in feed and b"Mary" not in feed
    assert "LOCATION" not in event


def test_status_is_tentative_when_the_meal_needs_cover():
    feed = build([meal(1, date(2026, 3, 3), status="needs_cover"), meal(2, date(2026, 3, 10))])

    assert [str(e["STATUS"]) for e in events(feed)] == ["TENTATIVE", "CONFIRMED"]


def test_cover_meal_says_so_when_cook_covers():
    [event] = events(build([meal(1, date(2026, 3, 3), is_cover=True)]))

    assert "covering" in str(event["DESCRIPTION"])


def test_feed_is_a_valid_empty_calendar_when_there_are_no_meals():
    calendar = Calendar.from_ical(build([]))

    assert list(calendar.events) == [] and str(calendar["VERSION"]) == "2.0"
    assert "Priya" in str(calendar["X-WR-CALNAME"])


def test_feed_asks_to_be_fetched_hourly_in_rfc_5545_durations():
    """X-PUBLISHED-TTL said "1:00:00" (Python's words for an hour), which Outlook cannot read."""
    feed = build([])

    assert b"\r\nX-PUBLISHED-TTL:PT1H\r\n" in feed
    assert b"\r\nREFRESH-INTERVAL;VALUE=DURATION:PT1H\r\n" in feed


@pytest.mark.parametrize(
    ("full_name", "expected"),
    [
        ("Edna Smith", "Edna"),
        ("  edna  ", "edna"),
        ("Mr. Arthur Dent", "Arthur"),
        ("Dr Who", "Who"),
        ("Mrs", "your neighbour"),
        ("", "your neighbour"),
        (None, "your neighbour"),
    ],
)
def test_summary_names_the_first_given_name_when_titles_come_first(
    full_name: str | None, expected: str
):
    [event] = events(build([meal(1, date(2026, 3, 3), name=full_name)]))
    assert str(event["SUMMARY"]) == f"Meal for {expected}"


@settings(deadline=None)  # a property, not a timing: a busy machine must not fail it
@given(
    day=st.dates(min_value=date(2024, 1, 1), max_value=date(2035, 12, 31)),
    hour=st.integers(min_value=6, max_value=22),
    minute=st.integers(min_value=0, max_value=59),
)
def test_start_keeps_the_local_wall_time_when_any_meal_is_listed(day: date, hour: int, minute: int):
    [event] = events(build([meal(1, day, start=f"{hour:02d}:{minute:02d}")]))

    start = event.start
    assert isinstance(start, datetime)
    assert (start.date(), start.hour, start.minute) == (day, hour, minute)
    assert str(start.tzinfo) == "Europe/London"


def test_summary_says_what_became_of_a_meal_once_recorded():
    # A missed meal read as an ordinary "Meal for Leonard" (a newcomer's walk).
    feed = build(
        [
            meal(1, date(2026, 3, 3), status="delivered"),
            meal(2, date(2026, 3, 10), status="missed"),
            meal(3, date(2026, 3, 17)),
        ]
    )

    assert [str(e["SUMMARY"]) for e in events(feed)] == [
        "Meal for Edna (delivered)",
        "Meal for Edna (missed)",
        "Meal for Edna",
    ]
