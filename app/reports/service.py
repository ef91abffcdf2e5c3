"""What the council sees: figures for the staff member's own council, and their CSV files.

Every figure counts only the staff member's council, and is all-time unless it says otherwise.

Summary (``GET /api/staff/reports/summary``):

- ``approved_cooks`` / ``pending_cooks``: cooks whose status is now ``approved`` / ``pending``.
- ``waiting_diners``: diners whose public status is now ``waiting`` (not matched, not left, and
  today not within their pause) and who are not held for an erasure: the one meaning of
  "waiting" (``waiting_diners()``), which the map, the unmatched report, the staff home and the
  current week of the weekly series count too. ``waiting_diners_invited`` of them have a
  proposal the cook has not answered yet; ``waiting_diners_unproposed`` have no cook proposed
  (the unmatched report groups exactly these); the two add up to ``waiting_diners``.
- ``held_for_erasure``: diners whose public status is ``waiting`` but whom a carer's erasure
  request still to do names (app/diners/erasure_hold.py): no cook is looked for them until
  staff erase them, so they are not waiting for a cook, and are not in ``waiting_diners``.
  The staff's diner list (``?status=waiting``) lists them too, marked: its total is the two
  added up.
- ``active_pairings``: pairings whose status is ``active`` (a paused pairing is not counted).
- ``meals_delivered`` / ``meals_missed``: meals with that outcome.
- ``continuity_rate``: of the delivered meals, the share brought by the diner's regular cook
  (not a cover: ``meal.is_cover`` is false, and ``meal.cook_id`` the pairing's ``cook_id``): a
  fraction from 0 to 1, not rounded; ``null`` with no delivered meal.
- ``median_pairing_days``: over the pairings that were ever accepted, the median of the whole
  days (24-hour periods completed, rounded down) from ``accepted_at`` to ``ended_at``, or to now
  for a pairing still running. Each length is a whole number; the median of an even count is
  the mean of the middle two, so the figure is a float such as ``13.0`` or ``13.5``. ``null``
  with no accepted pairing.
- ``regular_cooks_per_diner`` (cook changes): over the diners who ever had an accepted pairing,
  the mean number of distinct cooks of those pairings. ``1.0`` means nobody changed cook; each
  change adds to it (``cook changes per diner = regular_cooks_per_diner - 1``). ``null`` when
  no pairing was ever accepted.
- Whether relationships last (``continuity_rate`` counts a cover as a break, so it stays high
  even when diners change cook often): over the delivered meals of the last 12 weeks (the 84
  days ending today, ``figures.continuity_window``), per diner in date order,
  ``main_cook_share`` is the mean over diners of the share of their meals brought by their most
  frequent cook (1.0: each diner had one cook), and ``median_same_cook_run`` the median length
  of the runs of consecutive meals brought by the same cook, all diners' runs together (a cover
  meal or a new cook ends a run). ``continuity_diners`` counts the diners with a meal in those
  weeks; both figures are ``null`` without one.
- ``friend_share``: the quarterly outcome question ("does your relative consider their cook a
  friend?") over the last 12 months: each diner's latest answer counts once; the share of yes
  (comparable with Casserole Club's published 70%), ``null`` with no answer;
  ``friend_answers`` counts the diners.

Weekly (``GET /api/staff/reports/weekly?weeks=N``, 1 to 104, default 12): the last N ISO weeks
(Monday to Sunday in the council's time zone), oldest first, ending with the current week.

- ``meals_delivered`` / ``meals_missed`` / ``continuity_rate``: as above, for the meals whose
  (local) date falls in the week.
- ``new_cooks``: cooks who signed up with this council in the week (``created_at``, any status
  now, including a cook who has moved to another council since: ``Cook.first_council_id``).
- ``waiting_diners``: diners waiting at the end of the week (the next local midnight; for the
  current week, now). The history is rebuilt from what is stored, so it is approximate:
  signed up before then; not matched then (no pairing accepted before then and not ended before
  then: exact, from the pairings); not left then, where a diner who has left is taken to have
  left when their last accepted pairing ended (exact for a diner who left while matched, as
  leaving ends the pairing), or, with no accepted pairing, at sign-up (such a diner is never
  counted); not paused on the week's Sunday (today for the current week), where only the
  latest pause is stored, so earlier pauses are not seen; and not held for an erasure then
  (a request still to do first named them before then: exact, from the audit log; once staff
  carry it out the relative has left). For the current week this equals the summary's
  ``waiting_diners``.

Unmatched (``GET /api/staff/reports/unmatched``): the diners waiting now with no open
(proposed, active or paused) pairing, grouped by postcode district and by the matching engine's
``unmatched_reason`` (as the staff suggestions compute it, against all the council's approved
cooks): where to recruit cooks, and which kind. ``reason`` is ``null`` for a diner a cook could
be proposed to now (run matching). Most diners first, then district, then the reasons' order.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime
from zoneinfo import ZoneInfo

from sqlalchemy import (
    BindParameter,
    ColumnElement,
    Date,
    ScalarSelect,
    and_,
    bindparam,
    case,
    or_,
)
from sqlalchemy import select as core_select
from sqlmodel import Session, col, func, select

from app.councils.rules import council_today
from app.councils.service import staff_council
from app.diners.erasure_hold import erasure_asked, erasure_firsts, held_diner_ids
from app.diners.rules import public_status
from app.diners.search import status_is
from app.errors import NotFound
from app.matching import engine
from app.matching.inputs import diner_input, history
from app.matching.service import batch_cooks
from app.models import OPEN_STATUSES, Cook, Council, Diner, Meal, OutcomeAnswer, Pairing, User
from app.reports import figures
from app.reports.figures import CsvFile, DinerHistory, MealTally
from app.reports.schemas import MapOut, MapPoint, SummaryOut, UnmatchedOut, WeeklyOut, WeekOut
from app.schemas import Page
from app.vocab import CookStatus, DinerStatus, MealStatus, PairingStatus

WEEKS_DEFAULT = 12
WEEKS_MAX = 104

# A meal brought by the diner's regular cook is one that is not a cover: a cover cook is never
# the pairing's own (meals.cover.cover_candidates), and a pairing's cook never changes. The
# summary counts the covers through their partial index; the weekly series, this.
_regular = case((col(Meal.is_cover).is_(True), 0), else_=1)


# The summary's statements are built once, with parameters: a request neither builds them nor
# their cache keys (on the demo data that cost as much as running them), and they are run on
# the session's connection, as plain rows. Its counts are one statement (a scalar subquery
# each), so one round trip through SQLAlchemy's execution rather than seven.
_IN_COUNCIL: BindParameter[int] = bindparam("council_id")
_TODAY: BindParameter[date] = bindparam("today", type_=Date)
_COUNCIL_CLOCK = core_select(col(Council.timezone)).where(col(Council.id) == _IN_COUNCIL)
_OPEN_DINERS = select(Pairing.diner_id).where(col(Pairing.status).in_(OPEN_STATUSES))
_WAITING = (col(Diner.council_id) == _IN_COUNCIL, status_is(DinerStatus.waiting, _TODAY))
# Of them, those whose carer has an erasure request still to do: none, nearly always. Only when
# there are some are they read, and the requests, to leave out the relatives these name (held
# out of matching, so not waiting for a cook: app/diners/erasure_hold.py).
_ASKED = erasure_asked(col(Diner.carer_id))
_ASKED_WAITING = core_select(
    col(Diner.id), col(Diner.carer_id), col(Diner.id).in_(_OPEN_DINERS)
).where(*_WAITING, _ASKED)


def _count(*where: ColumnElement[bool]) -> ScalarSelect[int]:
    return core_select(func.count()).where(*where).scalar_subquery()


_COUNTS = core_select(
    _count(col(Cook.council_id) == _IN_COUNCIL, col(Cook.status) == CookStatus.approved),
    _count(col(Cook.council_id) == _IN_COUNCIL, col(Cook.status) == CookStatus.pending),
    _count(col(Pairing.council_id) == _IN_COUNCIL, col(Pairing.status) == PairingStatus.active),
    _count(col(Meal.council_id) == _IN_COUNCIL, col(Meal.status) == MealStatus.delivered),
    _count(col(Meal.council_id) == _IN_COUNCIL, col(Meal.status) == MealStatus.missed),
    # waiting_diners' meaning, as SQL (diners.search.status_is), and those of them with a
    # proposal the cook has not answered yet, held ones included (``_held`` takes them off)
    _count(*_WAITING),
    _count(*_WAITING, col(Diner.id).in_(_OPEN_DINERS)),
    _count(*_WAITING, _ASKED),
    # the delivered meals a cover cook brought (every meal has a pairing, and a cover cook is
    # never the pairing's own: meals.cover.cover_candidates), through their partial index
    _count(
        col(Meal.council_id) == _IN_COUNCIL,
        col(Meal.status) == MealStatus.delivered,
        col(Meal.is_cover).is_(True),
    ),
)


@dataclass(frozen=True, slots=True)
class _Counts:
    approved_cooks: int
    pending_cooks: int
    active_pairings: int
    meals_delivered: int
    meals_missed: int
    waiting: int
    invited: int
    asked: int  # of ``waiting``, those whose carer has an erasure request still to do
    covers_delivered: int


def _counts(session: Session, *, council_id: int, today: date) -> _Counts:
    row = session.connection().execute(_COUNTS, {"council_id": council_id, "today": today}).one()
    return _Counts(*(int(value) for value in row))


def _held(session: Session, *, council_id: int, today: date, asked: int) -> tuple[int, int]:
    """Of the council's waiting diners (as ``_COUNTS`` counts them), how many a request still
    to do names, and how many of those have a proposal open (it can no longer be accepted):
    ``asked`` of them have a carer who asked, and only their carers' requests are read."""
    if not asked:
        return 0, 0
    params = {"council_id": council_id, "today": today}
    rows = session.connection().execute(_ASKED_WAITING, params).all()
    named = erasure_firsts(session, carer_ids={c for _, c, _ in rows if c is not None})
    held = [bool(invited) for diner_id, _, invited in rows if diner_id in named]
    return len(held), sum(held)


