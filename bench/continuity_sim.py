"""Continuity over a synthetic year: the real services against a memoryless greedy baseline.

Run: ``.venv/bin/python bench/continuity_sim.py [--quick] [--diners N --cooks M --weeks W]
[--seed S] [--services both|app|old|none]``.

One council (Barnet, E09000003), cooks and diners at real Barnet unit postcodes (the offline
index shipped with the project). Cooks and diners are created through the real services
(put_own_profile + approve_cook, register_diner) in a fresh, migrated SQLite file; then the clock
is moved week by week with time_machine and, each Monday:

1. every meal dated before today that is still ``scheduled`` is recorded delivered
   (``record_outcome``); a ``needs_cover`` meal left in the past is counted as uncovered;
2. cooks leave (``stop_cooking``, 2 % a month) and as many new cooks sign up and are approved,
   so supply stays level;
3. diners go into hospital (``pause_diner``, 5 % a month, one to three weeks);
4. waiting diners are matched (``run_batch``); each proposal is accepted with probability 0.9,
   otherwise declined (``decline_pairing`` proposes the next best, handled the same way);
5. schedules are topped up (``run_jobs``);
6. 10 % of cooks are away this week (``mark_away`` Monday to Sunday);
7. every meal of the week needing cover goes to the first of ``cover_candidates`` (familiar
   faces first, then nearest) through ``take_cover``.

All random events (leavers, replacements, away weeks, hospital stays, declines) are drawn once,
up front, from the seed, so every variant and the baseline see the same year.

The baseline is an in-memory simulation over the same people and events with no pairings and
no memory: every week each diner (not in hospital) gets the nearest cook who is safe for them
(the engine's hard rules), not away, still active and with a place left that week. Diners are
served in a fixed order (``greedy, fixed order``) or in a new random order each week (``greedy,
random order``, like a queue of requests). Its "regular cook" is the diner's most frequent cook
and its "pairing length" is a run of consecutive meals by the same cook.

The variant ``app, covers not met`` runs the same year through the services with
``app.matching.inputs.history`` replaced (in this process only) by its earlier form, in which
only an accepted pairing made a cook "met" and a delivered cover did not; comparing it with
``app (services)`` shows what counting covers as familiar faces (PRODUCT.md, the journey,
step 7) changes for batch matching and next-best proposals.

Wall times include creating the people through the services (Argon2 is skipped: every user
gets one precomputed hash). The SQLite file lives in /dev/shm with ``synchronous=OFF``.
"""

from __future__ import annotations

import argparse
import logging
import math
import os
import random
import statistics
import sys
import tempfile
import time
from collections import Counter, defaultdict
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from datetime import time as dtime
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("PORTION_SECRET_KEY", "bench-secret-key-that-is-long-enough-0123456789")

import time_machine  # noqa: E402
from sqlalchemy import event  # noqa: E402
from sqlmodel import Session, col, select  # noqa: E402

import app.matching.service as matching_service  # noqa: E402
import app.pairings.service as pairing_service  # noqa: E402
from app.accounts.passwords import hash_password  # noqa: E402
from app.config import get_settings  # noqa: E402
from app.cooks.schemas import CookProfileIn  # noqa: E402
from app.councils.service import create_council  # noqa: E402
from app.db import make_engine  # noqa: E402
from app.diners.schemas import DinerIn, PauseIn  # noqa: E402
from app.diners.service import register_diner  # noqa: E402
from app.flows.cooks import put_own_profile, stop_cooking  # noqa: E402
from app.flows.diners import pause_diner  # noqa: E402
from app.flows.jobs import run_jobs  # noqa: E402
from app.geo.distance import haversine_m  # noqa: E402
from app.geo.offline import load_offline_index  # noqa: E402
from app.matching import engine  # noqa: E402
from app.matching.inputs import history as real_history  # noqa: E402
from app.matching.service import run_batch  # noqa: E402
from app.meals.cover import cover_candidates, take_cover  # noqa: E402
from app.meals.service import mark_away, record_outcome  # noqa: E402
from app.models import Cook, Diner, Meal, Pairing, User  # noqa: E402
from app.moderation.schemas import ApproveIn  # noqa: E402
from app.moderation.service import approve_cook  # noqa: E402
from app.pairings.service import accept_pairing, decline_pairing  # noqa: E402
from app.schemas import minutes  # noqa: E402
from tests.conftest import migrate  # noqa: E402

