"""Distances and the spatial index."""

from __future__ import annotations

import numpy as np
from geopy.distance import geodesic

from app.matching.engine import CookIndex
from app.matching.spatial import PointIndex, distance_m, haversine_m

from .engine.factories import make_cook, offset


def test_haversine_stays_within_half_a_percent_of_geodesic_when_anywhere_in_great_britain():
    rng = np.random.default_rng(7)
    worst = 0.0
    for _ in range(400):
        lat, lon = rng.uniform(49.9, 60.8), rng.uniform(-7.5, 1.8)
        bearing, metres = rng.uniform(0, 360), rng.uniform(20, 5_000)
        there = geodesic(meters=metres).destination((lat, lon), bearing)
        spherical = distance_m(lat, lon, there.latitude, there.longitude)
        worst = max(worst, abs(spherical - metres) / metres)
    assert worst < 0.005
    assert worst < 0.004  # the tighter bound the docstring states for Great Britain


def test_distance_m_equals_the_vectorised_haversine_when_given_one_pair():
    rng = np.random.default_rng(3)
    lat1, lon1 = rng.uniform(50, 58, 500), rng.uniform(-5, 1, 500)
    lat2, lon2 = lat1 + rng.normal(0, 0.01, 500), lon1 + rng.normal(0, 0.01, 500)
    many = haversine_m(lat1, lon1, lat2, lon2)
    one_by_one = [distance_m(*p) for p in zip(lat1, lon1, lat2, lon2, strict=True)]
    assert many.tolist() == one_by_one


def test_within_returns_exactly_the_cooks_a_full_scan_finds_when_cooks_are_scattered():
    rng = np.random.default_rng(11)
    cooks = [
        make_cook(
            i, north=float(rng.uniform(-3_000, 3_000)), east=float(rng.uniform(-3_000, 3_000))
        )
        for i in range(400)
    ]
    index = CookIndex(cooks)
    lat, lon = offset(120, -80)
    for radius in (0, 250, 1_000, 1_500, 2_750):
        scan = [i for i, c in enumerate(cooks) if distance_m(lat, lon, c.lat, c.lon) <= radius]
        assert index.within(lat, lon, radius) == scan


def test_within_includes_a_cook_on_the_rim_when_the_radius_equals_its_distance():
    cook = make_cook(1, north=900, east=700)
    lat, lon = offset()
    rim = distance_m(lat, lon, cook.lat, cook.lon)
    assert CookIndex([cook]).within(lat, lon, rim) == [0]
    assert CookIndex([cook]).within(lat, lon, rim - 0.01) == []


def test_pairs_equal_one_ball_query_per_point_when_querying_many_points_at_once():
    rng = np.random.default_rng(5)
    points = PointIndex(rng.uniform(51.4, 51.6, 2_000), rng.uniform(-0.3, 0.1, 2_000))
    qlat, qlon = rng.uniform(51.4, 51.6, 300), rng.uniform(-0.3, 0.1, 300)
    qi, pj, approx = points.pairs(qlat, qlon, 1_200)
    exact = haversine_m(qlat[qi], qlon[qi], points.lat[pj], points.lon[pj])
    assert np.abs(approx - exact).max() < 1e-6
    together = sorted(zip(qi[exact <= 1_200].tolist(), pj[exact <= 1_200].tolist(), strict=True))
    one_by_one = []
    for q in range(300):
        idx, _ = points.ball(qlat[q], qlon[q], 1_200)
        one_by_one += [(q, int(i)) for i in idx]
    assert together == one_by_one


def test_within_returns_nothing_when_the_index_is_empty():
    assert CookIndex([]).within(*offset(), 1_500) == []