def _council_today(session: Session, *, staff: User, now: datetime) -> tuple[int, date]:
    """The staff member's council (none: 'not found', as staff_council) and its date at
    ``now``, read as its time zone only."""
    clock = (
        session.connection().execute(_COUNCIL_CLOCK, {"council_id": staff.council_id}).first()
        if staff.council_id is not None
        else None
    )
    if clock is None or staff.council_id is None:
        raise NotFound("Council not found")
    return staff.council_id, council_today(clock, now)


def summarise_council(session: Session, *, staff: User, now: datetime) -> SummaryOut:
    """The all-time summary of the staff member's council."""
    council_id, today = _council_today(session, staff=staff, now=now)
    counts = _counts(session, council_id=council_id, today=today)
    held, held_invited = _held(session, council_id=council_id, today=today, asked=counts.asked)
    waiting, invited = counts.waiting - held, counts.invited - held_invited
    accepted = _accepted_pairings(session, council_id=council_id)
    lasting = figures.continuity(_recent_cooks(session, council_id=council_id, today=today))
    friends, answered = figures.friend_share(
        _outcome_answers(session, council_id=council_id, since=now - figures.FRIEND_WINDOW)
    )
    return SummaryOut(
        approved_cooks=counts.approved_cooks,
        pending_cooks=counts.pending_cooks,
        waiting_diners=waiting,
        active_pairings=counts.active_pairings,
        meals_delivered=counts.meals_delivered,
        meals_missed=counts.meals_missed,
        continuity_rate=figures.ratio(
            counts.meals_delivered - counts.covers_delivered, counts.meals_delivered
        ),
        median_pairing_days=figures.median_pairing_days(
            ((a, e) for _, _, a, e in accepted), now=now
        ),
        regular_cooks_per_diner=figures.mean_distinct_cooks((d, c) for d, c, _, _ in accepted),
        waiting_diners_invited=invited,
        waiting_diners_unproposed=waiting - invited,
        main_cook_share=lasting.main_cook_share,
        median_same_cook_run=lasting.median_run,
        continuity_diners=lasting.diners,
        friend_share=friends,
        friend_answers=answered,
        held_for_erasure=held,
    )


