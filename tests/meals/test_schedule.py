"""Tests for the pure recurrence rules in ``app.meals.schedule``."""

from __future__ import annotations

import calendar
from datetime import UTC, date, datetime, time, timedelta
from itertools import pairwise
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from app.meals.schedule import (
    FREQUENCIES,
    Frequency,
    first_occurrence,
    next_occurrence,
    occurrences,
)

LONDON = ZoneInfo("Europe/London")
GMT = timedelta(0)
BST = timedelta(hours=1)

MON, TUE, WED, THU, FRI, SAT, SUN = range(7)


def _dates(results: list[datetime]) -> list[date]:
    return [r.date() for r in results]


def _weekly_friday_1730(window_from: date, window_to: date) -> list[datetime]:
    return occurrences(
        weekday=FRI,
        start=time(17, 30),
        frequency="weekly",
        anchor=date(2026, 1, 1),
        window_from=window_from,
        window_to=window_to,
    )


# --- first_occurrence -------------------------------------------------------


def test_first_occurrence_is_anchor_when_anchor_has_the_weekday() -> None:
    # 2026-01-02 is a Friday.
    assert first_occurrence(weekday=FRI, frequency="weekly", anchor=date(2026, 1, 2)) == date(
        2026, 1, 2
    )


def test_first_occurrence_is_next_matching_day_when_anchor_has_another_weekday() -> None:
    # 2026-01-01 is a Thursday; the next Wednesday is 2026-01-07.
    assert first_occurrence(weekday=WED, frequency="fortnightly", anchor=date(2026, 1, 1)) == date(
        2026, 1, 7
    )


def test_first_occurrence_crosses_month_and_year_when_anchor_is_late() -> None:
    # 2026-12-31 is a Thursday; the next Monday is 2027-01-04.
    assert first_occurrence(weekday=MON, frequency="monthly", anchor=date(2026, 12, 31)) == date(
        2027, 1, 4
    )


@pytest.mark.parametrize("frequency", FREQUENCIES)
def test_first_occurrence_is_the_same_when_frequency_differs(frequency: Frequency) -> None:
    assert first_occurrence(weekday=SUN, frequency=frequency, anchor=date(2026, 3, 24)) == date(
        2026, 3, 29
    )


# --- weekly -----------------------------------------------------------------


def test_weekly_gives_every_friday_when_window_is_january_2026() -> None:
    got = _weekly_friday_1730(date(2026, 1, 1), date(2026, 1, 31))
    assert _dates(got) == [date(2026, 1, d) for d in (2, 9, 16, 23, 30)]
    assert all(r.tzinfo == LONDON and r.time() == time(17, 30) for r in got)
    assert all(r.utcoffset() == GMT for r in got)


def test_weekly_gives_every_monday_when_window_is_february_2027() -> None:
    got = occurrences(
        weekday=MON,
        start=time(12, 0),
        frequency="weekly",
        anchor=date(2027, 1, 1),
        window_from=date(2027, 2, 1),
        window_to=date(2027, 2, 28),
    )
    assert _dates(got) == [date(2027, 2, d) for d in (1, 8, 15, 22)]


def test_weekly_includes_both_window_ends_when_they_are_meal_days() -> None:
    got = _weekly_friday_1730(date(2026, 1, 9), date(2026, 1, 23))
    assert _dates(got) == [date(2026, 1, 9), date(2026, 1, 16), date(2026, 1, 23)]


def test_weekly_starts_at_first_occurrence_when_window_begins_before_anchor() -> None:
    got = occurrences(
        weekday=FRI,
        start=time(17, 30),
        frequency="weekly",
        anchor=date(2026, 1, 14),
        window_from=date(2025, 12, 1),
        window_to=date(2026, 1, 31),
    )
    assert _dates(got) == [date(2026, 1, 16), date(2026, 1, 23), date(2026, 1, 30)]


# --- fortnightly ------------------------------------------------------------


def test_fortnightly_gives_known_wednesdays_when_windows_are_in_2026_and_2027() -> None:
    def wednesdays(window_from: date, window_to: date) -> list[date]:
        return _dates(
            occurrences(
                weekday=WED,
                start=time(18, 0),
                frequency="fortnightly",
                anchor=date(2026, 1, 5),  # first meal: Wednesday 2026-01-07
                window_from=window_from,
                window_to=window_to,
            )
        )

    assert wednesdays(date(2026, 1, 1), date(2026, 1, 31)) == [date(2026, 1, 7), date(2026, 1, 21)]
    assert wednesdays(date(2026, 2, 1), date(2026, 2, 28)) == [date(2026, 2, 4), date(2026, 2, 18)]
    assert wednesdays(date(2027, 1, 1), date(2027, 1, 31)) == [date(2027, 1, 6), date(2027, 1, 20)]


