"""What needs doing today in a council: the staff home's counts (``todays_counts``, a handful
of COUNT queries) and the short lists shown under them (``todays_lists``). Every figure is the
staff member's council only; "today" is the council's date at ``now``.

Each count and where the home page links it (the list pages' filter names, agreed with them):

- ``cooks_pending``: cooks whose status is ``pending`` (waiting for checks); ``pending_days``
  how long the longest has waited since sending their profile.
  → ``/staff/cooks?status=pending&sort=oldest``
- ``checks_expiring``: approved cooks whose DBS check runs out within ``EXPIRING_DAYS`` (30)
  days, or has run out (``dbs_checked_on + council.dbs_recheck_days <= today + 30``, as the
  cooks list's ``checks=expiring`` filter); ``checks_run_out`` of them already have.
  → ``/staff/cooks?status=approved&checks=expiring``
- ``location_review``: cooks flagged for a location review (they moved: ``Cook.location_review``,
  cleared by staff's "confirm location"). → ``/staff/cooks?location=review``
- ``diners_waiting``: ``app.reports.service.waiting_diners``, the one meaning of "waiting"
  every figure uses. → ``/staff/diners?status=waiting&sort=longest``
- ``concerns_open`` (status ``open``: nobody has looked yet), ``concerns_serious`` and
  ``concerns_week_old`` among them (raised as serious; raised ``CONCERN_OLD_DAYS`` (7) or more
  days ago), ``concern_oldest_days``; ``concerns_investigating`` (status ``investigating``).
  → ``/staff/concerns?status=open`` and ``/staff/concerns?status=investigating`` (the list
  puts serious ones first, then the oldest).
- ``invitations_unanswered``: proposed pairings the cook has not answered for more than
  ``INVITATION_DAYS`` (3) days (``proposed_at`` before ``now`` less 72 hours).
- ``cover_needed``: meals still needing a cover cook dated today or in the next 6 days (the
  next 7 days, today included) whose time has not come: one whose time has passed can no
  longer be covered (its cover page says so), and was listed here until the job recorded it.
- ``missed_this_week``: meals missed dated this week (Monday to today): recorded as missed, or
  still needing cover when their time came (``jobs.miss_uncovered`` records them missed on
  its next run; a coordinator sees them as what they are at once, to follow up).
- ``pairings_quiet``: active pairings with no delivered meal for more than twice their
  interval (``INTERVAL_DAYS``: 7 days weekly, 14 fortnightly, 31 monthly), counted from their
  last delivered meal, or from their acceptance when none was delivered yet.

The last four link to the home page's own sections (``todays_lists``): the rows behind each
count, most urgent first, each naming the diner and the cook by full name (a cook who has since
moved to another council marked so: their record is that council's, a 404 here).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import ColumnElement, and_, case, func, or_
from sqlalchemy import select as select_row
from sqlmodel import Session, col, select

from app.councils.rules import council_today
from app.models import Concern, Cook, Council, Diner, Meal, Pairing, User
from app.moderation.search import EXPIRING_WITHIN_DAYS
from app.reports.service import waiting_diners
from app.vocab import (
    SAFETY_PAUSES,
    ConcernStatus,
    CookStatus,
    MealStatus,
    PairingStatus,
)

EXPIRING_DAYS = EXPIRING_WITHIN_DAYS  # the cooks list's `checks=expiring` window: one number
INVITATION_DAYS = 3
COVER_DAYS = 7
CONCERN_OLD_DAYS = 7
INTERVAL_DAYS = {"weekly": 7, "fortnightly": 14, "monthly": 31}
LIST_LIMIT = 20  # rows shown per section of the home page (the count says how many in all)


@dataclass(frozen=True)
class TodayCounts:
    cooks_pending: int
    pending_days: int | None  # the longest wait for checks, in whole days
    checks_expiring: int
    checks_run_out: int
    location_review: int
    diners_waiting: int
    invitations_unanswered: int
    cover_needed: int
    missed_this_week: int
    concerns_open: int
    concerns_serious: int
    concerns_week_old: int
    concern_oldest_days: int | None
    concerns_investigating: int
    pairings_quiet: int
    pairings_paused_for_safety: int


@dataclass(frozen=True)
class PairRow:
    """A diner and a cook, with the date the row is about and how many days ago it was."""

    diner_id: int
    diner_name: str
    cook_id: int | None
    cook_name: str | None
    day: date | None
    days: int | None = None
    start: str | None = None
    why: str | None = None  # a paused pairing's pause reason
    meal_id: int | None = None  # a meal's row: its cover page links to it
    uncovered: bool = False  # a missed meal nobody was down to bring: cook is the regular one, away
    cook_elsewhere: bool = False  # the cook now volunteers with another council: named, no link


@dataclass(frozen=True)
class TodayLists:
    invitations: list[PairRow]  # day: proposed on; days: since; oldest first
    quiet: list[PairRow]  # day: last delivered meal (None: none yet); days: since; longest first
    cover: list[PairRow]  # day and start: the meal; cook: the regular cook; soonest first
    missed: list[PairRow]  # day and start: the meal; cook: who was to bring it (or, uncovered,
    # the regular cook who was away); latest first
    paused: list[PairRow]  # paused for safety (needs or offer changed); day: None; oldest first


def _count_if(condition: ColumnElement[bool]) -> Any:
    return func.coalesce(func.sum(case((condition, 1), else_=0)), 0)


def _coverable(now: datetime) -> ColumnElement[bool]:
    """A meal that still needs a cover cook and can have one: its time has not come."""
    return and_(col(Meal.status) == MealStatus.needs_cover, col(Meal.at) > now)


def _missed(now: datetime) -> ColumnElement[bool]:
    """A meal missed: recorded so, or its time came with nobody to bring it (what
    ``jobs.miss_uncovered`` records it as when it next runs)."""
    uncovered = and_(col(Meal.status) == MealStatus.needs_cover, col(Meal.at) <= now)
    return or_(col(Meal.status) == MealStatus.missed, uncovered)


def _local_date(council: Council, moment: datetime) -> date:
    return council_today(council, moment)


def todays_counts(session: Session, *, council: Council, now: datetime) -> TodayCounts:
    """The council's counts of what needs doing today (see the module's docstring)."""
    assert council.id is not None
    today = council_today(council, now)
    latest_check = today + timedelta(days=EXPIRING_DAYS - council.dbs_recheck_days)
    run_out_check = today - timedelta(days=council.dbs_recheck_days)  # expires before today
    pending = col(Cook.status) == CookStatus.pending
    checked = and_(col(Cook.status) == CookStatus.approved, col(Cook.dbs_checked_on).is_not(None))
    cooks = session.execute(
        select_row(
            _count_if(pending),
            func.min(case((pending, col(Cook.created_at)), else_=None)),
            _count_if(and_(checked, col(Cook.dbs_checked_on) <= latest_check)),
            _count_if(and_(checked, col(Cook.dbs_checked_on) < run_out_check)),
            _count_if(col(Cook.location_review).is_(True)),
        ).where(col(Cook.council_id) == council.id)
    ).one()
    monday = today - timedelta(days=today.weekday())
    meals = session.exec(
        select(
            _count_if(
                and_(
                    _coverable(now),
                    col(Meal.date) >= today,
                    col(Meal.date) < today + timedelta(days=COVER_DAYS),
                )
            ),
            _count_if(
                and_(
                    _missed(now),
                    col(Meal.date) >= monday,
                    col(Meal.date) <= today,
                )
            ),
        ).where(
            Meal.council_id == council.id,
            col(Meal.status).in_((MealStatus.needs_cover, MealStatus.missed)),
            col(Meal.date) >= min(monday, today),
        )
    ).one()
    is_open = col(Concern.status) == ConcernStatus.open
    week_ago = now - timedelta(days=CONCERN_OLD_DAYS)
    concerns = session.execute(
        select_row(
            _count_if(is_open),
            _count_if(and_(is_open, col(Concern.serious).is_(True))),
            _count_if(and_(is_open, col(Concern.created_at) <= week_ago)),
            func.min(case((is_open, col(Concern.created_at)), else_=None)),
            _count_if(col(Concern.status) == ConcernStatus.investigating),
        ).where(
            col(Concern.council_id) == council.id,
            col(Concern.status).in_((ConcernStatus.open, ConcernStatus.investigating)),
        )
    ).one()
    invitations = session.exec(
        select(func.count())
        .select_from(Pairing)
        .where(
            Pairing.council_id == council.id,
            Pairing.status == PairingStatus.proposed,
            col(Pairing.proposed_at) < now - timedelta(days=INVITATION_DAYS),
        )
    ).one()
    paused = session.exec(
        select(func.count()).select_from(Pairing).where(*_paused_for_safety(council))
    ).one()
    return TodayCounts(
        cooks_pending=int(cooks[0]),
        pending_days=_days_since(cooks[1], now),
        checks_expiring=int(cooks[2]),
        checks_run_out=int(cooks[3]),
        location_review=int(cooks[4]),
        diners_waiting=len(waiting_diners(session, council=council, today=today)),
        invitations_unanswered=int(invitations),
        cover_needed=int(meals[0]),
        missed_this_week=int(meals[1]),
        concerns_open=int(concerns[0]),
        concerns_serious=int(concerns[1]),
        concerns_week_old=int(concerns[2]),
        concern_oldest_days=_days_since(concerns[3], now),
        concerns_investigating=int(concerns[4]),
        pairings_quiet=len(_quiet_pairings(session, council=council, today=today)),
        pairings_paused_for_safety=int(paused),
    )


def _paused_for_safety(council: Council) -> tuple[ColumnElement[bool], ...]:
    """Pairings paused because the diner's needs or the cook's offer changed beyond what is
    safe: nothing lifts them but a change back, or staff ending them."""
    return (
        col(Pairing.council_id) == council.id,
        col(Pairing.status) == PairingStatus.paused,
        col(Pairing.pause_reason).in_(SAFETY_PAUSES),
    )


def _days_since(moment: datetime | str | None, now: datetime) -> int | None:
    """Whole days from ``moment`` (a MIN() over a timestamp: SQLite gives text) to ``now``."""
    if moment is None:
        return None
    if isinstance(moment, str):
        moment = datetime.fromisoformat(moment)
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=now.tzinfo)
    return max(0, (now - moment).days)


def _quiet_pairings(
    session: Session, *, council: Council, today: date
) -> list[tuple[Pairing, date | None, int]]:
    """Active pairings with nothing delivered for more than twice their interval: (pairing,
    last delivered meal's date or None, days since it or since acceptance), longest first."""
    # Each active pairing's own latest delivered meal, through the index on meal.pairing_id:
    # grouping all the council's delivered meals by pairing read every meal it ever had
    # (0.97 s against 43 ms at 6,400 active pairings and 155,000 delivered meals, an outside
    # check at city size), and the staff home reads this twice.
    last_delivered = (
        select(func.max(Meal.date))
        .where(col(Meal.pairing_id) == col(Pairing.id), Meal.status == MealStatus.delivered)
        .correlate(Pairing)
        .scalar_subquery()
    )
    rows = session.exec(
        select(Pairing, last_delivered).where(
            Pairing.council_id == council.id, Pairing.status == PairingStatus.active
        )
    ).all()
    quiet = []
    for pairing, last in rows:
        if isinstance(last, str):  # SQLite's MAX() of a date column is text
            last = date.fromisoformat(last)
        started = _local_date(council, pairing.accepted_at) if pairing.accepted_at else today
        days = (today - (last or started)).days
        if days > 2 * INTERVAL_DAYS.get(pairing.frequency, 31):
            quiet.append((pairing, last, days))
    quiet.sort(key=lambda q: (-q[2], q[0].id or 0))
    return quiet


def _names(
    session: Session, *, diner_ids: Sequence[int], cook_ids: Sequence[int | None]
) -> tuple[dict[int, str], dict[int, tuple[str, int]]]:
    """Diners' full names, and cooks' (their account's) with their council now, two queries."""
    diners = (
        dict(
            session.exec(
                select(Diner.id, Diner.full_name).where(col(Diner.id).in_(diner_ids))
            ).all()
        )
        if diner_ids
        else {}
    )
    wanted = {c for c in cook_ids if c is not None}
    cooks = (
        session.exec(
            select(Cook.id, User.full_name, Cook.council_id)
            .join(User, col(User.id) == col(Cook.user_id))
            .where(col(Cook.id).in_(wanted))
        ).all()
        if wanted
        else []
    )
    return {k: v for k, v in diners.items() if k is not None}, {
        k: (name, council_id) for k, name, council_id in cooks if k is not None
    }


def todays_lists(
    session: Session, *, council: Council, now: datetime, limit: int = LIST_LIMIT
) -> TodayLists:
    """The rows behind the counts the home page shows in its own sections (up to ``limit``
    each): unanswered invitations, quiet pairings, meals needing cover, missed meals."""
    assert council.id is not None
    today = council_today(council, now)
    monday = today - timedelta(days=today.weekday())
    invited = session.exec(
        select(Pairing)
        .where(
            Pairing.council_id == council.id,
            Pairing.status == PairingStatus.proposed,
            col(Pairing.proposed_at) < now - timedelta(days=INVITATION_DAYS),
        )
        .order_by(col(Pairing.proposed_at), col(Pairing.id))
        .limit(limit)
    ).all()
    quiet = _quiet_pairings(session, council=council, today=today)[:limit]
    cover = session.exec(
        select(Meal, Pairing.cook_id)
        .join(Pairing, col(Pairing.id) == col(Meal.pairing_id))
        .where(
            Meal.council_id == council.id,
            _coverable(now),
            col(Meal.date) >= today,
            col(Meal.date) < today + timedelta(days=COVER_DAYS),
        )
        .order_by(col(Meal.date), col(Meal.start), col(Meal.id))
        .limit(limit)
    ).all()
    missed = session.exec(
        select(Meal, Pairing.cook_id)
        .join(Pairing, col(Pairing.id) == col(Meal.pairing_id))
        .where(
            Meal.council_id == council.id,
            _missed(now),
            col(Meal.date) >= monday,
            col(Meal.date) <= today,
        )
        .order_by(col(Meal.date).desc(), col(Meal.start).desc(), col(Meal.id))
        .limit(limit)
    ).all()
    paused = session.exec(
        select(Pairing).where(*_paused_for_safety(council)).order_by(col(Pairing.id)).limit(limit)
    ).all()
    diners, cooks = _names(
        session,
        diner_ids=[
            *(p.diner_id for p in paused),
            *(p.diner_id for p in invited),
            *(p.diner_id for p, _, _ in quiet),
            *(m.diner_id for m, _ in cover),
            *(m.diner_id for m, _ in missed),
        ],
        cook_ids=[
            *(p.cook_id for p in paused),
            *(p.cook_id for p in invited),
            *(p.cook_id for p, _, _ in quiet),
            *(regular for _, regular in cover),
            *(m.cook_id or regular for m, regular in missed),
        ],
    )

    def row(
        diner_id: int, cook_id: int | None, day: date | None, days: int | None, start: str | None
    ) -> PairRow:
        cook = cooks.get(cook_id) if cook_id is not None else None
        return PairRow(
            diner_id=diner_id,
            diner_name=diners.get(diner_id, "A diner"),
            cook_id=cook_id,
            cook_name=cook[0] if cook else None,
            cook_elsewhere=cook is not None and cook[1] != council.id,  # their record: 404 here
            day=day,
            days=days,
            start=start,
        )

    return TodayLists(
        invitations=[
            row(
                p.diner_id,
                p.cook_id,
                _local_date(council, p.proposed_at),
                _days_since(p.proposed_at, now),
                None,
            )
            for p in invited
        ],
        quiet=[row(p.diner_id, p.cook_id, last, days, None) for p, last, days in quiet],
        cover=[
            replace(row(m.diner_id, regular, m.date, None, m.start), meal_id=m.id)
            for m, regular in cover
        ],
        missed=[
            replace(
                row(m.diner_id, m.cook_id or regular, m.date, None, m.start),
                uncovered=m.cook_id is None,
            )
            for m, regular in missed
        ],
        paused=[
            replace(row(p.diner_id, p.cook_id, None, None, None), why=p.pause_reason)
            for p in paused
        ],
    )