@dataclass(frozen=True, slots=True)
class Waiting:
    diner: Diner
    invited: bool  # an open (proposed) pairing: the cook has not answered yet


def waiting_diners(session: Session, *, council: Council, today: date) -> list[Waiting]:
    """The council's waiting diners, by the one definition every figure uses: public status
    ``waiting`` today (``diner.status`` is ``waiting``: not matched, not left; and today is
    not in their pause) and not held for an erasure, each with whether a proposal awaits the
    cook's answer. By id."""
    open_diners = select(Pairing.diner_id).where(col(Pairing.status).in_(OPEN_STATUSES))
    rows = session.exec(
        select(Diner, col(Diner.id).in_(open_diners))
        .where(Diner.council_id == council.id, Diner.status == DinerStatus.waiting)
        .order_by(col(Diner.id))
    ).all()
    # A relative an erasure request names is held out of matching (app/diners/erasure_hold.py):
    # no cook is looked for, so they are not waiting for one. The few requests are read once
    # and the named left out by id, as the batch does.
    held = held_diner_ids(session)
    return [
        Waiting(diner, bool(invited))
        for diner, invited in rows
        if public_status(diner, today) == DinerStatus.waiting and diner.id not in held
    ]


# The cook of each delivered meal of the council in the continuity window, a diner's together
# in date order: its runs of one cook are counted in Python (`figures.continuity`), which cost
# a third less CPU than counting them in SQL with window functions (0.55 against 0.85 ms on the
# demo data; the rows are the window's only, through the index on (council, status, date)).
_RECENT_COOKS = (
    core_select(col(Meal.diner_id), col(Meal.cook_id))
    .where(
        col(Meal.council_id) == _IN_COUNCIL,
        col(Meal.status) == MealStatus.delivered,
        col(Meal.cook_id).is_not(None),
        col(Meal.date) >= bindparam("first"),
        col(Meal.date) <= bindparam("last"),
    )
    .order_by(col(Meal.diner_id), col(Meal.date), col(Meal.id))
)


