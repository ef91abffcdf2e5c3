"""A year of demo history, so that every report and chart shows something on a fresh demo.

For each demo council with no pairing yet (so a second run adds nothing), and from the people
app.demo already made: pairings that started 2 to 12 months ago, chosen with the matching
engine's own rules (``check_pair``: same council, within the cook's reach, a shared time, a safe
diet, a place left), at most one open pairing per diner; some ended (the diner moved into care,
the cook moved away, the carer asked for a change); their meals on the pairing's schedule
(app/meals/schedule.py), mostly delivered, some missed, some covered by another cook who then
counts as met before; a few concerns, meal feedback and the quarterly outcome survey. Some diners
are left waiting, a few with an unanswered invitation, and the pending cooks stay pending, so the
queues still have work.

Everything is drawn from a random generator seeded with the council's slug (the same plan every
run, dated back from now) and written with multi-row Core inserts, not a year of service calls:
it takes a fraction of a second. Nothing in the future is marked delivered.
"""

from __future__ import annotations

import datetime as dt
import random
from collections import Counter, defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime, timedelta
from typing import cast

from sqlalchemy import insert
from sqlmodel import Session, col, select

from app.councils.rules import council_today
from app.geo.distance import haversine_m
from app.matching import engine
from app.matching.engine.busy import Booked, free_windows
from app.matching.engine.busy import clashes as engine_clashes
from app.matching.inputs import cook_input, diner_input
from app.meals.schedule import occurrences
from app.meals.service import HORIZON_DAYS
from app.models import (
    Concern,
    Cook,
    CookAway,
    Council,
    Diner,
    Meal,
    MealFeedback,
    OutcomeAnswer,
    PairExclusion,
    Pairing,
    User,
)
from app.schemas import hhmm, minutes
from app.vocab import (
    CancelReason,
    CookStatus,
    DinerStatus,
    EndReason,
    ExclusionReason,
    Frequency,
    MealStatus,
    PairingStatus,
)

ALL_FREQUENCIES: frozenset[str] = frozenset(Frequency)
QUARTER = timedelta(days=91)

# What becomes of each diner: the share of the council's diners, in this order.
_FATES: tuple[tuple[str, float], ...] = (
    ("moved_into_care", 0.09),  # a pairing that ended when the diner moved into a care home
    ("change_requested", 0.09),  # the carer asked for another cook; paired again since
    ("cook_moved_away", 0.05),  # the cook moved away; some diners paired again since
    ("active", 0.6),  # one pairing, running for 2 to 12 months
    ("invited", 0.04),  # waiting, with an invitation the cook has not answered yet
)  # the rest wait, never paired: the queue staff work from
_MISSED = 0.04
_COVERED = 0.06
_PAUSED_DINERS = 0.08
_FEEDBACK = 0.12
_SURVEY_ANSWERED = 0.85
# Share of carers saying their relative considers the cook a friend, by quarters paired.
_FRIEND_BY_QUARTER = (0.6, 0.75, 0.82, 0.86)  # about 70% overall, as Casserole Club reports
_RATINGS = ((5, 55), (4, 30), (3, 10), (2, 4), (1, 1))
# Any diner's and any cook's: a walk read "Mum ate every bit" of a man, and "Thursdays" of
# meals on another day.
_COMMENTS = (
    "Lovely stew, every bit eaten.",
    "Something to look forward to every week now.",
    "A bit salty this time, but very kind.",
    "Stayed for a cup of tea, which meant a lot.",
    "Soft enough to manage without help.",
    "Came early, which was fine.",
    "The recipe card is on the fridge now.",
    "Tasted like home, we were told.",
)
_LEFT_REASONS = (
    "Moved into a care home",
    "Moved into residential care near her daughter",
    "Moved to a nursing home after a fall",
)
_COOK_MOVED = "Moved away from the area"


@dataclass(frozen=True)
class _Concern:
    kind: str
    serious: bool
    status: str
    by_cook: bool
    description: str
    notes: tuple[str, ...]


