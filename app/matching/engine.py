"""The matching engine: who may cook for whom, and who should (pure, deterministic).

Plain data in, plain data out: nothing here touches the database, the web layer or the clock.
Vocabularies are the API's snake_case codes. Ties are broken by id, and results do not depend on
the order in which cooks or diners are passed.

Hard rules (PRODUCT.md, "Matching rules"); a pair that breaks one is never proposed:

- the cook is matchable (approved, checks in date, not suspended) and has spare capacity;
- the haversine distance between the homes is within ``min(cook.radius_m, max_radius_m)``;
- one of the cook's weekly windows overlaps one of the diner's by ``MIN_OVERLAP_MIN`` minutes or
  more on the same weekday, and the cook offers the diner's frequency;
- the cook cooks every diet the diner needs, in the diner's texture, free from every allergen the
  diner is allergic to;
- the cook is not excluded for the diner.

Preferences are integer costs ("metre equivalents", lower is better), for the solver:

- ``round(distance in metres)``: shorter is better;
- ``OVERLAP_COST_PER_MIN`` for every minute the best shared window falls short of
  ``OVERLAP_TARGET_MIN``: a 30-minute overlap costs 180, two hours or more cost 0;
- ``NOT_MET_COST`` when the diner has never met the cook: continuity first. It outweighs any
  distance difference within any walking radius (and the overlap term) many times over, so a cook
  the diner has met always ranks above a stranger unless that cook already carries hundreds more
  diners (the load term below);
- ``LOAD_STEP_COST`` for every diner the cook already has: ``load`` (proposed and active pairings)
  plus, in a batch, the diners given to the cook earlier in the same batch. The k-th extra diner
  of a cook costs ``LOAD_STEP_COST * (load + k - 1)``, so the cost is convex and two equally good
  cooks get one diner each rather than one of them getting two.

``suggest`` ranks one diner's candidates by that cost (with the cook's current load; ties by
cook id) and gives each a ``score`` = (1 if met before else 0) + ``SCORE_SCALE`` /
(``SCORE_SCALE`` + the other costs), in (0, 2], higher is better and in the same order
(while the other costs stay under ``NOT_MET_COST``, that is always in practice).
``batch_match`` finds an optimal assignment for many diners at once with a min-cost flow (not
greedy): first the largest number of diners matched, then the least total cost.

Speed: cooks sit in a ``CookIndex`` (k-d trees on the sphere plus bitmask columns); a batch
finds pairs for thousands of diners per tree query, applies every rule to all of them with
numpy, and solves each connected part of the candidate graph on its own. The benchmark
(``bench/matching_engine.py``) runs 200,000 cooks and 100,000 diners in a few seconds.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import lru_cache
from itertools import chain, repeat
from operator import attrgetter
from typing import TYPE_CHECKING, Any

from app.geo.distance import staff_distance_m
from app.lazy_import import LazyModule
from app.matching.spatial import PointIndex, distance_m, haversine_m, spatial_order

__all__ = [
    "LOAD_STEP_COST",
    "MIN_OVERLAP_MIN",
    "NOT_MET_COST",
    "OVERLAP_COST_PER_MIN",
    "OVERLAP_TARGET_MIN",
    "UNMATCHED_REASONS",
    "Assignment",
    "BatchResult",
    "CandidateGraph",
    "CookIndex",
    "CookInput",
    "DinerInput",
    "Suggestion",
    "Suggestions",
    "Violation",
    "Window",
    "batch_candidates",
    "batch_match",
    "best_slot",
    "check_pair",
    "check_slot",
    "pair_cost",
    "prune",
    "shared_windows",
    "solve_batch",
    "suggest",
]

# --- constants --------------------------------------------------------------------------------

MIN_OVERLAP_MIN = 30
"""Shortest shared window (minutes) that makes a meal possible."""
OVERLAP_TARGET_MIN = 120
"""A best shared window this long (minutes) or longer costs nothing."""
OVERLAP_COST_PER_MIN = 2
"""Cost of each minute the best shared window falls short of the target (2 m per minute)."""
NOT_MET_COST = 100_000
"""Cost of a cook the diner has never met (the met-before bonus, 100 km of walking)."""
LOAD_STEP_COST = 300
"""Cost of each diner the cook already has (proposed/active, or given earlier in the batch)."""
SCORE_SCALE = 1_000
"""``Suggestion.score`` = (1 if met before else 0) + SCORE_SCALE / (SCORE_SCALE + other costs)."""

UNMATCHED_REASONS = (
    "no_cook_in_reach",
    "no_shared_time",
    "no_cook_for_diet",
    "no_cook_for_allergy",
    "no_cook_for_texture",
    "no_capacity",
)
"""The checks, in the order they are applied; the first that leaves no candidate is the reason."""

DIETS = (
    "vegetarian",
    "vegan",
    "pescatarian",
    "halal",
    "kosher",
    "no_pork",
    "no_beef",
    "diabetic_friendly",
    "low_salt",
)
ALLERGENS = (
    "celery",
    "cereals_containing_gluten",
    "crustaceans",
    "eggs",
    "fish",
    "lupin",
    "milk",
    "molluscs",
    "mustard",
    "tree_nuts",
    "peanuts",
    "sesame",
    "soya",
    "sulphites",
)
TEXTURES = ("regular", "easy_to_chew", "soft_bite_sized", "minced_moist", "pureed")
FREQUENCIES = ("weekly", "fortnightly", "monthly")

_LABELS = {
    "no_pork": "pork-free",
    "no_beef": "beef-free",
    "diabetic_friendly": "diabetic-friendly",
    "low_salt": "low-salt",
    "easy_to_chew": "easy to chew",
    "soft_bite_sized": "soft & bite-sized",
    "minced_moist": "minced & moist",
    "pureed": "puréed",
}
_EN_DASH = "\u2013"
_DAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
_MINUTES_PER_DAY = 1440
_DAY_STRIDE = 2_048  # week-minute = weekday * _DAY_STRIDE + minute: days never touch
_PERSON_STRIDE = 7 * _DAY_STRIDE
_KEY_SHIFT = 16_384  # > any week-minute: packs (overlap, -start) into one sortable integer
_RIM_M = 0.01  # pairs this close to a radius are settled by haversine_m, not the chord
_BUNDLE_ARCS = 4_000  # connected components are solved in bundles of about this many edges
_UNKNOWN_BIT = 1 << 63  # a need no cook can meet (a code outside the index's vocabulary)
_PAIR_CHUNK_CELLS = 4_000_000  # bounds the (pairs x cook windows x diner windows) work arrays
_DINER_CHUNK = 4_096  # diners per spatial query in a batch (bounds memory at national scale)
_RADIUS_BAND_M = 500  # cooks are queried in groups of similar walking radius

if TYPE_CHECKING:
    import numpy as np
    import numpy.typing as npt

    IntArray = npt.NDArray[np.int64]
    BoolArray = npt.NDArray[np.bool_]
    FloatArray = npt.NDArray[np.float64]
else:
    np = LazyModule("numpy", globals(), "np")  # imported on first use: not at start-up


# --- plain data -------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True, order=True)
class Window:
    """A weekly window: ``weekday`` 0 (Monday) to 6, ``start``/``end`` minutes from midnight."""

    weekday: int
    start: int
    end: int

    def __post_init__(self) -> None:
        if not 0 <= self.weekday <= 6:
            raise ValueError(f"weekday must be 0 to 6, not {self.weekday}")
        if not 0 <= self.start < self.end <= _MINUTES_PER_DAY:
            raise ValueError(f"window {self.start}-{self.end} is not within one day")

    @property
    def minutes(self) -> int:
        return self.end - self.start


@dataclass(frozen=True, slots=True)
class CookInput:
    id: int
    lat: float
    lon: float
    radius_m: int
    matchable: bool  # approved, checks in date, not suspended
    spare: int  # max_diners minus proposed and active pairings
    load: int  # proposed + active pairings now
    frequencies: frozenset[str]
    diets: frozenset[str]
    allergen_free: frozenset[str]
    textures: frozenset[str]
    windows: tuple[Window, ...]


@dataclass(frozen=True, slots=True)
class DinerInput:
    id: int
    lat: float
    lon: float
    diets: frozenset[str]
    allergies: frozenset[str]
    texture: str
    frequency: str
    windows: tuple[Window, ...]
    excluded: frozenset[int] = frozenset()  # cook ids never to propose
    met: frozenset[int] = frozenset()  # cook ids the diner has met (earlier pairing or cover)


@dataclass(frozen=True, slots=True)
class Violation:
    rule: str
    field: str
    message: str


@dataclass(frozen=True, slots=True)
class Suggestion:
    cook_id: int
    distance_m: float
    score: float  # higher is better
    slots: list[Window]
    reasons: list[str]


@dataclass(frozen=True, slots=True)
class Suggestions:
    items: list[Suggestion]
    unmatched_reason: str | None


@dataclass(frozen=True, slots=True)
class Assignment:
    diner_id: int
    cook_id: int
    weekday: int
    start: int  # minutes from midnight
    distance_m: float
    cost: int  # pair cost plus the load cost of this diner's place in the cook's list


@dataclass(frozen=True, slots=True)
class BatchResult:
    assignments: list[Assignment]  # by diner id
    unmatched: list[tuple[int, str]]  # (diner_id, reason), by diner id
    objective: int  # total cost of the assignments (the solver's optimum)


# --- labels -----------------------------------------------------------------------------------


def _label(code: str) -> str:
    return _LABELS.get(code, code.replace("_", " "))


def _labels(codes: Iterable[str]) -> str:
    return ", ".join(sorted(_label(c) for c in codes))


def _hhmm(minute: int) -> str:
    return f"{minute // 60:02d}:{minute % 60:02d}"


def _window_text(w: Window) -> str:
    return f"{_DAYS[w.weekday]} {_hhmm(w.start)}{_EN_DASH}{_hhmm(w.end)}"


# --- time -------------------------------------------------------------------------------------


@lru_cache(maxsize=65_536)
def _normalise(windows: tuple[Window, ...]) -> tuple[Window, ...]:
    """Sorted, merged (overlapping or touching) windows, keeping those of 30 minutes or more."""
    merged: list[list[int]] = []
    for w in sorted(windows):
        if merged and merged[-1][0] == w.weekday and w.start <= merged[-1][2]:
            merged[-1][2] = max(merged[-1][2], w.end)
        else:
            merged.append([w.weekday, w.start, w.end])
    return tuple(Window(d, s, e) for d, s, e in merged if e - s >= MIN_OVERLAP_MIN)


def _intersections(a: tuple[Window, ...], b: tuple[Window, ...]) -> list[Window]:
    out = []
    for x in _normalise(a):
        for y in _normalise(b):
            if x.weekday == y.weekday:
                start, end = max(x.start, y.start), min(x.end, y.end)
                if end - start >= MIN_OVERLAP_MIN:
                    out.append(Window(x.weekday, start, end))
    out.sort()
    return out


def shared_windows(cook: CookInput, diner: DinerInput) -> list[Window]:
    """The cook's and diner's shared weekly windows of 30 minutes or more, by weekday, start."""
    return _intersections(cook.windows, diner.windows)


def best_slot(windows: Sequence[Window]) -> Window | None:
    """The longest window (ties: earliest weekday, then start), or None."""
    if not windows:
        return None
    return min(windows, key=lambda w: (-w.minutes, w.weekday, w.start))


# --- single-pair rules ------------------------------------------------------------------------


def _effective_radius(cook: CookInput, max_radius_m: float) -> float:
    return min(float(cook.radius_m), float(max_radius_m))


def _missing_time(cook: CookInput, diner: DinerInput) -> str | None:
    if diner.frequency not in cook.frequencies:
        return f"cook {cook.id} does not offer {_label(diner.frequency)} meals"
    if not shared_windows(cook, diner):
        return f"cook {cook.id} and the diner share no free window of {MIN_OVERLAP_MIN} minutes"
    return None


def check_pair(cook: CookInput, diner: DinerInput, *, max_radius_m: float) -> list[Violation]:
    """Every hard rule the pair breaks (empty: the cook may be proposed to the diner)."""
    found: list[Violation] = []
    if not cook.matchable:
        found.append(
            Violation(
                "cook_not_matchable",
                "cook_id",
                f"cook {cook.id} is not approved with checks in date",
            )
        )
    if cook.spare <= 0:
        found.append(Violation("no_capacity", "cook_id", f"cook {cook.id} has no spare capacity"))
    dist = distance_m(cook.lat, cook.lon, diner.lat, diner.lon)
    reach = _effective_radius(cook, max_radius_m)
    if not dist <= reach:
        found.append(
            Violation(
                "out_of_reach",
                "cook_id",
                f"cook {cook.id} lives {staff_distance_m(dist):,} m away, beyond {reach:,.0f} m",
            )
        )
    time_problem = _missing_time(cook, diner)
    if time_problem:
        found.append(Violation("no_shared_time", "weekday", time_problem))
    if missing := diner.diets - cook.diets:
        found.append(
            Violation("diet_unmet", "diets", f"cook {cook.id} does not cook {_labels(missing)}")
        )
    if diner.texture not in cook.textures:
        found.append(
            Violation(
                "texture_unmet",
                "texture",
                f"cook {cook.id} cannot make {_label(diner.texture)} food",
            )
        )
    if missing := diner.allergies - cook.allergen_free:
        found.append(
            Violation(
                "allergen_unsafe",
                "allergies",
                f"cook {cook.id} cannot cook free from {_labels(missing)}",
            )
        )
    if cook.id in diner.excluded:
        found.append(
            Violation("excluded_pair", "cook_id", f"cook {cook.id} is excluded for this diner")
        )
    return found


def check_slot(
    cook: CookInput, diner: DinerInput, weekday: int, start_minute: int
) -> Violation | None:
    """None when a meal at ``weekday``/``start_minute`` fits a shared window for 30 minutes."""
    if not 0 <= weekday <= 6:
        return Violation("no_shared_time", "weekday", f"weekday {weekday} is not 0 to 6")
    if not 0 <= start_minute < _MINUTES_PER_DAY:
        return Violation("no_shared_time", "start", f"start {start_minute} is not a time of day")
    same_day = [w for w in shared_windows(cook, diner) if w.weekday == weekday]
    if not same_day:
        return Violation(
            "no_shared_time", "weekday", f"cook and diner are not both free on {_DAYS[weekday]}"
        )
    for w in same_day:
        if w.start <= start_minute and start_minute + MIN_OVERLAP_MIN <= w.end:
            return None
    free = ", ".join(_window_text(w) for w in same_day)
    return Violation(
        "no_shared_time",
        "start",
        f"{_hhmm(start_minute)} does not leave {MIN_OVERLAP_MIN} shared minutes (both free {free})",
    )


def pair_cost(cook: CookInput, diner: DinerInput) -> int:
    """The pair's preference cost without the load term (see the module docstring)."""
    slot = best_slot(shared_windows(cook, diner))
    overlap = slot.minutes if slot else 0
    cost = round(distance_m(cook.lat, cook.lon, diner.lat, diner.lon))
    cost += OVERLAP_COST_PER_MIN * (OVERLAP_TARGET_MIN - min(overlap, OVERLAP_TARGET_MIN))
    if cook.id not in diner.met:
        cost += NOT_MET_COST
    return int(cost)


