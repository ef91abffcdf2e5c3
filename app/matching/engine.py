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

``suggest`` ranks one diner's candidates by that cost (with the cook's current load), and
``batch_match`` finds an optimal assignment for many diners at once with a min-cost flow: first
the largest number of diners matched, then the least total cost.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
from ortools.graph.python import min_cost_flow

from app.matching.spatial import PointIndex, distance_m

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
_KEY_SHIFT = 16_384  # > minutes in a week: packs (overlap, -start) into one sortable integer
_UNKNOWN_BIT = 1 << 63  # a need no cook can meet (a code outside the index's vocabulary)
_PAIR_CHUNK_CELLS = 4_000_000  # bounds the (pairs x cook windows x diner windows) work arrays
_DINER_CHUNK = 16_384  # diners per spatial query in a batch (bounds memory at national scale)

IntArray = npt.NDArray[np.int64]
BoolArray = npt.NDArray[np.bool_]
FloatArray = npt.NDArray[np.float64]


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

_NORMALISED: dict[tuple[Window, ...], tuple[Window, ...]] = {}


def _normalise(windows: tuple[Window, ...]) -> tuple[Window, ...]:
    """Sorted, merged (overlapping or touching) windows, keeping those of 30 minutes or more."""
    cached = _NORMALISED.get(windows)
    if cached is not None:
        return cached
    merged: list[list[int]] = []
    for w in sorted(windows):
        if merged and merged[-1][0] == w.weekday and w.start <= merged[-1][2]:
            merged[-1][2] = max(merged[-1][2], w.end)
        else:
            merged.append([w.weekday, w.start, w.end])
    result = tuple(Window(d, s, e) for d, s, e in merged if e - s >= MIN_OVERLAP_MIN)
    if len(_NORMALISED) < 100_000:
        _NORMALISED[windows] = result
    return result


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
                f"cook {cook.id} lives {round(dist, -1):,.0f} m away, beyond {reach:,.0f} m",
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


class _Vocab:
    """Codes to bits: the API's vocabulary first, then any other code the cooks use."""

    def __init__(self, known: Sequence[str], used: Iterable[str]):
        extra = sorted(set(used) - set(known))
        names = list(known) + extra
        if len(names) > 63:
            raise ValueError("more than 63 distinct codes in one vocabulary")
        self._bit = {name: 1 << i for i, name in enumerate(names)}
        self._cache: dict[frozenset[str], int] = {}

    def mask(self, codes: frozenset[str]) -> int:
        cached = self._cache.get(codes)
        if cached is None:
            cached = 0
            for code in codes:
                cached |= self._bit.get(code, _UNKNOWN_BIT)
            self._cache[codes] = cached
        return cached

    def one(self, code: str) -> int:
        return self._bit.get(code, _UNKNOWN_BIT)


