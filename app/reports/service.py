"""What the council sees: figures for the staff member's own council, and their CSV files.

Every figure counts only the staff member's council, and is all-time unless it says otherwise.

Summary (``GET /api/staff/reports/summary``):

- ``approved_cooks`` / ``pending_cooks``: cooks whose status is now ``approved`` / ``pending``.
- ``waiting_diners``: diners whose public status is now ``waiting`` (not matched, not left, and
  today not within their pause).
- ``active_pairings``: pairings whose status is ``active`` (a paused pairing is not counted).
- ``meals_delivered`` / ``meals_missed``: meals with that outcome.
- ``continuity_rate``: of the delivered meals, the share brought by the diner's regular cook
  (``meal.cook_id`` is the pairing's ``cook_id``, i.e. not a cover): a fraction from 0 to 1, not
  rounded; ``null`` with no delivered meal.
- ``median_pairing_days``: over the pairings that were ever accepted, the median of the whole
  days (24-hour periods completed, rounded down) from ``accepted_at`` to ``ended_at``, or to now
  for a pairing still running. Each length is a whole number; the median of an even count is
  the mean of the middle two, so the figure is a float such as ``13.0`` or ``13.5``. ``null``
  with no accepted pairing.
- ``regular_cooks_per_diner`` (cook changes): over the diners who ever had an accepted pairing,
  the mean number of distinct cooks of those pairings. ``1.0`` means nobody changed cook; each
  change adds to it (``cook changes per diner = regular_cooks_per_diner - 1``). ``null`` when
  no pairing was ever accepted.

Weekly (``GET /api/staff/reports/weekly?weeks=N``, 1 to 104, default 12): the last N ISO weeks
(Monday to Sunday in the council's time zone), oldest first, ending with the current week.

- ``meals_delivered`` / ``meals_missed`` / ``continuity_rate``: as above, for the meals whose
  (local) date falls in the week.
- ``new_cooks``: cooks who signed up in the week (``created_at``, any status now).
- ``waiting_diners``: diners waiting at the end of the week (the next local midnight; for the
  current week, now). The history is rebuilt from what is stored, so it is approximate:
  signed up before then; not matched then (no pairing accepted before then and not ended before
  then: exact, from the pairings); not left then, where a diner who has left is taken to have
  left when their last accepted pairing ended (exact for a diner who left while matched, as
  leaving ends the pairing), or, with no accepted pairing, at sign-up (such a diner is never
  counted); and not paused on the week's Sunday (today for the current week), where only the
  latest pause is stored, so earlier pauses are not seen. For the current week this equals the
  summary's ``waiting_diners``.

Unmatched (``GET /api/staff/reports/unmatched``): the diners waiting now with no open
(proposed, active or paused) pairing, grouped by postcode district and by the matching engine's
``unmatched_reason`` (as the staff suggestions compute it, against all the council's approved
cooks): where to recruit cooks, and which kind. ``reason`` is ``null`` for a diner a cook could
be proposed to now (run matching). Most diners first, then district, then the reasons' order.
"""

from __future__ import annotations

import re
from datetime import datetime
from zoneinfo import ZoneInfo

from sqlalchemy import ColumnElement, and_, case, not_
from sqlalchemy.orm import Mapped
from sqlmodel import Session, col, func, select

from app.councils.rules import council_today
from app.councils.service import staff_council
from app.diners.rules import public_status
from app.matching import engine
from app.matching.inputs import cook_inputs, diner_input, history, unpaired_waiting_diners
from app.models import Cook, Council, Diner, Meal, Pairing, User
from app.reports import figures
from app.reports.figures import CsvFile, DinerHistory, MealTally
from app.reports.schemas import MapOut, MapPoint, SummaryOut, UnmatchedOut, WeeklyOut, WeekOut
from app.schemas import Page
from app.vocab import CookStatus, DinerStatus, MealStatus, PairingStatus

WEEKS_DEFAULT = 12
WEEKS_MAX = 104

_regular = case((col(Meal.cook_id) == col(Pairing.cook_id), 1), else_=0)


def _count_by_status(
    session: Session, status: Mapped[str], where: ColumnElement[bool]
) -> dict[str, int]:
    rows = session.exec(select(status, func.count()).where(where).group_by(status)).all()
    return {s: n for s, n in rows}


