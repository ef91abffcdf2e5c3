"""The reports' pure arithmetic: no database, no clock, every edge by hand."""

from __future__ import annotations

import csv
import io
import itertools
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from app.matching.engine import UNMATCHED_REASONS
from app.reports.figures import (
    DinerHistory,
    MealTally,
    UnmatchedGroup,
    csv_cell,
    csv_text,
    district,
    iso_week,
    left_since,
    local_date,
    local_midnight,
    mean_distinct_cooks,
    median,
    median_pairing_days,
    ratio,
    recent_weeks,
    unmatched_groups,
    was_waiting,
    week_cutoff,
    week_start,
    weekly_figures,
    whole_days,
)

LONDON = ZoneInfo("Europe/London")


def utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)  # type: ignore[misc]


# --- ratio ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("part", "whole", "expected"),
    [(0, 0, None), (0, 1, 0.0), (1, 1, 1.0), (1, 2, 0.5), (2, 3, 2 / 3), (5, 7, 5 / 7)],
)
def test_ratio_is_part_over_whole_when_whole_is_not_zero(
    part: int, whole: int, expected: float | None
):
    assert ratio(part, whole) == expected


@pytest.mark.parametrize(("part", "whole"), [(-1, 1), (2, 1), (1, 0), (0, -1)])
def test_ratio_refuses_when_part_is_not_within_whole(part: int, whole: int):
    with pytest.raises(ValueError):
        ratio(part, whole)


# --- days and medians -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("end", "days"),
    [
        (utc(2025, 1, 1, 12), 0),
        (utc(2025, 1, 2, 11, 59), 0),
        (utc(2025, 1, 2, 12), 1),
        (utc(2025, 1, 21, 11, 59), 19),
        (utc(2025, 1, 21, 12), 20),
        (utc(2024, 12, 31), 0),  # ended before it started (clock skew): no negative length
    ],
)
def test_whole_days_rounds_down_when_a_day_is_not_complete(end: datetime, days: int):
    assert whole_days(utc(2025, 1, 1, 12), end) == days


def test_whole_days_counts_24_hours_when_clocks_change():
    # 30 March 2025: London loses an hour; durations are in UTC, so 24 real hours are one day.
    start = datetime(2025, 3, 29, 12, tzinfo=LONDON)
    assert whole_days(start, start.astimezone(UTC) + timedelta(hours=24)) == 1
    assert whole_days(start, datetime(2025, 3, 30, 12, tzinfo=LONDON)) == 0  # 23 hours


@pytest.mark.parametrize(
    ("values", "expected"),
    [
        ([], None),
        ([4], 4.0),
        ([3, 1], 2.0),
        ([1, 2], 1.5),
        ([5, 1, 3], 3.0),
        ([31, 5, 19, 7], 13.0),
        ([0, 0, 0, 100], 0.0),
        ([2, 2, 3, 3], 2.5),
    ],
)
def test_median_is_middle_or_mean_of_two_middles_when_values_given(
    values: list[int], expected: float | None
):
    assert median(values) == expected


def test_median_pairing_days_runs_open_pairings_to_now_when_not_ended():
    now = utc(2025, 1, 22, 12)
    spans = [
        (utc(2025, 1, 2, 18), None),  # 19 days 18 hours -> 19
        (utc(2024, 12, 10, 12), utc(2025, 1, 10, 12)),  # 31
        (utc(2025, 1, 15, 12), None),  # 7
        (utc(2025, 1, 3, 12), utc(2025, 1, 8, 12)),  # 5
    ]
    assert median_pairing_days(spans, now=now) == 13.0  # (7 + 19) / 2
    assert median_pairing_days(spans[:3], now=now) == 19.0
    assert median_pairing_days([], now=now) is None


@pytest.mark.parametrize(
    ("pairs", "expected"),
    [
        ([], None),
        ([(1, 10)], 1.0),
        ([(1, 10), (1, 10)], 1.0),  # the same cook twice is one cook
        ([(1, 10), (1, 11), (2, 10), (3, 11)], 4 / 3),
        ([(1, 10), (1, 11), (1, 12), (2, 10)], 2.0),
    ],
)
def test_mean_distinct_cooks_counts_each_cook_once_per_diner_when_pairings_repeat(
    pairs: list[tuple[int, int]], expected: float | None
):
    assert mean_distinct_cooks(pairs) == expected


# --- weeks ------------------------------------------------------------------------------------


@pytest.mark.parametrize("offset", range(7))
def test_week_start_is_the_monday_when_day_is_any_weekday(offset: int):
    assert week_start(date(2025, 1, 20) + timedelta(days=offset)) == date(2025, 1, 20)


