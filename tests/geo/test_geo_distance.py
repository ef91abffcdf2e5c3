import math
import random

import pytest
from geopy.distance import geodesic
from hypothesis import given, settings
from hypothesis import strategies as st

from app.geo.distance import (
    EARTH_MEAN_RADIUS_M,
    bounding_box,
    haversine_m,
    public_distance_m,
    public_distance_text,
    round_distance,
    staff_distance_m,
)

hypothesis_settings = settings(database=None, max_examples=200)

uk_lat = st.floats(min_value=49.9, max_value=60.8)
uk_lon = st.floats(min_value=-8.6, max_value=1.7)


def test_distance_is_zero_when_points_coincide() -> None:
    assert haversine_m(51.6, -0.19, 51.6, -0.19) == 0.0


def test_one_degree_of_latitude_is_a_sphere_arc_when_along_a_meridian() -> None:
    assert haversine_m(51.0, -0.2, 52.0, -0.2) == pytest.approx(
        math.pi * EARTH_MEAN_RADIUS_M / 180, rel=1e-12
    )


def test_distance_matches_geodesic_when_between_district_centroids() -> None:
    # N3 and E1 centroids from SOURCE.md "Checks done": about 13.1 km apart.
    n3, e1 = (51.600142, -0.193866), (51.517386, -0.059435)
    assert haversine_m(*n3, *e1) == pytest.approx(13_078, abs=1)
    assert haversine_m(*n3, *e1) == pytest.approx(geodesic(n3, e1).meters, rel=0.005)


@hypothesis_settings
@given(uk_lat, uk_lon, uk_lat, uk_lon)
def test_distance_is_symmetric_when_points_swap(
    lat1: float, lon1: float, lat2: float, lon2: float
) -> None:
    assert haversine_m(lat1, lon1, lat2, lon2) == pytest.approx(haversine_m(lat2, lon2, lat1, lon1))


def test_haversine_is_within_half_a_percent_of_geodesic_when_gb_points_within_5_km() -> None:
    rng = random.Random(20251126)
    worst = 0.0
    for _ in range(3000):
        lat, lon = rng.uniform(49.9, 58.7), rng.uniform(-6.4, 1.8)
        end = geodesic(meters=rng.uniform(1, 5000)).destination((lat, lon), rng.uniform(0, 360))
        exact = geodesic((lat, lon), (end.latitude, end.longitude)).meters
        approx = haversine_m(lat, lon, end.latitude, end.longitude)
        assert approx <= exact  # the mean sphere is smaller than the ellipsoid here
        worst = max(worst, (exact - approx) / exact)
    # distance.py's docstring quotes 0.36% worst case from a 20,000-pair run.
    assert worst < 0.005
    assert worst < 0.0037


@pytest.mark.parametrize(
    ("metres", "step", "shown"),
    [
        (0, 100, 0),
        (49.9, 100, 0),
        (50, 100, 100),
        (149.99, 100, 100),
        (150, 100, 200),
        (250, 100, 300),  # halves go up, not to even
        (1234.5, 10, 1230),
        (1235, 10, 1240),
        (4, 10, 0),
    ],
)
def test_distance_rounds_to_nearest_step_when_displayed(
    metres: float, step: int, shown: int
) -> None:
    assert round_distance(metres, step) == shown


@pytest.mark.parametrize(
    ("metres", "public", "staff"),
    [(449.9, 400, 450), (450, 500, 450), (455, 500, 460), (461, 500, 460), (2_550, 2_600, 2_550)],
)
def test_public_and_staff_distances_round_halves_up_when_shown(
    metres: float, public: int, staff: int
) -> None:
    assert (public_distance_m(metres), staff_distance_m(metres)) == (public, staff)


@pytest.mark.parametrize(
    ("metres", "words"),
    [(0, "less than 100 m"), (349, "about 300 m"), (950, "about 1.0 km"), (1_849, "about 1.8 km")],
)
def test_a_public_distance_reads_in_km_from_1_km_not_as_1800_metres(
    metres: float, words: str
) -> None:
    """The cook read "About 1000 metres" and "about 1,800 m" where staff read "1.0 km"."""
    assert public_distance_text(metres) == words


@pytest.mark.parametrize(("metres", "step"), [(100, 0), (100, -10), (-1, 100), (math.nan, 100)])
def test_rounding_raises_when_arguments_are_invalid(metres: float, step: int) -> None:
    with pytest.raises(ValueError):
        round_distance(metres, step)


@hypothesis_settings
@given(st.floats(min_value=0, max_value=1e6), st.sampled_from([10, 100]))
def test_rounded_distance_is_close_multiple_when_any_distance(metres: float, step: int) -> None:
    shown = round_distance(metres, step)
    assert isinstance(shown, int)
    assert shown % step == 0
    assert abs(shown - metres) <= step / 2


@hypothesis_settings
@given(
    uk_lat,
    uk_lon,
    st.floats(min_value=0, max_value=20_000),
    st.floats(min_value=0, max_value=360),
    st.floats(min_value=0, max_value=1),
)
def test_bounding_box_contains_point_when_within_radius(
    lat: float, lon: float, radius: float, bearing: float, fraction: float
) -> None:
    # Walk along the sphere so the point is exactly fraction * radius away.
    delta = fraction * radius / EARTH_MEAN_RADIUS_M
    phi, theta = math.radians(lat), math.radians(bearing)
    phi2 = math.asin(
        math.sin(phi) * math.cos(delta) + math.cos(phi) * math.sin(delta) * math.cos(theta)
    )
    lam2 = math.radians(lon) + math.atan2(
        math.sin(theta) * math.sin(delta) * math.cos(phi),
        math.cos(delta) - math.sin(phi) * math.sin(phi2),
    )
    lat2, lon2 = math.degrees(phi2), math.degrees(lam2)
    min_lat, max_lat, min_lon, max_lon = bounding_box(lat, lon, radius)
    tolerance = 1e-9
    assert min_lat - tolerance <= lat2 <= max_lat + tolerance
    assert min_lon - tolerance <= lon2 <= max_lon + tolerance
