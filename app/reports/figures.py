"""The arithmetic of the council's reports (pure: plain data in, plain data out).

Nothing here reads the clock or the database: ``now`` and ``today`` are arguments. Datetimes are
aware (UTC, as the database gives them back); dates are the council's local dates.
"""

from __future__ import annotations

import csv
import io
from collections import Counter, defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from statistics import median as _median
from zoneinfo import ZoneInfo

from app.geo.postcodes import InvalidPostcode, parse_postcode
from app.vocab import MealStatus

DAY = timedelta(days=1)
WEEK = timedelta(days=7)
UNKNOWN_DISTRICT = "unknown"
# A spreadsheet runs a cell that starts with one of these as a formula (CSV injection).
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


# --- ratios and averages ----------------------------------------------------------------------


def ratio(part: int, whole: int) -> float | None:
    """``part / whole`` as a fraction from 0 to 1; None when ``whole`` is 0 (nothing to divide)."""
    if not 0 <= part <= whole:
        raise ValueError(f"need 0 <= part <= whole, not {part} / {whole}")
    return part / whole if whole else None


def whole_days(start: datetime, end: datetime) -> int:
    """Whole days (24 hours each) completed from ``start`` to ``end``; 0 if ``end`` is earlier.
    Both are taken in UTC: Python subtracts two times of one zone by their wall clocks."""
    return max(0, (end.astimezone(UTC) - start.astimezone(UTC)) // DAY)


def median(values: Iterable[float]) -> float | None:
    """The median (the mean of the two middle values for an even count); None when empty."""
    items = list(values)
    return float(_median(items)) if items else None


def median_pairing_days(
    spans: Iterable[tuple[datetime, datetime | None]], *, now: datetime
) -> float | None:
    """Median over ``(accepted_at, ended_at)`` of the whole days each pairing lasted (to now if
    it has not ended); None when no pairing was ever accepted."""
    return median(whole_days(accepted, ended or now) for accepted, ended in spans)


def mean_distinct_cooks(pairs: Iterable[tuple[int, int]]) -> float | None:
    """Mean number of distinct cooks per diner over ``(diner_id, cook_id)`` of accepted
    pairings; None when there is none. 1.0 means no diner ever changed cook."""
    cooks: defaultdict[int, set[int]] = defaultdict(set)
    for diner_id, cook_id in pairs:
        cooks[diner_id].add(cook_id)
    if not cooks:
        return None
    return sum(len(c) for c in cooks.values()) / len(cooks)


# --- continuity that shows whether relationships last -----------------------------------------

CONTINUITY_WEEKS = 12  # the window of the main-cook share and the same-cook runs


def continuity_window(today: date) -> tuple[date, date]:
    """The first and last dates of the last ``CONTINUITY_WEEKS`` weeks: the 84 days ending
    today."""
    return today - (WEEK * CONTINUITY_WEEKS - DAY), today


def main_cook_share(cooks: Sequence[int]) -> float | None:
    """Of one diner's delivered meals (the cook of each), the share brought by their most
    frequent cook; None with no meal."""
    if not cooks:
        return None
    return Counter(cooks).most_common(1)[0][1] / len(cooks)


def same_cook_runs(cooks: Sequence[int]) -> list[int]:
    """The lengths of the runs of consecutive meals brought by one cook, in order
    (X X Y X -> [2, 1, 1])."""
    runs: list[int] = []
    previous: int | None = None
    for cook in cooks:
        if runs and cook == previous:
            runs[-1] += 1
        else:
            runs.append(1)
        previous = cook
    return runs


@dataclass(frozen=True, slots=True)
class Continuity:
    diners: int  # diners with at least one delivered meal in the window
    main_cook_share: float | None  # the mean over them of ``main_cook_share``
    median_run: float | None  # the median over every diner's ``same_cook_runs``


def continuity(meals_by_diner: Mapping[int, Sequence[int]]) -> Continuity:
    """Per diner, the cooks of their delivered meals in date order: the mean share of each
    diner's meals brought by their most frequent cook, and the median length of same-cook
    runs (all diners' runs together); None for both with no meal."""
    shares = [s for s in map(main_cook_share, meals_by_diner.values()) if s is not None]
    runs = [r for cooks in meals_by_diner.values() for r in same_cook_runs(cooks)]
    return Continuity(
        diners=len(shares),
        main_cook_share=sum(shares) / len(shares) if shares else None,
        median_run=median(runs),
    )


# --- the outcome survey -----------------------------------------------------------------------

FRIEND_WINDOW = timedelta(days=365)


def friend_share(answers: Iterable[tuple[int, datetime, bool]]) -> tuple[float | None, int]:
    """Over ``(diner_id, answered_at, considers_friend)``: each diner's latest answer counts
    once; the share of those diners whose cook is a friend, and how many diners answered.
    None while nobody has answered."""
    latest: dict[int, tuple[datetime, bool]] = {}
    for diner_id, at, friend in answers:
        if diner_id not in latest or at >= latest[diner_id][0]:
            latest[diner_id] = (at, friend)
    yes = sum(friend for _, friend in latest.values())
    return ratio(yes, len(latest)), len(latest)


# --- weeks ------------------------------------------------------------------------------------


def week_start(day: date) -> date:
    """The Monday of ``day``'s ISO week."""
    return day - timedelta(days=day.weekday())


def iso_week(monday: date) -> str:
    """The ISO week of a date, ``YYYY-Www`` (the ISO year, which may differ at new year)."""
    year, week, _ = monday.isocalendar()
    return f"{year}-W{week:02d}"


def recent_weeks(today: date, count: int) -> list[date]:
    """The Mondays of the last ``count`` ISO weeks, oldest first, ending with today's week."""
    if count < 1:
        raise ValueError("count must be at least 1")
    last = week_start(today)
    return [last - WEEK * (count - 1 - k) for k in range(count)]


def local_midnight(day: date, tz: ZoneInfo) -> datetime:
    """The moment (in UTC) the local day ``day`` begins in ``tz``."""
    return datetime.combine(day, time(0), tzinfo=tz).astimezone(UTC)


def local_date(moment: datetime, tz: ZoneInfo) -> date:
    return moment.astimezone(tz).date()


# --- waiting diners at a past moment ----------------------------------------------------------


@dataclass(frozen=True, slots=True)
class DinerHistory:
    """What the database still knows about a diner's past."""

    created_at: datetime
    left_at: datetime | None  # None: has not left (see ``left_since``)
    paused_from: date | None  # only the latest pause is stored
    paused_to: date | None
    accepted: tuple[tuple[datetime, datetime | None], ...] = ()  # (accepted_at, ended_at)
    # When an erasure request still to do first named them: held out of matching from then,
    # so not waiting for a cook (None: not held).
    held_from: datetime | None = None


def left_since(
    *, has_left: bool, created_at: datetime, accepted: Iterable[tuple[datetime, datetime | None]]
) -> datetime | None:
    """When a diner who has left left, approximately: no leaving time is stored, so the end of
    their last accepted pairing (exact when they left while matched, as leaving ends it), or
    their sign-up if no pairing was ever accepted. None for a diner who has not left."""
    if not has_left:
        return None
    return max((ended for _, ended in accepted if ended is not None), default=created_at)


def was_waiting(diner: DinerHistory, *, at: datetime, day: date) -> bool:
    """Waiting just before ``at`` (local date ``day``): signed up, not left, no accepted pairing
    running, not in the (latest) pause, and not held for an erasure."""
    if diner.created_at >= at:
        return False
    if diner.held_from is not None and diner.held_from < at:
        return False
    if diner.left_at is not None and diner.left_at < at:
        return False
    if any(a < at and (e is None or e >= at) for a, e in diner.accepted):
        return False
    paused = (
        diner.paused_from is not None
        and diner.paused_to is not None
        and diner.paused_from <= day <= diner.paused_to
    )
    return not paused


# --- weekly series ----------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class MealTally:
    """Meals of one local date and outcome: how many, and how many the regular cook brought."""

    day: date
    status: str  # delivered | missed (others are ignored)
    count: int
    regular: int


@dataclass(frozen=True, slots=True)
class WeekFigures:
    week_start: date
    meals_delivered: int
    meals_missed: int
    new_cooks: int
    waiting_diners: int
    continuity_rate: float | None

    @property
    def week(self) -> str:
        return iso_week(self.week_start)

    @property
    def week_end(self) -> date:
        return self.week_start + timedelta(days=6)


def week_cutoff(monday: date, *, tz: ZoneInfo, now: datetime, today: date) -> tuple[datetime, date]:
    """The moment a week's waiting diners are counted at, and its local date: the end of the
    week (the next local midnight, and its Sunday), or now and today for the week under way."""
    end = local_midnight(monday + WEEK, tz)
    if end > now:
        return now, today
    return end, monday + timedelta(days=6)


def weekly_figures(
    *,
    mondays: Sequence[date],
    tz: ZoneInfo,
    now: datetime,
    today: date,
    meals: Iterable[MealTally],
    cooks_created: Iterable[datetime],
    diners: Iterable[DinerHistory],
) -> list[WeekFigures]:
    """One ``WeekFigures`` per Monday in ``mondays`` (consecutive weeks, oldest first)."""
    weeks = set(mondays)
    delivered: Counter[date] = Counter()
    regular: Counter[date] = Counter()
    missed: Counter[date] = Counter()
    for tally in meals:
        monday = week_start(tally.day)
        if tally.status == MealStatus.delivered:
            delivered[monday] += tally.count
            regular[monday] += tally.regular
        elif tally.status == MealStatus.missed:
            missed[monday] += tally.count
    new_cooks = Counter(week_start(local_date(at, tz)) for at in cooks_created)
    cutoffs = {m: week_cutoff(m, tz=tz, now=now, today=today) for m in weeks}
    waiting: Counter[date] = Counter()
    last = max(at for at, _ in cutoffs.values()) if cutoffs else now
    for diner in diners:
        if diner.created_at >= last:
            continue
        for monday, (at, day) in cutoffs.items():
            waiting[monday] += int(was_waiting(diner, at=at, day=day))
    return [
        WeekFigures(
            week_start=m,
            meals_delivered=delivered[m],
            meals_missed=missed[m],
            new_cooks=new_cooks[m],
            waiting_diners=waiting[m],
            continuity_rate=ratio(regular[m], delivered[m]),
        )
        for m in mondays
    ]


# --- unmatched diners by district -------------------------------------------------------------


def district(postcode: str) -> str:
    """The postcode district ("N3" of "N3 1QX"), or ``unknown`` for a postcode that is gone."""
    try:
        return parse_postcode(postcode).district
    except InvalidPostcode:
        return UNKNOWN_DISTRICT


@dataclass(frozen=True, slots=True)
class UnmatchedGroup:
    district: str
    reason: str | None  # an unmatched_reason; None: a cook could be proposed now
    diners: int


def unmatched_groups(
    found: Iterable[tuple[str, str | None]], *, reasons: Sequence[str]
) -> list[UnmatchedGroup]:
    """``(district, reason)`` per diner, grouped; most diners first, then district, then the
    reasons' order (None last)."""
    rank = {r: k for k, r in enumerate(reasons)}
    counts = Counter(found)
    order = sorted(counts, key=lambda g: (-counts[g], g[0], rank.get(g[1] or "", len(rank))))
    return [UnmatchedGroup(d, r, counts[(d, r)]) for d, r in order]


# --- CSV --------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class CsvFile:
    filename: str
    text: str


def csv_cell(value: object) -> str:
    """A value as a CSV cell: None is empty; text a spreadsheet would run as a formula gets a
    leading quote (OWASP's advice against CSV injection)."""
    if value is None:
        return ""
    text = value.isoformat() if isinstance(value, date) else str(value)
    if isinstance(value, str) and text.startswith(FORMULA_STARTS):
        return "'" + text
    return text


def csv_text(header: Sequence[str], rows: Iterable[Sequence[object]]) -> str:
    """A header row and the rows, by Python's csv module (CRLF line ends, as RFC 4180 says)."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow([csv_cell(h) for h in header])
    writer.writerows([csv_cell(v) for v in row] for row in rows)
    return out.getvalue()
