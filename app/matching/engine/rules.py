"""The engine's plain data and hard rules: who may cook for whom, and at what cost (pure).

The rules and the cost model are described in the package's docstring (app/matching/engine).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache

from app.geo.distance import staff_distance_m
from app.matching.engine.reasons import DAYS, hhmm, label, labels, window_text
from app.matching.spatial import distance_m
from app.vocab import Allergen, Diet, Frequency, Texture, UnmatchedReason

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

UNMATCHED_REASONS: tuple[UnmatchedReason, ...] = tuple(UnmatchedReason)
"""The checks, in the order they are applied; the first that leaves no candidate is the reason."""

# The vocabularies, in their order (app/vocab.py defines them once).
DIETS: tuple[Diet, ...] = tuple(Diet)
ALLERGENS: tuple[Allergen, ...] = tuple(Allergen)
TEXTURES: tuple[Texture, ...] = tuple(Texture)
FREQUENCIES: tuple[Frequency, ...] = tuple(Frequency)


_MINUTES_PER_DAY = 1440


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
    unmatched_reason: UnmatchedReason | None


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
    unmatched: list[tuple[int, UnmatchedReason]]  # (diner_id, reason), by diner id
    objective: int  # total cost of the assignments (the solver's optimum)


# --- time -------------------------------------------------------------------------------------


@lru_cache(maxsize=65_536)
def normalise(windows: tuple[Window, ...]) -> tuple[Window, ...]:
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
    theirs = normalise(b)  # once, not once per window of ``a`` (each call hashes ``b``)
    for x in normalise(a):
        for y in theirs:
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


def _missing_time(cook: CookInput, diner: DinerInput) -> Violation | None:
    """The time rule broken, located at the field at fault (how often, else which day)."""
    if diner.frequency not in cook.frequencies:
        return Violation(
            "no_shared_time",
            "frequency",
            f"cook {cook.id} does not offer {label(diner.frequency)} meals",
        )
    if not shared_windows(cook, diner):
        return Violation(
            "no_shared_time",
            "weekday",
            f"cook {cook.id} and the diner share no free window of {MIN_OVERLAP_MIN} minutes",
        )
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
    if time_problem := _missing_time(cook, diner):
        found.append(time_problem)
    if missing := diner.diets - cook.diets:
        found.append(
            Violation("diet_unmet", "diets", f"cook {cook.id} does not cook {labels(missing)}")
        )
    if diner.texture not in cook.textures:
        found.append(
            Violation(
                "texture_unmet",
                "texture",
                f"cook {cook.id} cannot make {label(diner.texture)} food",
            )
        )
    if missing := diner.allergies - cook.allergen_free:
        found.append(
            Violation(
                "allergen_unsafe",
                "allergies",
                f"cook {cook.id} cannot cook free from {labels(missing)}",
            )
        )
    if cook.id in diner.excluded:
        found.append(
            Violation("excluded_pair", "cook_id", f"cook {cook.id} is excluded for this diner")
        )
    return found


# The hard rules about the diner's safety (not capacity, vetting or time), in words.
SAFETY_RULES = {
    "allergen_unsafe": "an allergy the cook cannot cook free from",
    "diet_unmet": "a diet the cook does not cook",
    "texture_unmet": "a texture the cook cannot make",
    "out_of_reach": "an address beyond the cook's walk",
}


def safety_gaps(cook: CookInput, diner: DinerInput, *, max_radius_m: float) -> set[tuple[str, str]]:
    """What of the diner's needs the cook does not meet, need by need: (rule, the need) for
    each allergen and diet, the texture, and ("out_of_reach", "") for the walk. Comparing two
    of these sees a danger added to one already there (peanuts dropped by a cook who never
    cooked milk-free), which comparing the rules' names would not."""
    gaps = {("allergen_unsafe", str(a)) for a in diner.allergies - cook.allergen_free}
    gaps |= {("diet_unmet", str(d)) for d in diner.diets - cook.diets}
    if diner.texture not in cook.textures:
        gaps.add(("texture_unmet", str(diner.texture)))
    if not distance_m(cook.lat, cook.lon, diner.lat, diner.lon) <= _effective_radius(
        cook, max_radius_m
    ):
        gaps.add(("out_of_reach", ""))
    return gaps


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
            "no_shared_time", "weekday", f"cook and diner are not both free on {DAYS[weekday]}"
        )
    for w in same_day:
        if w.start <= start_minute and start_minute + MIN_OVERLAP_MIN <= w.end:
            return None
    free = ", ".join(window_text(w) for w in same_day)
    return Violation(
        "no_shared_time",
        "start",
        f"{hhmm(start_minute)} does not leave {MIN_OVERLAP_MIN} shared minutes (both free {free})",
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


def unmatched_reason(level: int) -> UnmatchedReason | None:
    """The first check that left a diner without candidates (None: it has some)."""
    return UNMATCHED_REASONS[level] if level < len(UNMATCHED_REASONS) else None