def test_fortnightly_phase_is_fixed_by_anchor_when_window_starts_on_an_off_week() -> None:
    def wednesdays(window_from: date) -> list[datetime]:
        return occurrences(
            weekday=WED,
            start=time(18, 0),
            frequency="fortnightly",
            anchor=date(2026, 1, 5),  # first meal: Wednesday 2026-01-07
            window_from=window_from,
            window_to=date(2026, 3, 31),
        )

    from_anchor = wednesdays(date(2026, 1, 1))
    # 2026-01-14 is an off-week Wednesday: the window must not re-phase the rule.
    from_off_week = wednesdays(date(2026, 1, 14))
    assert _dates(from_off_week) == [
        date(2026, 1, 21),
        date(2026, 2, 4),
        date(2026, 2, 18),
        date(2026, 3, 4),
        date(2026, 3, 18),
    ]
    assert from_off_week == [r for r in from_anchor if r.date() >= date(2026, 1, 14)]


def test_fortnightly_phase_differs_when_anchor_is_a_week_later() -> None:
    got = occurrences(
        weekday=WED,
        start=time(18, 0),
        frequency="fortnightly",
        anchor=date(2026, 1, 12),  # first meal: Wednesday 2026-01-14
        window_from=date(2027, 1, 1),
        window_to=date(2027, 1, 31),
    )
    assert _dates(got) == [date(2027, 1, 13), date(2027, 1, 27)]


# --- monthly ----------------------------------------------------------------


def test_monthly_gives_second_tuesday_of_each_month_when_window_is_a_year() -> None:
    got = occurrences(
        weekday=TUE,
        start=time(12, 30),
        frequency="monthly",
        anchor=date(2026, 1, 10),  # first meal: Tuesday 2026-01-13, the 2nd Tuesday
        window_from=date(2026, 1, 1),
        window_to=date(2027, 3, 31),
    )
    days_2026 = [13, 10, 10, 14, 12, 9, 14, 11, 8, 13, 10, 8]
    expected = [date(2026, m, d) for m, d in enumerate(days_2026, start=1)]
    expected += [date(2027, 1, 12), date(2027, 2, 9), date(2027, 3, 9)]
    assert _dates(got) == expected
    assert all(r.time() == time(12, 30) for r in got)


def test_monthly_uses_last_weekday_when_first_occurrence_is_a_fifth_weekday() -> None:
    got = occurrences(
        weekday=THU,
        start=time(18, 0),
        frequency="monthly",
        anchor=date(2026, 1, 29),  # the 5th Thursday of January 2026
        window_from=date(2026, 1, 1),
        window_to=date(2026, 12, 31),
    )
    last_thursdays = [29, 26, 26, 30, 28, 25, 30, 27, 24, 29, 26, 31]
    assert _dates(got) == [date(2026, m, d) for m, d in enumerate(last_thursdays, start=1)]


def test_monthly_keeps_fourth_weekday_when_month_also_has_a_fifth() -> None:
    got = occurrences(
        weekday=THU,
        start=time(18, 0),
        frequency="monthly",
        anchor=date(2026, 1, 22),  # the 4th Thursday of January 2026
        window_from=date(2026, 4, 1),
        window_to=date(2026, 4, 30),
    )
    # April 2026 has five Thursdays (2, 9, 16, 23, 30); the 4th is the 23rd.
    assert _dates(got) == [date(2026, 4, 23)]


def test_monthly_starts_next_month_when_anchor_is_after_the_months_last_weekday() -> None:
    got = occurrences(
        weekday=MON,
        start=time(18, 0),
        frequency="monthly",
        anchor=date(2026, 1, 31),  # first meal: Monday 2026-02-02, the 1st Monday
        window_from=date(2026, 1, 1),
        window_to=date(2026, 4, 30),
    )
    assert _dates(got) == [date(2026, 2, 2), date(2026, 3, 2), date(2026, 4, 6)]


# --- clock changes (Europe/London) -----------------------------------------