def test_week_start_crosses_the_year_when_new_year_falls_midweek():
    assert week_start(date(2025, 1, 1)) == date(2024, 12, 30)


@pytest.mark.parametrize(
    ("monday", "label"),
    [
        (date(2025, 1, 20), "2025-W04"),
        (date(2024, 12, 30), "2025-W01"),  # ISO year, not calendar year
        (date(2020, 12, 28), "2020-W53"),
        (date(2026, 11, 23), "2026-W48"),
    ],
)
def test_iso_week_uses_iso_year_when_week_straddles_new_year(monday: date, label: str):
    assert iso_week(monday) == label


def test_recent_weeks_ends_with_this_week_oldest_first_when_counted():
    assert recent_weeks(date(2025, 1, 22), 3) == [
        date(2025, 1, 6),
        date(2025, 1, 13),
        date(2025, 1, 20),
    ]
    assert recent_weeks(date(2025, 1, 20), 1) == [date(2025, 1, 20)]
    weeks = recent_weeks(date(2025, 1, 26), 104)
    assert len(weeks) == 104 and weeks[-1] == date(2025, 1, 20)
    assert all(b - a == timedelta(days=7) for a, b in itertools.pairwise(weeks))


def test_recent_weeks_refuses_when_count_is_below_one():
    with pytest.raises(ValueError):
        recent_weeks(date(2025, 1, 22), 0)


def test_local_midnight_is_an_hour_earlier_in_utc_when_summer_time():
    assert local_midnight(date(2025, 1, 20), LONDON) == utc(2025, 1, 20)
    assert local_midnight(date(2025, 7, 14), LONDON) == utc(2025, 7, 13, 23)


def test_local_date_is_the_next_day_when_late_evening_utc_in_summer():
    assert local_date(utc(2025, 7, 13, 23, 30), LONDON) == date(2025, 7, 14)
    assert local_date(utc(2025, 1, 12, 23, 30), LONDON) == date(2025, 1, 12)


def test_week_cutoff_is_next_local_midnight_when_week_is_over():
    now, today = utc(2025, 4, 9, 12), date(2025, 4, 9)
    # The week of 24 March 2025 has 167 hours: summer time starts on its Sunday.
    at, day = week_cutoff(date(2025, 3, 24), tz=LONDON, now=now, today=today)
    assert (at, day) == (utc(2025, 3, 30, 23), date(2025, 3, 30))
    assert at - local_midnight(date(2025, 3, 24), LONDON) == timedelta(hours=167)


def test_week_cutoff_is_now_and_today_when_week_is_under_way():
    now, today = utc(2025, 1, 22, 12), date(2025, 1, 22)
    assert week_cutoff(date(2025, 1, 20), tz=LONDON, now=now, today=today) == (now, today)


# --- waiting at a past moment -----------------------------------------------------------------

AT, DAY = utc(2025, 1, 13), date(2025, 1, 12)  # the end of the week of 6 January


def diner(**fields: object) -> DinerHistory:
    values: dict[str, object] = {
        "created_at": utc(2025, 1, 1),
        "left_at": None,
        "paused_from": None,
        "paused_to": None,
        "accepted": (),
    }
    return DinerHistory(**(values | fields))  # type: ignore[arg-type]


def test_was_waiting_when_signed_up_before_and_nothing_else_happened():
    assert was_waiting(diner(), at=AT, day=DAY)


@pytest.mark.parametrize(
    ("created_at", "expected"),
    [(AT - timedelta(microseconds=1), True), (AT, False), (AT + timedelta(days=1), False)],
)
def test_was_waiting_only_when_signed_up_strictly_before_cutoff(
    created_at: datetime, expected: bool
):
    assert was_waiting(diner(created_at=created_at), at=AT, day=DAY) is expected


@pytest.mark.parametrize(
    ("accepted", "expected"),
    [
        (((utc(2025, 1, 2), None),), False),  # matched and still running
        (((utc(2025, 1, 2), AT),), False),  # ended exactly at the cutoff: matched until then
        (((utc(2025, 1, 2), AT - timedelta(seconds=1)),), True),  # ended before: waiting again
        (((AT, None),), True),  # accepted at the cutoff: not yet matched
        (((AT + timedelta(days=2), None),), True),
        (((utc(2024, 12, 1), utc(2025, 1, 10)), (utc(2025, 1, 11), None)), False),
        (((utc(2024, 12, 1), utc(2025, 1, 10)), (utc(2025, 1, 15), None)), True),
    ],
)
def test_was_waiting_not_when_an_accepted_pairing_runs_at_cutoff(
    accepted: tuple[tuple[datetime, datetime | None], ...], expected: bool
):
    assert was_waiting(diner(accepted=accepted), at=AT, day=DAY) is expected