_CONCERNS = (
    _Concern(
        "welfare", False, "resolved", True,
        "She seemed more confused than usual and had not eaten last week's meal.",
        ("Called the carer: a GP appointment is booked.",
         "Carer says an infection was treated and she is much brighter. Closing."),
    ),
    _Concern(
        "welfare", False, "resolved", True,
        "Nobody answered the door and the doorbell does not seem to work.",
        ("He was at the day centre; the carer is getting the bell fixed.",),
    ),
    _Concern(
        "safeguarding", True, "resolved", True,
        "A visitor was asking him about his bank card while I was there.",
        ("Referred to adult social care the same day.",
         "Social worker visited: family involved, bank alerted. Resolved."),
    ),
    _Concern(
        "welfare", False, "investigating", False,
        "The meal was left on the doorstep instead of being handed over.",
        ("Spoke to the cook, who will ring ahead from now on.",),
    ),
    _Concern(
        "welfare", False, "open", False,
        "Dad says the portions are too big and he worries about wasting food.",
        (),
    ),
)  # fmt: skip


@dataclass
class _Plan:
    """One pairing to write, and what we know of it before it has an id."""

    cook: Cook
    diner: Diner
    weekday: int
    start: str
    frequency: str
    distance_m: float
    proposed_at: datetime
    accepted_at: datetime | None
    ended_at: datetime | None = None
    end_reason: EndReason | None = None
    id: int = 0
    covers: list[Cook] = field(default_factory=list)

    @property
    def status(self) -> PairingStatus:
        if self.accepted_at is None:
            return PairingStatus.proposed
        return PairingStatus.ended if self.ended_at else PairingStatus.active


def seed_history(session: Session, *, council: Council, staff: User, now: datetime) -> Counter[str]:
    """Write the council's year of history, unless it has any pairing already (idempotent)."""
    assert council.id is not None
    if session.exec(select(Pairing.id).where(Pairing.council_id == council.id)).first():
        return Counter()
    rng = random.Random(f"extra-portion-demo/{council.slug}/history")
    today = council_today(council, now)
    cooks = list(
        session.exec(select(Cook).where(Cook.council_id == council.id).order_by(col(Cook.id)))
    )
    diners = list(
        session.exec(select(Diner).where(Diner.council_id == council.id).order_by(col(Diner.id)))
    )
    history = _History(rng=rng, council=council, cooks=cooks, now=now, today=today)
    for diner in rng.sample(diners, len(diners)):
        history.plan_diner(diner, _fate(rng))
    history.date_people(diners)
    made = history.write(session, staff=staff)
    session.flush()
    session.expire_all()  # the rows were written behind the ORM's back
    return made


def _fate(rng: random.Random) -> str:
    draw = rng.random()
    for fate, share in _FATES:
        if draw < share:
            return fate
        draw -= share
    return "waiting"