def test_local_time_stays_1730_when_weekly_meals_cross_both_2026_clock_changes() -> None:
    got = _weekly_friday_1730(date(2026, 3, 20), date(2026, 11, 6))
    assert all(r.time() == time(17, 30) and r.weekday() == FRI for r in got)
    by_day = {r.date(): r for r in got}
    assert by_day[date(2026, 3, 27)].utcoffset() == GMT  # Friday before spring forward
    assert by_day[date(2026, 4, 3)].utcoffset() == BST  # Friday after it
    assert by_day[date(2026, 10, 23)].utcoffset() == BST  # Friday before fall back
    assert by_day[date(2026, 10, 30)].utcoffset() == GMT  # Friday after it
    assert by_day[date(2026, 3, 27)].astimezone(UTC).time() == time(17, 30)
    assert by_day[date(2026, 4, 3)].astimezone(UTC).time() == time(16, 30)
    assert [r.utcoffset() for r in got] == [
        BST if date(2026, 3, 29) <= r.date() < date(2026, 10, 25) else GMT for r in got
    ]


def test_nonexistent_time_shifts_forward_an_hour_when_meal_is_0130_on_2026_03_29() -> None:
    (got,) = occurrences(
        weekday=SUN,
        start=time(1, 30),
        frequency="weekly",
        anchor=date(2026, 3, 29),
        window_from=date(2026, 3, 29),
        window_to=date(2026, 3, 29),
    )
    assert got.date() == date(2026, 3, 29)
    assert got.time() == time(2, 30)
    assert got.utcoffset() == BST
    assert got.astimezone(UTC) == datetime(2026, 3, 29, 1, 30, tzinfo=UTC)


@pytest.mark.parametrize(
    ("start", "expected_local"),
    [
        (time(0, 59), time(0, 59)),
        (time(1, 0), time(2, 0)),
        (time(1, 59), time(2, 59)),
        (time(2, 0), time(2, 0)),
    ],
)
def test_only_gap_times_move_when_meal_is_on_spring_forward_day(
    start: time, expected_local: time
) -> None:
    (got,) = occurrences(
        weekday=SUN,
        start=start,
        frequency="weekly",
        anchor=date(2026, 3, 29),
        window_from=date(2026, 3, 29),
        window_to=date(2026, 3, 29),
    )
    assert got.time() == expected_local


def test_ambiguous_time_uses_first_instance_when_meal_is_0130_on_2026_10_25() -> None:
    (got,) = occurrences(
        weekday=SUN,
        start=time(1, 30),
        frequency="weekly",
        anchor=date(2026, 10, 25),
        window_from=date(2026, 10, 25),
        window_to=date(2026, 10, 25),
    )
    assert got.time() == time(1, 30)
    assert got.fold == 0
    assert got.utcoffset() == BST
    assert got.astimezone(UTC) == datetime(2026, 10, 25, 0, 30, tzinfo=UTC)


def test_gap_and_fold_rules_apply_when_monthly_last_sunday_meets_clock_changes() -> None:
    got = occurrences(
        weekday=SUN,
        start=time(1, 30),
        frequency="monthly",
        anchor=date(2026, 3, 29),  # 5th Sunday of March 2026 -> "last Sunday"
        window_from=date(2026, 1, 1),
        window_to=date(2027, 12, 31),
    )
    by_day = {r.date(): r for r in got}
    assert len(got) == 22  # March 2026 .. December 2027
    for spring in (date(2026, 3, 29), date(2027, 3, 28)):
        assert (by_day[spring].time(), by_day[spring].utcoffset()) == (time(2, 30), BST)
    for autumn in (date(2026, 10, 25), date(2027, 10, 31)):
        assert (by_day[autumn].time(), by_day[autumn].utcoffset()) == (time(1, 30), BST)
    assert by_day[date(2026, 11, 29)].utcoffset() == GMT


def test_other_time_zone_is_used_when_tz_is_given() -> None:
    # New York springs forward on 2026-03-08, three weeks before London.
    got = occurrences(
        weekday=FRI,
        start=time(17, 30),
        frequency="weekly",
        anchor=date(2026, 3, 1),
        window_from=date(2026, 3, 6),
        window_to=date(2026, 3, 13),
        tz="America/New_York",
    )
    assert [r.utcoffset() for r in got] == [timedelta(hours=-5), timedelta(hours=-4)]
    assert all(r.time() == time(17, 30) for r in got)


# --- validation and edge cases ---------------------------------------------