def summarise_council(session: Session, *, staff: User, now: datetime) -> SummaryOut:
    """The all-time summary of the staff member's council."""
    council = staff_council(session, staff)
    assert council.id is not None
    today = council_today(council, now)
    cooks = _count_by_status(session, col(Cook.status), col(Cook.council_id) == council.id)
    meals = _count_by_status(session, col(Meal.status), col(Meal.council_id) == council.id)
    pairings = _count_by_status(session, col(Pairing.status), col(Pairing.council_id) == council.id)
    paused_today = and_(
        col(Diner.paused_from).is_not(None),
        col(Diner.paused_to).is_not(None),
        col(Diner.paused_from) <= today,
        col(Diner.paused_to) >= today,
    )
    waiting = session.exec(
        select(func.count()).where(
            Diner.council_id == council.id,
            Diner.status == DinerStatus.waiting,
            not_(paused_today),
        )
    ).one()
    delivered, regular = session.exec(
        select(func.count(), func.coalesce(func.sum(_regular), 0))
        .select_from(Meal)
        .join(Pairing, col(Pairing.id) == col(Meal.pairing_id))
        .where(Meal.council_id == council.id, Meal.status == MealStatus.delivered)
    ).one()
    accepted = _accepted_pairings(session, council_id=council.id)
    return SummaryOut(
        approved_cooks=cooks.get(CookStatus.approved, 0),
        pending_cooks=cooks.get(CookStatus.pending, 0),
        waiting_diners=waiting,
        active_pairings=pairings.get(PairingStatus.active, 0),
        meals_delivered=meals.get(MealStatus.delivered, 0),
        meals_missed=meals.get(MealStatus.missed, 0),
        continuity_rate=figures.ratio(int(regular), int(delivered)),
        median_pairing_days=figures.median_pairing_days(
            ((a, e) for _, _, a, e in accepted), now=now
        ),
        regular_cooks_per_diner=figures.mean_distinct_cooks((d, c) for d, c, _, _ in accepted),
    )


def _accepted_pairings(
    session: Session, *, council_id: int
) -> list[tuple[int, int, datetime, datetime | None]]:
    """(diner_id, cook_id, accepted_at, ended_at) of every pairing that was ever accepted."""
    rows = session.exec(
        select(Pairing.diner_id, Pairing.cook_id, Pairing.accepted_at, Pairing.ended_at).where(
            Pairing.council_id == council_id, col(Pairing.accepted_at).is_not(None)
        )
    ).all()
    return [(d, c, a, e) for d, c, a, e in rows if a is not None]


def weekly_council(session: Session, *, staff: User, weeks: int, now: datetime) -> WeeklyOut:
    """The council's figures for each of the last ``weeks`` ISO weeks, oldest first."""
    council = staff_council(session, staff)
    assert council.id is not None
    tz = ZoneInfo(council.timezone)
    today = council_today(council, now)
    mondays = figures.recent_weeks(today, weeks)
    first, last_day = mondays[0], mondays[-1] + figures.WEEK - figures.DAY
    meal_rows = session.exec(
        select(col(Meal.date), col(Meal.status), func.count(), func.coalesce(func.sum(_regular), 0))
        .select_from(Meal)
        .join(Pairing, col(Pairing.id) == col(Meal.pairing_id))
        .where(
            Meal.council_id == council.id,
            col(Meal.status).in_((MealStatus.delivered, MealStatus.missed)),
            col(Meal.date) >= first,
            col(Meal.date) <= last_day,
        )
        .group_by(col(Meal.date), col(Meal.status))
    ).all()
    cooks_created = session.exec(
        select(Cook.created_at).where(
            Cook.council_id == council.id,
            col(Cook.created_at) >= figures.local_midnight(first, tz),
            col(Cook.created_at) < now,
        )
    ).all()
    series = figures.weekly_figures(
        mondays=mondays,
        tz=tz,
        now=now,
        today=today,
        meals=[MealTally(d, s, n, int(r)) for d, s, n, r in meal_rows],
        cooks_created=cooks_created,
        diners=_diner_histories(session, council_id=council.id, now=now),
    )
    items = [
        WeekOut(
            week=w.week,
            week_start=w.week_start,
            week_end=w.week_end,
            meals_delivered=w.meals_delivered,
            meals_missed=w.meals_missed,
            new_cooks=w.new_cooks,
            waiting_diners=w.waiting_diners,
            continuity_rate=w.continuity_rate,
        )
        for w in series
    ]
    return WeeklyOut(items=items, total=len(items))


