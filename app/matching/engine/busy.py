"""A cook's booked meal times, and what they leave free: a cook is not at two homes within
``CLASH_MINUTES`` (cover and a staff move already asked this; an outside check found
suggestions, the batch and the next best after a decline booking one cook at two doors at
17:00 on the same Tuesday).

A booked time is (weekday, start in minutes) of one of the cook's open pairings. A new meal at
``t`` clashes with a booked ``s`` on the same weekday when ``|t - s| < CLASH_MINUTES``, whatever
either pairing's frequency (a fortnightly and a weekly meal meet every other week).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import replace

from app.matching.engine.rules import MIN_OVERLAP_MIN, Assignment, CookInput, Window

CLASH_MINUTES = 90

Booked = tuple[int, int]  # (weekday, start minute)


def clashes(weekday: int, start: int, booked: Iterable[Booked]) -> Booked | None:
    """The booked time a meal at ``weekday``/``start`` would clash with, or None."""
    for day, at in booked:
        if day == weekday and abs(at - start) < CLASH_MINUTES:
            return day, at
    return None


def free_windows(windows: Sequence[Window], booked: Iterable[Booked]) -> tuple[Window, ...]:
    """The windows with every start that would clash taken out: a meal at ``t`` needs
    ``MIN_OVERLAP_MIN`` minutes of the window from ``t``, so before a booked ``s`` a window
    ends at ``s - CLASH_MINUTES + MIN_OVERLAP_MIN`` and after it starts at ``s + CLASH_MINUTES``.
    Pieces shorter than ``MIN_OVERLAP_MIN`` go."""
    out = list(windows)
    for day, at in booked:
        kept = []
        for w in out:
            if w.weekday != day:
                kept.append(w)
                continue
            before = min(w.end, at - CLASH_MINUTES + MIN_OVERLAP_MIN)
            if before - w.start >= MIN_OVERLAP_MIN:
                kept.append(Window(day, w.start, before))
            after = max(w.start, at + CLASH_MINUTES)
            if w.end - after >= MIN_OVERLAP_MIN:
                kept.append(Window(day, after, w.end))
        out = kept
    return tuple(out)


def without_booked(cooks: list[CookInput], booked: dict[int, list[Booked]]) -> list[CookInput]:
    """The same cooks, each without the windows their booked meals leave no room in. A cook
    with no place left keeps them: they are ruled out for that, and "no place left" is what
    staff should read, not "no shared time"."""
    return [
        replace(c, windows=free_windows(c.windows, booked[c.id]))
        if c.spare > 0 and booked.get(c.id)
        else c
        for c in cooks
    ]


def apart(
    assignments: list[Assignment],
    shared: Callable[[int, int], list[Window]],
    booked: dict[int, list[Booked]],
) -> tuple[list[Assignment], list[int]]:
    """A batch's assignments with no two of one cook's new meals clashing: each cook's later
    assignment (by diner id) moves to the earliest start of the pair's ``shared(cook, diner)``
    windows clear of the cook's booked and earlier new times, or, with none,
    is dropped (its diner returned, to be reported unmatched). The solver knew each cook's
    free windows, not that two diners may share the same minutes of them."""
    taken: dict[int, list[Booked]] = {}
    kept: list[Assignment] = []
    dropped: list[int] = []
    for a in sorted(assignments, key=lambda a: a.diner_id):
        mine = taken.setdefault(a.cook_id, list(booked.get(a.cook_id, ())))
        start: int | None = a.start
        if clashes(a.weekday, a.start, mine):
            start = _earliest_clear(shared(a.cook_id, a.diner_id), mine, a.weekday)
        if start is None:
            dropped.append(a.diner_id)
            continue
        mine.append((a.weekday, start))
        kept.append(a if start == a.start else replace(a, start=start))
    return kept, dropped


def _earliest_clear(windows: list[Window], booked: list[Booked], weekday: int) -> int | None:
    for w in free_windows([w for w in windows if w.weekday == weekday], booked):
        return w.start
    return None