BARNET = "E09000003"
START = date(2027, 1, 4)  # a Monday
MAX_WALK_M = 3_000
AWAY_RATE = 0.10
LEAVE_PER_MONTH = 0.02
HOSPITAL_PER_MONTH = 0.05
ACCEPT_RATE = 0.90
WEEKS_PER_MONTH = 52 / 12
TMP = "/dev/shm" if os.path.isdir("/dev/shm") else None  # a memory-backed file system
SIZES = {"full": (150, 200, 52), "quick": (40, 55, 10)}


def weekly(monthly: float) -> float:
    return 1 - (1 - monthly) ** (1 / WEEKS_PER_MONTH)


# --- the synthetic population and its year ------------------------------------------------------


@dataclass
class Person:
    postcode: str
    lat: float
    lon: float
    windows: list[dict[str, Any]]
    diets: list[str] = field(default_factory=list)
    allergies: list[str] = field(default_factory=list)  # diners: allergies; cooks: free from
    radius_m: int = 2_000
    max_diners: int = 1


@dataclass
class World:
    """People and every random event of the year, drawn once from the seed."""

    diners: list[Person]
    cooks: list[Person]  # index = cook number; replacements are appended
    leavers: list[list[int]]  # per week: cook numbers who stop that Monday
    joiners: list[list[int]]  # per week: cook numbers who sign up that Monday
    away: list[set[int]]  # per week: cook numbers away Monday to Sunday
    pauses: list[list[tuple[int, date, date]]]  # per week: (diner number, from, to)
    accept_draws: list[float]  # consumed in order by proposals (accept when below ACCEPT_RATE)
    weeks: int


def window(weekday: int, start: str, end: str) -> dict[str, Any]:
    return {"weekday": weekday, "start": start, "end": end}


def make_world(seed: int, n_diners: int, n_cooks: int, weeks: int) -> World:
    rng = random.Random(seed)
    units = load_offline_index().units
    barnet = sorted(k for k, v in units.items() if v.lad_code == BARNET)

    def place() -> tuple[str, float, float]:
        pc = rng.choice(barnet)
        return pc, units[pc].latitude, units[pc].longitude

    def new_cook() -> Person:
        pc, lat, lon = place()
        days = [d for d in range(7) if rng.random() < (0.75 if d < 5 else 0.3)] or [
            rng.randrange(5)
        ]
        diets = ["vegetarian"] if rng.random() < 0.5 else []
        free = ["peanuts"] if rng.random() < 0.6 else []
        return Person(
            pc,
            lat,
            lon,
            [window(d, "16:30", "19:30") for d in days],
            diets,
            free,
            radius_m=rng.choice((1_500, 2_000, 2_000, 2_500)),
            max_diners=1 if rng.random() < 0.6 else 2,
        )

    def new_diner() -> Person:
        pc, lat, lon = place()
        days = sorted(rng.sample(range(7), 3))
        diets = ["vegetarian"] if rng.random() < 0.15 else []
        allergies = ["peanuts"] if rng.random() < 0.05 else []
        return Person(pc, lat, lon, [window(d, "17:00", "19:00") for d in days], diets, allergies)

    diners = [new_diner() for _ in range(n_diners)]
    cooks = [new_cook() for _ in range(n_cooks)]
    alive = list(range(n_cooks))
    leavers, joiners, away, pauses = [], [], [], []
    paused_until = [START - timedelta(days=1)] * n_diners
    p_leave, p_hosp = weekly(LEAVE_PER_MONTH), weekly(HOSPITAL_PER_MONTH)
    for w in range(weeks):
        monday = START + timedelta(weeks=w)
        gone = [c for c in alive if w > 0 and rng.random() < p_leave]
        fresh = []
        for _ in gone:
            cooks.append(new_cook())
            fresh.append(len(cooks) - 1)
        alive = [c for c in alive if c not in gone] + fresh
        leavers.append(gone)
        joiners.append(fresh)
        away.append({c for c in alive if rng.random() < AWAY_RATE})
        stays = []
        for d in range(n_diners):
            if paused_until[d] < monday and rng.random() < p_hosp:
                begin = monday + timedelta(days=rng.randrange(7))
                end = begin + timedelta(days=7 * rng.randint(1, 3) - 1)
                paused_until[d] = end
                stays.append((d, begin, end))
        pauses.append(stays)
    draws = [rng.random() for _ in range(20 * (n_diners + len(cooks)))]
    return World(diners, cooks, leavers, joiners, away, pauses, draws, weeks)


# --- the services over the year -----------------------------------------------------------------


