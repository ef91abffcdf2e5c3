"""The hard rules for one pair: check_pair, check_slot, shared_windows."""

from __future__ import annotations

import pytest

from app.matching.engine import Window, check_pair, check_slot, pair_cost, shared_windows

from .factories import MAX_RADIUS_M, make_cook, make_diner

H = 60


def rules(cook, diner, max_radius_m=MAX_RADIUS_M) -> list[str]:
    return [v.rule for v in check_pair(cook, diner, max_radius_m=max_radius_m)]


def test_check_pair_finds_nothing_when_every_rule_holds():
    assert check_pair(make_cook(), make_diner(), max_radius_m=MAX_RADIUS_M) == []


def test_check_pair_reports_cook_not_matchable_when_the_cook_is_not_approved():
    [v] = check_pair(make_cook(matchable=False), make_diner(), max_radius_m=MAX_RADIUS_M)
    assert (v.rule, v.field) == ("cook_not_matchable", "cook_id")


def test_check_pair_reports_no_capacity_when_the_cook_has_no_spare_place():
    assert rules(make_cook(spare=0, load=3), make_diner()) == ["no_capacity"]


def test_check_pair_reports_out_of_reach_when_beyond_the_cooks_radius():
    [v] = check_pair(make_cook(east=1_600, radius_m=1_500), make_diner(), max_radius_m=5_000)
    assert (v.rule, v.field) == ("out_of_reach", "cook_id")


def test_check_pair_reports_out_of_reach_when_beyond_the_councils_maximum():
    cook = make_cook(east=1_200, radius_m=3_000)
    assert rules(cook, make_diner(), max_radius_m=1_000) == ["out_of_reach"]
    assert rules(cook, make_diner(), max_radius_m=1_300) == []


def test_check_pair_reports_no_shared_time_when_free_on_different_days():
    cook = make_cook(windows=(Window(2, 17 * H, 19 * H),))
    [v] = check_pair(cook, make_diner(), max_radius_m=MAX_RADIUS_M)
    assert (v.rule, v.field) == ("no_shared_time", "weekday")


def test_check_pair_reports_no_shared_time_when_the_overlap_is_29_minutes():
    cook = make_cook(windows=(Window(1, 18 * H + 31, 20 * H),))
    assert rules(cook, make_diner()) == ["no_shared_time"]


def test_check_pair_accepts_the_time_when_the_overlap_is_exactly_30_minutes():
    cook = make_cook(windows=(Window(1, 18 * H + 30, 20 * H),))
    assert rules(cook, make_diner()) == []


def test_check_pair_reports_no_shared_time_when_the_cook_does_not_offer_the_frequency():
    [v] = check_pair(
        make_cook(frequencies=frozenset({"weekly"})),
        make_diner(frequency="monthly"),
        max_radius_m=MAX_RADIUS_M,
    )
    assert v.rule == "no_shared_time"
    assert "monthly" in v.message


def test_check_pair_reports_diet_unmet_when_one_needed_diet_is_missing():
    cook = make_cook(diets=frozenset({"halal"}))
    [v] = check_pair(
        cook, make_diner(diets=frozenset({"halal", "low_salt"})), max_radius_m=MAX_RADIUS_M
    )
    assert (v.rule, v.field) == ("diet_unmet", "diets")
    assert "low-salt" in v.message


def test_check_pair_accepts_the_diet_when_the_cook_cooks_more_than_needed():
    cook = make_cook(diets=frozenset({"halal", "vegetarian", "low_salt"}))
    assert rules(cook, make_diner(diets=frozenset({"halal"}))) == []


def test_check_pair_reports_texture_unmet_when_the_cook_cannot_make_the_texture():
    [v] = check_pair(make_cook(), make_diner(texture="pureed"), max_radius_m=MAX_RADIUS_M)
    assert (v.rule, v.field) == ("texture_unmet", "texture")