@pytest.mark.parametrize(
    ("left_at", "expected"),
    [(None, True), (AT - timedelta(seconds=1), False), (AT, True), (AT + timedelta(days=1), True)],
)
def test_was_waiting_not_when_left_before_cutoff(left_at: datetime | None, expected: bool):
    assert was_waiting(diner(left_at=left_at), at=AT, day=DAY) is expected


@pytest.mark.parametrize(
    ("paused", "expected"),
    [
        ((date(2025, 1, 12), date(2025, 1, 12)), False),
        ((date(2025, 1, 1), date(2025, 1, 12)), False),
        ((date(2025, 1, 12), date(2025, 2, 1)), False),
        ((date(2025, 1, 1), date(2025, 1, 11)), True),
        ((date(2025, 1, 13), date(2025, 2, 1)), True),
        ((None, None), True),
        ((date(2025, 1, 1), None), True),  # half a range is no pause (as public_status)
    ],
)
def test_was_waiting_not_when_pause_covers_the_day(
    paused: tuple[date | None, date | None], expected: bool
):
    history = diner(paused_from=paused[0], paused_to=paused[1])
    assert was_waiting(history, at=AT, day=DAY) is expected


@pytest.mark.parametrize(
    ("held_from", "expected"),
    [(None, True), (AT - timedelta(seconds=1), False), (AT, True), (AT + timedelta(days=1), True)],
)
def test_was_waiting_not_when_held_for_an_erasure_before_cutoff(
    held_from: datetime | None, expected: bool
):
    """Held out of matching from when their carer's request first named them."""
    assert was_waiting(diner(held_from=held_from), at=AT, day=DAY) is expected


def test_left_since_is_the_end_of_the_last_pairing_when_the_diner_left():
    created = utc(2025, 1, 1)
    spans = [(utc(2025, 1, 2), utc(2025, 1, 5)), (utc(2025, 1, 6), utc(2025, 1, 9))]
    assert left_since(has_left=True, created_at=created, accepted=spans) == utc(2025, 1, 9)
    assert left_since(has_left=True, created_at=created, accepted=[]) == created
    assert left_since(has_left=True, created_at=created, accepted=[(utc(2025, 1, 2), None)]) == (
        created
    )
    assert left_since(has_left=False, created_at=created, accepted=spans) is None


# --- the weekly series ------------------------------------------------------------------------


def test_weekly_figures_buckets_by_iso_week_when_data_spans_weeks():
    """Two weeks, 6-12 and 13-19 January 2025 (GMT), now Wednesday 15 January at noon.

    Meals: week 1 has 3 delivered (2 by the regular cook) and 1 missed; 5 January (the week
    before) and 20 January (after) are outside. Week 2: 1 delivered by a cover, 2 missed.
    Cooks: Sunday 12 January 23:30 UTC is still week 1 in GMT; 13 January 00:00 is week 2.
    Diners: A waits throughout; B is matched from 8 January; C signs up on 14 January (counted
    in week 2, whose cutoff is now); D signs up after now (never counted).
    """
    mondays = [date(2025, 1, 6), date(2025, 1, 13)]
    now, today = utc(2025, 1, 15, 12), date(2025, 1, 15)
    meals = [
        MealTally(date(2025, 1, 5), "delivered", 9, 9),
        MealTally(date(2025, 1, 6), "delivered", 2, 2),
        MealTally(date(2025, 1, 12), "delivered", 1, 0),
        MealTally(date(2025, 1, 7), "missed", 1, 1),
        MealTally(date(2025, 1, 7), "cancelled", 4, 4),
        MealTally(date(2025, 1, 14), "delivered", 1, 0),
        MealTally(date(2025, 1, 13), "missed", 2, 0),
        MealTally(date(2025, 1, 20), "delivered", 5, 5),
    ]
    cooks = [utc(2025, 1, 12, 23, 30), utc(2025, 1, 13), utc(2025, 1, 1)]
    diners = [
        diner(created_at=utc(2025, 1, 1)),
        diner(created_at=utc(2025, 1, 1), accepted=((utc(2025, 1, 8), None),)),
        diner(created_at=utc(2025, 1, 14)),
        diner(created_at=utc(2025, 1, 16)),
    ]
    weeks = weekly_figures(
        mondays=mondays,
        tz=LONDON,
        now=now,
        today=today,
        meals=meals,
        cooks_created=cooks,
        diners=diners,
    )
    assert [(w.week, w.week_start, w.week_end) for w in weeks] == [
        ("2025-W02", date(2025, 1, 6), date(2025, 1, 12)),
        ("2025-W03", date(2025, 1, 13), date(2025, 1, 19)),
    ]
    assert [
        (w.meals_delivered, w.meals_missed, w.new_cooks, w.waiting_diners, w.continuity_rate)
        for w in weeks
    ] == [(3, 1, 1, 1, 2 / 3), (1, 2, 1, 2, 0.0)]