@dataclass
class SimCounters:
    proposals: int = 0
    declined: int = 0
    uncovered: int = 0
    covers_taken: int = 0
    cover_no_candidate: int = 0
    errors: Counter[str] = field(default_factory=Counter)
    waiting_weeks: int = 0  # diner-weeks with no open pairing and not in hospital
    waiting_after_leaver: int = 0  # ... of which the diner's last pairing ended by a leaver
    max_meals_same_cook_day: int = 0
    same_time_clashes: int = 0  # (cook, date, time) with more than one delivered meal
    rematch_total: int = 0
    rematch_familiar: int = 0  # re-matched to a cook met before (pairing or delivered cover)
    rematch_cover_cook_available: int = 0  # a cover cook of theirs was matchable that week


def at(day: date, hour: int = 9) -> datetime:
    return datetime.combine(day, dtime(hour, 0), tzinfo=UTC)


@contextmanager
def clock(day: date) -> Iterator[None]:
    with time_machine.travel(at(day), tick=False):
        yield


def history_pairings_only(session: Session, diner_ids: list[int]) -> Any:
    """history() as it was before covers counted: "met" is only an accepted pairing."""
    excluded, _met = real_history(session, diner_ids)
    met: dict[int, set[int]] = {d: set() for d in diner_ids}
    if diner_ids:
        rows = session.exec(
            select(Pairing.diner_id, Pairing.cook_id).where(
                col(Pairing.diner_id).in_(diner_ids), col(Pairing.accepted_at).is_not(None)
            )
        ).all()
        for diner_id, cook_id in rows:
            met[diner_id].add(cook_id)
    return excluded, met


@contextmanager
def patched_history(fn: Callable[..., Any] | None) -> Iterator[None]:
    """``history`` replaced where batch matching (``waiting_history``, its one-query form) and
    next-best proposals call it. The services take no history of their own (no public seam),
    so this swaps the module attributes; it then
    fails the run if the replacement was never called, so that a refactor which moves the call
    elsewhere cannot turn the variant silently into the plain app."""
    if fn is None:
        yield
        return
    calls = 0

    def counted(*args: Any, **kwargs: Any) -> Any:
        nonlocal calls
        calls += 1
        return fn(*args, **kwargs)

    def batch(session: Session, *, council_id: int, diner_ids: list[int]) -> Any:
        return counted(session, diner_ids)  # the batch's one-query form of history()

    old = matching_service.history, pairing_service.history, matching_service.waiting_history
    matching_service.history = counted  # type: ignore[assignment]
    pairing_service.history = counted  # type: ignore[assignment]
    matching_service.waiting_history = batch  # type: ignore[assignment]
    try:
        yield
    finally:
        matching_service.history, pairing_service.history, matching_service.waiting_history = old
    if calls == 0:
        raise SystemExit(
            "the replaced history() was never called: app.matching.service and "
            "app.pairings.service no longer call `history` by that name; fix patched_history"
        )