# --- vectorised profiles ----------------------------------------------------------------------

_get_weekday = attrgetter("weekday")
_get_start = attrgetter("start")
_get_end = attrgetter("end")


class _Vocab:
    """Codes to bits: the API's vocabulary first, then any other code the cooks use."""

    def __init__(self, known: Sequence[str], used: Iterable[str]):
        extra = sorted(set(used) - set(known))
        names = list(known) + extra
        if len(names) > 63:
            raise ValueError("more than 63 distinct codes in one vocabulary")
        self._bit = {name: 1 << i for i, name in enumerate(names)}
        self._cache: dict[frozenset[str], int] = {}

    def masks(self, sets: Sequence[frozenset[str]]) -> npt.NDArray[np.uint64]:
        """One bitmask per set; a code outside the vocabulary sets a bit no cook has."""
        cache = self._cache
        for codes in [c for c in set(sets) if c not in cache]:  # no iteration over the cache
            mask = 0
            for code in codes:
                mask |= self._bit.get(code, _UNKNOWN_BIT)
            cache[codes] = mask
        return np.fromiter(map(cache.__getitem__, sets), dtype=np.uint64, count=len(sets))

    def ones(self, codes: Sequence[str]) -> npt.NDArray[np.uint64]:
        """The bit of each single code."""
        bits = map(self._bit.get, codes, repeat(_UNKNOWN_BIT))
        return np.fromiter(bits, dtype=np.uint64, count=len(codes))