def _recent_cooks(session: Session, *, council_id: int, today: date) -> dict[int, list[int]]:
    """Per diner, the cook of each of their delivered meals in ``figures.continuity_window``,
    in date order."""
    first, last = figures.continuity_window(today)
    params = {"council_id": council_id, "first": first, "last": last}
    by_diner: dict[int, list[int]] = {}
    for diner_id, cook_id in session.connection().execute(_RECENT_COOKS, params):
        if cook_id is not None:  # the statement reads none without (a typed row says it may)
            by_diner.setdefault(diner_id, []).append(cook_id)
    return by_diner


_OUTCOME_ANSWERS = (
    core_select(
        col(OutcomeAnswer.diner_id),
        col(OutcomeAnswer.answered_at),
        col(OutcomeAnswer.considers_friend),
    )
    .join(Diner, col(Diner.id) == col(OutcomeAnswer.diner_id))
    .where(
        col(Diner.council_id) == _IN_COUNCIL, col(OutcomeAnswer.answered_at) >= bindparam("since")
    )
)


def _outcome_answers(
    session: Session, *, council_id: int, since: datetime
) -> list[tuple[int, datetime, bool]]:
    """(diner_id, answered_at, considers_friend) of the council's answers since ``since``."""
    rows = session.connection().execute(
        _OUTCOME_ANSWERS, {"council_id": council_id, "since": since}
    )
    return [(d, at, friend) for d, at, friend in rows]


_ACCEPTED_PAIRINGS = core_select(
    col(Pairing.diner_id), col(Pairing.cook_id), col(Pairing.accepted_at), col(Pairing.ended_at)
).where(col(Pairing.council_id) == _IN_COUNCIL, col(Pairing.accepted_at).is_not(None))


