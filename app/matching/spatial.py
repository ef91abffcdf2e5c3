"""Great-circle distances and a k-d tree over points on the sphere (pure, numpy + scipy).

Distances are haversine distances on a sphere of radius ``EARTH_RADIUS_M`` (the IUGG mean
radius). Against the WGS84 ellipsoid (``geopy.distance.geodesic``) the relative error of the
spherical formula at short range is set by how far the local radii of curvature stray from R:
at most about 0.56 % anywhere on Earth (north-south near the equator), and under 0.4 % over
Great Britain (0.37 % worst, east-west in Shetland; about 5 m at 1,500 m), which
``tests/matching/test_spatial.py`` measures. The matching rules are *defined* on this haversine
distance, so every part of the engine uses the one function below (``haversine_m``), scalar and
vectorised alike, and a pair is judged the same way everywhere.

The index stores points as 3-D unit vectors in a ``scipy.spatial.cKDTree``. Two points at
great-circle distance ``d`` are at straight-line (chord) distance ``2 R sin(d / 2R)``, a strictly
increasing function of ``d``, so a Euclidean ball query of the chord radius returns exactly the
points within ``d`` (plus float noise at the rim, which callers remove by filtering with the exact
haversine distance).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import TYPE_CHECKING

from app.lazy_import import LazyModule

if TYPE_CHECKING:
    import numpy as np
    import numpy.typing as npt
else:
    np = LazyModule("numpy", globals(), "np")  # imported on first use: not at start-up

EARTH_RADIUS_M = 6_371_008.8
"""Mean Earth radius (IUGG), metres."""

_CHORD_SLACK = 1e-9
"""Relative widening of ball queries so that rim points are never lost to rounding."""

if TYPE_CHECKING:
    FloatArray = npt.NDArray[np.float64]
    IntArray = npt.NDArray[np.intp]


def haversine_m(
    lat1: npt.ArrayLike, lon1: npt.ArrayLike, lat2: npt.ArrayLike, lon2: npt.ArrayLike
) -> FloatArray:
    """Haversine distance in metres between points given in degrees (broadcasts over arrays)."""
    p1 = np.radians(np.asarray(lat1, dtype=np.float64))
    p2 = np.radians(np.asarray(lat2, dtype=np.float64))
    dp = p2 - p1
    dl = np.radians(np.asarray(lon2, dtype=np.float64) - np.asarray(lon1, dtype=np.float64))
    a = np.sin(dp * 0.5) ** 2 + np.cos(p1) * np.cos(p2) * np.sin(dl * 0.5) ** 2
    return np.asarray(2.0 * EARTH_RADIUS_M * np.arcsin(np.sqrt(np.clip(a, 0.0, 1.0))))


def distance_m(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    """Haversine distance in metres between two points (the scalar form of ``haversine_m``)."""
    one = haversine_m(np.array([lat1]), np.array([lon1]), np.array([lat2]), np.array([lon2]))
    return float(one[0])


def unit_vectors(lat: npt.ArrayLike, lon: npt.ArrayLike) -> FloatArray:
    """3-D unit vectors (n, 3) of points given in degrees."""
    phi = np.radians(np.atleast_1d(np.asarray(lat, dtype=np.float64)))
    lam = np.radians(np.atleast_1d(np.asarray(lon, dtype=np.float64)))
    cos_phi = np.cos(phi)
    return np.column_stack((cos_phi * np.cos(lam), cos_phi * np.sin(lam), np.sin(phi)))


def chord_for(distance_m: float) -> float:
    """Unit-sphere chord length of a great-circle distance (metres), slightly widened."""
    if distance_m < 0:
        raise ValueError("distance must not be negative")
    half_angle = min(distance_m / (2.0 * EARTH_RADIUS_M), math.pi / 2)
    return 2.0 * math.sin(half_angle) * (1.0 + _CHORD_SLACK) + 1e-15


def spatial_order(lat: FloatArray, lon: FloatArray) -> IntArray:
    """A permutation that walks the points region by region (the leaf order of a k-d tree)."""
    from scipy.spatial import cKDTree  # imported when first needed: scipy is slow to import

    if len(lat) == 0:
        return np.zeros(0, dtype=np.intp)
    return np.asarray(cKDTree(unit_vectors(lat, lon)).indices, dtype=np.intp)


class PointIndex:
    """A k-d tree over points on the sphere; built once, queried many times."""

    def __init__(self, lat: Sequence[float] | FloatArray, lon: Sequence[float] | FloatArray):
        from scipy.spatial import cKDTree  # imported when first needed: scipy is slow to import

        self.lat = np.asarray(lat, dtype=np.float64)
        self.lon = np.asarray(lon, dtype=np.float64)
        if self.lat.shape != self.lon.shape or self.lat.ndim != 1:
            raise ValueError("lat and lon must be 1-D arrays of the same length")
        points = unit_vectors(self.lat, self.lon) if len(self.lat) else np.zeros((0, 3))
        self._tree = cKDTree(points)

    def __len__(self) -> int:
        return len(self.lat)

    def ball(self, lat: float, lon: float, radius_m: float) -> tuple[IntArray, FloatArray]:
        """Indices (ascending) and haversine distances of the points within ``radius_m``."""
        if len(self.lat) == 0:
            return np.zeros(0, dtype=np.intp), np.zeros(0)
        hits = self._tree.query_ball_point(unit_vectors(lat, lon)[0], chord_for(radius_m))
        idx = np.array(hits, dtype=np.intp)
        idx.sort()  # in numpy: sorting the list first took twice as long for a few hundred
        dist = haversine_m(lat, lon, self.lat[idx], self.lon[idx])
        keep = dist <= radius_m
        return idx[keep], dist[keep]

    def count_pairs(self, lat: FloatArray, lon: FloatArray, radius_m: float) -> int:
        """How many pairs ``pairs`` would give, counted without making them (a dual-tree count:
        a tenth of the time of ``pairs`` and no memory per pair)."""
        if len(self.lat) == 0 or len(lat) == 0:
            return 0
        from scipy.spatial import cKDTree

        query_tree = cKDTree(unit_vectors(lat, lon))
        return int(query_tree.count_neighbors(self._tree, chord_for(radius_m)))

    def counts(self, lat: FloatArray, lon: FloatArray, radius_m: float) -> IntArray:
        """For each query point, how many of ``pairs`` are its own (no memory per pair; about
        twice the time of ``count_pairs``)."""
        if len(self.lat) == 0 or len(lat) == 0:
            return np.zeros(len(lat), dtype=np.intp)
        found = self._tree.query_ball_point(
            unit_vectors(lat, lon), chord_for(radius_m), return_length=True
        )
        return np.asarray(found, dtype=np.intp)

    def pairs(
        self, lat: FloatArray, lon: FloatArray, radius_m: float
    ) -> tuple[IntArray, IntArray, FloatArray]:
        """All (query, point) pairs within about ``radius_m``, with chord-derived distances.

        Queries are indexed into ``lat``/``lon``; pairs come in no particular order. The work is
        done by a dual-tree traversal in compiled code (``sparse_distance_matrix``), with no
        Python loop over points. The distance ``2 R asin(chord / 2)`` is the great-circle
        distance, the same quantity as ``haversine_m`` and equal to it within micrometres; a
        caller that needs the exact haversine value at a boundary recomputes it there.
        """
        empty = np.zeros(0, dtype=np.intp)
        if len(self.lat) == 0 or len(lat) == 0:
            return empty, empty.copy(), np.zeros(0)
        from scipy.spatial import cKDTree

        query_tree = cKDTree(unit_vectors(lat, lon))
        found = query_tree.sparse_distance_matrix(
            self._tree, chord_for(radius_m), output_type="ndarray"
        )
        chord = found["v"]
        dist = 2.0 * EARTH_RADIUS_M * np.arcsin(np.minimum(chord * 0.5, 1.0))
        return found["i"].astype(np.intp), found["j"].astype(np.intp), dist