class ServiceSim:
    def __init__(self, world: World, url: str) -> None:
        self.world = world
        self.db = make_engine(url)
        # A throwaway file: no need to wait for the disk (the app's own pragmas still apply).
        event.listen(self.db, "connect", lambda conn, _rec: conn.execute("PRAGMA synchronous=OFF"))
        migrate(self.db)
        self.settings = get_settings()
        self.cook_ids: dict[int, int] = {}  # cook number -> Cook.id
        self.cook_users: dict[int, int] = {}  # Cook.id -> User.id
        self.diner_ids: list[int] = []
        self.carer_ids: list[int] = []
        self.n = SimCounters()
        self.draw = iter(world.accept_draws)
        self.password = hash_password("bench-password-1234")
        self.users = 0

    def _user(self, session: Session, role: str, council_id: int | None) -> User:
        self.users += 1
        email = f"{role}{self.users}@bench.example"
        user = User(
            email=email,
            email_key=email,
            full_name=f"Bench {role.title()} {self.users}",
            password_hash=self.password,
            role=role,
            council_id=council_id,
        )
        session.add(user)
        session.flush()
        return user

    def _add_cook(self, session: Session, number: int, today: date) -> None:
        p = self.world.cooks[number]
        user = self._user(session, "cook", None)
        body = CookProfileIn(
            display_name=f"Cook {number}",
            phone="+442079460018",
            address_line=f"{number} Example Road",
            postcode=p.postcode,
            walk_radius_m=p.radius_m,
            max_diners=p.max_diners,
            frequencies=["weekly"],
            diets=p.diets,
            allergen_free=p.allergies,
            textures=["regular"],
            availability=p.windows,
        )
        cook = put_own_profile(session, user=user, body=body, settings=self.settings)
        approve_cook(
            session,
            staff=self.staff,
            cook=cook,
            body=ApproveIn(
                dbs_checked_on=today - timedelta(days=30),
                dbs_level="enhanced",
                id_checked=True,
                hygiene_ack=True,
            ),
        )
        assert cook.id is not None and user.id is not None
        self.cook_ids[number] = cook.id
        self.cook_users[cook.id] = user.id

    def setup(self) -> None:
        with clock(START - timedelta(days=1)), Session(self.db, expire_on_commit=False) as s:
            council = create_council(
                s, slug="barnet", name="Barnet", lad_codes=[BARNET], max_walk_radius_m=MAX_WALK_M
            )
            self.staff = self._user(s, "staff", council.id)
            for number in range(len(self.world.cooks) - sum(map(len, self.world.joiners))):
                self._add_cook(s, number, START)
            for i, p in enumerate(self.world.diners):
                carer = self._user(s, "carer", council.id)
                diner = register_diner(
                    s,
                    actor=carer,
                    body=DinerIn(
                        full_name=f"Diner {i} Example",
                        address_line=f"{i} Example Street",
                        postcode=p.postcode,
                        diets=p.diets,
                        allergies=p.allergies,
                        texture="regular",
                        availability=p.windows,
                        frequency="weekly",
                        consent=True,
                    ),
                    settings=self.settings,
                    by_staff=False,
                )
                assert diner.id is not None and carer.id is not None
                self.diner_ids.append(diner.id)
                self.carer_ids.append(carer.id)
            s.commit()

    def _try(self, what: str, fn: Callable[[], Any]) -> Any:
        """Run one service call in a savepoint; an error is counted, not fatal."""
        try:
            with self.session.begin_nested():
                return fn()
        except Exception as exc:
            self.n.errors[f"{what}: {type(exc).__name__}: {exc}"[:160]] += 1
            return None

    def week(self, w: int) -> None:
        monday = START + timedelta(weeks=w)
        with clock(monday), Session(self.db, expire_on_commit=False) as s:
            self.session = s
            self.staff = s.get(User, self.staff.id)  # type: ignore[assignment]
            self._record_past(s, monday)
            for number in self.world.leavers[w]:
                cook = s.get(Cook, self.cook_ids[number])
                assert cook is not None
                self._try("stop_cooking", lambda c=cook: stop_cooking(s, cook=c, reason="moving"))
            for number in self.world.joiners[w]:
                self._try("add cook", lambda n=number: self._add_cook(s, n, monday))
            for d, begin, end in self.world.pauses[w]:
                diner = s.get(Diner, self.diner_ids[d])
                carer = s.get(User, self.carer_ids[d])
                body = PauseIn(**{"from": begin, "to": end})
                self._try(
                    "pause",
                    lambda d=diner, c=carer, b=body: pause_diner(s, actor=c, diner=d, body=b),
                )  # type: ignore[misc]
            self._count_waiting(s, monday)
            self._match(s)
            run_jobs(s, now=at(monday))
            for number in sorted(self.world.away[w]):
                cook = s.get(Cook, self.cook_ids[number])
                assert cook is not None
                self._try(
                    "mark_away",
                    lambda c=cook: mark_away(s, cook=c, from_=monday, to=monday + timedelta(6)),
                )
            self._cover(s, monday)
            s.commit()

    def finish(self) -> None:
        end = START + timedelta(weeks=self.world.weeks)
        with clock(end), Session(self.db, expire_on_commit=False) as s:
            self.session = s
            self._record_past(s, end)
            s.commit()

    def _record_past(self, s: Session, today: date) -> None:
        meals = s.exec(
            select(Meal).where(col(Meal.date) < today, col(Meal.status).in_(("scheduled",)))
        ).all()
        for meal in meals:
            record_outcome(s, meal=meal, outcome="delivered")
        self.n.uncovered += len(
            s.exec(
                select(Meal.id).where(
                    col(Meal.date) < today,
                    col(Meal.date) >= today - timedelta(days=7),
                    Meal.status == "needs_cover",
                )
            ).all()
        )

    def _count_waiting(self, s: Session, monday: date) -> None:
        open_diners = set(
            s.exec(
                select(Pairing.diner_id).where(
                    col(Pairing.status).in_(("proposed", "active", "paused"))
                )
            ).all()
        )
        last_end: dict[int, str | None] = {}
        for p in s.exec(select(Pairing).where(Pairing.status == "ended").order_by(col(Pairing.id))):
            last_end[p.diner_id] = p.end_reason
        for diner in s.exec(select(Diner)).all():
            diner_id = diner.id
            paused = (
                diner.paused_from
                and diner.paused_to
                and diner.paused_from <= monday <= diner.paused_to
            )
            if diner_id in open_diners or paused:
                continue
            self.n.waiting_weeks += 1
            if last_end.get(diner_id) == "cook_stopped":
                self.n.waiting_after_leaver += 1

    def _met_before(self, s: Session, diner_id: int) -> tuple[set[int], set[int]]:
        paired = set(
            s.exec(
                select(Pairing.cook_id).where(
                    Pairing.diner_id == diner_id, col(Pairing.accepted_at).is_not(None)
                )
            ).all()
        )
        covered = {
            c
            for c in s.exec(
                select(Meal.cook_id).where(
                    Meal.diner_id == diner_id,
                    col(Meal.is_cover).is_(True),
                    Meal.status == "delivered",
                )
            ).all()
            if c is not None
        }
        return paired, covered

    def _match(self, s: Session) -> None:
        proposed, _unmatched = run_batch(s, staff=self.staff)
        queue = list(proposed)
        while queue:
            pairing = queue.pop(0)
            self.n.proposals += 1
            if next(self.draw, 0.0) < ACCEPT_RATE:
                paired, covered = self._met_before(s, pairing.diner_id)
                if paired or covered:
                    self.n.rematch_total += 1
                    self.n.rematch_familiar += pairing.cook_id in (paired | covered)
                    if covered - {pairing.cook_id}:
                        self.n.rematch_cover_cook_available += self._any_matchable(s, covered)
                self._try("accept", lambda p=pairing: accept_pairing(s, pairing=p))
            else:
                self.n.declined += 1
                result = self._try("decline", lambda p=pairing: decline_pairing(s, pairing=p))
                if result and result[1] is not None:
                    queue.append(result[1])

    def _any_matchable(self, s: Session, cook_ids: set[int]) -> bool:
        rows = s.exec(select(Cook).where(col(Cook.id).in_(cook_ids))).all()
        open_by_cook = Counter(
            s.exec(
                select(Pairing.cook_id).where(
                    col(Pairing.cook_id).in_(cook_ids),
                    col(Pairing.status).in_(("proposed", "active", "paused")),
                )
            ).all()
        )
        return any(c.status == "approved" and open_by_cook[c.id] < c.max_diners for c in rows)

    def _cover(self, s: Session, monday: date) -> None:
        meals = s.exec(
            select(Meal)
            .where(
                Meal.status == "needs_cover",
                col(Meal.date) >= monday,
                col(Meal.date) <= monday + timedelta(days=6),
            )
            .order_by(col(Meal.at), col(Meal.id))
        ).all()
        for meal in meals:
            candidates = cover_candidates(s, meal=meal)
            if not candidates:
                self.n.cover_no_candidate += 1
                continue
            cook = candidates[0][0]
            user = s.get(User, self.cook_users[cook.id])  # type: ignore[index]
            if self._try("take_cover", lambda u=user, m=meal: take_cover(s, user=u, meal_id=m.id)):
                self.n.covers_taken += 1

    def metrics(self) -> dict[str, Any]:
        end = START + timedelta(weeks=self.world.weeks)
        with Session(self.db) as s:
            pairings = {p.id: p for p in s.exec(select(Pairing)).all()}
            meals = s.exec(
                select(Meal)
                .where(Meal.status == "delivered")
                .order_by(col(Meal.date), col(Meal.id))
            ).all()
            by_cook_day = Counter((m.cook_id, m.date) for m in meals)
            self.n.max_meals_same_cook_day = max(by_cook_day.values(), default=0)
            by_cook_time: dict[tuple[Any, ...], list[bool]] = defaultdict(list)
            for m in meals:
                by_cook_time[(m.cook_id, m.date, m.start)].append(m.is_cover)
            self.n.same_time_clashes = sum(len(v) > 1 and any(v) for v in by_cook_time.values())
            seqs: dict[int, list[tuple[int, int]]] = defaultdict(list)
            for m in meals:
                seqs[m.diner_id].append(((m.date - START).days // 7, m.cook_id))  # type: ignore[arg-type]
            by_diner = sequence_stats(list(seqs.values()))
            accepted = [p for p in pairings.values() if p.accepted_at is not None]
            n_meals = len(meals)
            regular = sum(m.cook_id == pairings[m.pairing_id].cook_id for m in meals)
            # Familiar: the regular, or a cook paired with (accepted before) or who had
            # delivered a meal to this diner before this meal's date.
            paired_on: dict[int, list[tuple[date, int]]] = defaultdict(list)
            for p in accepted:
                assert p.accepted_at is not None
                paired_on[p.diner_id].append((p.accepted_at.date(), p.cook_id))
            delivered_by: dict[int, dict[int, date]] = defaultdict(dict)
            familiar = covers = covers_familiar = 0
            for m in meals:
                cook = m.cook_id
                is_regular = cook == pairings[m.pairing_id].cook_id
                seen = delivered_by[m.diner_id].get(cook)  # type: ignore[arg-type]
                met = (seen is not None and seen < m.date) or any(
                    d < m.date and c == cook for d, c in paired_on[m.diner_id]
                )
                familiar += is_regular or met
                if not is_regular:
                    covers += 1
                    covers_familiar += met
                delivered_by[m.diner_id].setdefault(cook, m.date)  # type: ignore[arg-type]
            lengths = [
                ((p.ended_at or at(end)) - p.accepted_at).total_seconds() / 86_400  # type: ignore[operator]
                for p in accepted
            ]
            all_meals = s.exec(select(Meal).where(col(Meal.date) < end)).all()
            not_cancelled = [m for m in all_meals if m.status != "cancelled"]
            hit = sum(m.is_cover or m.status == "needs_cover" for m in not_cancelled)
            ended = Counter(p.end_reason for p in pairings.values() if p.status == "ended")
        # Diner-weeks in service: meals due (not cancelled) plus weeks waiting after a leaver.
        served = len(not_cancelled) + self.n.waiting_after_leaver
        return {
            "meals": n_meals,
            "regular": regular / n_meals if n_meals else math.nan,
            "regular_weeks": regular / served if served else math.nan,
            "familiar": familiar / n_meals if n_meals else math.nan,
            "cover_familiar": covers_familiar / covers if covers else math.nan,
            "covers": covers,
            "median_len": statistics.median(lengths) if lengths else math.nan,
            "by_diner": by_diner,
            "pairings": len(accepted),
            "away_measured": hit / len(not_cancelled) if not_cancelled else math.nan,
            "leaver_loss": self.n.waiting_after_leaver / served if served else math.nan,
            "waiting_weeks": self.n.waiting_weeks,
            "ended": dict(ended),
        }


def run_services(
    world: World, history_fn: Callable[..., Any] | None
) -> tuple[dict[str, Any], SimCounters, tuple[float, float]]:
    t0, c0 = time.perf_counter(), time.process_time()
    with (
        tempfile.TemporaryDirectory(prefix="portion-continuity-", dir=TMP) as tmp,
        patched_history(history_fn),
    ):
        sim = ServiceSim(world, f"sqlite:///{tmp}/sim.db")
        sim.setup()
        for w in range(world.weeks):
            sim.week(w)
            if (w + 1) % 13 == 0:
                print(f"  week {w + 1}: {time.perf_counter() - t0:.0f} s", file=sys.stderr)
        sim.finish()
        out = sim.metrics()
        sim.db.dispose()
    return out, sim.n, (time.perf_counter() - t0, time.process_time() - c0)


# --- the memoryless greedy baseline -------------------------------------------------------------


def engine_inputs(world: World) -> tuple[list[engine.CookInput], list[engine.DinerInput]]:
    def wins(p: Person) -> tuple[engine.Window, ...]:
        return tuple(
            engine.Window(w["weekday"], minutes(w["start"]), minutes(w["end"])) for w in p.windows
        )

    cooks = [
        engine.CookInput(
            id=i,
            lat=p.lat,
            lon=p.lon,
            radius_m=p.radius_m,
            matchable=True,
            spare=1,
            load=0,
            frequencies=frozenset({"weekly"}),
            diets=frozenset(p.diets),
            allergen_free=frozenset(p.allergies),
            textures=frozenset({"regular"}),
            windows=wins(p),
        )
        for i, p in enumerate(world.cooks)
    ]
    diners = [
        engine.DinerInput(
            id=i,
            lat=p.lat,
            lon=p.lon,
            diets=frozenset(p.diets),
            allergies=frozenset(p.allergies),
            texture="regular",
            frequency="weekly",
            windows=wins(p),
        )
        for i, p in enumerate(world.diners)
    ]
    return cooks, diners


def sequence_stats(served_by: list[list[tuple[int, int]]]) -> dict[str, Any]:
    """Per diner (week, cook) in week order: the diner-based continuity figures.

    regular = meals by the diner's most frequent cook; familiar = by that cook or a cook who
    had brought the diner a meal before; strict = only the latter; runs = consecutive weekly
    meals by the same cook (a missing week, e.g. in hospital, breaks a run).
    """
    meals = sum(map(len, served_by))
    regular = familiar = strict = 0
    runs: list[int] = []
    for seq in served_by:
        if not seq:
            continue
        top, top_n = Counter(c for _, c in seq).most_common(1)[0]
        regular += top_n
        met: set[int] = set()
        run, last_week, last_cook = 0, -2, None
        for w, c in seq:
            strict += c in met
            familiar += c in met or c == top
            met.add(c)
            if c == last_cook and w == last_week + 1:
                run += 1
            else:
                if run:
                    runs.append(run)
                run = 1
            last_week, last_cook = w, c
        runs.append(run)
    return {
        "meals": meals,
        "regular": regular / meals if meals else math.nan,
        "familiar": familiar / meals if meals else math.nan,
        "strict": strict / meals if meals else math.nan,
        "median_len": 7 * statistics.median(runs) if runs else math.nan,
        # A cover makes a one-meal run: the median over meals says how long the run is that a
        # typical meal belongs to.
        "meal_run": 7 * statistics.median([r for r in runs for _ in range(r)])
        if runs
        else math.nan,
        "pairings": len(runs),
    }


def run_greedy(
    world: World, seed: int, shuffle: bool
) -> tuple[dict[str, Any], tuple[float, float]]:
    t0, c0 = time.perf_counter(), time.process_time()
    cooks, diners = engine_inputs(world)
    safe: list[list[int]] = []  # per diner: cook numbers passing every hard rule, nearest first
    for d in diners:
        ok = [
            (haversine_m(c.lat, c.lon, d.lat, d.lon), c.id)
            for c in cooks
            if not engine.check_pair(c, d, max_radius_m=MAX_WALK_M)
        ]
        safe.append([c for _, c in sorted(ok)])
    rng = random.Random(seed + 1)
    alive: set[int] = set(range(len(cooks) - sum(map(len, world.joiners))))
    served_by: list[list[tuple[int, int]]] = [[] for _ in diners]  # (week, cook)
    unserved = 0
    paused: list[list[tuple[date, date]]] = [[] for _ in diners]
    for w in range(world.weeks):
        monday = START + timedelta(weeks=w)
        alive -= set(world.leavers[w])
        alive |= set(world.joiners[w])
        for d, begin, end in world.pauses[w]:
            paused[d].append((begin, end))
        places = {c: world.cooks[c].max_diners for c in alive if c not in world.away[w]}
        order = list(range(len(diners)))
        if shuffle:
            rng.shuffle(order)
        midweek = monday + timedelta(days=3)
        for d in order:
            if any(b <= midweek <= e for b, e in paused[d]):
                continue
            cook = next((c for c in safe[d] if places.get(c, 0) > 0), None)
            if cook is None:
                unserved += 1
                continue
            places[cook] -= 1
            served_by[d].append((w, cook))
    out = sequence_stats(served_by)
    out["unserved"] = unserved
    return out, (time.perf_counter() - t0, time.process_time() - c0)


# --- the report ---------------------------------------------------------------------------------


def pct(x: float) -> str:
    return "-" if x != x else f"{x:.1%}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true", help="a small smoke run")
    parser.add_argument("--diners", type=int)
    parser.add_argument("--cooks", type=int)
    parser.add_argument("--weeks", type=int)
    parser.add_argument("--seed", type=int, default=20_261_126)
    parser.add_argument(
        "--services",
        choices=("both", "app", "old", "none"),
        default="both",
        help="which runs of the services: app, 'covers not met' (old), both, none",
    )
    args = parser.parse_args()
    logging.disable(logging.INFO)
    n_d, n_c, n_w = SIZES["quick" if args.quick else "full"]
    n_d, n_c, n_w = args.diners or n_d, args.cooks or n_c, args.weeks or n_w
    t_all = time.perf_counter()
    world = make_world(args.seed, n_d, n_c, n_w)
    print(
        f"{n_d} diners, {n_c} cooks (+{sum(map(len, world.joiners))} replacements), {n_w} weeks, "
        f"seed {args.seed}; away {AWAY_RATE:.0%}/week, leave {LEAVE_PER_MONTH:.0%}/month, "
        f"hospital {HOSPITAL_PER_MONTH:.0%}/month, accept {ACCEPT_RATE:.0%}",
        flush=True,
    )
    columns: dict[str, dict[str, str]] = {}
    runs: list[tuple[str, Callable[..., Any] | None]] = []
    if args.services in ("both", "app"):
        runs.append(("app (services)", None))
    if args.services in ("both", "old"):
        runs.append(("app, covers not met", history_pairings_only))
    notes: list[str] = []
    for name, fn in runs:
        print(f"running: {name}", flush=True)
        m, n, secs = run_services(world, fn)
        ceiling = 1 - AWAY_RATE - m["leaver_loss"]
        columns[name] = {
            "meals delivered": f"{m['meals']:,}",
            "regular-cook share": pct(m["regular"]),
            "  ceiling: 1 - away rate": pct(1 - AWAY_RATE),
            "  (share of due meals whose cook was away)": pct(m["away_measured"]),
            "regular share of diner-weeks in service": pct(m["regular_weeks"]),
            "  ceiling 1 - away - leaver loss": (
                f"{pct(ceiling)} (1-{AWAY_RATE:.0%}-{m['leaver_loss']:.1%})"
            ),
            "familiar-face share": pct(m["familiar"]),
            "  of non-regular meals: familiar": pct(m["cover_familiar"]),
            "median pairing length (days)": f"{m['median_len']:.0f}",
            "pairings (accepted) / runs": f"{m['pairings']:,}",
            "diner-based: most frequent cook": pct(m["by_diner"]["regular"]),
            "diner-based: familiar (incl. most frequent)": pct(m["by_diner"]["familiar"]),
            "diner-based: met before only": pct(m["by_diner"]["strict"]),
            "diner-based: median same-cook run (days)": f"{m['by_diner']['median_len']:.0f}",
            "  the same, weighted by meals (days)": f"{m['by_diner']['meal_run']:.0f}",
            "diner-weeks waiting": f"{m['waiting_weeks']:,} (incl. week 1)",
            "covers taken / none possible": f"{n.covers_taken:,} / {n.cover_no_candidate:,}",
            "meals left uncovered": f"{n.uncovered:,}",
            "proposals / declined": f"{n.proposals:,} / {n.declined:,}",
            "re-matches to a familiar face": (
                f"{n.rematch_familiar} of {n.rematch_total}"
                f" (cover cook free: {n.rematch_cover_cook_available})"
            ),
            "most meals one cook brought in a day": f"{n.max_meals_same_cook_day}",
            "cook with a cover + another meal, same hour": f"{n.same_time_clashes}",
            "pairings ended, by reason": ", ".join(
                f"{k} {v}" for k, v in sorted(m["ended"].items())
            ),
            "service errors": f"{sum(n.errors.values())}",
            "wall time (CPU time)": f"{secs[0]:.1f} s ({secs[1]:.1f} s)",
        }
        notes += [f"[{name}] {count} x {msg}" for msg, count in n.errors.most_common(8)]
    for name, shuffle in (("greedy, fixed order", False), ("greedy, random order", True)):
        m, secs = run_greedy(world, args.seed, shuffle)
        columns[name] = {
            "meals delivered": f"{m['meals']:,}",
            "regular-cook share": "-",
            "familiar-face share": "-",
            "median pairing length (days)": "-",
            "pairings (accepted) / runs": f"{m['pairings']:,} runs",
            "diner-based: most frequent cook": pct(m["regular"]),
            "diner-based: familiar (incl. most frequent)": pct(m["familiar"]),
            "diner-based: met before only": pct(m["strict"]),
            "diner-based: median same-cook run (days)": f"{m['median_len']:.0f}",
            "  the same, weighted by meals (days)": f"{m['meal_run']:.0f}",
            "diner-weeks waiting": f"{m['unserved']:,} (no cook free)",
            "wall time (CPU time)": f"{secs[0]:.1f} s ({secs[1]:.1f} s)",
        }
    keys: list[str] = []
    for c in columns.values():
        keys += [k for k in c if k not in keys]
    width = max(map(len, keys)) + 2
    colw = max(22, *(len(v) + 2 for c in columns.values() for v in c.values()))
    print()
    print(
        f"Continuity over {n_w} weeks: {n_d} diners, {n_c} cooks, Barnet postcodes, seed "
        f"{args.seed}; {os.cpu_count()} CPUs; total wall {time.perf_counter() - t_all:.0f} s "
        f"(CPU {time.process_time():.0f} s); load average {os.getloadavg()[0]:.1f}"
    )
    print("metric".ljust(width) + "".join(name.rjust(colw) for name in columns))
    print("-" * (width + colw * len(columns)))
    for key in keys:
        print(key.ljust(width) + "".join(c.get(key, "").rjust(colw) for c in columns.values()))
    for note in notes:
        print(note)


if __name__ == "__main__":
    main()
