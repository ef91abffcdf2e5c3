"""Cooks prepared for matching (a k-d tree plus bitmask columns), and one diner's suggestions
(pure, vectorised with numpy: imported on first use)."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from itertools import chain, repeat
from operator import attrgetter
from typing import TYPE_CHECKING, Any

from app.lazy_import import LazyModule
from app.matching.engine.reasons import suggestion_reasons
from app.matching.engine.rules import (
    ALLERGENS,
    DIETS,
    FREQUENCIES,
    LOAD_STEP_COST,
    MIN_OVERLAP_MIN,
    NOT_MET_COST,
    OVERLAP_COST_PER_MIN,
    OVERLAP_TARGET_MIN,
    SCORE_SCALE,
    TEXTURES,
    CookInput,
    DinerInput,
    Suggestion,
    Suggestions,
    Window,
    normalise,
    shared_windows,
    unmatched_reason,
)
from app.matching.spatial import PointIndex, haversine_m

DAY_STRIDE = 2_048  # week-minute = weekday * DAY_STRIDE + minute: days never touch
_PERSON_STRIDE = 7 * DAY_STRIDE
_KEY_SHIFT = 16_384  # > any week-minute: packs (overlap, -start) into one sortable integer
_RIM_M = 0.01  # pairs this close to a radius are settled by haversine_m, not the chord
_UNKNOWN_BIT = 1 << 63  # a need no cook can meet (a code outside the index's vocabulary)
_PAIR_CHUNK_CELLS = 4_000_000  # bounds the (pairs x cook windows x diner windows) work arrays
_RADIUS_BAND_M = 500  # cooks are queried in groups of similar walking radius


if TYPE_CHECKING:
    import numpy as np
    import numpy.typing as npt

    IntArray = npt.NDArray[np.int64]
    BoolArray = npt.NDArray[np.bool_]
    FloatArray = npt.NDArray[np.float64]
else:
    np = LazyModule("numpy", globals(), "np")  # imported on first use: not at start-up


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

    Week-minutes put each weekday ``DAY_STRIDE`` apart, so windows of different days never
    touch; a person's windows that overlap or touch on one day merge, and merged windows under
    30 minutes are dropped (as ``normalise`` does). Padding is (0, 0): it overlaps nothing.
    """
    n = len(windows_per_person)
    counts = np.fromiter(map(len, windows_per_person), dtype=np.int64, count=n)
    flat = list(chain.from_iterable(windows_per_person))
    total = len(flat)
    weekday = np.fromiter(map(_get_weekday, flat), dtype=np.int64, count=total)
    begin = np.fromiter(map(_get_start, flat), dtype=np.int64, count=total)
    finish = np.fromiter(map(_get_end, flat), dtype=np.int64, count=total)
    base = np.repeat(np.arange(n, dtype=np.int64), counts) * _PERSON_STRIDE + weekday * DAY_STRIDE
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
    np.bitwise_or.at(days, who, np.left_shift(1, (lo - who * _PERSON_STRIDE) // DAY_STRIDE))
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
class DinerTable:
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
    def build(cls, diners: Sequence[DinerInput], index: CookIndex) -> DinerTable:
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
    def one(cls, diner: DinerInput, index: CookIndex) -> DinerTable:
        """The same columns for a single diner, built without the bulk machinery."""
        windows = normalise(diner.windows)
        width = max(1, len(windows))
        starts = np.zeros((1, width), dtype=np.int32)
        ends = np.zeros((1, width), dtype=np.int32)
        starts[0, : len(windows)] = [w.weekday * DAY_STRIDE + w.start for w in windows]
        ends[0, : len(windows)] = [w.weekday * DAY_STRIDE + w.end for w in windows]
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
class Assessed:
    """The rules applied to (diner row, cook row) pairs."""

    level: IntArray  # per diner of the block: how many checks leave a candidate (6 = matchable)
    diner: IntArray  # candidate pairs (all rules hold) ...
    cook: IntArray
    distance: FloatArray  # haversine metres
    cost: IntArray  # pair cost without load
    start: IntArray  # week-minute of the chosen slot
    met: BoolArray


def assess(
    index: CookIndex,
    diners: DinerTable,
    rows: IntArray,
    local: IntArray,
    crow: IntArray,
    dist: FloatArray,
    max_radius_m: float,
    *,
    exact: bool,
) -> Assessed:
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
    return Assessed(
        level=level, diner=drow, cook=crow, distance=dist, cost=cost, start=start, met=met
    )


def assess_one(
    index: CookIndex, diner: DinerTable, crow: IntArray, dist: FloatArray, max_radius_m: float
) -> tuple[Assessed, IntArray]:
    """``assess`` for one diner (``diner`` holds a single row) and the cooks ``crow`` at the
    exact haversine distances ``dist``: the same answer, reached with a few whole-array steps
    instead of narrowing the pairs check by check (a suggestion looks at a few hundred cooks,
    where numpy's cost per call, not per element, is what counts); and the cook rows that pass
    the first two checks (in reach, a shared time).

    Every check is computed for every cook; a check's level counts when some cook passes it
    and all the checks before it, as ``assess``'s narrowing does.
    """
    passed = (dist <= np.minimum(index.radius[crow], max_radius_m)) & index.matchable[crow]
    if len(diner.excluded):
        passed &= ~_member(crow, diner.excluded)  # pair keys of row 0: the cook rows
    level = int(passed.any())
    shared = ((index.days[crow] & diner.days[0]) != 0) & (
        (index.frequencies[crow] & diner.frequency[0]) != 0
    )
    passed &= shared
    overlap, start = _best_overlap_with(
        index.win_starts[crow], index.win_ends[crow], diner.win_starts[0], diner.win_ends[0]
    )
    passed &= overlap >= MIN_OVERLAP_MIN
    level += bool(passed.any())
    timely = crow[passed]
    for ok in (
        (diner.diets[0] & ~index.diets[crow]) == 0,
        (diner.allergies[0] & ~index.allergen_free[crow]) == 0,
        (diner.texture[0] & index.textures[crow]) != 0,
        index.spare[crow] > 0,
    ):
        passed &= ok
        level += bool(passed.any())
    keep = np.flatnonzero(passed)
    crow, dist, overlap, start = crow[keep], dist[keep], overlap[keep], start[keep]
    met = _member(crow, diner.met) if len(diner.met) else np.zeros(len(crow), dtype=np.bool_)
    cost = np.rint(dist).astype(np.int64)
    cost += OVERLAP_COST_PER_MIN * (OVERLAP_TARGET_MIN - np.minimum(overlap, OVERLAP_TARGET_MIN))
    cost += np.where(met, 0, NOT_MET_COST)
    assessed = Assessed(
        level=np.array([level], dtype=np.int64),
        diner=np.zeros(len(crow), dtype=np.int64),
        cook=crow,
        distance=dist,
        cost=cost,
        start=start,
        met=met,
    )
    return assessed, timely


def _best_overlap_with(
    cook_starts: npt.NDArray[np.int32],
    cook_ends: npt.NDArray[np.int32],
    diner_starts: npt.NDArray[np.int32],
    diner_ends: npt.NDArray[np.int32],
) -> tuple[IntArray, IntArray]:
    """``_best_overlap`` of each cook's windows (rows) with one diner's windows (1-D)."""
    n = len(cook_starts)
    if n == 0:
        return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.int64)
    lo = np.maximum(cook_starts[:, :, None], diner_starts[None, None, :])
    length = np.minimum(cook_ends[:, :, None], diner_ends[None, None, :]) - lo
    key = np.where(length >= MIN_OVERLAP_MIN, length * _KEY_SHIFT - lo, -1)
    best = key.reshape(n, -1).max(axis=1).astype(np.int64)
    found = best >= 0
    overlap = np.where(found, -(-best // _KEY_SHIFT), 0)
    return overlap, np.where(found, overlap * _KEY_SHIFT - best, 0)


# --- suggestions ------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Ranking:
    """One diner's safe cooks in reach, best first: ``suggest`` before its reasons are written
    (building a suggestion's slots and reasons costs more than ranking a cook)."""

    diner: DinerInput
    index: CookIndex
    assessed: Assessed
    cost: IntArray  # with the cook's load
    order: IntArray  # positions in ``assessed``, best first
    timely: IntArray  # the cook rows in reach who share a time with the diner, safe or not

    @property
    def cook_ids(self) -> list[int]:
        """Every safe cook in reach, best first."""
        return [int(i) for i in self.index.ids[self.assessed.cook[self.order]]]

    @property
    def timely_ids(self) -> list[int]:
        """The cooks in reach who share a time with the diner (the first two checks), whatever
        the later checks say of them."""
        return [int(i) for i in self.index.ids[self.timely]]

    def suggestions(self, limit: int = 10) -> Suggestions:
        """The best ``limit`` of them with their reasons; or why there is none."""
        if limit < 1:
            raise ValueError("limit must be at least 1")
        assessed, diner = self.assessed, self.diner
        if len(assessed.cook) == 0:
            return Suggestions(items=[], unmatched_reason=unmatched_reason(int(assessed.level[0])))
        items = []
        for k in self.order[:limit]:
            cook = self.index.cooks[int(assessed.cook[k])]
            met = bool(assessed.met[k])
            rest = int(self.cost[k]) - (0 if met else NOT_MET_COST)
            slots = shared_windows(cook, diner)
            items.append(
                Suggestion(
                    cook_id=cook.id,
                    distance_m=float(assessed.distance[k]),
                    score=(1.0 if met else 0.0) + SCORE_SCALE / (SCORE_SCALE + max(rest, 0)),
                    slots=slots,
                    reasons=suggestion_reasons(
                        cook, diner, float(assessed.distance[k]), met, slots
                    ),
                )
            )
        return Suggestions(items=items, unmatched_reason=None)


def rank(diner: DinerInput, index: CookIndex, *, max_radius_m: float) -> Ranking:
    """Every cook who may cook for ``diner``, ranked by cost (with the cook's load; ties by
    cook id)."""
    crow, dist = index.points.ball(diner.lat, diner.lon, index.query_radius(max_radius_m))
    crow = crow.astype(np.int64, copy=False)
    table = DinerTable.one(diner, index)
    assessed, timely = assess_one(index, table, crow, dist, float(max_radius_m))
    cost = assessed.cost + LOAD_STEP_COST * index.load[assessed.cook]
    order = np.lexsort((index.ids[assessed.cook], cost))
    return Ranking(
        diner=diner, index=index, assessed=assessed, cost=cost, order=order, timely=timely
    )


def suggest(
    diner: DinerInput, index: CookIndex, *, max_radius_m: float, limit: int = 10
) -> Suggestions:
    """The best ``limit`` cooks for one diner, best first, with reasons; or why there is none."""
    if limit < 1:
        raise ValueError("limit must be at least 1")
    return rank(diner, index, max_radius_m=max_radius_m).suggestions(limit)
