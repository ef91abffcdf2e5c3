"""Batch matching: an optimal assignment under capacities, with reasons for the rest."""

from __future__ import annotations

import random

import pytest

from app.matching.engine import (
    LOAD_STEP_COST,
    CookIndex,
    CookInput,
    DinerInput,
    Window,
    batch_candidates,
    batch_match,
    suggest,
)
from app.matching.engine import batch as batch_module

from .factories import MAX_RADIUS_M, make_cook, make_diner


def scattered(
    rng: random.Random, *, cooks: int, diners: int, within_m: float
) -> tuple[list[CookInput], list[DinerInput]]:
    """Cooks (ids from 1, one place each) and diners (ids from 100) at random within a square."""

    def spot() -> dict[str, float]:
        return {"east": rng.uniform(-within_m, within_m), "north": rng.uniform(-within_m, within_m)}

    made = [make_cook(i, spare=1, **spot()) for i in range(1, cooks + 1)]
    return made, [make_diner(100 + i, **spot()) for i in range(diners)]


def pairs(diners, cooks, **kw) -> dict[int, int]:
    result = batch_match(diners, cooks, max_radius_m=MAX_RADIUS_M, **kw)
    return {a.diner_id: a.cook_id for a in result.assignments}


def test_batch_gives_each_of_two_equally_good_cooks_one_diner_when_both_could_take_two():
    cooks = [make_cook(1, east=400, spare=2), make_cook(2, east=-400, spare=2)]
    diners = [make_diner(10, north=5), make_diner(11, north=-5)]
    assert sorted(pairs(diners, cooks).values()) == [1, 2]


def test_batch_counts_existing_load_when_spreading_diners():
    cooks = [make_cook(1, east=400, load=1), make_cook(2, east=-400, load=0)]
    assert pairs([make_diner(10)], cooks) == {10: 2}


def test_batch_never_assigns_a_cook_missing_one_allergen_when_it_is_the_only_cook():
    cook = make_cook(1, allergen_free=frozenset({"peanuts"}))
    diner = make_diner(10, allergies=frozenset({"peanuts", "sesame"}))
    result = batch_match([diner], [cook], max_radius_m=MAX_RADIUS_M)
    assert result.assignments == []
    assert result.unmatched == [(10, "no_cook_for_allergy")]


def test_batch_never_assigns_an_excluded_cook_when_it_has_room():
    result = batch_match(
        [make_diner(10, excluded=frozenset({1}))], [make_cook(1)], max_radius_m=MAX_RADIUS_M
    )
    assert result.unmatched == [(10, "no_cook_in_reach")]


def test_batch_leaves_the_costliest_diner_out_with_no_capacity_when_the_cook_is_full():
    cook = make_cook(1, spare=2)
    diners = [make_diner(10, east=200), make_diner(11, east=-900), make_diner(12, east=250)]
    result = batch_match(diners, [cook], max_radius_m=MAX_RADIUS_M)
    assert {a.diner_id for a in result.assignments} == {10, 12}
    assert result.unmatched == [(11, "no_capacity")]


def test_batch_matches_everyone_possible_when_greedy_would_strand_a_diner():
    near = make_cook(1, east=0, spare=1)
    far = make_cook(2, east=1_400, spare=1)
    flexible = make_diner(10, east=50)  # near is its best cook, far is fine too
    stuck = make_diner(11, east=-600)  # only near is within reach
    assert pairs([flexible, stuck], [near, far]) == {10: 2, 11: 1}


def test_batch_gives_a_diner_the_cook_they_met_when_a_stranger_is_closer():
    met = make_cook(1, east=1_400)
    stranger = make_cook(2, east=20)
    assert pairs([make_diner(10, met=frozenset({1}))], [met, stranger]) == {10: 1}


def test_batch_chooses_the_longest_shared_window_when_several_are_shared():
    cook = make_cook(
        1,
        windows=(Window(0, 600, 660), Window(2, 600, 720), Window(4, 600, 720)),
    )
    diner = make_diner(10, windows=(Window(0, 600, 700), Window(2, 630, 800), Window(4, 600, 800)))
    [a] = batch_match([diner], [cook], max_radius_m=MAX_RADIUS_M).assignments
    assert (a.weekday, a.start) == (4, 600)


def test_batch_chooses_the_earliest_window_when_the_longest_are_equally_long():
    cook = make_cook(1, windows=(Window(3, 600, 720), Window(1, 900, 1020), Window(1, 600, 720)))
    diner = make_diner(10, windows=cook.windows)
    [a] = batch_match([diner], [cook], max_radius_m=MAX_RADIUS_M).assignments
    assert (a.weekday, a.start) == (1, 600)