@pytest.mark.parametrize("weekday", [-1, 7, 100, True])
def test_raises_value_error_when_weekday_is_out_of_range(weekday: int) -> None:
    with pytest.raises(ValueError, match="weekday"):
        occurrences(
            weekday=weekday,
            start=time(18, 0),
            frequency="weekly",
            anchor=date(2026, 1, 1),
            window_from=date(2026, 1, 1),
            window_to=date(2026, 1, 31),
        )
    with pytest.raises(ValueError, match="weekday"):
        first_occurrence(weekday=weekday, frequency="weekly", anchor=date(2026, 1, 1))


@pytest.mark.parametrize("frequency", ["daily", "Weekly", "", "biweekly"])
def test_raises_value_error_when_frequency_is_unknown(frequency: str) -> None:
    with pytest.raises(ValueError, match="frequency"):
        occurrences(
            weekday=MON,
            start=time(18, 0),
            frequency=frequency,  # type: ignore[arg-type]
            anchor=date(2026, 1, 1),
            window_from=date(2026, 1, 1),
            window_to=date(2026, 1, 31),
        )
    with pytest.raises(ValueError, match="frequency"):
        first_occurrence(weekday=MON, frequency=frequency, anchor=date(2026, 1, 1))  # type: ignore[arg-type]


def test_raises_value_error_when_time_zone_is_unknown() -> None:
    with pytest.raises(ValueError, match="time zone"):
        _ = occurrences(
            weekday=MON,
            start=time(18, 0),
            frequency="weekly",
            anchor=date(2026, 1, 1),
            window_from=date(2026, 1, 1),
            window_to=date(2026, 1, 31),
            tz="Europe/Atlantis",
        )


def test_raises_value_error_when_start_is_timezone_aware() -> None:
    with pytest.raises(ValueError, match="naive"):
        occurrences(
            weekday=MON,
            start=time(18, 0, tzinfo=UTC),
            frequency="weekly",
            anchor=date(2026, 1, 1),
            window_from=date(2026, 1, 1),
            window_to=date(2026, 1, 31),
        )


@pytest.mark.parametrize("frequency", FREQUENCIES)
def test_returns_empty_list_when_window_from_is_after_window_to(frequency: Frequency) -> None:
    assert (
        occurrences(
            weekday=MON,
            start=time(18, 0),
            frequency=frequency,
            anchor=date(2026, 1, 1),
            window_from=date(2026, 2, 1),
            window_to=date(2026, 1, 31),
        )
        == []
    )


@pytest.mark.parametrize("frequency", FREQUENCIES)
def test_returns_empty_list_when_window_ends_before_first_occurrence(frequency: Frequency) -> None:
    assert (
        occurrences(
            weekday=MON,
            start=time(18, 0),
            frequency=frequency,
            anchor=date(2026, 1, 1),  # first meal: Monday 2026-01-05
            window_from=date(2025, 1, 1),
            window_to=date(2026, 1, 4),
        )
        == []
    )


def test_returns_empty_list_when_single_day_window_is_not_a_meal_day() -> None:
    assert _weekly_friday_1730(date(2026, 1, 8), date(2026, 1, 8)) == []


# --- next_occurrence --------------------------------------------------------


def test_next_occurrence_is_first_meal_when_asked_before_anchor() -> None:
    got = next_occurrence(
        weekday=TUE,
        start=time(12, 30),
        frequency="monthly",
        anchor=date(2026, 1, 10),
        on_or_after=date(2025, 6, 1),
    )
    assert got == datetime(2026, 1, 13, 12, 30, tzinfo=LONDON)


def test_next_occurrence_includes_the_given_day_when_it_is_a_meal_day() -> None:
    got = next_occurrence(
        weekday=TUE,
        start=time(12, 30),
        frequency="monthly",
        anchor=date(2026, 1, 10),
        on_or_after=date(2026, 2, 10),
    )
    assert got.date() == date(2026, 2, 10)


def test_next_occurrence_skips_to_next_month_when_asked_after_this_months_meal() -> None:
    got = next_occurrence(
        weekday=THU,
        start=time(18, 0),
        frequency="monthly",
        anchor=date(2026, 1, 29),  # last Thursday rule
        on_or_after=date(2026, 12, 1),
    )
    assert got.date() == date(2026, 12, 31)


# --- properties -------------------------------------------------------------

ZONES = [
    "Europe/London",
    "America/New_York",
    "Australia/Sydney",
    "Australia/Lord_Howe",  # 30-minute DST shift
    "Asia/Kolkata",
    "UTC",
]

