"""Great-circle distances and their rounding for display (pure).

haversine_m treats the Earth as a sphere of mean radius 6,371,008.8 m (IUGG R1). Against the WGS84
ellipsoid its relative error is at most about 0.5% anywhere on Earth, and less at British
latitudes. Measured against geopy.distance.geodesic (Karney's method) for 20,000 random pairs of
GB points up to 5 km apart: worst case 0.36% (under 18 m at 5 km, in the far north, east-west),
median 0.22%; haversine is always the shorter. tests/geo/test_geo_distance.py repeats the check.
That is far below the uncertainty of a postcode position, so the cheap formula is fine here.
"""

import math

EARTH_MEAN_RADIUS_M = 6_371_008.8


def haversine_m(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    """Great-circle distance in metres between two WGS84 points given in decimal degrees."""
    phi1, phi2 = math.radians(lat1), math.radians(lat2)
    dphi = phi2 - phi1
    dlam = math.radians(lon2 - lon1)
    a = math.sin(dphi / 2) ** 2 + math.cos(phi1) * math.cos(phi2) * math.sin(dlam / 2) ** 2
    # min() guards asin against rounding just above 1 for near-antipodal points.
    return 2 * EARTH_MEAN_RADIUS_M * math.asin(min(1.0, math.sqrt(a)))


def round_distance(metres: float, step: int) -> int:
    """Round a distance to the nearest multiple of step (100 m for cooks/carers, 10 m for staff).

    Halves round up (50 m -> 100 m with step 100), so the result never depends on float
    banker's rounding. A distance under step/2 becomes 0: callers showing it to other people
    may want to say "under 100 m" instead.
    """
    if step <= 0:
        raise ValueError("step must be a positive number of metres")
    if not math.isfinite(metres) or metres < 0:
        raise ValueError("distance must be a finite, non-negative number of metres")
    return math.floor(metres / step + 0.5) * step


PUBLIC_STEP_M = 100  # API.md: distances shown to anyone but staff
STAFF_STEP_M = 10


def public_distance_m(metres: float) -> int:
    """A distance as cooks and carers may see it: to the nearest 100 m, halves up (API.md)."""
    return round_distance(metres, PUBLIC_STEP_M)


def public_distance_text(metres: float) -> str:
    """A distance as a cook or a carer reads it, rounded to 100 m first: "about 300 m", "about
    1.8 km" from 1 km (not "about 1800 metres"), "less than 100 m" for nothing."""
    shown = public_distance_m(metres)
    if shown == 0:
        return "less than 100 m"
    if shown < 1000:
        return f"about {shown} m"
    return f"about {shown / 1000:.1f} km"


def staff_distance_m(metres: float) -> int:
    """A distance as council staff see it: to the nearest 10 m, halves up."""
    return round_distance(metres, STAFF_STEP_M)


def staff_distance_text(metres: float) -> str:
    """A distance as every staff page words it: "450 m" to the nearest 10 m (the API's
    distance_m), "1.2 km" from 1 km, to the nearest 100 m; "less than 10 m" for nothing.

    Rounded to 10 m first, as the API gives it, so a page showing the API's distance_m and one
    showing a stored distance word the same distance the same way.
    """
    shown = staff_distance_m(metres)
    if shown == 0:
        return "less than 10 m"
    if shown < 1000:
        return f"{shown} m"
    return f"{round_distance(shown, 100) / 1000:.1f} km"


def bounding_box(lat: float, lon: float, radius_m: float) -> tuple[float, float, float, float]:
    """(min_lat, max_lat, min_lon, max_lon) enclosing every point within radius_m of (lat, lon).

    Meant as a cheap index pre-filter (e.g. a SQL BETWEEN) before the exact haversine check.
    The longitude half-width is the exact one for a circle on the sphere, asin(sin d / cos lat),
    which is slightly wider than d / cos lat. Valid away from the poles (all of the UK).
    """
    angle = radius_m / EARTH_MEAN_RADIUS_M
    dlat = math.degrees(angle)
    dlon = math.degrees(math.asin(min(1.0, math.sin(angle) / math.cos(math.radians(lat)))))
    return lat - dlat, lat + dlat, lon - dlon, lon + dlon