def _diner_histories(session: Session, *, council_id: int, now: datetime) -> list[DinerHistory]:
    accepted: dict[int, list[tuple[datetime, datetime | None]]] = {}
    for diner_id, _, accepted_at, ended_at in _accepted_pairings(session, council_id=council_id):
        accepted.setdefault(diner_id, []).append((accepted_at, ended_at))
    diners = session.exec(
        select(Diner).where(Diner.council_id == council_id, col(Diner.created_at) < now)
    ).all()
    histories = []
    for d in diners:
        spans = tuple(accepted.get(d.id or 0, ()))
        histories.append(
            DinerHistory(
                created_at=d.created_at,
                left_at=figures.left_since(
                    has_left=d.status == DinerStatus.left, created_at=d.created_at, accepted=spans
                ),
                paused_from=d.paused_from,
                paused_to=d.paused_to,
                accepted=spans,
            )
        )
    return histories


def list_unmatched(
    session: Session, *, staff: User, now: datetime, limit: int, offset: int
) -> Page[UnmatchedOut]:
    """A page of ``unmatched_by_district``; ``total`` counts its rows (district and reason)."""
    groups = unmatched_by_district(session, staff=staff, now=now)
    return Page(items=groups[offset : offset + limit], total=len(groups))


def unmatched_by_district(session: Session, *, staff: User, now: datetime) -> list[UnmatchedOut]:
    """Waiting diners with no open pairing, by postcode district and why no cook fits."""
    council = staff_council(session, staff)
    today = council_today(council, now)
    diners = unpaired_waiting_diners(session, council=council, today=today)
    cooks, _ = cook_inputs(session, council=council, today=today)
    index = engine.CookIndex(cooks)
    excluded, met = history(session, [d.id for d in diners if d.id is not None])
    found = []
    for d in diners:
        target = diner_input(d, excluded=excluded[d.id or 0], met=met[d.id or 0])
        result = engine.suggest(target, index, max_radius_m=council.max_walk_radius_m, limit=1)
        found.append((figures.district(d.postcode), result.unmatched_reason))
    return [
        UnmatchedOut(district=g.district, reason=g.reason, diners=g.diners)
        for g in figures.unmatched_groups(found, reasons=engine.UNMATCHED_REASONS)
    ]


# --- CSV files --------------------------------------------------------------------------------


def _filename(council: Council, report: str, now: datetime) -> str:
    slug = re.sub(r"[^a-z0-9-]+", "-", council.slug.lower()).strip("-") or "council"
    return f"extra-portion-{slug}-{report}-{council_today(council, now).isoformat()}.csv"


def summary_csv(session: Session, *, staff: User, now: datetime) -> CsvFile:
    """The summary as a CSV file: a header row of the figures' names and one row of values."""
    summary = summarise_council(session, staff=staff, now=now)
    values = summary.model_dump()
    return CsvFile(
        _filename(staff_council(session, staff), "summary", now),
        figures.csv_text(list(values), [list(values.values())]),
    )


def weekly_csv(session: Session, *, staff: User, weeks: int, now: datetime) -> CsvFile:
    """The weekly series as a CSV file, one row per week, oldest first."""
    series = weekly_council(session, staff=staff, weeks=weeks, now=now)
    header = list(WeekOut.model_fields)
    rows = [[getattr(w, f) for f in header] for w in series.items]
    return CsvFile(
        _filename(staff_council(session, staff), "weekly", now), figures.csv_text(header, rows)
    )


def unmatched_csv(session: Session, *, staff: User, now: datetime) -> CsvFile:
    """Unmatched waiting diners by district and reason as a CSV file (every row)."""
    groups = unmatched_by_district(session, staff=staff, now=now)
    header = list(UnmatchedOut.model_fields)
    rows = [[getattr(g, f) for f in header] for g in groups]
    return CsvFile(
        _filename(staff_council(session, staff), "unmatched", now), figures.csv_text(header, rows)
    )


MAP_DECIMALS = 3  # 0.001° of latitude is about 111 m


def council_map(session: Session, *, staff: User, now: datetime) -> MapOut:
    """Where the council's approved cooks and waiting diners are, rounded to about 100 m."""
    council = staff_council(session, staff)
    today = council_today(council, now)

    def point(lat: float, lon: float) -> MapPoint:
        return MapPoint(latitude=round(lat, MAP_DECIMALS), longitude=round(lon, MAP_DECIMALS))

    cooks = session.exec(
        select(Cook.latitude, Cook.longitude).where(
            Cook.council_id == council.id, Cook.status == CookStatus.approved
        )
    ).all()
    diners = session.exec(
        select(Diner).where(Diner.council_id == council.id, Diner.status == DinerStatus.waiting)
    ).all()
    return MapOut(
        cooks=[point(lat, lon) for lat, lon in cooks],
        waiting_diners=[
            point(d.latitude, d.longitude)
            for d in diners
            if public_status(d, today) == DinerStatus.waiting
        ],
    )