weekdays = st.integers(min_value=0, max_value=6)
frequencies = st.sampled_from(FREQUENCIES)
starts = st.times()
zones = st.sampled_from(ZONES)
anchors = st.dates(min_value=date(2000, 1, 1), max_value=date(2060, 12, 31))
window_starts = st.dates(min_value=date(1999, 6, 1), max_value=date(2061, 12, 31))
window_lengths = st.integers(min_value=0, max_value=800)


def _oracle_dates(
    weekday: int, frequency: str, anchor: date, window_from: date, window_to: date
) -> list[date]:
    """Day-by-day reference implementation of the documented rules."""
    first = anchor
    while first.weekday() != weekday:
        first += timedelta(days=1)
    n = (first.day - 1) // 7 + 1

    def is_meal_day(day: date) -> bool:
        if day.weekday() != weekday:
            return False
        if frequency == "weekly":
            return True
        if frequency == "fortnightly":
            return (day - first).days % 14 == 0
        month_days = [w[weekday] for w in calendar.monthcalendar(day.year, day.month)]
        month_days = [d for d in month_days if d]
        return day.day == (month_days[-1] if n == 5 else month_days[n - 1])

    day = max(first, window_from)
    result = []
    while day <= window_to:
        if is_meal_day(day):
            result.append(day)
        day += timedelta(days=1)
    return result


@settings(max_examples=300, deadline=None)
@given(
    weekday=weekdays,
    frequency=frequencies,
    anchor=anchors,
    window_from=window_starts,
    length=window_lengths,
)
def test_dates_match_day_by_day_oracle_when_inputs_are_arbitrary(
    weekday: int, frequency: Frequency, anchor: date, window_from: date, length: int
) -> None:
    window_to = window_from + timedelta(days=length)
    got = occurrences(
        weekday=weekday,
        start=time(18, 0),
        frequency=frequency,
        anchor=anchor,
        window_from=window_from,
        window_to=window_to,
    )
    assert _dates(got) == _oracle_dates(weekday, frequency, anchor, window_from, window_to)


@settings(max_examples=300, deadline=None)
@given(
    weekday=weekdays,
    start=starts,
    frequency=frequencies,
    anchor=anchors,
    window_from=window_starts,
    length=window_lengths,
    tz=zones,
)
def test_every_occurrence_has_weekday_and_local_time_when_inputs_are_arbitrary(
    weekday: int,
    start: time,
    frequency: Frequency,
    anchor: date,
    window_from: date,
    length: int,
    tz: str,
) -> None:
    zone = ZoneInfo(tz)
    window_to = window_from + timedelta(days=length)
    got = occurrences(
        weekday=weekday,
        start=start,
        frequency=frequency,
        anchor=anchor,
        window_from=window_from,
        window_to=window_to,
        tz=tz,
    )
    first = first_occurrence(weekday=weekday, frequency=frequency, anchor=anchor)
    for r in got:
        assert r.tzinfo is zone
        assert r.weekday() == weekday
        assert max(window_from, first) <= r.date() <= window_to
        naive = datetime.combine(r.date(), start)
        before = naive.replace(tzinfo=zone, fold=0).utcoffset()
        after = naive.replace(tzinfo=zone, fold=1).utcoffset()
        assert before is not None and after is not None
        if before < after:  # nonexistent: read with the pre-gap offset
            assert r.astimezone(UTC) == (naive - before).replace(tzinfo=UTC)
            assert r.replace(tzinfo=None) == naive + (after - before)
        else:  # normal, or ambiguous (first instance)
            assert r.replace(tzinfo=None) == naive
            assert r.fold == 0
            assert r.utcoffset() == before


@settings(max_examples=300, deadline=None)
@given(
    weekday=weekdays,
    start=starts,
    frequency=frequencies,
    anchor=anchors,
    window_from=window_starts,
    length=window_lengths,
    tz=zones,
)
def test_occurrences_strictly_increase_with_rule_gaps_when_inputs_are_arbitrary(
    weekday: int,
    start: time,
    frequency: Frequency,
    anchor: date,
    window_from: date,
    length: int,
    tz: str,
) -> None:
    got = occurrences(
        weekday=weekday,
        start=start,
        frequency=frequency,
        anchor=anchor,
        window_from=window_from,
        window_to=window_from + timedelta(days=length),
        tz=tz,
    )
    instants = [r.astimezone(UTC) for r in got]
    assert all(a < b for a, b in pairwise(instants))
    gaps = {(b.date() - a.date()).days for a, b in pairwise(got)}
    allowed = {"weekly": {7}, "fortnightly": {14}, "monthly": {28, 35}}[frequency]
    assert gaps <= allowed