def test_weekly_figures_counts_a_summer_sunday_evening_in_its_week_when_clocks_are_ahead():
    # 23:30 UTC on Sunday 13 July 2025 is 00:30 BST on Monday 14 July: the next week.
    weeks = weekly_figures(
        mondays=[date(2025, 7, 7), date(2025, 7, 14)],
        tz=LONDON,
        now=utc(2025, 7, 16),
        today=date(2025, 7, 16),
        meals=[],
        cooks_created=[utc(2025, 7, 13, 23, 30), utc(2025, 7, 13, 22, 59)],
        diners=[],
    )
    assert [w.new_cooks for w in weeks] == [1, 1]
    assert all(w.continuity_rate is None for w in weeks)


def test_weekly_figures_are_zeros_and_nulls_when_nothing_happened():
    weeks = weekly_figures(
        mondays=[date(2025, 1, 20)],
        tz=LONDON,
        now=utc(2025, 1, 22),
        today=date(2025, 1, 22),
        meals=[],
        cooks_created=[],
        diners=[],
    )
    assert [
        (w.meals_delivered, w.meals_missed, w.new_cooks, w.waiting_diners, w.continuity_rate)
        for w in weeks
    ] == [(0, 0, 0, 0, None)]


# --- unmatched groups -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("postcode", "expected"),
    [("N3 1QX", "N3"), ("EN5 1AA", "EN5"), ("n31qx", "N3"), ("SW1A 1AA", "SW1A"), ("", "unknown")],
)
def test_district_is_the_outward_code_when_postcode_is_well_formed(postcode: str, expected: str):
    assert district(postcode) == expected


def test_unmatched_groups_put_most_diners_first_then_district_then_reason_order_when_grouped():
    found = [
        ("N3", None),
        ("N3", "no_capacity"),
        ("N3", "no_cook_for_allergy"),
        ("EN5", "no_cook_in_reach"),
        ("N3", "no_cook_for_allergy"),
        ("N3", "no_cook_in_reach"),
    ]
    assert unmatched_groups(found, reasons=UNMATCHED_REASONS) == [
        UnmatchedGroup("N3", "no_cook_for_allergy", 2),
        UnmatchedGroup("EN5", "no_cook_in_reach", 1),
        UnmatchedGroup("N3", "no_cook_in_reach", 1),
        UnmatchedGroup("N3", "no_capacity", 1),
        UnmatchedGroup("N3", None, 1),
    ]
    assert unmatched_groups([], reasons=UNMATCHED_REASONS) == []


# --- CSV --------------------------------------------------------------------------------------


@pytest.mark.parametrize("start", ["=", "+", "-", "@", "\t", "\r"])
def test_csv_cell_prefixes_a_quote_when_text_starts_like_a_formula(start: str):
    assert csv_cell(f"{start}HYPERLINK(1)") == f"'{start}HYPERLINK(1)"


@pytest.mark.parametrize(
    ("value", "cell"),
    [
        (None, ""),
        (0, "0"),
        (12, "12"),
        (0.5, "0.5"),
        (5 / 7, "0.7142857142857143"),
        (date(2025, 1, 20), "2025-01-20"),
        ("N3", "N3"),
        ("a=b", "a=b"),  # only a leading sign matters
        ("", ""),
    ],
)
def test_csv_cell_keeps_the_value_when_it_cannot_run_as_a_formula(value: object, cell: str):
    assert csv_cell(value) == cell


def test_csv_text_parses_back_to_the_same_cells_when_read_by_the_csv_module():
    text = csv_text(["district", "reason", "diners"], [["N3", None, 2], ["=cmd", "a,b", 1]])
    assert text.endswith("\r\n")
    assert list(csv.reader(io.StringIO(text))) == [
        ["district", "reason", "diners"],
        ["N3", "", "2"],
        ["'=cmd", "a,b", "1"],
    ]
