"""Suggestions, proposals and batch matching: the engine fed from, and written to, the database."""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import TypeVar

from sqlalchemy import insert
from sqlmodel import Session, col, select

from app.audit import record_audit
from app.councils.service import staff_council
from app.db import utcnow
from app.diners.service import council_today, get_councils_diner, public_status
from app.errors import Conflict, NotFound, RuleBroken
from app.geo.distance import haversine_m, public_distance_m, staff_distance_m
from app.matching import engine
from app.matching.cache import council_cooks, with_capacity
from app.matching.inputs import (
    CookFields,
    away_weekdays,
    cook_away_on,
    cook_input,
    cook_inputs,
    diner_input,
    first_meal_day,
    history,
    open_loads,
    unpaired_waiting_diners,
    without_away,
)
from app.matching.schemas import BatchOut, SlotOut, SuggestionOut, SuggestionsOut, UnmatchedOut
from app.models import OPEN_STATUSES, AuditEntry, Cook, Council, Diner, Notification, Pairing, User
from app.notifications.outbox import message_id_for, recipient_key
from app.pairings.schemas import PairingCreate
from app.pairings.views import first_name, pairing_out
from app.schemas import hhmm, minutes
from app.vocab import DinerStatus

MAX_CANDIDATES = 500  # more safe cooks within walking distance than this is not a real case


def suggest_cooks(session: Session, *, staff: User, diner_id: int, limit: int) -> SuggestionsOut:
    """Ranked cooks for one diner, with reasons; or why there is none."""
    council = staff_council(session, staff)
    diner = get_councils_diner(session, staff=staff, diner_id=diner_id)
    today = council_today(council)
    cached = council_cooks(session, council=council, today=today)
    rows = cached.rows
    excluded, met = history(session, [diner_id])
    target = diner_input(diner, excluded=excluded[diner_id], met=met[diner_id])
    radius = council.max_walk_radius_m
    # Every safe cook in reach, from the cached index (capacity and absences not yet
    # considered) ...
    reachable = engine.suggest(target, cached.index, max_radius_m=radius, limit=MAX_CANDIDATES)
    result = reachable
    if reachable.items:
        # ... then ranked again with their current loads and absences, read fresh.
        ids = [s.cook_id for s in reachable.items]
        fresh = with_capacity([cached.inputs[i] for i in ids], open_loads(session, ids))
        fresh = without_away(fresh, away_weekdays(session, council=council, today=today))
        result = engine.suggest(target, engine.CookIndex(fresh), max_radius_m=radius, limit=limit)
    return SuggestionsOut(
        items=[
            SuggestionOut(
                cook_id=s.cook_id,
                display_name=rows[s.cook_id].display_name,
                # The reasons say "N m away" with this same rounding (engine._reasons).
                distance_m=staff_distance_m(s.distance_m),
                score=s.score,
                reasons=s.reasons,
                slots=[
                    SlotOut(weekday=w.weekday, start=hhmm(w.start), end=hhmm(w.end))
                    for w in s.slots
                ],
            )
            for s in result.items
        ],
        unmatched_reason=result.unmatched_reason,
    )


def _lock_cook(session: Session, *, council: Council, cook_id: int) -> Cook:
    """The cook's row, locked until commit so two proposals cannot both take the last place.

    PostgreSQL: SELECT ... FOR UPDATE. SQLite: every transaction already holds the write lock
    (BEGIN IMMEDIATE, see app.db), so proposals are serialised anyway.
    """
    cook = session.exec(select(Cook).where(Cook.id == cook_id).with_for_update()).first()
    if cook is None or cook.council_id != council.id:
        raise NotFound("Cook not found")
    return cook