def _window_rows(
    windows_per_person: Sequence[tuple[Window, ...]],
) -> tuple[npt.NDArray[np.int32], npt.NDArray[np.int32], IntArray]:
    """Padded (n, W) week-minute starts/ends of each person's normalised windows, and day masks.

    Padding is (0, 0): it overlaps nothing by 30 minutes.
    """
    normalised = [_normalise(ws) for ws in windows_per_person]
    width = max((len(ws) for ws in normalised), default=0) or 1
    starts = np.zeros((len(normalised), width), dtype=np.int32)
    ends = np.zeros((len(normalised), width), dtype=np.int32)
    days = np.zeros(len(normalised), dtype=np.int64)
    cache: dict[tuple[Window, ...], tuple[list[int], list[int], int]] = {}
    for row, ws in enumerate(normalised):
        if not ws:
            continue
        parts = cache.get(ws)
        if parts is None:
            parts = (
                [w.weekday * _MINUTES_PER_DAY + w.start for w in ws],
                [w.weekday * _MINUTES_PER_DAY + w.end for w in ws],
                sum({1 << w.weekday for w in ws}),
            )
            cache[ws] = parts
        starts[row, : len(ws)] = parts[0]
        ends[row, : len(ws)] = parts[1]
        days[row] = parts[2]
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
    against the WGS84 geodesic (under 0.5 %).
    """

    def __init__(self, cooks: Sequence[CookInput]):
        self.cooks: tuple[CookInput, ...] = tuple(cooks)
        n = len(self.cooks)
        self.ids = np.fromiter((c.id for c in self.cooks), dtype=np.int64, count=n)
        if len(np.unique(self.ids)) != n:
            raise ValueError("cook ids must be unique")
        self.position = {int(cid): i for i, cid in enumerate(self.ids)}
        self.rank = np.empty(n, dtype=np.int64)
        self.rank[np.argsort(self.ids, kind="stable")] = np.arange(n)
        self.points = PointIndex(
            np.fromiter((c.lat for c in self.cooks), dtype=np.float64, count=n),
            np.fromiter((c.lon for c in self.cooks), dtype=np.float64, count=n),
        )
        self.radius = np.fromiter((c.radius_m for c in self.cooks), dtype=np.float64, count=n)
        self.matchable = np.fromiter((c.matchable for c in self.cooks), dtype=np.bool_, count=n)
        self.spare = np.fromiter((c.spare for c in self.cooks), dtype=np.int64, count=n)
        self.load = np.fromiter((c.load for c in self.cooks), dtype=np.int64, count=n)
        self.diet_vocab = _Vocab(DIETS, _union(c.diets for c in self.cooks))
        self.allergen_vocab = _Vocab(ALLERGENS, _union(c.allergen_free for c in self.cooks))
        self.texture_vocab = _Vocab(TEXTURES, _union(c.textures for c in self.cooks))
        self.frequency_vocab = _Vocab(FREQUENCIES, _union(c.frequencies for c in self.cooks))
        self.diets = self._masks(self.diet_vocab, [c.diets for c in self.cooks])
        self.allergen_free = self._masks(self.allergen_vocab, [c.allergen_free for c in self.cooks])
        self.textures = self._masks(self.texture_vocab, [c.textures for c in self.cooks])
        self.frequencies = self._masks(self.frequency_vocab, [c.frequencies for c in self.cooks])
        self.win_starts, self.win_ends, self.days = _window_rows([c.windows for c in self.cooks])
        reachable = self.radius[self.matchable]
        self.max_radius_m = float(reachable.max()) if len(reachable) else 0.0

    @staticmethod
    def _masks(vocab: _Vocab, sets: list[frozenset[str]]) -> npt.NDArray[np.uint64]:
        return np.fromiter((vocab.mask(s) for s in sets), dtype=np.uint64, count=len(sets))

    def __len__(self) -> int:
        return len(self.cooks)

    def within(self, lat: float, lon: float, radius_m: float) -> list[int]:
        """Indices (into ``cooks``, ascending) of every cook within ``radius_m`` metres."""
        idx, _ = self.points.ball(lat, lon, max(0.0, float(radius_m)))
        return [int(i) for i in idx]

    def query_radius(self, max_radius_m: float) -> float:
        """The largest effective radius of any matchable cook under the council's maximum."""
        return max(0.0, min(float(max_radius_m), self.max_radius_m))


def _union(sets: Iterable[frozenset[str]]) -> set[str]:
    out: set[str] = set()
    for s in set(sets):
        out |= s
    return out


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
        starts, ends, days = _window_rows([d.windows for d in diners])
        return cls(
            ids=np.fromiter((d.id for d in diners), dtype=np.int64, count=n),
            lat=np.fromiter((d.lat for d in diners), dtype=np.float64, count=n),
            lon=np.fromiter((d.lon for d in diners), dtype=np.float64, count=n),
            diets=np.fromiter(
                (index.diet_vocab.mask(d.diets) for d in diners), dtype=np.uint64, count=n
            ),
            allergies=np.fromiter(
                (index.allergen_vocab.mask(d.allergies) for d in diners), dtype=np.uint64, count=n
            ),
            texture=np.fromiter(
                (index.texture_vocab.one(d.texture) for d in diners), dtype=np.uint64, count=n
            ),
            frequency=np.fromiter(
                (index.frequency_vocab.one(d.frequency) for d in diners), dtype=np.uint64, count=n
            ),
            win_starts=starts,
            win_ends=ends,
            days=days,
            excluded=_pair_keys(diners, index, "excluded"),
            met=_pair_keys(diners, index, "met"),
        )


def _pair_keys(diners: Sequence[DinerInput], index: CookIndex, attr: str) -> IntArray:
    keys = []
    n_cooks = len(index)
    for row, d in enumerate(diners):
        for cook_id in getattr(d, attr):
            pos = index.position.get(cook_id)
            if pos is not None:
                keys.append(row * n_cooks + pos)
    return np.unique(np.asarray(keys, dtype=np.int64))


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
    distance: FloatArray
    cost: IntArray  # pair cost without load
    start: IntArray  # week-minute of the chosen slot
    met: BoolArray
    overlap: IntArray


