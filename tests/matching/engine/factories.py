"""Plain builders for engine inputs: sensible defaults, each test sets only what it asserts."""

from __future__ import annotations

import math
from typing import Any

from app.matching.engine import CookInput, DinerInput, Window

HOME = (51.5450, -0.1050)  # Islington, London
MAX_RADIUS_M = 2_000
TUESDAY_EVENING = Window(1, 17 * 60, 19 * 60)


def offset(metres_north: float = 0.0, metres_east: float = 0.0) -> tuple[float, float]:
    """A position this many metres from HOME (small offsets, spherical Earth)."""
    lat = HOME[0] + math.degrees(metres_north / 6_371_008.8)
    lon = HOME[1] + math.degrees(metres_east / (6_371_008.8 * math.cos(math.radians(HOME[0]))))
    return lat, lon


def make_cook(cook_id: int = 1, *, north: float = 0.0, east: float = 300.0, **kw: Any) -> CookInput:
    lat, lon = offset(north, east)
    fields: dict[str, Any] = {
        "id": cook_id,
        "lat": lat,
        "lon": lon,
        "radius_m": 1_500,
        "matchable": True,
        "spare": 2,
        "load": 0,
        "frequencies": frozenset({"weekly", "fortnightly"}),
        "diets": frozenset(),
        "allergen_free": frozenset(),
        "textures": frozenset({"regular"}),
        "windows": (TUESDAY_EVENING,),
    }
    fields.update(kw)
    return CookInput(**fields)


def make_diner(
    diner_id: int = 100, *, north: float = 0.0, east: float = 0.0, **kw: Any
) -> DinerInput:
    lat, lon = offset(north, east)
    fields: dict[str, Any] = {
        "id": diner_id,
        "lat": lat,
        "lon": lon,
        "diets": frozenset(),
        "allergies": frozenset(),
        "texture": "regular",
        "frequency": "weekly",
        "windows": (TUESDAY_EVENING,),
    }
    fields.update(kw)
    return DinerInput(**fields)