def _accepted_pairings(
    session: Session, *, council_id: int
) -> list[tuple[int, int, datetime, datetime | None]]:
    """(diner_id, cook_id, accepted_at, ended_at) of every pairing that was ever accepted."""
    rows = session.connection().execute(_ACCEPTED_PAIRINGS, {"council_id": council_id})
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
            # Where they signed up: a cook who moved away since still joined here that week.
            or_(
                and_(col(Cook.council_id) == council.id, col(Cook.first_council_id).is_(None)),
                col(Cook.first_council_id) == council.id,
            ),
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
    held = erasure_firsts(session)  # when a request still to do first named each diner
    accepted: dict[int, list[tuple[datetime, datetime | None]]] = {}
    for diner_id, _, accepted_at, ended_at in _accepted_pairings(session, council_id=council_id):
        accepted.setdefault(diner_id, []).append((accepted_at, ended_at))
    # The five columns the figures read, not whole diners: loading 10,000 diners as model
    # objects took 0.86 s of the weekly report (an outside check at city size).
    rows = session.connection().execute(
        core_select(
            col(Diner.id),
            col(Diner.status),
            col(Diner.created_at),
            col(Diner.paused_from),
            col(Diner.paused_to),
        ).where(col(Diner.council_id) == council_id, col(Diner.created_at) < now)
    )
    histories = []
    for listed_id, status, created_at, paused_from, paused_to in rows:
        spans = tuple(accepted.get(listed_id or 0, ()))
        histories.append(
            DinerHistory(
                created_at=created_at,
                left_at=figures.left_since(
                    has_left=status == DinerStatus.left, created_at=created_at, accepted=spans
                ),
                paused_from=paused_from,
                paused_to=paused_to,
                accepted=spans,
                held_from=held.get(listed_id or 0),
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
    diners = [
        w.diner for w in waiting_diners(session, council=council, today=today) if not w.invited
    ]
    # The cooks as the batch sees them, from the index suggestions keep (reading and building
    # them anew was 0.55 s of this report's 1.9 s at a city's 13,000 cooks) ...
    cooks = batch_cooks(session, council=council, today=today, lock=False)
    excluded, met = history(session, [d.id for d in diners if d.id is not None])
    targets = [diner_input(d, excluded=excluded[d.id or 0], met=met[d.id or 0]) for d in diners]
    # ... and every diner's first check left without a cook, in one pass of the batch's
    # candidate search (whole arrays, blocks of diners through the k-d tree) rather than a
    # suggestion per diner: 3.3 to 3.5 s against 1.9 to 3.2 s at 2,358 diners (bench/README.md).
    graph = engine.batch_candidates(targets, cooks.index, max_radius_m=council.max_walk_radius_m)
    reason_of = {
        diner_id: engine.unmatched_reason(level)
        for diner_id, level in zip(graph.diner_ids.tolist(), graph.level.tolist(), strict=True)
    }
    found = [(figures.district(d.postcode), reason_of[d.id or 0]) for d in diners]
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
    """Unmatched waiting diners by district and reason as a CSV file (every row). A diner a
    cook could be proposed to now has no reason (null in the API): here it says "proposable",
    not a blank cell that read as unknown (a browser walk)."""
    groups = unmatched_by_district(session, staff=staff, now=now)
    header = list(UnmatchedOut.model_fields)
    rows = [
        [(getattr(g, f) or PROPOSABLE) if f == "reason" else getattr(g, f) for f in header]
        for g in groups
    ]
    return CsvFile(
        _filename(staff_council(session, staff), "unmatched", now), figures.csv_text(header, rows)
    )


PROPOSABLE = "proposable"  # the unmatched CSV's reason for a diner a cook fits now

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
    diners = waiting_diners(session, council=council, today=today)
    return MapOut(
        cooks=[point(lat, lon) for lat, lon in cooks],
        waiting_diners=[point(w.diner.latitude, w.diner.longitude) for w in diners],
    )