def propose_pairing(session: Session, *, staff: User, body: PairingCreate) -> Pairing:
    """Invite a cook to a diner after checking every hard rule; never overbooks the cook."""
    council = staff_council(session, staff)
    cook = _lock_cook(session, council=council, cook_id=body.cook_id)
    diner = session.exec(select(Diner).where(Diner.id == body.diner_id).with_for_update()).first()
    if diner is None or diner.council_id != council.id:
        raise NotFound("Diner not found")
    today = council_today(council)
    if public_status(diner, today) in (DinerStatus.left, DinerStatus.paused):
        raise Conflict(f"The diner is {public_status(diner, today)}")
    if _open_pairing(session, diner_id=body.diner_id) is not None:
        raise Conflict("The diner already has a proposed or active pairing")
    load = open_loads(session, [body.cook_id])[body.cook_id]
    excluded, met = history(session, [body.diner_id])
    candidate = cook_input(cook, council=council, today=today, load=load)
    target = diner_input(
        diner, excluded=excluded[diner.id or 0], met=met[diner.id or 0], frequency=body.frequency
    )
    violations = engine.check_pair(candidate, target, max_radius_m=council.max_walk_radius_m)
    slot = engine.check_slot(candidate, target, body.weekday, minutes(body.start))
    rules = [v for v in violations if v.rule != "no_capacity"] + ([slot] if slot else [])
    if cook.location_review:
        rules.insert(
            0,
            engine.Violation(
                "location_review",
                "cook_id",
                f"cook {cook.id} has moved and staff have not yet confirmed their new place",
            ),
        )
    first_meal = first_meal_day(body.weekday, today)
    if cook_away_on(session, cook_id=body.cook_id, day=first_meal):
        rules.append(
            engine.Violation(
                "cook_away",
                "cook_id",
                f"cook {cook.id} is away on {first_meal:%A %d %B %Y}, the first meal's date",
            )
        )
    if rules:
        first = rules[0]
        raise RuleBroken(first.rule, [first.field], first.message)
    if violations:
        raise Conflict("The cook has no place left (proposed and active pairings count)")
    return _create_proposal(
        session,
        staff=staff,
        cook=cook,
        diner=diner,
        weekday=body.weekday,
        start=body.start,
        frequency=body.frequency,
    )


def _open_pairing(session: Session, *, diner_id: int) -> Pairing | None:
    return session.exec(
        select(Pairing).where(Pairing.diner_id == diner_id, col(Pairing.status).in_(OPEN_STATUSES))
    ).first()


@dataclass(frozen=True)
class Proposal:
    cook: CookFields
    diner: Diner
    weekday: int
    start: str
    frequency: str


def _create_proposal(
    session: Session,
    *,
    staff: User | None,
    cook: CookFields,
    diner: Diner,
    weekday: int,
    start: str,
    frequency: str,
) -> Pairing:
    [pairing] = _create_proposals(
        session, staff=staff, proposals=[Proposal(cook, diner, weekday, start, frequency)]
    )
    return pairing


def _create_proposals(
    session: Session, *, staff: User | None, proposals: list[Proposal]
) -> list[Pairing]:
    """Write proposals, their audit entries and invitations as three multi-row INSERTs.

    Core inserts, not ORM objects: a city's batch writes tens of thousands of rows, and
    building model objects one by one took most of the batch's time.
    """
    if not proposals:
        return []
    now, actor = utcnow(), staff.id if staff else None
    distances = [
        haversine_m(p.cook.latitude, p.cook.longitude, p.diner.latitude, p.diner.longitude)
        for p in proposals
    ]
    ids = (
        session.execute(
            insert(Pairing).returning(col(Pairing.id), sort_by_parameter_order=True),
            [
                {
                    "council_id": p.diner.council_id,
                    "cook_id": p.cook.id,
                    "diner_id": p.diner.id,
                    "status": "proposed",
                    "weekday": p.weekday,
                    "start": p.start,
                    "frequency": p.frequency,
                    "distance_m": distance,
                    "proposed_by_id": actor,
                    "proposed_at": now,
                }
                for p, distance in zip(proposals, distances, strict=True)
            ],
        )
        .scalars()
        .all()
    )
    session.execute(
        insert(AuditEntry),
        [
            {
                "at": now,
                "actor_id": actor,
                "council_id": p.diner.council_id,
                "action": "pairing.proposed",
                "subject_type": "pairing",
                "subject_id": pairing_id,
                "data": {"cook_id": p.cook.id, "diner_id": p.diner.id},
            }
            for p, pairing_id in zip(proposals, ids, strict=True)
        ],
    )
    invitations = []
    for p, pairing_id, distance in zip(proposals, ids, distances, strict=True):
        name = first_name(p.diner.full_name)
        key = recipient_key(f"pairing:{pairing_id}:proposed", p.cook.user_id)
        invitations.append(
            {
                "dedupe_key": key,
                "event": "proposal",
                "to_user_id": p.cook.user_id,
                "about_diner_id": p.diner.id,
                "subject": f"Would you cook for {name}?",
                "body": (
                    f"The council suggests you cook for {name}, {_near(distance)} from you. "
                    "Please accept or decline from your invitations page."
                ),
                "message_id": message_id_for(key),
                "status": "pending",
                "attempts": 0,
                "next_attempt_at": now,
                "created_at": now,
            }
        )
    session.execute(insert(Notification), invitations)
    return _load_pairings(session, list(ids))