def _union(sets: Iterable[frozenset[str]]) -> frozenset[str]:
    return frozenset().union(*set(sets))


def _window_rows(
    windows_per_person: Sequence[tuple[Window, ...]],
) -> tuple[npt.NDArray[np.int32], npt.NDArray[np.int32], IntArray]:
    """Each person's normalised windows as padded (n, W) week-minute starts and ends, plus a
    7-bit mask of their days; computed for everyone at once.

    Week-minutes put each weekday ``_DAY_STRIDE`` apart, so windows of different days never
    touch; a person's windows that overlap or touch on one day merge, and merged windows under
    30 minutes are dropped (as ``_normalise`` does). Padding is (0, 0): it overlaps nothing.
    """
    n = len(windows_per_person)
    counts = np.fromiter(map(len, windows_per_person), dtype=np.int64, count=n)
    flat = list(chain.from_iterable(windows_per_person))
    total = len(flat)
    weekday = np.fromiter(map(_get_weekday, flat), dtype=np.int64, count=total)
    begin = np.fromiter(map(_get_start, flat), dtype=np.int64, count=total)
    finish = np.fromiter(map(_get_end, flat), dtype=np.int64, count=total)
    base = np.repeat(np.arange(n, dtype=np.int64), counts) * _PERSON_STRIDE + weekday * _DAY_STRIDE
    lo, hi = base + begin, base + finish
    order = np.argsort(lo, kind="stable")
    lo, hi = lo[order], hi[order]
    if total:
        reach = np.maximum.accumulate(hi)
        fresh = np.ones(total, dtype=np.bool_)
        fresh[1:] = lo[1:] > reach[:-1]
        heads = np.flatnonzero(fresh)
        lo, hi = lo[heads], np.maximum.reduceat(hi, heads)
        keep = hi - lo >= MIN_OVERLAP_MIN
        lo, hi = lo[keep], hi[keep]
    who = lo // _PERSON_STRIDE
    column = np.arange(len(who)) - np.searchsorted(who, who, side="left")
    width = int(column.max()) + 1 if len(column) else 1
    starts = np.zeros((n, width), dtype=np.int32)
    ends = np.zeros((n, width), dtype=np.int32)
    starts[who, column] = lo - who * _PERSON_STRIDE
    ends[who, column] = hi - who * _PERSON_STRIDE
    days = np.zeros(n, dtype=np.int64)
    np.bitwise_or.at(days, who, np.left_shift(1, (lo - who * _PERSON_STRIDE) // _DAY_STRIDE))
    return starts, ends, days


def _best_overlap(
    cook_starts: npt.NDArray[np.int32],
    cook_ends: npt.NDArray[np.int32],
    diner_starts: npt.NDArray[np.int32],
    diner_ends: npt.NDArray[np.int32],
) -> tuple[IntArray, IntArray]:
    """Per pair (rows aligned): longest shared window in minutes, and its week-minute start.

    Ties go to the earliest start. Works in chunks so the work arrays stay small.
    """
    n = len(cook_starts)
    overlap = np.zeros(n, dtype=np.int64)
    start = np.zeros(n, dtype=np.int64)
    if n == 0:
        return overlap, start
    cells = cook_starts.shape[1] * diner_starts.shape[1]
    step = max(1, _PAIR_CHUNK_CELLS // cells)
    for a in range(0, n, step):
        b = min(n, a + step)
        lo = np.maximum(cook_starts[a:b, :, None], diner_starts[a:b, None, :])
        length = np.minimum(cook_ends[a:b, :, None], diner_ends[a:b, None, :]) - lo
        key = np.where(length >= MIN_OVERLAP_MIN, length * _KEY_SHIFT - lo, -1)
        best = key.reshape(b - a, cells).max(axis=1).astype(np.int64)
        found = best >= 0
        ov = np.where(found, -(-best // _KEY_SHIFT), 0)
        overlap[a:b] = ov
        start[a:b] = np.where(found, ov * _KEY_SHIFT - best, 0)
    return overlap, start


class CookIndex:
    """Cooks prepared for matching: a k-d tree on the sphere plus columns of bitmasks.

    Built once (for a council, or for the nation) and reused by ``suggest`` and ``batch_match``.
    Positions go into a ``scipy.spatial.cKDTree`` of 3-D unit vectors; a query asks for the
    largest radius any cook could accept, then filters exactly by haversine distance and each
    cook's own radius. See ``app.matching.spatial`` for the distance model and its error bound
    against the WGS84 geodesic (under 0.5 % in Great Britain).
    """

    def __init__(self, cooks: Sequence[CookInput]):
        self.cooks: tuple[CookInput, ...] = tuple(cooks)
        n = len(self.cooks)

        def column(name: str, dtype: type) -> npt.NDArray[Any]:
            return np.fromiter(map(attrgetter(name), self.cooks), dtype=dtype, count=n)

        self.ids: IntArray = column("id", np.int64)
        if len(np.unique(self.ids)) != n:
            raise ValueError("cook ids must be unique")
        self.position = dict(zip(self.ids.tolist(), range(n), strict=True))
        self.rank = np.empty(n, dtype=np.int64)
        self.rank[np.argsort(self.ids, kind="stable")] = np.arange(n)
        self.points = PointIndex(column("lat", np.float64), column("lon", np.float64))
        self.radius: FloatArray = column("radius_m", np.float64)
        self.matchable: BoolArray = column("matchable", np.bool_)
        self.spare: IntArray = column("spare", np.int64)
        self.load: IntArray = column("load", np.int64)
        diets = list(map(attrgetter("diets"), self.cooks))
        free = list(map(attrgetter("allergen_free"), self.cooks))
        textures = list(map(attrgetter("textures"), self.cooks))
        frequencies = list(map(attrgetter("frequencies"), self.cooks))
        self.diet_vocab = _Vocab(DIETS, _union(diets))
        self.allergen_vocab = _Vocab(ALLERGENS, _union(free))
        self.texture_vocab = _Vocab(TEXTURES, _union(textures))
        self.frequency_vocab = _Vocab(FREQUENCIES, _union(frequencies))
        self.diets = self.diet_vocab.masks(diets)
        self.allergen_free = self.allergen_vocab.masks(free)
        self.textures = self.texture_vocab.masks(textures)
        self.frequencies = self.frequency_vocab.masks(frequencies)
        self.win_starts, self.win_ends, self.days = _window_rows(
            list(map(attrgetter("windows"), self.cooks))
        )
        reachable = self.radius[self.matchable]
        self.max_radius_m = float(reachable.max()) if len(reachable) else 0.0
        self._groups: list[tuple[PointIndex, IntArray, float]] | None = None

    def __len__(self) -> int:
        return len(self.cooks)

    def reach_groups(self, max_radius_m: float) -> list[tuple[PointIndex, IntArray, float]]:
        """Matchable cooks grouped by walking radius (``_RADIUS_BAND_M`` bands), each group with
        its own tree, its cook rows and the largest effective radius in it.

        Querying each group with its own largest radius, rather than every cook with the
        largest radius of all, roughly halves the pairs a batch looks at.
        """
        if self._groups is None:
            rows = np.flatnonzero(self.matchable)
            band = np.ceil(self.radius[rows] / _RADIUS_BAND_M).astype(np.int64)
            self._groups = [
                (
                    PointIndex(self.points.lat[members], self.points.lon[members]),
                    members,
                    float(self.radius[members].max()),
                )
                for members in (rows[band == b] for b in np.unique(band))
            ]
        return [
            (tree, members, min(radius, max(0.0, float(max_radius_m))))
            for tree, members, radius in self._groups
        ]

    def within(self, lat: float, lon: float, radius_m: float) -> list[int]:
        """Indices (into ``cooks``, ascending) of every cook within ``radius_m`` metres."""
        idx, _ = self.points.ball(lat, lon, max(0.0, float(radius_m)))
        return [int(i) for i in idx]

    def query_radius(self, max_radius_m: float) -> float:
        """The largest effective radius of any matchable cook under the council's maximum."""
        return max(0.0, min(float(max_radius_m), self.max_radius_m))


@dataclass(slots=True)
class _Diners:
    """Diners as columns, against one index's vocabularies."""

    ids: IntArray
    lat: FloatArray
    lon: FloatArray
    diets: npt.NDArray[np.uint64]
    allergies: npt.NDArray[np.uint64]
    texture: npt.NDArray[np.uint64]
    frequency: npt.NDArray[np.uint64]
    win_starts: npt.NDArray[np.int32]
    win_ends: npt.NDArray[np.int32]
    days: IntArray
    excluded: IntArray  # sorted pair keys: diner row * n_cooks + cook row
    met: IntArray

    @classmethod
    def build(cls, diners: Sequence[DinerInput], index: CookIndex) -> _Diners:
        n = len(diners)

        def column(name: str) -> list[Any]:
            return list(map(attrgetter(name), diners))

        starts, ends, days = _window_rows(column("windows"))
        return cls(
            ids=np.fromiter(column("id"), dtype=np.int64, count=n),
            lat=np.fromiter(column("lat"), dtype=np.float64, count=n),
            lon=np.fromiter(column("lon"), dtype=np.float64, count=n),
            diets=index.diet_vocab.masks(column("diets")),
            allergies=index.allergen_vocab.masks(column("allergies")),
            texture=index.texture_vocab.ones(column("texture")),
            frequency=index.frequency_vocab.ones(column("frequency")),
            win_starts=starts,
            win_ends=ends,
            days=days,
            excluded=_pair_keys(column("excluded"), index),
            met=_pair_keys(column("met"), index),
        )

    @classmethod
    def one(cls, diner: DinerInput, index: CookIndex) -> _Diners:
        """The same columns for a single diner, built without the bulk machinery."""
        windows = _normalise(diner.windows)
        width = max(1, len(windows))
        starts = np.zeros((1, width), dtype=np.int32)
        ends = np.zeros((1, width), dtype=np.int32)
        starts[0, : len(windows)] = [w.weekday * _DAY_STRIDE + w.start for w in windows]
        ends[0, : len(windows)] = [w.weekday * _DAY_STRIDE + w.end for w in windows]
        return cls(
            ids=np.array([diner.id], dtype=np.int64),
            lat=np.array([diner.lat]),
            lon=np.array([diner.lon]),
            diets=index.diet_vocab.masks([diner.diets]),
            allergies=index.allergen_vocab.masks([diner.allergies]),
            texture=index.texture_vocab.ones([diner.texture]),
            frequency=index.frequency_vocab.ones([diner.frequency]),
            win_starts=starts,
            win_ends=ends,
            days=np.array([sum({1 << w.weekday for w in windows})], dtype=np.int64),
            excluded=_pair_keys([diner.excluded], index),
            met=_pair_keys([diner.met], index),
        )


def _pair_keys(cook_ids_per_diner: list[frozenset[int]], index: CookIndex) -> IntArray:
    keys = []
    n_cooks = len(index)
    for row, cook_ids in enumerate(cook_ids_per_diner):
        for cook_id in cook_ids:
            pos = index.position.get(cook_id)
            if pos is not None:
                keys.append(row * n_cooks + pos)
    return np.array(sorted(set(keys)), dtype=np.int64)


def _member(keys: IntArray, table: IntArray) -> BoolArray:
    if len(table) == 0:
        return np.zeros(len(keys), dtype=np.bool_)
    pos = np.minimum(np.searchsorted(table, keys), len(table) - 1)
    return np.asarray(table[pos] == keys)


@dataclass(slots=True)
class _Assessed:
    """The rules applied to (diner row, cook row) pairs."""

    level: IntArray  # per diner of the block: how many checks leave a candidate (6 = matchable)
    diner: IntArray  # candidate pairs (all rules hold) ...
    cook: IntArray
    distance: FloatArray  # haversine metres
    cost: IntArray  # pair cost without load
    start: IntArray  # week-minute of the chosen slot
    met: BoolArray


def _assess(
    index: CookIndex,
    diners: _Diners,
    rows: IntArray,
    local: IntArray,
    crow: IntArray,
    dist: FloatArray,
    max_radius_m: float,
    *,
    exact: bool,
) -> _Assessed:
    """Apply the hard rules, in the order of ``UNMATCHED_REASONS``, to pairs found near.

    A pair is (``rows[local[i]]``, ``crow[i]``): a diner row of this block and a cook row; the
    reason levels cover the block's diners (``rows``). ``dist`` is the haversine distance when
    ``exact``, else the chord-derived distance of the k-d tree (equal to it within micrometres):
    pairs within ``_RIM_M`` of a radius are then settled, and the surviving edges measured, with
    ``haversine_m`` itself. Each check keeps only the pairs that pass it, so later checks look
    at fewer pairs.
    """
    lat, lon = index.points.lat, index.points.lon
    n_cooks = len(index)
    count = len(rows)

    def has_any(block_rows: IntArray) -> IntArray:
        return (np.bincount(block_rows, minlength=count) > 0).astype(np.int64)

    drow = rows[local]
    reach = np.minimum(index.radius[crow], max_radius_m)
    inside = dist <= reach
    if not exact:
        rim = np.flatnonzero(np.abs(dist - reach) <= _RIM_M)
        if len(rim):
            d, c = drow[rim], crow[rim]
            inside[rim] = haversine_m(diners.lat[d], diners.lon[d], lat[c], lon[c]) <= reach[rim]
    inside &= index.matchable[crow]
    if len(diners.excluded):
        inside &= ~_member(drow * n_cooks + crow, diners.excluded)
    keep = np.flatnonzero(inside)
    pairs = np.stack((local, drow, crow))[:, keep]  # rows: block row, diner row, cook row
    dist = dist[keep]
    level = has_any(pairs[0])

    d, c = pairs[1], pairs[2]
    keep = np.flatnonzero(
        ((index.days[c] & diners.days[d]) != 0)
        & ((index.frequencies[c] & diners.frequency[d]) != 0)
    )
    pairs, dist = pairs[:, keep], dist[keep]
    d, c = pairs[1], pairs[2]
    overlap, start = _best_overlap(
        index.win_starts[c], index.win_ends[c], diners.win_starts[d], diners.win_ends[d]
    )
    keep = np.flatnonzero(overlap >= MIN_OVERLAP_MIN)
    pairs = np.vstack((pairs, overlap, start))[:, keep]  # + overlap, slot start
    dist = dist[keep]
    level += has_any(pairs[0])

    for check in (
        lambda d, c: (diners.diets[d] & ~index.diets[c]) == 0,
        lambda d, c: (diners.allergies[d] & ~index.allergen_free[c]) == 0,
        lambda d, c: (diners.texture[d] & index.textures[c]) != 0,
        lambda d, c: index.spare[c] > 0,
    ):
        keep = np.flatnonzero(check(pairs[1], pairs[2]))
        pairs, dist = pairs[:, keep], dist[keep]
        level += has_any(pairs[0])

    _, drow, crow, overlap, start = pairs
    if not exact:
        dist = haversine_m(diners.lat[drow], diners.lon[drow], lat[crow], lon[crow])
    met = _member(drow * n_cooks + crow, diners.met)
    cost = np.rint(dist).astype(np.int64)
    cost += OVERLAP_COST_PER_MIN * (OVERLAP_TARGET_MIN - np.minimum(overlap, OVERLAP_TARGET_MIN))
    cost += np.where(met, 0, NOT_MET_COST)
    return _Assessed(
        level=level, diner=drow, cook=crow, distance=dist, cost=cost, start=start, met=met
    )


def _reason(level: int) -> str | None:
    return UNMATCHED_REASONS[level] if level < len(UNMATCHED_REASONS) else None


# --- suggestions ------------------------------------------------------------------------------


def _reasons(
    cook: CookInput, diner: DinerInput, dist: float, met: bool, slots: list[Window]
) -> list[str]:
    out = []
    if met:
        out.append("has met this diner before")
    # Reasons are for staff: the same rounding as the card's distance_m, so the two agree.
    shown = staff_distance_m(dist)
    out.append(f"{shown:,} m away" if shown else "less than 10 m away")
    if slots:
        texts = [_window_text(w) for w in slots[:3]]
        more = len(slots) - len(texts)
        if more:
            listed = ", ".join(texts) + f" and {more} more time{'s' if more > 1 else ''}"
        elif len(texts) == 1:
            listed = texts[0]
        else:
            listed = ", ".join(texts[:-1]) + " and " + texts[-1]
        text = f"both free {listed}"
        if diner.frequency != "weekly":
            text += f", {_label(diner.frequency)}"
        out.append(text)
    if diner.diets:
        out.append(f"cooks {_labels(diner.diets)}")
    if diner.allergies:
        out.append(f"free from {_labels(diner.allergies)}")
    if diner.texture != "regular":
        out.append(f"can make {_label(diner.texture)}")
    if cook.load == 0:
        out.append("not cooking for anyone yet")
    return out


def suggest(
    diner: DinerInput, index: CookIndex, *, max_radius_m: float, limit: int = 10
) -> Suggestions:
    """The best ``limit`` cooks for one diner, best first, with reasons; or why there is none."""
    if limit < 1:
        raise ValueError("limit must be at least 1")
    crow, dist = index.points.ball(diner.lat, diner.lon, index.query_radius(max_radius_m))
    crow = crow.astype(np.int64, copy=False)
    table = _Diners.one(diner, index)
    rows, local = np.zeros(1, dtype=np.int64), np.zeros(len(crow), dtype=np.int64)
    assessed = _assess(index, table, rows, local, crow, dist, float(max_radius_m), exact=True)
    if len(assessed.cook) == 0:
        return Suggestions(items=[], unmatched_reason=_reason(int(assessed.level[0])))
    cost = assessed.cost + LOAD_STEP_COST * index.load[assessed.cook]
    order = np.lexsort((index.ids[assessed.cook], cost))[:limit]
    items = []
    for k in order:
        cook = index.cooks[int(assessed.cook[k])]
        met = bool(assessed.met[k])
        rest = int(cost[k]) - (0 if met else NOT_MET_COST)
        slots = shared_windows(cook, diner)
        items.append(
            Suggestion(
                cook_id=cook.id,
                distance_m=float(assessed.distance[k]),
                score=(1.0 if met else 0.0) + SCORE_SCALE / (SCORE_SCALE + max(rest, 0)),
                slots=slots,
                reasons=_reasons(cook, diner, float(assessed.distance[k]), met, slots),
            )
        )
    return Suggestions(items=items, unmatched_reason=None)


# --- batch ------------------------------------------------------------------------------------


@dataclass(slots=True)
class CandidateGraph:
    """Every allowed (diner, cook) edge of a batch, with its cost; input to ``solve_batch``.

    Rows index ``diner_ids`` (ascending ids) and the index's cooks. Edges are sorted by diner
    id, then cost, then cook id.
    """

    index: CookIndex
    diner_ids: IntArray
    level: IntArray  # per diner: number of checks passed (len(UNMATCHED_REASONS): has candidates)
    diner: IntArray
    cook: IntArray
    distance: FloatArray
    cost: IntArray
    start: IntArray  # week-minute of each edge's slot

    @property
    def edges(self) -> int:
        return len(self.cook)


def batch_candidates(
    diners: Sequence[DinerInput],
    index: CookIndex,
    *,
    max_radius_m: float,
    prune_k: int | None = None,
) -> CandidateGraph:
    """All candidate edges of a batch, found in chunks of diners through the k-d tree."""
    ordered = sorted(diners, key=attrgetter("id"))
    if len({d.id for d in ordered}) != len(ordered):
        raise ValueError("diner ids must be unique")
    table = _Diners.build(ordered, index)
    n = len(ordered)
    level = np.zeros(n, dtype=np.int64)
    parts: list[_Assessed] = []
    walk = spatial_order(table.lat, table.lon)  # nearby diners share a chunk: faster queries
    for first in range(0, n, _DINER_CHUNK):
        rows = walk[first : first + _DINER_CHUNK]
        found = [
            (local, members[j], approx)
            for tree, members, radius in index.reach_groups(max_radius_m)
            for local, j, approx in [tree.pairs(table.lat[rows], table.lon[rows], radius)]
        ]
        local, crow, approx = (
            np.concatenate([np.zeros(0), *(f[k] for f in found)]) for k in range(3)
        )
        part = _assess(
            index,
            table,
            rows,
            local.astype(np.int64),
            crow.astype(np.int64),
            approx,
            float(max_radius_m),
            exact=False,
        )
        level[rows] = part.level
        parts.append(part)

    def joined(name: str, dtype: type) -> npt.NDArray[Any]:
        arrays = [getattr(p, name) for p in parts]
        return np.concatenate(arrays) if arrays else np.zeros(0, dtype=dtype)

    drow, crow, cost = joined("diner", np.int64), joined("cook", np.int64), joined("cost", np.int64)
    order = np.lexsort((index.ids[crow], cost, drow))
    graph = CandidateGraph(
        index=index,
        diner_ids=table.ids,
        level=level,
        diner=drow[order],
        cook=crow[order],
        distance=joined("distance", np.float64)[order],
        cost=cost[order],
        start=joined("start", np.int64)[order],
    )
    return graph if prune_k is None else prune(graph, prune_k)


def prune(graph: CandidateGraph, k: int) -> CandidateGraph:
    """The graph with only each diner's ``k`` cheapest edges (ties: lower cook id)."""
    if k < 1:
        raise ValueError("prune_k must be at least 1")
    nth = np.arange(graph.edges) - np.searchsorted(graph.diner, graph.diner, side="left")
    keep = nth < k
    return CandidateGraph(
        index=graph.index,
        diner_ids=graph.diner_ids,
        level=graph.level,
        diner=graph.diner[keep],
        cook=graph.cook[keep],
        distance=graph.distance[keep],
        cost=graph.cost[keep],
        start=graph.start[keep],
    )


def _bundles(graph: CandidateGraph) -> list[IntArray]:
    """Edge indices grouped into bundles of whole connected components (about
    ``_BUNDLE_ARCS`` edges each, in a deterministic order).

    Diners and cooks in different components cannot affect one another, so solving each bundle
    on its own is exactly as optimal as solving the whole graph, and much faster: the flow
    solver's work grows faster than linearly with the size of the network.
    """
    # Imported here, by the batch only: scipy.sparse and OR-Tools take a second at start-up.
    from scipy.sparse import coo_matrix
    from scipy.sparse.csgraph import connected_components

    d_of_edge = np.unique(graph.diner, return_inverse=True)[1]
    c_nodes, c_of_edge = np.unique(graph.cook, return_inverse=True)
    n_d = int(d_of_edge.max()) + 1
    nodes = n_d + len(c_nodes)
    adjacency = coo_matrix(
        (np.ones(graph.edges, dtype=np.int8), (d_of_edge, n_d + c_of_edge)), shape=(nodes, nodes)
    )
    n_comp, label = connected_components(adjacency, directed=False)
    component = label[d_of_edge]
    sizes = np.bincount(component, minlength=n_comp)
    bundle_of_component = (np.cumsum(sizes) - sizes) // _BUNDLE_ARCS
    bundle = bundle_of_component[component]
    order = np.argsort(bundle, kind="stable")
    cuts = np.flatnonzero(np.diff(bundle[order])) + 1
    return np.split(order, cuts)


def _solve_bundle(graph: CandidateGraph, edges: IntArray) -> tuple[BoolArray, int]:
    """Min-cost max-flow on some whole components; which of ``edges`` carry flow, and the cost.

    Edge costs enter the solver lowered by ``NOT_MET_COST`` (the same for every edge, so the
    optimum is unchanged: every maximum flow matches the same number of diners); the smaller
    cost range makes OR-Tools' cost scaling markedly faster.
    """
    from ortools.graph.python import min_cost_flow  # the batch only (see _bundles)

    index = graph.index
    d_nodes, d_of_edge = np.unique(graph.diner[edges], return_inverse=True)
    c_nodes, c_of_edge = np.unique(index.rank[graph.cook[edges]], return_inverse=True)
    cook_rows = np.argsort(index.rank)[c_nodes]
    n_d, n_c = len(d_nodes), len(c_nodes)
    source, sink = 0, 1 + n_d + n_c
    degree = np.bincount(c_of_edge, minlength=n_c)
    arcs_per_cook = np.minimum(index.spare[cook_rows], degree)
    cook_of_arc = np.repeat(np.arange(n_c), arcs_per_cook)
    step = np.arange(len(cook_of_arc)) - (np.cumsum(arcs_per_cook) - arcs_per_cook)[cook_of_arc]
    tails = np.concatenate((np.full(n_d, source), 1 + d_of_edge, 1 + n_d + cook_of_arc))
    heads = np.concatenate((1 + np.arange(n_d), 1 + n_d + c_of_edge, np.full(len(step), sink)))
    costs = np.concatenate(
        (
            np.zeros(n_d, dtype=np.int64),
            graph.cost[edges] - NOT_MET_COST,
            LOAD_STEP_COST * (index.load[cook_rows][cook_of_arc] + step),
        )
    )
    flow = min_cost_flow.SimpleMinCostFlow()
    arcs = flow.add_arcs_with_capacity_and_unit_cost(
        tails.astype(np.int32),
        heads.astype(np.int32),
        np.ones(len(tails), dtype=np.int64),
        costs.astype(np.int64),
    )
    flow.set_nodes_supplies(
        np.array([source, sink], dtype=np.int32), np.array([n_d, -n_d], dtype=np.int64)
    )
    status = flow.solve_max_flow_with_min_cost()
    if status != flow.OPTIMAL:
        raise RuntimeError(f"min-cost flow failed: {status}")
    used = np.asarray(flow.flows(np.asarray(arcs[n_d : n_d + len(edges)], dtype=np.int32))) > 0
    return used, int(flow.optimal_cost()) + NOT_MET_COST * int(flow.maximum_flow())


def solve_batch(graph: CandidateGraph) -> BatchResult:
    """An optimal assignment: most diners matched, then least total cost (min-cost flow).

    Network: source -> each diner (capacity 1) -> each candidate cook (capacity 1, the pair
    cost) -> sink through ``min(spare, candidates)`` parallel unit arcs per cook, the j-th
    costing ``LOAD_STEP_COST * (load + j)``; convex, so the cheap arcs fill first. OR-Tools'
    ``solve_max_flow_with_min_cost`` returns the maximum flow of least cost. Independent parts
    of the graph (connected components) are solved separately, in bundles.
    """
    index = graph.index
    matched_edge = np.zeros(graph.edges, dtype=np.bool_)
    objective = 0
    if graph.edges:
        for edges in _bundles(graph):
            used, cost = _solve_bundle(graph, edges)
            matched_edge[edges[used]] = True
            objective += cost

    picked = np.flatnonzero(matched_edge)
    p_diner, p_cook = graph.diner[picked], graph.cook[picked]
    # Load cost attribution: a cook's new diners, by diner id, take the cook's next load steps.
    by_cook = np.lexsort((p_diner, p_cook))
    sorted_cook = p_cook[by_cook]
    nth = np.arange(len(by_cook)) - np.searchsorted(sorted_cook, sorted_cook, side="left")
    load_cost = np.zeros(len(picked), dtype=np.int64)
    load_cost[by_cook] = LOAD_STEP_COST * (index.load[sorted_cook] + nth)
    total = graph.cost[picked] + load_cost
    if int(total.sum()) != objective:
        raise RuntimeError("assignment costs do not add up to the solver's objective")

    start = graph.start[picked]
    assignments = list(
        map(
            Assignment,
            graph.diner_ids[p_diner].tolist(),
            index.ids[p_cook].tolist(),
            (start // _DAY_STRIDE).tolist(),
            (start % _DAY_STRIDE).tolist(),
            graph.distance[picked].tolist(),
            total.tolist(),
        )
    )
    assigned = np.zeros(len(graph.diner_ids), dtype=np.bool_)
    assigned[p_diner] = True
    rows = np.flatnonzero(~assigned)
    names = [*UNMATCHED_REASONS, "no_capacity"]
    unmatched = list(
        zip(
            graph.diner_ids[rows].tolist(),
            [names[level] for level in graph.level[rows].tolist()],
            strict=True,
        )
    )
    return BatchResult(assignments=assignments, unmatched=unmatched, objective=objective)


def batch_match(
    diners: Sequence[DinerInput],
    cooks: Sequence[CookInput],
    *,
    max_radius_m: float,
    index: CookIndex | None = None,
    prune_k: int | None = None,
) -> BatchResult:
    """Match many waiting diners at once, optimally (see ``solve_batch``).

    ``index`` may be passed when it is already built for exactly these ``cooks``. ``prune_k``
    keeps only each diner's k cheapest edges: faster, and optimal whenever the pruned edges
    would not have been used (the benchmark compares both).
    """
    if index is None:
        index = CookIndex(cooks)
    elif len(index) != len(cooks) or not np.array_equal(
        index.ids, np.fromiter(map(attrgetter("id"), cooks), dtype=np.int64, count=len(cooks))
    ):
        raise ValueError("the index was built for other cooks")
    graph = batch_candidates(diners, index, max_radius_m=max_radius_m, prune_k=prune_k)
    return solve_batch(graph)
