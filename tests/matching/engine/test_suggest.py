"""Suggestions for one diner: ranking, reasons, and why there is no one."""

from __future__ import annotations

import random

import pytest

from app.geo.distance import staff_distance_m
from app.matching.engine import CookIndex, Window, suggest

from .factories import MAX_RADIUS_M, make_cook, make_diner


def ranked(cooks, diner, limit=10) -> list[int]:
    result = suggest(diner, CookIndex(cooks), max_radius_m=MAX_RADIUS_M, limit=limit)
    return [s.cook_id for s in result.items]


def reason(cooks, diner) -> str | None:
    result = suggest(diner, CookIndex(cooks), max_radius_m=MAX_RADIUS_M)
    assert result.items == [] or result.unmatched_reason is None
    return result.unmatched_reason


def test_suggest_ranks_the_closer_cook_first_when_otherwise_equal():
    assert ranked([make_cook(1, east=900), make_cook(2, east=200)], make_diner()) == [2, 1]


def test_suggest_ranks_a_met_cook_first_when_a_stranger_lives_closer():
    cooks = [make_cook(1, east=1_450), make_cook(2, east=50)]
    assert ranked(cooks, make_diner(met=frozenset({1}))) == [1, 2]


def test_suggest_prefers_the_longer_overlap_when_distances_are_equal():
    short = make_cook(1, east=400, windows=(Window(1, 18 * 60 + 15, 20 * 60),))
    long = make_cook(2, east=-400)
    assert ranked([short, long], make_diner()) == [2, 1]


def test_suggest_prefers_the_less_loaded_cook_when_otherwise_equal():
    busy = make_cook(1, east=400, load=2)
    free = make_cook(2, east=-400, load=0)
    assert ranked([busy, free], make_diner()) == [2, 1]


def test_suggest_breaks_ties_by_cook_id_when_cooks_are_identical():
    assert ranked([make_cook(9), make_cook(3), make_cook(5)], make_diner()) == [3, 5, 9]


def test_suggest_never_proposes_a_cook_missing_one_allergen_when_that_cook_is_closest():
    unsafe = make_cook(1, east=10, allergen_free=frozenset({"peanuts"}))
    safe = make_cook(2, east=1_400, allergen_free=frozenset({"peanuts", "sesame"}))
    assert ranked([unsafe, safe], make_diner(allergies=frozenset({"peanuts", "sesame"}))) == [2]


def test_suggest_reports_no_cook_for_allergy_when_every_cook_misses_one_allergen():
    cooks = [make_cook(i, allergen_free=frozenset({"milk"})) for i in range(3)]
    assert reason(cooks, make_diner(allergies=frozenset({"milk", "eggs"}))) == (
        "no_cook_for_allergy"
    )


def test_suggest_never_proposes_an_excluded_cook_when_it_is_the_best():
    cooks = [make_cook(1, east=10), make_cook(2, east=900)]
    assert ranked(cooks, make_diner(excluded=frozenset({1}), met=frozenset({1}))) == [2]


def test_suggest_never_proposes_a_cook_without_capacity_when_it_is_the_best():
    assert ranked([make_cook(1, east=10, spare=0), make_cook(2, east=900)], make_diner()) == [2]


def test_suggest_never_proposes_a_cook_outside_its_own_radius_when_the_council_allows_more():
    assert ranked([make_cook(1, east=900, radius_m=800)], make_diner()) == []


def test_suggest_returns_at_most_limit_items_when_there_are_more_candidates():
    cooks = [make_cook(i, east=100 * i) for i in range(1, 8)]
    assert ranked(cooks, make_diner(), limit=3) == [1, 2, 3]


def test_suggest_refuses_when_limit_is_below_one():
    with pytest.raises(ValueError):
        suggest(make_diner(), CookIndex([make_cook()]), max_radius_m=MAX_RADIUS_M, limit=0)