def _near(metres: float) -> str:
    """A distance as a cook may read it (rounded to 100 m, like every public distance)."""
    shown = public_distance_m(metres)
    return f"about {shown:,} m" if shown else "less than 100 m"


def _load_pairings(session: Session, ids: list[int], chunk: int = 10_000) -> list[Pairing]:
    by_id: dict[int | None, Pairing] = {}
    for i in range(0, len(ids), chunk):
        part = ids[i : i + chunk]
        by_id |= {p.id: p for p in session.exec(select(Pairing).where(col(Pairing.id).in_(part)))}
    return [by_id[i] for i in ids]


@contextmanager
def _phase(phases: dict[str, float] | None, name: str) -> Iterator[None]:
    """Adds the wall time of the block to ``phases[name]`` (when the caller asked for them)."""
    if phases is None:
        yield
        return
    t0 = time.perf_counter()
    try:
        yield
    finally:
        phases[name] = phases.get(name, 0.0) + time.perf_counter() - t0


def run_batch(
    session: Session, *, staff: User, phases: dict[str, float] | None = None
) -> tuple[list[Pairing], list[tuple[int, str]]]:
    """Propose the optimal set of pairings for every waiting diner with no open pairing.

    ``phases``, when given, receives the wall time of each step by name (bench/matching_db.py).
    """
    council = staff_council(session, staff)
    today = council_today(council)
    with _phase(phases, "lock cooks"):
        # Lock the council's cooks first (same order as single proposals: cooks, then diners).
        session.exec(select(Cook.id).where(Cook.council_id == council.id).with_for_update()).all()
    with _phase(phases, "load cooks"):
        cooks, rows = cook_inputs(session, council=council, today=today)
    with _phase(phases, "load diners + history"):
        diners = unpaired_waiting_diners(session, council=council, today=today)
        ids = [d.id for d in diners if d.id is not None]
        excluded, met = history(session, ids)
        inputs = [diner_input(d, excluded=excluded[d.id or 0], met=met[d.id or 0]) for d in diners]
    radius = council.max_walk_radius_m
    with _phase(phases, "engine: index build"):
        index = engine.CookIndex(cooks)
    with _phase(phases, "engine: candidates"):
        graph = engine.batch_candidates(inputs, index, max_radius_m=radius)
    with _phase(phases, "engine: solve (min-cost flow)"):
        result = engine.solve_batch(graph)
    by_id = {d.id: d for d in diners}
    with _phase(phases, "write proposals"):
        proposed = _create_proposals(
            session,
            staff=staff,
            proposals=[
                Proposal(
                    cook=rows[a.cook_id],
                    diner=by_id[a.diner_id],
                    weekday=a.weekday,
                    start=hhmm(a.start),
                    frequency=by_id[a.diner_id].frequency,
                )
                for a in result.assignments
            ],
        )
        record_audit(
            session,
            actor_id=staff.id,
            council_id=council.id,
            action="matching.run",
            subject_type="council",
            subject_id=council.id,
            data={"proposed": len(proposed), "unmatched": len(result.unmatched)},
        )
    return proposed, list(result.unmatched)


def run_matching(
    session: Session, *, staff: User, phases: dict[str, float] | None = None
) -> BatchOut:
    """POST /api/staff/matching/run: the batch, committed, and the answer API.md gives."""
    proposed, unmatched = run_batch(session, staff=staff, phases=phases)
    with _phase(phases, "commit"):
        session.commit()
    with _phase(phases, "response"):
        # One query each for the people named in the result (a city batch proposes thousands).
        diners = _by_id(session, Diner, {p.diner_id for p in proposed} | {d for d, _ in unmatched})
        cooks = _by_id(session, Cook, {p.cook_id for p in proposed})
        return BatchOut(
            proposed=[
                pairing_out(p, diner=diners[p.diner_id], cook=cooks[p.cook_id], viewer_role="staff")
                for p in proposed
            ],
            unmatched=[
                UnmatchedOut(diner_id=d, first_name=first_name(diners[d].full_name), reason=r)
                for d, r in unmatched
            ],
        )


T = TypeVar("T", Cook, Diner)


def _by_id(
    session: Session, model: type[T], ids: set[int], chunk: int = 10_000
) -> dict[int | None, T]:
    found: dict[int | None, T] = {}
    ordered = sorted(ids)
    for i in range(0, len(ordered), chunk):
        rows = session.exec(select(model).where(col(model.id).in_(ordered[i : i + chunk])))
        found |= {row.id: row for row in rows}
    return found