def _assess(
    index: CookIndex,
    diners: _Diners,
    first: int,
    count: int,
    drow: IntArray,
    crow: IntArray,
    dist: FloatArray,
    max_radius_m: float,
) -> _Assessed:
    """Apply the hard rules, in the order of ``UNMATCHED_REASONS``, to pairs found in reach.

    ``drow`` are diner rows in ``first .. first + count``; the reason levels cover those diners.
    """
    n_cooks = len(index)
    keys = drow * n_cooks + crow
    reach = index.matchable[crow] & (dist <= np.minimum(index.radius[crow], max_radius_m))
    reach &= ~_member(keys, diners.excluded)

    timely = reach & ((index.frequencies[crow] & diners.frequency[drow]) != 0)
    timely &= (index.days[crow] & diners.days[drow]) != 0
    sel = np.flatnonzero(timely)
    ov_sel, start_sel = _best_overlap(
        index.win_starts[crow[sel]],
        index.win_ends[crow[sel]],
        diners.win_starts[drow[sel]],
        diners.win_ends[drow[sel]],
    )
    overlap = np.zeros(len(crow), dtype=np.int64)
    start = np.zeros(len(crow), dtype=np.int64)
    overlap[sel] = ov_sel
    start[sel] = start_sel
    timely &= overlap >= MIN_OVERLAP_MIN

    checks = (
        timely,
        (diners.diets[drow] & ~index.diets[crow]) == 0,
        (diners.allergies[drow] & ~index.allergen_free[crow]) == 0,
        (diners.texture[drow] & index.textures[crow]) != 0,
        index.spare[crow] > 0,
    )
    local = drow - first
    alive = reach
    level = (np.bincount(local[alive], minlength=count) > 0).astype(np.int64)
    for check in checks:
        alive = alive & check
        level += np.bincount(local[alive], minlength=count) > 0

    keep = np.flatnonzero(alive)
    met = _member(keys[keep], diners.met)
    ov = overlap[keep]
    cost = np.rint(dist[keep]).astype(np.int64)
    cost += OVERLAP_COST_PER_MIN * (OVERLAP_TARGET_MIN - np.minimum(ov, OVERLAP_TARGET_MIN))
    cost += np.where(met, 0, NOT_MET_COST)
    return _Assessed(
        level=level,
        diner=drow[keep],
        cook=crow[keep],
        distance=dist[keep],
        cost=cost,
        start=start[keep],
        met=met,
        overlap=ov,
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
    rounded = round(dist / 100.0) * 100
    out.append(f"{rounded:,} m away" if rounded else "less than 100 m away")
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
    drow = np.zeros(len(crow), dtype=np.int64)
    assessed = _assess(
        index, _Diners.build([diner], index), 0, 1, drow, crow, dist, float(max_radius_m)
    )
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
    if prune_k is not None and prune_k < 1:
        raise ValueError("prune_k must be at least 1")
    ordered = sorted(diners, key=lambda d: d.id)
    if len({d.id for d in ordered}) != len(ordered):
        raise ValueError("diner ids must be unique")
    table = _Diners.build(ordered, index)
    radius = index.query_radius(max_radius_m)
    n = len(ordered)
    level = np.zeros(n, dtype=np.int64)
    parts: list[_Assessed] = []
    for first in range(0, n, _DINER_CHUNK):
        count = min(_DINER_CHUNK, n - first)
        qi, crow, dist = index.points.pairs(
            table.lat[first : first + count], table.lon[first : first + count], radius
        )
        drow = qi.astype(np.int64) + first
        part = _assess(
            index, table, first, count, drow, crow.astype(np.int64), dist, float(max_radius_m)
        )
        level[first : first + count] = part.level
        parts.append(part)

    def joined(name: str, dtype: type) -> npt.NDArray:
        arrays = [getattr(p, name) for p in parts]
        return np.concatenate(arrays) if arrays else np.zeros(0, dtype=dtype)

    drow_all = joined("diner", np.int64)
    crow_all = joined("cook", np.int64)
    cost = joined("cost", np.int64)
    order = np.lexsort((index.ids[crow_all], cost, drow_all))
    if prune_k is not None and len(order):
        d_sorted = drow_all[order]
        group_start = np.searchsorted(d_sorted, d_sorted, side="left")
        order = order[np.arange(len(order)) - group_start < prune_k]
    return CandidateGraph(
        index=index,
        diner_ids=table.ids,
        level=level,
        diner=drow_all[order],
        cook=crow_all[order],
        distance=joined("distance", np.float64)[order],
        cost=cost[order],
        start=joined("start", np.int64)[order],
    )


def solve_batch(graph: CandidateGraph) -> BatchResult:
    """An optimal assignment: most diners matched, then least total cost (min-cost flow).

    Network: source -> each diner (capacity 1) -> each candidate cook (capacity 1, the pair
    cost) -> sink through ``min(spare, candidates)`` parallel unit arcs per cook, the j-th
    costing ``LOAD_STEP_COST * (load + j)``; convex, so the cheap arcs fill first. OR-Tools'
    ``solve_max_flow_with_min_cost`` returns the maximum flow of least cost.
    """
    index = graph.index
    n_diners = len(graph.diner_ids)
    matched_edge = np.zeros(graph.edges, dtype=np.bool_)
    objective = 0
    if graph.edges:
        d_nodes, d_of_edge = np.unique(graph.diner, return_inverse=True)
        c_nodes, c_of_edge = np.unique(index.rank[graph.cook], return_inverse=True)
        cook_rows = np.argsort(index.rank)[c_nodes]
        n_d, n_c = len(d_nodes), len(c_nodes)
        source, sink = 0, 1 + n_d + n_c
        degree = np.bincount(c_of_edge, minlength=n_c)
        arcs_per_cook = np.minimum(index.spare[cook_rows], degree)
        cook_of_arc = np.repeat(np.arange(n_c), arcs_per_cook)
        arc_start = np.cumsum(arcs_per_cook) - arcs_per_cook
        step = np.arange(len(cook_of_arc)) - arc_start[cook_of_arc]
        tails = np.concatenate((np.full(n_d, source), 1 + d_of_edge, 1 + n_d + cook_of_arc)).astype(
            np.int32
        )
        heads = np.concatenate(
            (1 + np.arange(n_d), 1 + n_d + c_of_edge, np.full(len(cook_of_arc), sink))
        ).astype(np.int32)
        costs = np.concatenate(
            (
                np.zeros(n_d, dtype=np.int64),
                graph.cost,
                LOAD_STEP_COST * (index.load[cook_rows][cook_of_arc] + step),
            )
        ).astype(np.int64)
        flow = min_cost_flow.SimpleMinCostFlow()
        arcs = flow.add_arcs_with_capacity_and_unit_cost(
            tails, heads, np.ones(len(tails), dtype=np.int64), costs
        )
        flow.set_nodes_supplies(
            np.array([source, sink], dtype=np.int32), np.array([n_d, -n_d], dtype=np.int64)
        )
        status = flow.solve_max_flow_with_min_cost()
        if status != flow.OPTIMAL:
            raise RuntimeError(f"min-cost flow failed: {status}")
        edge_arcs = np.asarray(arcs[n_d : n_d + graph.edges], dtype=np.int32)
        matched_edge = np.asarray(flow.flows(edge_arcs)) > 0
        objective = int(flow.optimal_cost())

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

    assignments = [
        Assignment(
            diner_id=int(graph.diner_ids[d]),
            cook_id=int(index.ids[c]),
            weekday=int(s // _MINUTES_PER_DAY),
            start=int(s % _MINUTES_PER_DAY),
            distance_m=float(dist),
            cost=int(cost),
        )
        for d, c, s, dist, cost in zip(
            p_diner,
            p_cook,
            graph.start[picked],
            graph.distance[picked],
            total,
            strict=True,
        )
    ]
    assigned = np.zeros(n_diners, dtype=np.bool_)
    assigned[p_diner] = True
    unmatched = [
        (int(graph.diner_ids[row]), _reason(int(graph.level[row])) or "no_capacity")
        for row in np.flatnonzero(~assigned)
    ]
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
        index.ids, np.fromiter((c.id for c in cooks), dtype=np.int64, count=len(cooks))
    ):
        raise ValueError("the index was built for other cooks")
    graph = batch_candidates(diners, index, max_radius_m=max_radius_m, prune_k=prune_k)
    return solve_batch(graph)