@settings(max_examples=200, deadline=None)
@given(
    weekday=weekdays,
    start=starts,
    anchor=anchors,
    window_from=window_starts,
    length=window_lengths,
)
def test_weekly_local_dates_are_exactly_seven_days_apart_when_window_is_arbitrary(
    weekday: int, start: time, anchor: date, window_from: date, length: int
) -> None:
    window_to = window_from + timedelta(days=length)
    got = occurrences(
        weekday=weekday,
        start=start,
        frequency="weekly",
        anchor=anchor,
        window_from=window_from,
        window_to=window_to,
    )
    days = _dates(got)
    assert all((b - a).days == 7 for a, b in pairwise(days))
    if days:
        # Nothing skipped at either end of the window.
        assert days[0] - timedelta(days=7) < max(window_from, anchor)
        assert days[-1] + timedelta(days=7) > window_to


@settings(max_examples=300, deadline=None)
@given(
    weekday=weekdays,
    start=starts,
    frequency=frequencies,
    anchor=anchors,
    window_from=window_starts,
    length=window_lengths,
    split=st.floats(min_value=0, max_value=1),
    tz=zones,
)
def test_window_equals_concatenation_of_adjacent_sub_windows_when_split_anywhere(
    weekday: int,
    start: time,
    frequency: Frequency,
    anchor: date,
    window_from: date,
    length: int,
    split: float,
    tz: str,
) -> None:
    window_to = window_from + timedelta(days=length)
    # Left part is [window_from, middle], right part is [middle + 1, window_to];
    # either may be empty (middle = window_from - 1 or middle = window_to).
    middle = window_from + timedelta(days=round(split * (length + 1)) - 1)

    def run(lo: date, hi: date) -> list[datetime]:
        return occurrences(
            weekday=weekday,
            start=start,
            frequency=frequency,
            anchor=anchor,
            window_from=lo,
            window_to=hi,
            tz=tz,
        )

    whole = run(window_from, window_to)
    parts = run(window_from, middle) + run(middle + timedelta(days=1), window_to)
    assert [r.isoformat() for r in whole] == [r.isoformat() for r in parts]


@settings(max_examples=200, deadline=None)
@given(
    weekday=weekdays,
    anchor=anchors,
    window_from=window_starts,
    length=window_lengths,
)
def test_fortnightly_dates_keep_anchor_phase_when_window_is_arbitrary(
    weekday: int, anchor: date, window_from: date, length: int
) -> None:
    first = first_occurrence(weekday=weekday, frequency="fortnightly", anchor=anchor)
    got = occurrences(
        weekday=weekday,
        start=time(18, 0),
        frequency="fortnightly",
        anchor=anchor,
        window_from=window_from,
        window_to=window_from + timedelta(days=length),
    )
    assert all((r.date() - first).days % 14 == 0 for r in got)


@settings(max_examples=200, deadline=None)
@given(
    weekday=weekdays,
    start=starts,
    frequency=frequencies,
    anchor=anchors,
    on_or_after=window_starts,
    tz=zones,
)
def test_next_occurrence_is_first_of_long_window_when_date_is_arbitrary(
    weekday: int, start: time, frequency: Frequency, anchor: date, on_or_after: date, tz: str
) -> None:
    got = next_occurrence(
        weekday=weekday,
        start=start,
        frequency=frequency,
        anchor=anchor,
        on_or_after=on_or_after,
        tz=tz,
    )
    window = occurrences(
        weekday=weekday,
        start=start,
        frequency=frequency,
        anchor=anchor,
        window_from=on_or_after,
        window_to=max(on_or_after, anchor) + timedelta(days=400),
        tz=tz,
    )
    assert got.isoformat() == window[0].isoformat()


def test_results_are_identical_when_called_twice() -> None:
    def run() -> list[str]:
        got = occurrences(
            weekday=SUN,
            start=time(1, 30),
            frequency="monthly",
            anchor=date(2026, 3, 29),
            window_from=date(2026, 1, 1),
            window_to=date(2027, 12, 31),
        )
        return [r.isoformat() for r in got]

    assert run() == run()
