"""Properties on small random instances, against an exhaustive reference."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from app.matching.engine import (
    LOAD_STEP_COST,
    NOT_MET_COST,
    OVERLAP_COST_PER_MIN,
    OVERLAP_TARGET_MIN,
    CookIndex,
    CookInput,
    DinerInput,
    Window,
    batch_candidates,
    batch_match,
    best_slot,
    check_pair,
    check_slot,
    rank,
    shared_windows,
    suggest,
)
from app.matching.engine.index import DinerTable, assess, assess_one
from app.matching.spatial import distance_m

from .factories import make_cook, make_diner

MAX_RADIUS = 1_600
SETTINGS = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])

windows = st.builds(
    lambda day, start, length: Window(day, start, start + length),
    st.sampled_from([1, 1, 1, 3]),
    st.sampled_from([1_020, 1_035, 1_050, 1_080]),
    st.sampled_from([20, 30, 45, 60, 120, 120]),
)
window_sets = st.lists(windows, min_size=1, max_size=3).map(tuple)
offsets = st.floats(-900, 900, allow_nan=False)
diet_sets = st.frozensets(st.sampled_from(["halal", "vegetarian"]), max_size=2)
allergen_sets = st.frozensets(st.sampled_from(["milk", "peanuts", "eggs"]), min_size=1)
textures = st.sampled_from(["regular", "minced_moist"])


@st.composite
def instances(draw) -> tuple[list[DinerInput], list[CookInput]]:
    n_cooks = draw(st.integers(1, 5))
    cook_ids = draw(st.lists(st.integers(1, 50), min_size=n_cooks, max_size=n_cooks, unique=True))
    cooks = [
        make_cook(
            cid,
            north=draw(offsets),
            east=draw(offsets),
            radius_m=draw(st.sampled_from([600, 1_000, 1_500, 2_500])),
            matchable=draw(st.sampled_from([True, True, True, False])),
            spare=draw(st.sampled_from([0, 1, 1, 2, 3])),
            load=draw(st.integers(0, 3)),
            frequencies=draw(
                st.sampled_from([frozenset({"weekly"}), frozenset({"weekly", "fortnightly"})])
            ),
            diets=draw(diet_sets),
            allergen_free=draw(allergen_sets),
            textures=draw(
                st.sampled_from([frozenset({"regular"}), frozenset({"regular", "minced_moist"})])
            ),
            windows=draw(window_sets),
        )
        for cid in cook_ids
    ]
    n_diners = draw(st.integers(0, 7))
    diner_ids = draw(
        st.lists(st.integers(100, 200), min_size=n_diners, max_size=n_diners, unique=True)
    )
    diners = [
        make_diner(
            did,
            north=draw(offsets),
            east=draw(offsets),
            diets=draw(st.sampled_from([frozenset(), frozenset(), frozenset({"halal"})])),
            allergies=draw(st.sampled_from([frozenset(), frozenset(), frozenset({"milk"})])),
            texture=draw(st.sampled_from(["regular", "regular", "minced_moist"])),
            frequency=draw(st.sampled_from(["weekly", "weekly", "fortnightly"])),
            windows=draw(window_sets),
            excluded=draw(st.frozensets(st.sampled_from(cook_ids), max_size=1)),
            met=draw(st.frozensets(st.sampled_from(cook_ids), max_size=2)),
        )
        for did in diner_ids
    ]
    return diners, cooks


def reference_cost(cook: CookInput, diner: DinerInput) -> int:
    """The documented pair cost, computed independently of the vectorised engine."""
    slots = shared_windows(cook, diner)
    best = max((w.end - w.start for w in slots), default=0)
    cost = round(distance_m(cook.lat, cook.lon, diner.lat, diner.lon))
    cost += OVERLAP_COST_PER_MIN * (OVERLAP_TARGET_MIN - min(best, OVERLAP_TARGET_MIN))
    return cost + (0 if cook.id in diner.met else NOT_MET_COST)


def exhaustive_optimum(diners, cooks) -> tuple[int, int]:
    """(most diners matched, least total cost) over every assignment, by exhaustive search.

    The state is how many diners each cook has taken so far; the load cost depends only on the
    final counts, so it is added at the end.
    """
    best: dict[tuple[int, ...], tuple[int, int]] = {tuple(0 for _ in cooks): (0, 0)}
    for diner in diners:
        options = [
            (c, reference_cost(cook, diner))
            for c, cook in enumerate(cooks)
            if not check_pair(cook, diner, max_radius_m=MAX_RADIUS)
        ]
        nxt: dict[tuple[int, ...], tuple[int, int]] = {}

        def keep(state, value, nxt=nxt):
            if state not in nxt or (value[0], -value[1]) > (nxt[state][0], -nxt[state][1]):
                nxt[state] = value

        for state, (matched, cost) in best.items():
            keep(state, (matched, cost))
            for c, pair in options:
                if state[c] < cooks[c].spare:
                    grown = tuple(n + (i == c) for i, n in enumerate(state))
                    keep(grown, (matched + 1, cost + pair))
        best = nxt
    finals = []
    for state, (matched, cost) in best.items():
        load = sum(
            LOAD_STEP_COST * (cook.load + j)
            for cook, n in zip(cooks, state, strict=True)
            for j in range(n)
        )
        finals.append((matched, -(cost + load)))
    matched, neg_cost = max(finals)
    return matched, -neg_cost


@SETTINGS
@given(instances())
def test_batch_matches_the_exhaustive_optimum_when_instances_are_small(instance):
    diners, cooks = instance
    result = batch_match(diners, cooks, max_radius_m=MAX_RADIUS)
    assert (len(result.assignments), result.objective) == exhaustive_optimum(diners, cooks)
    assert sum(a.cost for a in result.assignments) == result.objective
    by_id = {c.id: c for c in cooks}
    taken: dict[int, int] = {}
    for a in result.assignments:
        diner = next(d for d in diners if d.id == a.diner_id)
        cook = by_id[a.cook_id]
        assert check_pair(cook, diner, max_radius_m=MAX_RADIUS) == []
        assert check_slot(cook, diner, a.weekday, a.start) is None
        slot = best_slot(shared_windows(cook, diner))
        assert slot is not None
        assert (a.weekday, a.start) == (slot.weekday, slot.start)
        taken[a.cook_id] = taken.get(a.cook_id, 0) + 1
    assert all(taken[cid] <= by_id[cid].spare for cid in taken)
    assert {a.diner_id for a in result.assignments}.isdisjoint(d for d, _ in result.unmatched)
    assert len(result.assignments) + len(result.unmatched) == len(diners)


@SETTINGS
@given(instances())
def test_suggest_lists_exactly_the_cooks_check_pair_allows_when_limit_is_large(instance):
    diners, cooks = instance
    index = CookIndex(cooks)
    for diner in diners:
        result = suggest(diner, index, max_radius_m=MAX_RADIUS, limit=500)
        allowed = {c.id for c in cooks if not check_pair(c, diner, max_radius_m=MAX_RADIUS)}
        assert {s.cook_id for s in result.items} == allowed
        assert (result.unmatched_reason is None) == bool(allowed)
        keys = [
            (reference_cost(c, diner) + LOAD_STEP_COST * c.load, c.id)
            for s in result.items
            for c in cooks
            if c.id == s.cook_id
        ]
        assert keys == sorted(keys)


@SETTINGS
@given(instances(), st.integers(1, 6))
def test_ranking_orders_every_allowed_cook_and_its_top_equals_suggest_when_cut_at_limit(
    instance, limit
):
    diners, cooks = instance
    index = CookIndex(cooks)
    for diner in diners:
        ranking = rank(diner, index, max_radius_m=MAX_RADIUS)
        everyone = suggest(diner, index, max_radius_m=MAX_RADIUS, limit=500)
        assert ranking.cook_ids == [s.cook_id for s in everyone.items]
        top = ranking.suggestions(limit)
        assert top == suggest(diner, index, max_radius_m=MAX_RADIUS, limit=limit)
        assert top.items == everyone.items[:limit]
        assert top.unmatched_reason == everyone.unmatched_reason


@SETTINGS
@given(instances())
def test_batch_edges_cost_what_the_reference_says_when_computed_in_bulk(instance):
    diners, cooks = instance
    index = CookIndex(cooks)
    graph = batch_candidates(diners, index, max_radius_m=MAX_RADIUS)
    ordered = sorted(diners, key=lambda d: d.id)
    for d, c, cost in zip(graph.diner, graph.cook, graph.cost, strict=True):
        assert int(cost) == reference_cost(index.cooks[int(c)], ordered[int(d)])


@SETTINGS
@given(instances())
def test_batch_sees_the_same_candidates_and_reasons_as_suggest_when_given_the_same_diners(
    instance,
):
    diners, cooks = instance
    index = CookIndex(cooks)
    graph = batch_candidates(diners, index, max_radius_m=MAX_RADIUS)
    result = batch_match(diners, cooks, max_radius_m=MAX_RADIUS, index=index)
    reasons = dict(result.unmatched)
    for row, diner_id in enumerate(graph.diner_ids.tolist()):
        diner = next(d for d in diners if d.id == diner_id)
        single = suggest(diner, index, max_radius_m=MAX_RADIUS, limit=500)
        edges = {int(index.ids[c]) for c in graph.cook[graph.diner == row]}
        assert edges == {s.cook_id for s in single.items}
        if single.unmatched_reason is not None:
            assert reasons[diner_id] == single.unmatched_reason


@SETTINGS
@given(instances(), st.integers(1, 5))
def test_pruned_batch_equals_unpruned_when_k_covers_every_cook(instance, small_k):
    diners, cooks = instance
    full = batch_match(diners, cooks, max_radius_m=MAX_RADIUS)
    assert batch_match(diners, cooks, max_radius_m=MAX_RADIUS, prune_k=len(cooks)) == full
    pruned = batch_match(diners, cooks, max_radius_m=MAX_RADIUS, prune_k=small_k)
    assert len(pruned.assignments) <= len(full.assignments)
    if len(pruned.assignments) == len(full.assignments):
        assert pruned.objective >= full.objective


@SETTINGS
@given(instances())
def test_one_diners_assessment_equals_the_general_one_when_given_the_same_cooks(instance):
    diners, cooks = instance
    index = CookIndex(cooks)
    for diner in diners:
        crow, dist = index.points.ball(diner.lat, diner.lon, index.query_radius(MAX_RADIUS))
        crow = crow.astype(np.int64)
        table = DinerTable.one(diner, index)
        rows, local = np.zeros(1, dtype=np.int64), np.zeros(len(crow), dtype=np.int64)
        general = assess(index, table, rows, local, crow, dist, MAX_RADIUS, exact=True)
        one, _ = assess_one(index, table, crow, dist, MAX_RADIUS)
        for field in ("level", "diner", "cook", "distance", "cost", "start", "met"):
            mine, theirs = getattr(one, field), getattr(general, field)
            assert mine.dtype == theirs.dtype, field
            assert mine.tolist() == theirs.tolist(), field


@SETTINGS
@given(instances(), st.randoms(use_true_random=False))
def test_why_none_among_the_cooks_who_share_a_time_is_why_none_among_all(instance, rnd):
    """What a suggestion reads fresh (a place taken, a day away, a booked hour) only takes a
    time or a place from a cook. So judging only the cooks in reach who share a time in the
    index, as they are after it, gives the answer judging every cook does; and an index that
    leaves the diner no cook in reach, or none with a shared time, already gives its reason
    (app/matching/service.py, ``_why_none``)."""
    diners, cooks = instance

    def taken(cook: CookInput) -> CookInput:
        kept = tuple(w for w in cook.windows if rnd.random() < 0.6)
        return replace(cook, windows=kept, spare=rnd.randint(0, cook.spare))

    now = {c.id: taken(c) for c in cooks}
    index = CookIndex(cooks)
    for diner in diners:
        ranking = rank(diner, index, max_radius_m=MAX_RADIUS)
        every = suggest(diner, CookIndex(list(now.values())), max_radius_m=MAX_RADIUS, limit=50)
        if not ranking.timely_ids:  # no cook in reach, or none who shares a time
            assert every.items == []
            assert ranking.suggestions(50).unmatched_reason == every.unmatched_reason
            continue
        timely = [now[i] for i in ranking.timely_ids]
        among = suggest(diner, CookIndex(timely), max_radius_m=MAX_RADIUS, limit=50)
        assert among == every