def test_batch_gives_the_same_reasons_as_suggest_when_diners_cannot_be_matched():
    cooks = [
        make_cook(1, diets=frozenset({"halal"})),
        make_cook(2, east=1_000, spare=0, diets=frozenset({"halal"})),
    ]
    diners = [
        make_diner(10, east=5_000),
        make_diner(11, frequency="monthly"),
        make_diner(12, diets=frozenset({"kosher"})),
        make_diner(13, allergies=frozenset({"soya"})),
        make_diner(14, texture="easy_to_chew"),
        make_diner(15, east=1_900, diets=frozenset({"halal"})),
    ]
    index = CookIndex(cooks)
    result = batch_match(diners, cooks, max_radius_m=MAX_RADIUS_M, index=index)
    expected = [
        (d.id, suggest(d, index, max_radius_m=MAX_RADIUS_M).unmatched_reason) for d in diners
    ]
    assert result.unmatched == expected
    assert [r for _, r in expected] == [
        "no_cook_in_reach",
        "no_shared_time",
        "no_cook_for_diet",
        "no_cook_for_allergy",
        "no_cook_for_texture",
        "no_capacity",
    ]


def test_batch_costs_add_up_to_the_objective_when_a_cook_takes_several():
    cook = make_cook(1, spare=3, load=1)
    result = batch_match(
        [make_diner(i, east=-10 * i) for i in range(3)], [cook], max_radius_m=MAX_RADIUS_M
    )
    assert sum(a.cost for a in result.assignments) == result.objective
    steps = [a.cost - result.assignments[0].cost for a in result.assignments]
    assert steps[1] == pytest.approx(LOAD_STEP_COST + 10, abs=1)
    assert steps[2] == pytest.approx(2 * LOAD_STEP_COST + 20, abs=1)


def test_batch_gives_the_same_result_when_inputs_come_in_another_order():
    rng = random.Random(9)
    cooks, diners = scattered(rng, cooks=14, diners=25, within_m=1_000)
    first = batch_match(diners, cooks, max_radius_m=MAX_RADIUS_M)
    rng.shuffle(cooks)
    rng.shuffle(diners)
    assert batch_match(diners, cooks, max_radius_m=MAX_RADIUS_M) == first


def test_batch_keeps_the_optimum_when_pruning_keeps_enough_edges():
    rng = random.Random(2)
    cooks = [make_cook(i, east=rng.uniform(-800, 800), spare=2) for i in range(1, 9)]
    diners = [make_diner(100 + i, east=rng.uniform(-800, 800)) for i in range(14)]
    full = batch_match(diners, cooks, max_radius_m=MAX_RADIUS_M)
    pruned = batch_match(diners, cooks, max_radius_m=MAX_RADIUS_M, prune_k=8)
    assert pruned == full


def test_batch_candidates_keep_each_diners_cheapest_edges_when_pruned():
    cooks = [make_cook(i, east=100 * i) for i in range(1, 6)]
    graph = batch_candidates([make_diner(10)], CookIndex(cooks), max_radius_m=2_000, prune_k=2)
    assert [int(CookIndex(cooks).ids[c]) for c in graph.cook] == [1, 2]


def test_batch_refuses_an_index_when_it_was_built_for_other_cooks():
    with pytest.raises(ValueError):
        batch_match(
            [make_diner()], [make_cook(1)], max_radius_m=2_000, index=CookIndex([make_cook(2)])
        )


def test_batch_refuses_when_two_diners_share_an_id():
    with pytest.raises(ValueError):
        batch_match([make_diner(1), make_diner(1)], [make_cook()], max_radius_m=2_000)


def test_batch_returns_nothing_when_there_are_no_diners():
    result = batch_match([], [make_cook()], max_radius_m=MAX_RADIUS_M)
    assert (result.assignments, result.unmatched, result.objective) == ([], [], 0)


def test_batch_candidates_look_at_a_bounded_number_of_pairs_at_a_time_when_cooks_are_dense(
    monkeypatch,
):
    # A dense city's diners each have thousands of cooks in reach: looked at all at once, one
    # block of 2,358 diners held 4 million pairs (530 MiB) in a staff member's preview.
    cooks, diners = scattered(random.Random(4), cooks=30, diners=40, within_m=600)
    index = CookIndex(cooks)
    whole = batch_candidates(diners, index, max_radius_m=MAX_RADIUS_M)
    assert whole.edges == 30 * 40  # every cook in reach of every diner: 1,200 pairs

    looked_at: list[int] = []
    rules = batch_module.assess

    def counted(index, table, rows, local, crow, *args, **kw):
        looked_at.append(len(local))
        return rules(index, table, rows, local, crow, *args, **kw)

    monkeypatch.setattr(batch_module, "assess", counted)
    monkeypatch.setattr(batch_module, "_BLOCK_PAIRS", 100)
    blocked = batch_candidates(diners, index, max_radius_m=MAX_RADIUS_M)

    assert len(looked_at) > 1 and max(looked_at) <= 100
    assert sum(looked_at) == 1_200
    for field in ("diner_ids", "level", "diner", "cook", "distance", "cost", "start"):
        assert (getattr(blocked, field) == getattr(whole, field)).all(), field