class _History:
    def __init__(
        self,
        *,
        rng: random.Random,
        council: Council,
        cooks: list[Cook],
        now: datetime,
        today: date,
    ) -> None:
        self.rng, self.council, self.now, self.today = rng, council, now, today
        self.approved = [c for c in cooks if c.status == CookStatus.approved]
        self.pending = [c for c in cooks if c.status == CookStatus.pending]
        self.inputs = {
            c.id: cook_input(c, council=council, today=today, load=0) for c in self.approved
        }
        # Every pairing a cook ever had takes one of their places: never over capacity.
        self.places: Counter[int] = Counter()
        # And every time one of them was at: never at two doors at once (a check found a demo
        # cook with two fortnightly Tuesday 17:30 pairings whose meals fell on the same days).
        self.booked: dict[int, list[Booked]] = defaultdict(list)
        self.moved_away: set[int] = set()
        self.plans: list[_Plan] = []
        self.excluded: dict[int, set[int]] = defaultdict(set)
        self.left: dict[int, str] = {}
        self.meal_carers: list[int | None] = []  # the carer of each meal's diner, in order
        self.near: dict[int, list[tuple[float, Cook]]] = {}
        # The first diner who can have had a pause has one, whatever the date: the demo shows
        # every kind of meal on any day it is loaded, not only when the draws fall that way.
        self.pause_owed = True

    # --- choosing pairs -----------------------------------------------------------------

    def _target(self, diner: Diner) -> engine.DinerInput:
        assert diner.id is not None
        return diner_input(diner, excluded=self.excluded[diner.id], met=set())

    def _near(self, diner: Diner) -> list[tuple[float, Cook]]:
        """(distance, cook) of the approved cooks whose walk reaches the diner, nearest first:
        a cheap first cut (pure Python) before the engine's rules check every pair again."""
        assert diner.id is not None
        if diner.id not in self.near:
            found = []
            for cook in self.approved:
                d = haversine_m(cook.latitude, cook.longitude, diner.latitude, diner.longitude)
                if d <= min(cook.walk_radius_m, self.council.max_walk_radius_m):
                    found.append((d, cook.id or 0, cook))
            self.near[diner.id] = [(d, cook) for d, _, cook in sorted(found)]
        return self.near[diner.id]

    def _candidates(self, diner: Diner, *, since: datetime, fresh: bool = False) -> list[Cook]:
        """Cooks the engine's hard rules allow for the diner, approved before ``since``,
        nearest first; ``fresh``: only cooks with no diner yet."""
        target = self._target(diner)
        found = []
        for _, cook in self._near(diner):
            assert cook.id is not None
            if cook.id in self.moved_away or (fresh and self.places[cook.id]):
                continue
            if cook.approved_at is None or cook.approved_at > since - timedelta(days=2):
                continue
            candidate = self._free(cook)
            if not engine.check_pair(
                candidate, target, max_radius_m=self.council.max_walk_radius_m
            ):
                found.append(cook)
        return found

    def _free(self, cook: Cook) -> engine.CookInput:
        """The cook as the engine sees them with the places and times already taken."""
        assert cook.id is not None
        offer = self.inputs[cook.id]
        return replace(
            offer,
            spare=max(0, cook.max_diners - self.places[cook.id]),
            windows=free_windows(offer.windows, self.booked[cook.id]),
        )

    def _pair(
        self, diner: Diner, *, accepted: datetime | None, proposed: datetime, fresh: bool = False
    ) -> _Plan | None:
        candidates = self._candidates(diner, since=proposed, fresh=fresh)
        if not candidates:
            return None
        cook = self.rng.choice(candidates[:3])  # near, but not always the nearest
        assert cook.id is not None
        slot = engine.best_slot(engine.shared_windows(self._free(cook), self._target(diner)))
        assert slot is not None  # check_pair found a shared window
        self.places[cook.id] += 1
        self.booked[cook.id].append((slot.weekday, slot.start))
        plan = _Plan(
            cook=cook,
            diner=diner,
            weekday=slot.weekday,
            start=hhmm(slot.start),
            frequency=diner.frequency,
            distance_m=haversine_m(cook.latitude, cook.longitude, diner.latitude, diner.longitude),
            proposed_at=proposed,
            accepted_at=accepted,
        )
        self.plans.append(plan)
        return plan

    def _moment(self, days_ago: int) -> datetime:
        """A daytime moment ``days_ago`` days before now."""
        return self.now - timedelta(days=days_ago, hours=self.rng.randint(1, 8))

    def _started(self, days_ago: int) -> tuple[datetime, datetime]:
        accepted = self._moment(days_ago)
        return accepted - timedelta(days=self.rng.randint(1, 4)), accepted

    def plan_diner(self, diner: Diner, fate: str) -> None:
        assert diner.id is not None
        rng = self.rng
        if fate == "invited":
            self._pair(diner, accepted=None, proposed=self._moment(rng.randint(1, 6)))
            return
        if fate == "waiting":
            return
        proposed, accepted = self._started(rng.randint(60, 365))
        first = self._pair(
            diner, accepted=accepted, proposed=proposed, fresh=fate == "cook_moved_away"
        )
        if first is None:
            return  # no cook fits: the diner waits (the unmatched report says why)
        if fate == "active":
            return
        lasted = rng.randint(35, max(36, (self.now - accepted).days - 25))
        first.ended_at = accepted + timedelta(days=lasted, hours=rng.randint(0, 6))
        if fate == "moved_into_care":
            first.end_reason = EndReason.diner_left
            self.left[diner.id] = rng.choice(_LEFT_REASONS)
            return
        if fate == "change_requested":
            first.end_reason = EndReason.change_requested
            assert first.cook.id is not None
            self.excluded[diner.id].add(first.cook.id)
        else:
            first.end_reason = EndReason.cook_stopped
            assert first.cook.id is not None
            self.moved_away.add(first.cook.id)
        if fate == "cook_moved_away" and rng.random() < 0.5:
            return  # still waiting for a new cook
        again = first.ended_at + timedelta(days=rng.randint(5, 20))
        if again < self.now - timedelta(days=7):
            self._pair(diner, accepted=again + timedelta(days=2), proposed=again)

    # --- dates of sign-up -----------------------------------------------------------------

    def date_people(self, diners: Sequence[Diner]) -> None:
        """Sign-ups before everything that happened to them, over the past year or two."""
        rng = self.rng
        for cook in self.approved:
            assert cook.approved_at is not None
            cook.created_at = cook.approved_at - timedelta(days=rng.randint(7, 40))
        for cook in self.pending:  # new volunteers of the last 12 weeks, waiting for checks
            cook.created_at = self._moment(rng.randint(0, 83))
        first_proposal: dict[int | None, datetime] = {}
        for plan in self.plans:
            at = first_proposal.get(plan.diner.id, plan.proposed_at)
            first_proposal[plan.diner.id] = min(at, plan.proposed_at)
        for diner in diners:
            proposed = first_proposal.get(diner.id)
            if proposed is not None:
                diner.created_at = proposed - timedelta(days=rng.randint(3, 45))
            else:
                diner.created_at = self._moment(rng.randint(2, 200))
            diner.consent_at = diner.created_at

    # --- writing --------------------------------------------------------------------------

    def write(self, session: Session, *, staff: User) -> Counter[str]:
        made: Counter[str] = Counter()
        self._settle_people(session)
        ids = (
            session.execute(
                insert(Pairing).returning(col(Pairing.id), sort_by_parameter_order=True),
                [self._pairing_row(plan, staff) for plan in self.plans],
            )
            .scalars()
            .all()
        )
        for plan, pairing_id in zip(self.plans, ids, strict=True):
            plan.id = pairing_id
        made["pairings"] = len(ids)
        exclusions = [
            {"diner_id": p.diner.id, "cook_id": p.cook.id,
             "reason": ExclusionReason.change_requested, "created_at": p.ended_at}
            for p in self.plans
            if p.end_reason == EndReason.change_requested
        ]  # fmt: skip
        if exclusions:
            session.execute(insert(PairExclusion), exclusions)
        meals, away = self._meals()
        meal_ids = (
            session.execute(
                insert(Meal).returning(col(Meal.id), sort_by_parameter_order=True), meals
            )
            .scalars()
            .all()
        )
        made["meals"] = len(meal_ids)
        if away:
            session.execute(insert(CookAway), away)
        feedback = self._feedback(meals, meal_ids)
        if feedback:
            session.execute(insert(MealFeedback), feedback)
        answers = self._answers()
        if answers:
            session.execute(insert(OutcomeAnswer), answers)
        concerns = self._concerns(staff)
        if concerns:
            session.execute(insert(Concern), concerns)
        made["concerns"] = len(concerns)
        return made

    def _settle_people(self, session: Session) -> None:
        """Statuses as the history left them: matched, left, moved away (ORM: a few rows)."""
        open_diners = {p.diner.id for p in self.plans if p.status == PairingStatus.active}
        seen: set[int] = set()
        for plan in self.plans:
            diner = plan.diner
            assert diner.id is not None
            if diner.id in seen:
                continue
            seen.add(diner.id)
            if diner.id in self.left:
                diner.status, diner.status_reason = DinerStatus.left, self.left[diner.id]
            elif diner.id in open_diners:
                diner.status = DinerStatus.matched
            session.add(diner)
        for cook in self.approved:
            if cook.id in self.moved_away:
                cook.status, cook.status_reason = CookStatus.left, _COOK_MOVED
            session.add(cook)
        for cook in self.pending:
            session.add(cook)
        session.flush()

    def _pairing_row(self, plan: _Plan, staff: User) -> dict[str, object]:
        return {
            "council_id": self.council.id,
            "cook_id": plan.cook.id,
            "diner_id": plan.diner.id,
            "status": plan.status,
            "weekday": plan.weekday,
            "start": plan.start,
            "frequency": plan.frequency,
            "distance_m": plan.distance_m,
            "proposed_by_id": staff.id,
            "proposed_at": plan.proposed_at,
            "accepted_at": plan.accepted_at,
            "ended_at": plan.ended_at,
            "end_reason": plan.end_reason,
        }

    def _cover_cooks(self, plan: _Plan) -> list[Cook]:
        """Cooks who could bring this pairing's meal once (app/meals/cover.py's rule)."""
        start = minutes(plan.start)
        diner_in = replace(
            self._target(plan.diner),
            frequency="weekly",
            windows=(engine.Window(plan.weekday, start, min(start + 60, 1440)),),
        )
        found = []
        for _, cook in self._near(plan.diner):
            if cook.id == plan.cook.id or cook.id in self.moved_away:
                continue
            assert cook.id is not None
            offer = self.inputs[cook.id]
            candidate = replace(
                offer,
                spare=max(1, cook.max_diners),
                frequencies=ALL_FREQUENCIES,
                windows=free_windows(offer.windows, self.booked[cook.id]),  # not at their own
            )
            if engine.check_pair(candidate, diner_in, max_radius_m=self.council.max_walk_radius_m):
                continue
            if engine.check_slot(candidate, diner_in, plan.weekday, start):
                continue
            found.append(cook)
        return found

    def _meals(self) -> tuple[list[dict[str, object]], list[dict[str, object]]]:
        """Every meal of every accepted pairing, up to its end or the 8-week horizon."""
        rng, tz = self.rng, self.council.timezone
        meals: list[dict[str, object]] = []
        away: list[dict[str, object]] = []
        needs_cover_left = 1  # one meal in the coming week a cook is away for
        covering: dict[tuple[int | None, date], list[Booked]] = defaultdict(list)
        for plan in self.plans:
            if plan.accepted_at is None:
                continue
            anchor = council_today(self.council, plan.accepted_at) + timedelta(days=1)
            last = (
                council_today(self.council, plan.ended_at) - timedelta(days=1)
                if plan.ended_at
                else self.today + timedelta(days=HORIZON_DAYS)
            )
            hh, mm = (int(x) for x in plan.start.split(":"))
            times = occurrences(
                weekday=plan.weekday,
                start=dt.time(hh, mm),
                frequency=plan.frequency,  # type: ignore[arg-type]
                anchor=anchor,
                window_from=anchor,
                window_to=last,
                tz=tz,
            )
            pause = self._pause(plan, [t.date() for t in times])
            covers = self._cover_cooks(plan)
            familiar: Cook | None = None
            for when in times:
                day, at = when.date(), when.astimezone(UTC)
                row: dict[str, object] = {
                    "pairing_id": plan.id,
                    "diner_id": plan.diner.id,
                    "council_id": self.council.id,
                    "cook_id": plan.cook.id,
                    "date": day,
                    "start": plan.start,
                    "at": at,
                    "status": MealStatus.scheduled,
                    "is_cover": False,
                    # Materialised 8 weeks ahead by the scheduling job, from acceptance on.
                    "created_at": min(
                        self.now, max(plan.accepted_at, at - timedelta(days=HORIZON_DAYS))
                    ),
                }
                meals.append(row)
                self.meal_carers.append(plan.diner.carer_id)
                if pause and pause[0] <= day <= pause[1]:
                    row.update(status=MealStatus.cancelled, cancel_reason=CancelReason.diner_paused)
                    continue
                if day >= self.today:
                    if needs_cover_left and day <= self.today + timedelta(days=7):
                        needs_cover_left -= 1
                        row.update(status=MealStatus.needs_cover, cook_id=None)
                        away.append(self._away(plan.cook, day))
                    continue
                recorded = min(self.now, at + timedelta(hours=rng.randint(1, 30)))
                row.update(status=MealStatus.delivered, recorded_at=recorded)
                draw = rng.random()
                if draw < _MISSED:
                    row["status"] = MealStatus.missed
                elif draw < _MISSED + _COVERED and covers:
                    # The regular cook was away that day; a neighbour (often the same one)
                    # brought the meal, and is someone the diner has met from then on.
                    if familiar is None or rng.random() < 0.3:
                        familiar = rng.choice(covers)
                    busy = covering[(familiar.id, day)]  # another cover that day, near then
                    if engine_clashes(plan.weekday, minutes(plan.start), busy):
                        continue
                    busy.append((plan.weekday, minutes(plan.start)))
                    row.update(cook_id=familiar.id, is_cover=True)
                    away.append(self._away(plan.cook, day))
        # A cook away on a coming day is away for all their meals that day, as the app has it:
        # their other diners' meals then need cover too (one stayed planned, and the cook was
        # reminded of a meal on a day they were away).
        coming_away = {
            (a["cook_id"], a["from_date"]) for a in away if cast(date, a["from_date"]) >= self.today
        }
        for row in meals:
            if (
                row["status"] == MealStatus.scheduled
                and (row["cook_id"], row["date"]) in coming_away
            ):
                row.update(status=MealStatus.needs_cover, cook_id=None)
        return meals, away

    def _away(self, cook: Cook, day: date) -> dict[str, object]:
        return {
            "cook_id": cook.id,
            "from_date": day,
            "to_date": day,
            "created_at": datetime.combine(day - timedelta(days=10), dt.time(9), tzinfo=UTC),
        }

    def _pause(self, plan: _Plan, days: list[date]) -> tuple[date, date] | None:
        """Some diners were away for a while (a stay in hospital): the latest pause is kept."""
        past = [d for d in days if d < self.today - timedelta(days=14)]
        if plan.ended_at or len(past) < 8:
            return None
        if not self.pause_owed and self.rng.random() >= _PAUSED_DINERS:
            return None
        self.pause_owed = False
        start = self.rng.choice(past[2:-4])
        end = start + timedelta(days=self.rng.randint(7, 21))
        plan.diner.paused_from, plan.diner.paused_to = start, end
        return start, end

    def _feedback(
        self, meals: list[dict[str, object]], ids: Sequence[int]
    ) -> list[dict[str, object]]:
        rng, rows = self.rng, list[dict[str, object]]()
        for meal, meal_id, carer in zip(meals, ids, self.meal_carers, strict=True):
            if meal["status"] != MealStatus.delivered or carer is None or rng.random() >= _FEEDBACK:
                continue
            recorded = meal["recorded_at"]
            assert isinstance(recorded, datetime)
            rating = _weighted(rng, _RATINGS)
            rows.append(
                {
                    "meal_id": meal_id,
                    "carer_id": carer,
                    "rating": rating,
                    "comment": rng.choice(_COMMENTS)
                    if rating >= 4 and rng.random() < 0.5
                    else None,
                    "created_at": min(self.now, recorded + timedelta(hours=rng.randint(2, 48))),
                }
            )
        return rows

    def _answers(self) -> list[dict[str, object]]:
        """The quarterly question to carers, asked at each full quarter of a pairing."""
        rows: list[dict[str, object]] = []
        for plan in self.plans:
            if plan.accepted_at is None or plan.diner.carer_id is None:
                continue
            until = plan.ended_at or self.now
            quarter = 1
            while (asked := plan.accepted_at + QUARTER * quarter) < until:
                if self.rng.random() < _SURVEY_ANSWERED:
                    share = _FRIEND_BY_QUARTER[min(quarter, len(_FRIEND_BY_QUARTER)) - 1]
                    rows.append(
                        {
                            "diner_id": plan.diner.id,
                            "pairing_id": plan.id,
                            "carer_id": plan.diner.carer_id,
                            "considers_friend": self.rng.random() < share,
                            "answered_at": min(
                                self.now, asked + timedelta(hours=self.rng.randint(2, 96))
                            ),
                        }
                    )
                quarter += 1
        return rows

    def _concerns(self, staff: User) -> list[dict[str, object]]:
        """One of each kind of concern, on pairings running long enough to have one."""
        rng, rows = self.rng, list[dict[str, object]]()
        running = [p for p in self.plans if p.status == PairingStatus.active]
        long_ago = [p for p in running if p.accepted_at and p.accepted_at < self.now - QUARTER]
        for template in _CONCERNS:
            pool = long_ago if template.status != "open" else running
            if not pool:
                continue
            plan = pool.pop(rng.randrange(len(pool)))
            if plan in running:
                running.remove(plan)
            assert plan.accepted_at is not None
            if template.status == "open":
                raised = self.now - timedelta(days=rng.randint(1, 6), hours=rng.randint(1, 8))
            else:
                span = max(1, (self.now - plan.accepted_at).days - 30)
                raised = plan.accepted_at + timedelta(days=rng.randint(14, max(15, span)))
            notes = [
                {
                    "at": (raised + timedelta(days=2 * (k + 1))).isoformat(),
                    "staff_id": staff.id,
                    "text": text,
                }
                for k, text in enumerate(template.notes)
            ]
            raiser = plan.cook.user_id if template.by_cook else plan.diner.carer_id
            rows.append(
                {
                    "council_id": self.council.id,
                    "diner_id": plan.diner.id,
                    "pairing_id": plan.id,
                    "raised_by_id": raiser or staff.id,
                    "kind": template.kind,
                    "serious": template.serious,
                    "description": template.description,
                    "status": template.status,
                    "notes": notes,
                    "created_at": raised,
                    "updated_at": raised + timedelta(days=2 * len(notes)),
                }
            )
        return rows


def _weighted(rng: random.Random, options: tuple[tuple[int, int], ...]) -> int:
    values, weights = zip(*options, strict=True)
    return rng.choices(values, weights=weights)[0]
