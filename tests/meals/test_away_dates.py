"""Saving away dates beside the periods a cook already has (pure: no database)."""

from __future__ import annotations

from datetime import date

from app.meals.away_dates import AwayPlan, Period, plan_away

TODAY = date(2026, 12, 1)


def dec(day: int) -> date:
    return date(2026, 12, day)


def plan(*periods: tuple[int, int], from_: int, to: int) -> AwayPlan:
    saved = [Period(n + 1, dec(a), dec(b)) for n, (a, b) in enumerate(periods)]
    return plan_away(saved, from_=dec(from_), to=dec(to), today=TODAY)


def test_dates_are_a_new_period_when_the_cook_has_none():
    assert plan(from_=14, to=20) == AwayPlan("added", dec(14), dec(14), dec(20), None, ())


def test_the_same_dates_saved_again_change_nothing():
    assert plan((14, 20), from_=14, to=20) == AwayPlan("already", dec(14), dec(14), dec(20), 1, ())


def test_dates_inside_a_saved_period_change_nothing_and_name_it():
    assert plan((3, 4), (10, 20), from_=14, to=16) == AwayPlan(
        "already", dec(14), dec(10), dec(20), 2, ()
    )


def test_overlapping_dates_grow_the_period_and_only_the_days_it_lacked_are_new():
    assert plan((10, 16), from_=14, to=20) == AwayPlan("merged", dec(14), dec(10), dec(20), 1, ())
    assert plan((14, 20), from_=10, to=16) == AwayPlan("merged", dec(10), dec(10), dec(20), 1, ())


def test_touching_dates_join_the_period_on_either_side():
    assert plan((10, 13), from_=14, to=20) == AwayPlan("merged", dec(14), dec(10), dec(20), 1, ())
    assert plan((21, 25), from_=14, to=20) == AwayPlan("merged", dec(14), dec(14), dec(25), 1, ())


def test_dates_bridging_two_periods_fold_them_into_the_earlier():
    assert plan((21, 25), (10, 13), from_=14, to=20) == AwayPlan(
        "merged", dec(14), dec(10), dec(25), 2, (1,)
    )


def test_dates_a_day_apart_from_a_period_are_a_period_of_their_own():
    assert plan((10, 12), from_=14, to=20) == AwayPlan("added", dec(14), dec(14), dec(20), None, ())


def test_dates_overlapping_a_started_period_begin_after_it_and_leave_it_as_it_is():
    """A started period can no longer be changed on the cook's page: the days added stay
    theirs to change."""
    started = (date(2026, 11, 25), date(2026, 12, 4))
    saved = [Period(1, *started)]
    assert plan_away(saved, from_=dec(1), to=dec(10), today=TODAY) == AwayPlan(
        "added", dec(5), dec(5), dec(10), None, ()
    )
    # Touching it is not joining it either.
    assert plan_away(saved, from_=dec(5), to=dec(10), today=TODAY).outcome == "added"


def test_dates_inside_a_started_period_change_nothing():
    saved = [Period(1, date(2026, 11, 25), dec(4))]
    assert plan_away(saved, from_=dec(1), to=dec(4), today=TODAY) == AwayPlan(
        "already", dec(5), date(2026, 11, 25), dec(4), 1, ()
    )


def test_dates_running_on_from_a_started_period_into_a_later_one_join_only_the_later():
    saved = [Period(1, date(2026, 11, 25), dec(4)), Period(2, dec(8), dec(12))]
    assert plan_away(saved, from_=dec(2), to=dec(9), today=TODAY) == AwayPlan(
        "merged", dec(5), dec(5), dec(12), 2, ()
    )


def test_dates_covered_by_periods_saved_twice_before_change_nothing():
    """Periods saved before this rule may overlap: dates all inside them add nothing."""
    assert plan((10, 16), (14, 20), from_=12, to=18).outcome == "already"