def test_check_pair_reports_allergen_unsafe_naming_the_allergen_when_one_is_missing():
    cook = make_cook(allergen_free=frozenset({"peanuts", "sesame"}))
    diner = make_diner(allergies=frozenset({"peanuts", "sesame", "milk"}))
    [v] = check_pair(cook, diner, max_radius_m=MAX_RADIUS_M)
    assert (v.rule, v.field) == ("allergen_unsafe", "allergies")
    assert "milk" in v.message
    assert "peanuts" not in v.message


def test_check_pair_accepts_allergies_when_the_cook_is_free_from_all_of_them():
    cook = make_cook(allergen_free=frozenset({"peanuts", "milk", "eggs"}))
    assert rules(cook, make_diner(allergies=frozenset({"peanuts", "milk"}))) == []


def test_check_pair_reports_excluded_pair_when_the_diner_excludes_the_cook():
    [v] = check_pair(make_cook(7), make_diner(excluded=frozenset({7})), max_radius_m=MAX_RADIUS_M)
    assert (v.rule, v.field) == ("excluded_pair", "cook_id")


def test_check_pair_lists_every_broken_rule_when_several_are_broken():
    cook = make_cook(7, matchable=False, spare=0, east=9_000)
    diner = make_diner(
        diets=frozenset({"kosher"}),
        allergies=frozenset({"fish"}),
        texture="minced_moist",
        windows=(Window(5, 600, 700),),
        excluded=frozenset({7}),
    )
    assert rules(cook, diner) == [
        "cook_not_matchable",
        "no_capacity",
        "out_of_reach",
        "no_shared_time",
        "diet_unmet",
        "texture_unmet",
        "allergen_unsafe",
        "excluded_pair",
    ]


def test_shared_windows_are_sorted_and_at_least_30_minutes_when_many_windows_overlap():
    cook = make_cook(
        windows=(Window(3, 12 * H, 14 * H), Window(1, 17 * H, 19 * H), Window(0, 9 * H, 10 * H))
    )
    diner = make_diner(
        windows=(
            Window(3, 13 * H, 15 * H),
            Window(1, 18 * H + 40, 21 * H),
            Window(0, 9 * H, 11 * H),
        )
    )
    assert shared_windows(cook, diner) == [Window(0, 9 * H, 10 * H), Window(3, 13 * H, 14 * H)]


def test_shared_windows_merge_touching_windows_when_a_person_splits_an_evening():
    cook = make_cook(windows=(Window(1, 17 * H, 18 * H), Window(1, 18 * H, 19 * H)))
    diner = make_diner(windows=(Window(1, 17 * H + 45, 18 * H + 15),))
    assert shared_windows(cook, diner) == [Window(1, 17 * H + 45, 18 * H + 15)]


def test_check_slot_accepts_when_30_shared_minutes_follow_the_start():
    assert check_slot(make_cook(), make_diner(), 1, 18 * H + 30) is None
    assert check_slot(make_cook(), make_diner(), 1, 17 * H) is None


def test_check_slot_rejects_the_start_when_fewer_than_30_shared_minutes_follow():
    v = check_slot(make_cook(), make_diner(), 1, 18 * H + 31)
    assert v is not None
    assert (v.rule, v.field) == ("no_shared_time", "start")


def test_check_slot_rejects_the_start_when_before_the_shared_window():
    v = check_slot(make_cook(), make_diner(), 1, 16 * H + 45)
    assert v is not None
    assert v.field == "start"


def test_check_slot_rejects_the_weekday_when_they_share_no_time_that_day():
    v = check_slot(make_cook(), make_diner(), 4, 17 * H)
    assert v is not None
    assert (v.rule, v.field) == ("no_shared_time", "weekday")


@pytest.mark.parametrize(
    ("weekday", "start", "end"), [(7, 0, 60), (-1, 0, 60), (0, 60, 60), (0, 0, 1441)]
)
def test_window_refuses_to_exist_when_outside_one_weekday(weekday, start, end):
    with pytest.raises(ValueError):
        Window(weekday, start, end)


def test_pair_cost_prefers_the_met_cook_when_a_stranger_is_next_door():
    far_but_met = make_cook(1, east=1_499)
    next_door = make_cook(2, east=10)
    diner = make_diner(met=frozenset({1}))
    assert pair_cost(far_but_met, diner) < pair_cost(next_door, diner)