def test_suggest_gives_plain_reasons_for_only_what_the_diner_needs_when_matched():
    cook = make_cook(
        4,
        east=620,
        load=1,
        diets=frozenset({"halal", "vegetarian", "kosher"}),
        allergen_free=frozenset({"peanuts", "milk", "eggs"}),
        textures=frozenset({"regular", "minced_moist"}),
    )
    diner = make_diner(
        diets=frozenset({"vegetarian", "halal"}),
        allergies=frozenset({"peanuts", "milk"}),
        texture="minced_moist",
        met=frozenset({4}),
    )
    [item] = suggest(diner, CookIndex([cook]), max_radius_m=MAX_RADIUS_M).items
    assert item.reasons == [
        "has met this diner before",
        "620 m away",
        "both free Tuesday 17:00\u201319:00",
        "cooks halal, vegetarian",
        "free from milk, peanuts",
        "can make minced & moist",
    ]
    assert item.slots == [Window(1, 17 * 60, 19 * 60)]
    assert item.distance_m == pytest.approx(620, abs=0.01)


def test_suggest_says_little_when_the_diner_needs_nothing_special():
    [item] = suggest(make_diner(), CookIndex([make_cook(east=40)]), max_radius_m=2_000).items
    assert item.reasons == [
        "40 m away",
        "both free Tuesday 17:00\u201319:00",
        "not cooking for anyone yet",
    ]


@pytest.mark.parametrize("east", [3, 455, 460, 1_250, 1_449.9])
def test_reason_distance_equals_staff_card_distance_when_not_a_round_hundred(east: float):
    [item] = suggest(make_diner(), CookIndex([make_cook(east=east)]), max_radius_m=2_000).items
    shown = staff_distance_m(item.distance_m)  # the card's distance_m (suggest_cooks)
    expected = f"{shown:,} m away" if shown else "less than 10 m away"
    assert item.reasons[0] == expected


def test_suggest_scores_higher_when_ranked_higher():
    cooks = [make_cook(i, east=150 * i, load=i % 3) for i in range(1, 9)]
    items = suggest(
        make_diner(met=frozenset({8})), CookIndex(cooks), max_radius_m=MAX_RADIUS_M
    ).items
    scores = [s.score for s in items]
    assert items[0].cook_id == 8
    assert scores == sorted(scores, reverse=True)


@pytest.mark.parametrize(
    ("cooks", "diner", "expected"),
    [
        ([], make_diner(), "no_cook_in_reach"),
        ([make_cook(east=3_000)], make_diner(), "no_cook_in_reach"),
        ([make_cook(matchable=False)], make_diner(), "no_cook_in_reach"),
        ([make_cook(1)], make_diner(excluded=frozenset({1})), "no_cook_in_reach"),
        ([make_cook(windows=(Window(4, 600, 700),))], make_diner(), "no_shared_time"),
        ([make_cook()], make_diner(frequency="monthly"), "no_shared_time"),
        ([make_cook()], make_diner(diets=frozenset({"vegan"})), "no_cook_for_diet"),
        ([make_cook()], make_diner(allergies=frozenset({"fish"})), "no_cook_for_allergy"),
        ([make_cook()], make_diner(texture="pureed"), "no_cook_for_texture"),
        ([make_cook(spare=0)], make_diner(), "no_capacity"),
    ],
)
def test_suggest_explains_the_first_failing_check_when_no_cook_fits(cooks, diner, expected):
    assert reason(cooks, diner) == expected


def test_suggest_reports_the_earlier_check_when_one_cook_fails_several():
    cook = make_cook(windows=(Window(4, 600, 700),), spare=0)
    assert reason([cook], make_diner(diets=frozenset({"vegan"}), texture="pureed")) == (
        "no_shared_time"
    )


def test_suggest_reports_the_later_check_when_each_cook_fails_a_different_one():
    no_time = make_cook(1, windows=(Window(4, 600, 700),), diets=frozenset({"vegan"}))
    no_diet = make_cook(2)
    assert reason([no_time, no_diet], make_diner(diets=frozenset({"vegan"}))) == (
        "no_cook_for_diet"
    )


def test_suggest_treats_an_unknown_need_as_unmet_when_no_cook_uses_that_code():
    assert reason([make_cook()], make_diner(diets=frozenset({"fruitarian"}))) == "no_cook_for_diet"


def test_suggest_gives_the_same_answer_when_cooks_come_in_another_order():
    cooks = [make_cook(i, east=(i * 37) % 700, load=i % 2) for i in range(1, 30)]
    diner = make_diner(met=frozenset({5}))
    shuffled = cooks[:]
    random.Random(4).shuffle(shuffled)
    first = suggest(diner, CookIndex(cooks), max_radius_m=MAX_RADIUS_M, limit=50)
    again = suggest(diner, CookIndex(shuffled), max_radius_m=MAX_RADIUS_M, limit=50)
    assert first == again
