"""Suggestions, proposals and batch matching: the engine fed from, and written to, the database."""

from __future__ import annotations

import gc
import time
from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, replace
from datetime import date
from functools import partial

from pydantic_core import to_json
from sqlalchemy import Table, func, text
from sqlmodel import Session, SQLModel, col, select

from app.audit import record_audit
from app.config import get_settings
from app.councils.rules import council_today
from app.councils.service import staff_council
from app.db import utcnow
from app.diners.erasure_hold import ErasureHold, erasure_hold
from app.diners.rules import public_status
from app.errors import Conflict, NotFound, RuleBroken
from app.geo.distance import haversine_m, public_distance_text, staff_distance_m
from app.matching import engine
from app.matching.batch_inputs import waiting_diners, waiting_history
from app.matching.beside import Beside
from app.matching.bulk import insert_rows
from app.matching.cache import CouncilCooks, council_cooks, with_capacity
from app.matching.engine.busy import CLASH_MINUTES, apart, clashes, without_booked
from app.matching.inputs import (
    CookFields,
    CookRow,
    DinerFields,
    DinerRow,
    away_weekdays,
    booked_times,
    candidate_state,
    cook_away_on,
    cook_input,
    council_loads,
    diner_in_council,
    diner_input,
    first_meal_day,
    history,
    lock_cooks,
    open_loads,
    without_away,
)
from app.matching.schemas import SlotOut, SuggestionOut, SuggestionsOut
from app.models import (
    OPEN_STATUSES,
    AuditEntry,
    Cook,
    Council,
    Diner,
    Meal,
    Notification,
    Pairing,
    User,
)
from app.names import first_name
from app.notifications import messages
from app.notifications.outbox import channel_by_choice, message_id_for, recipient_key
from app.pairings.schemas import PairingCreate
from app.schemas import hhmm, minutes
from app.vocab import (
    WEEKDAYS,
    DinerStatus,
    Frequency,
    MealStatus,
    PairingStatus,
    UnmatchedReason,
)

MAX_CANDIDATES = 500  # more safe cooks within walking distance than this is not a real case


def suggest_cooks(session: Session, *, staff: User, diner_id: int, limit: int) -> SuggestionsOut:
    """Ranked cooks for one diner, with reasons; or why there is none.

    Two queries: the diner with the council, its cook index version and the diner's history,
    then the candidates' row versions, loads and absences (``candidate_state``); once more the
    last when a candidate's row changed since the index was built.
    """
    if staff.council_id is None:
        raise NotFound("Council not found")
    found = diner_in_council(session, diner_id=diner_id)
    if found is None or found.diner.council_id != staff.council_id:
        raise NotFound("Diner not found")  # as get_councils_diner: another council's too
    diner, council = found.diner, found.council
    if found.held is not None:
        # No cook is sent the needs of a diner whose carer asked for erasure. API.md's
        # unmatched reasons each name a cook lacking, none this: null, as the contract allows;
        # the match page says why (and a proposal by hand is refused as `erasure_requested`).
        return SuggestionsOut(items=[], unmatched_reason=None)
    today = council_today(council)
    target = diner.matching_input(excluded=found.excluded, met=found.met)
    radius = council.max_walk_radius_m
    latest = found.latest_cook_change
    for rebuild in (False, True):
        cached = council_cooks(
            session, council=council, today=today, rebuild=rebuild, latest=latest
        )
        # Every safe cook in reach, from the cached index (capacity and absences not yet
        # considered) ...
        ranking = engine.rank(target, cached.index, max_radius_m=radius)
        ids = ranking.cook_ids[:MAX_CANDIDATES]
        state = candidate_state(
            session, council_id=council.id or 0, cook_ids=ids, today=today, diner_id=diner.id or 0
        )
        if all(state.versions.get(i) == cached.rows[i].version for i in ids):
            break
        # A candidate's row changed, or left the council, since the index was built.
    reachable = len(ids)
    ids = [i for i in ids if state.versions.get(i) == cached.rows[i].version]
    if len(ids) == reachable and not state.loads and not state.away:
        # ... which are the fresh inputs too (no candidate has a pairing or an absence):
        # ranking them again would give the same list.
        result = ranking.suggestions(limit)
    else:
        # ... then ranked again with their current loads, absences and booked times, read
        # fresh. A load only adds to a cook's cost and an absence or a booked time only takes
        # windows away (a booked cook has a load: among the changed), so no cook ranked
        # after the limit-th unchanged one can move above it: those are left out of the index
        # built for the new ranking (building it for hundreds of cooks took milliseconds).
        changed = state.loads.keys() | state.away.keys()
        unchanged = 0
        for n, cook_id in enumerate(ids, start=1):
            unchanged += cook_id not in changed
            if unchanged == limit:
                ids = ids[:n]
                break
        fresh = with_capacity([cached.inputs[i] for i in ids], state.loads)
        fresh = without_booked(without_away(fresh, state.away), state.booked)
        result = engine.suggest(target, engine.CookIndex(fresh), max_radius_m=radius, limit=limit)
    if not result.items:
        result = _why_none(
            session, council=council, diner=diner, ranking=ranking, cached=cached, limit=limit
        )
    return _out(result, cached.rows)


def _why_none(
    session: Session,
    *,
    council: Council,
    diner: DinerRow,
    ranking: engine.Ranking,
    cached: CouncilCooks,
    limit: int,
) -> engine.Suggestions:
    """No candidate: why, against the cooks in reach as they are now (places, absences, booked
    times), as the batch and the unmatched report judge it. Not the cached index alone (which
    knows no booked time: a diner whose only cook with time was booked at it read "no cook for
    their diet"), nor the few cooks ranked above (without those who fail an earlier check, the
    first check that leaves none came later than it does): outside checks found the batch and
    the suggestions giving one diner two reasons.

    What is read now only takes from a cook (a time, a place), so the reason is never a later
    check than the cached index's (``ranking``: the same rows as now, its version checked with
    the diner's). With no cook in reach, or none who shares a time, that is the reason, and
    nothing more is read. Otherwise only the cooks who pass the first two checks in the index
    can pass them now: those alone are read again and judged as they are now (reading every
    cook in reach made a diner with no suggestion cost half as much again as one with some:
    bench/README.md, session 44)."""
    timely = ranking.timely_ids
    if not timely:
        return ranking.suggestions(limit)
    now = candidate_state(
        session,
        council_id=council.id or 0,
        cook_ids=timely,
        today=council_today(council),
        diner_id=diner.id or 0,
    )
    # A cook whose row changed between the two reads is left out, as the ranking above does.
    cooks = [cached.inputs[i] for i in timely if now.versions.get(i) == cached.rows[i].version]
    cooks = without_booked(without_away(with_capacity(cooks, now.loads), now.away), now.booked)
    return engine.suggest(
        ranking.diner, engine.CookIndex(cooks), max_radius_m=council.max_walk_radius_m, limit=limit
    )


def _out(result: engine.Suggestions, rows: dict[int, CookRow]) -> SuggestionsOut:
    return SuggestionsOut(
        items=[
            SuggestionOut(
                cook_id=s.cook_id,
                display_name=rows[s.cook_id].display_name,
                # The reasons say "N m away" with this same rounding (suggestion_reasons).
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

    PostgreSQL: SELECT ... FOR NO KEY UPDATE (app.db.lock_row says why). SQLite: every
    transaction already holds the write lock (BEGIN IMMEDIATE, see app.db), so proposals are
    serialised anyway.
    """
    cook = session.exec(
        select(Cook)
        .where(Cook.id == cook_id)
        .with_for_update(key_share=True)
        .execution_options(populate_existing=True)  # as it is once the lock is ours
    ).first()
    if cook is None or cook.council_id != council.id:
        raise NotFound("Cook not found")
    return cook


def propose_pairing(session: Session, *, staff: User, body: PairingCreate) -> Pairing:
    """Invite a cook to a diner after checking every hard rule; never overbooks the cook."""
    council = staff_council(session, staff)
    cook = _lock_cook(session, council=council, cook_id=body.cook_id)
    diner = session.exec(
        select(Diner).where(Diner.id == body.diner_id).with_for_update(key_share=True)
    ).first()
    if diner is None or diner.council_id != council.id:
        raise NotFound("Diner not found")
    today = council_today(council)
    if public_status(diner, today) in (DinerStatus.left, DinerStatus.paused):
        raise Conflict(f"The diner is {public_status(diner, today)}")
    if (held := erasure_hold(session, diner=diner, council=council)) is not None:
        raise erasure_refusal(held)
    if _open_pairing(session, diner_id=body.diner_id) is not None:
        raise Conflict("The diner already has a pairing, proposed, active or paused")
    load = open_loads(session, [body.cook_id])[body.cook_id]
    # By hand, a cook who once declined may be asked again (they may have said yes since).
    excluded, met = history(session, [body.diner_id], declined_excluded=False)
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
    full = any(v.rule == "no_capacity" for v in violations)  # that answer first (409)
    clash = (
        None
        if full
        else booked_clash(session, cook_id=body.cook_id, weekday=body.weekday, start=body.start)
    )
    if clash is not None:
        rules.append(
            engine.Violation(
                "cook_busy",
                "start",
                clash_words(cook_name=cook.display_name, clash=clash),
            )
        )
    if cook_away_on(session, cook_id=body.cook_id, day=first_meal):
        rules.append(
            engine.Violation(
                "cook_away",
                "cook_id",
                f"cook {cook.id} is away on {first_meal:%A %d %B %Y}, the first meal's date",
            )
        )
    if rules:
        raise as_refusal(rules[0], cook=cook, fields=PairingCreate.model_fields)
    if violations:
        raise Conflict(
            "The cook has no place left (proposed, active and paused pairings count: a pause "
            "keeps the place for its diner)"
        )
    return create_proposal(
        session,
        staff=staff,
        cook=cook,
        diner=diner,
        weekday=body.weekday,
        start=body.start,
        frequency=body.frequency,
    )


def erasure_refusal(held: ErasureHold) -> RuleBroken:
    """A proposal for a diner held for an erasure: a product rule (422, `erasure_requested`,
    at `diner_id`), saying since when and by when, as the diner's record does."""
    return RuleBroken(
        "erasure_requested",
        ["diner_id"],
        f"The diner's carer asked on {long_day(held.asked_on)} for their data, and the "
        "diner's, to be erased: no cook is invited while the council carries out the request "
        f"(to be done by {long_day(held.due_on)})",
    )


def long_day(day: date) -> str:
    """ "4 December 2026"."""
    return f"{day.day} {day:%B %Y}"


def as_refusal(
    broken: engine.Violation,
    *,
    cook: Cook,
    fields: Iterable[str],
    otherwise: Sequence[str] = ("cook_id",),
) -> RuleBroken:
    """A broken rule as the API answers it: `loc` at a field of the request (`fields`), else
    at `otherwise` (a proposal's cook: a need of the diner's the cook cannot meet is the
    choice of cook at fault), and the cook named, not "cook 363" (the engine, pure, knows only
    ids; a review read "allergies", no field it had sent, and a number)."""
    loc = [broken.field] if broken.field in fields else list(otherwise)
    return RuleBroken(
        broken.rule, loc, broken.message.replace(f"cook {cook.id}", cook.display_name, 1)
    )


@dataclass(frozen=True, slots=True)
class Clash:
    """What a meal at a proposed time would clash with: the cook's other pairing (`on` None:
    every such weekday), or a single meal they cover (`on`: its day)."""

    diner_name: str
    weekday: int
    start: str
    on: date | None = None

    def words(self, *, you: bool = False) -> str:
        """A pairing: "already cooks for Edna on Tuesdays at 17:00" (`you`: "already cook").
        A cover: "is already covering Edna's meal on Thursday 17 December at 17:30" ("are")."""
        if self.on is None:
            does = "cook" if you else "cooks"
            when = f"{WEEKDAYS[self.weekday]}s at {self.start}"
            return f"already {does} for {self.diner_name} on {when}"
        day = f"{WEEKDAYS[self.weekday]} {self.on.day} {self.on:%B}"
        does = "are" if you else "is"
        return f"{does} already covering {self.diner_name}'s meal on {day} at {self.start}"


def booked_clash(
    session: Session,
    *,
    cook_id: int,
    weekday: int,
    start: str,
    other_than: int | None = None,
    statuses: tuple[str, ...] = OPEN_STATUSES,
) -> Clash | None:
    """The cook's other pairing (of `statuses`), or a coming meal they cover, that a meal at
    `weekday`/`start` would clash with (``engine.busy``: within 90 minutes on the same
    weekday); else None. A cover is one day, but the new pairing's meals would meet it there
    (an outside check booked a cook at two doors: a new pairing on the day of their cover)."""
    others = session.exec(
        select(Pairing.weekday, Pairing.start, Diner.full_name)
        .join(Diner, col(Diner.id) == col(Pairing.diner_id))
        .where(
            Pairing.cook_id == cook_id,
            Pairing.id != (other_than or 0),
            col(Pairing.status).in_(statuses),
            Pairing.weekday == weekday,
        )
    ).all()
    for day, at, full_name in others:
        if clashes(weekday, minutes(start), [(day, minutes(at))]):
            return Clash(first_name(full_name), day, at)
    covers = session.exec(
        select(col(Meal.date), col(Meal.start), col(Diner.full_name))
        .join(Diner, col(Diner.id) == col(Meal.diner_id))
        .where(
            Meal.cook_id == cook_id,
            col(Meal.is_cover).is_(True),
            Meal.status == MealStatus.scheduled,
            col(Meal.at) >= utcnow(),
        )
        .order_by(col(Meal.at))
    ).all()
    for on, at, full_name in covers:
        if clashes(weekday, minutes(start), [(on.weekday(), minutes(at))]):
            return Clash(first_name(full_name), on.weekday(), at, on)
    return None


def clash_words(*, cook_name: str, clash: Clash) -> str:
    """A refused time in staff's words, naming what it clashes with."""
    return (
        f"{cook_name} {clash.words()}: choose a time at least {CLASH_MINUTES} minutes apart, "
        "or another day"
    )


def _open_pairing(session: Session, *, diner_id: int) -> Pairing | None:
    return session.exec(
        select(Pairing).where(Pairing.diner_id == diner_id, col(Pairing.status).in_(OPEN_STATUSES))
    ).first()


@dataclass(frozen=True, slots=True)
class Proposal:
    cook: CookFields
    diner: DinerFields
    weekday: int
    start: str
    frequency: Frequency


def create_proposal(
    session: Session,
    *,
    staff: User | None,
    cook: CookFields,
    diner: DinerFields,
    weekday: int,
    start: str,
    frequency: Frequency,
) -> Pairing:
    """One proposal (pairing, audit entry and invitation), as the batch writes them."""
    proposal = Proposal(cook, diner, weekday, start, frequency)
    [(pairing_id, _)] = _insert_proposals(session, staff=staff, proposals=[proposal])
    [pairing] = _load_pairings(session, [pairing_id])
    return pairing


def cooks_who_chose_texts(session: Session, *, council_ids: set[int]) -> set[int]:
    """The user ids of these councils' cooks who chose texts and have a phone to get them."""
    return set(
        session.exec(
            select(Cook.user_id)
            .join(User, col(Cook.user_id) == col(User.id))
            .where(
                col(Cook.council_id).in_(council_ids),
                User.contact_preference == "sms",
                col(User.phone).is_not(None),
                User.phone != "",
            )
        ).all()
    )


def _new_pairing_ids(session: Session, count: int) -> list[int]:
    """Ids for ``count`` new pairings, taken before inserting them (so that the rows go in as
    plain multi-row INSERTs, with no RETURNING of one row at a time).

    PostgreSQL: from the table's sequence. SQLite: after the largest id; the transaction
    already holds the database's write lock (BEGIN IMMEDIATE, see app.db), so no other
    writer can take them (and the primary key would refuse a duplicate anyway).
    """
    if count == 0:
        return []
    if session.get_bind().dialect.name == "postgresql":
        return list(
            session.execute(
                # The sequence looked up once (an InitPlan): nextval(pg_get_serial_sequence())
                # looked its name up again for each row (68,705 ids: 0.24 s against 0.07 s).
                text(
                    "SELECT nextval((SELECT CAST(pg_get_serial_sequence('pairing', 'id') "
                    "AS regclass))) FROM generate_series(1, :n)"
                ),
                {"n": count},
            ).scalars()
        )
    last = session.execute(select(func.coalesce(func.max(Pairing.id), 0))).scalar_one()
    return list(range(last + 1, last + 1 + count))


def waiting_other_allergies(session: Session, *, council_ids: set[int]) -> dict[int, str]:
    """The other foods (beyond the 14) of the councils' waiting diners who have any, by diner:
    the invitation names them, and a batch preview's fingerprint holds them (preview.py). Read
    apart from the batch's rows (``DinerRow``), which carry only what matching checks: few
    diners have any, and matching cannot check free text."""
    rows = session.exec(
        select(Diner.id, Diner.other_allergies).where(
            col(Diner.council_id).in_(council_ids),
            Diner.status == DinerStatus.waiting,
            col(Diner.other_allergies).is_not(None),
        )
    ).all()
    return {diner_id: text for diner_id, text in rows if diner_id is not None and text}


def _insert_proposals(
    session: Session,
    *,
    staff: User | None,
    proposals: list[Proposal],
    meanwhile: Callable[[list[tuple[int, float]], Mapping[int, str]], object] | None = None,
) -> list[tuple[int, float]]:
    """Write proposals, their audit entries and invitations, one bulk insert a table
    (``app.matching.bulk``: executemany on SQLite, COPY on PostgreSQL); return each proposal's
    pairing id and distance (metres), in order.

    Not ORM objects, nor Core executemany: a national batch writes hundreds of thousands of
    rows, and building (or processing) them one by one took most of the batch's time.

    ``meanwhile(written, other_foods)``, when given, is called with what this returns and each
    diner's other foods (by diner id), and must not use the session: from ``_BESIDE_FROM``
    proposals on, on PostgreSQL, the rows are written by a thread of their own (on the
    session's connection, which this thread leaves alone meanwhile) while this one words the
    invitations, then runs ``meanwhile`` as the invitations go in; otherwise all of it runs
    here, one after another. Most of those inserts' time is the server's (each row's foreign
    keys checked as the COPY ends), the writing thread waiting on the socket with the GIL free
    (bench/README.md, session 43).
    """
    if not proposals:
        if meanwhile is not None:
            meanwhile([], {})
        return []
    now, actor = utcnow(), staff.id if staff else None
    distances = [
        haversine_m(p.cook.latitude, p.cook.longitude, p.diner.latitude, p.diner.longitude)
        for p in proposals
    ]
    ids = _new_pairing_ids(session, len(proposals))
    written = list(zip(ids, distances, strict=True))
    # The rows enqueue() would write (the catalogue's words, its key, Message-ID and channel):
    # by text to the cooks who chose texts (read in one query for the councils concerned).
    councils = {p.diner.council_id for p in proposals}
    texters = cooks_who_chose_texts(session, council_ids=councils)
    other_foods = waiting_other_allergies(session, council_ids=councils)
    pairings = partial(
        insert_rows,
        session,
        _table(Pairing),
        ("id", "council_id", "cook_id", "diner_id", "weekday", "start", "frequency", "distance_m"),
        [
            (
                pairing_id,
                p.diner.council_id,
                p.cook.id,
                p.diner.id,
                p.weekday,
                p.start,
                p.frequency,
                distance,
            )
            for p, distance, pairing_id in zip(proposals, distances, ids, strict=True)
        ],
        same={"status": PairingStatus.proposed, "proposed_by_id": actor, "proposed_at": now},
    )
    audit = partial(
        insert_rows,
        session,
        _table(AuditEntry),
        ("council_id", "subject_id", "data"),
        (
            (p.diner.council_id, pairing_id, {"cook_id": p.cook.id, "diner_id": p.diner.id})
            for p, pairing_id in zip(proposals, ids, strict=True)
        ),
        same={
            "at": now,
            "actor_id": actor,
            "action": "pairing.proposed",
            "subject_type": "pairing",
        },
    )
    beside = len(proposals) >= _BESIDE_FROM and session.get_bind().dialect.name in _BESIDE_ON
    with Beside(threaded=beside, name="batch-write") as writer:
        tables = writer.run(lambda: (pairings(), audit()))
        invitations = _invitation_rows(proposals, ids, distances, texters, other_foods)
        tables.result()
        notified = writer.run(
            partial(
                insert_rows,
                session,
                _table(Notification),
                (
                    "dedupe_key",
                    "event",
                    "channel",
                    "to_user_id",
                    "about_diner_id",
                    "subject",
                    "body",
                    "message_id",
                ),
                invitations,
                same={
                    "status": "pending",
                    "attempts": 0,
                    "next_attempt_at": now,
                    "created_at": now,
                },
            )
        )
        if meanwhile is not None:
            meanwhile(written, other_foods)
        notified.result()
    return written


def _invitation_rows(
    proposals: list[Proposal],
    ids: list[int],
    distances: list[float],
    texters: set[int],
    other_foods: dict[int, str],
) -> list[tuple[object, ...]]:
    """Each proposal's invitation to its cook, as notification rows (no database)."""
    rows: list[tuple[object, ...]] = []
    page = get_settings().link("/cook/")
    for p, pairing_id, distance in zip(proposals, ids, distances, strict=True):
        invitation = messages.proposal(
            diner_name=first_name(p.diner.full_name),
            distance=public_distance_text(distance),
            weekday=p.weekday,
            start=p.start,
            frequency=p.frequency,
            needs=messages.needs_in_words(
                diets=list(p.diner.diets),
                allergies=list(p.diner.allergies),
                texture=p.diner.texture,
            ),
            page=page,
            other_allergies=other_foods.get(p.diner.id or 0),
        )
        key = recipient_key(f"pairing:{pairing_id}:proposed", p.cook.user_id)
        rows.append(
            (
                key,
                invitation.event,
                channel_by_choice(invitation.event, texts=p.cook.user_id in texters),
                p.cook.user_id,
                p.diner.id,
                invitation.subject,
                invitation.body,
                message_id_for(key),
            )
        )
    return rows


# From this many proposals, on these databases, their rows are written by a thread of their own
# (_insert_proposals). One proposal made by hand is not worth a thread; and SQLite does its
# writing in this process, on the same two cores: there the thread made the national batch's
# write and answer 0.4 s slower, not faster (bench/README.md, session 43).
_BESIDE_FROM = 1_000
_BESIDE_ON = frozenset({"postgresql"})


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


@contextmanager
def _gc_paused() -> Iterator[None]:
    """Python's cyclic garbage collector off for the block (when it was on).

    A batch makes hundreds of thousands of objects that live until it ends (rows, inputs,
    proposals, the answer); each time enough have piled up the collector walks every object of
    the process (a national council's cook index among them), and it found nothing to free:
    the batch leaves no cycles behind. Memory is freed as before, by reference counting.
    """
    if not gc.isenabled():
        yield
        return
    gc.disable()
    try:
        yield
    finally:
        gc.enable()


def _table(model: type[SQLModel]) -> Table:
    """The model's table: inserting into it is a plain Core executemany (multi-row INSERTs),
    not the ORM's bulk path."""
    table = model.__table__  # type: ignore[attr-defined]
    assert isinstance(table, Table)
    return table


@dataclass(frozen=True, slots=True)
class Proposed:
    """A proposal a batch wrote."""

    pairing_id: int
    cook: CookRow
    diner: DinerRow
    weekday: int
    start: str
    frequency: Frequency
    distance_m: float


@dataclass(frozen=True, slots=True)
class BatchRun:
    """What a batch wrote, and the diners left unmatched with why."""

    proposed: list[Proposed]
    unmatched: list[tuple[int, UnmatchedReason]]
    diners: dict[int, DinerRow]


@dataclass(frozen=True, slots=True)
class BatchPlan:
    """What a batch would propose (nothing written yet), and what it was made from."""

    council: Council
    today: date
    result: engine.BatchResult
    cooks: dict[int, CookRow]  # the council's approved cooks, by id
    cook_inputs: dict[int, engine.CookInput]  # as the engine saw them (load, absences)
    cook_versions: dict[int, str]  # each approved cook's row version, as read
    diners: dict[int, DinerRow]  # the waiting diners with no open pairing, by id
    diner_inputs: dict[int, engine.DinerInput]


def plan_batch(
    session: Session, *, staff: User, phases: dict[str, float] | None = None, lock: bool = True
) -> BatchPlan:
    """The optimal set of pairings for every waiting diner with no open pairing, computed but
    not written. ``lock=False`` (a preview) reads the cooks without locking them.

    ``phases``, when given, receives the wall time of each step by name (bench/matching_db.py).
    """
    with _gc_paused():
        return _plan_batch(session, staff=staff, phases=phases, lock=lock)


REFILL_ROUNDS = 3


def _apart_and_refill(
    result: engine.BatchResult,
    graph: engine.CandidateGraph,
    cooks: dict[int, engine.CookInput],
    diners: dict[int, engine.DinerInput],
    booked: dict[int, list[tuple[int, int]]],
    radius: float,
) -> engine.BatchResult:
    """The solver's answer with no cook at two doors at once (`engine.busy.apart`: a cook's
    later diner moves to a clear time, or is dropped), and the places a dropped diner leaves
    offered again, in a few small rounds, to the diners dropped and those left for want of a
    place. The solver knew each cook's free windows, not that two diners may share the same
    minutes of them: a review saw a cook's second place left empty while a diner they could
    have taken on Friday waited "no capacity", until the batch was run again.

    A round looks only at the retried diners' own candidates of the first (`graph`: a place or
    a time only goes, never comes, after it), so it costs little at a nation's size; a retried
    diner still unmatched keeps the reason they had ("no capacity" stays so), and a dropped one
    reads "no capacity" too, as the batch says of a diner whose cook went to others: every
    check left them a cook, whose place or time went to another diner."""
    kept, dropped = apart(result.assignments, partial(_shared, cooks, diners), booked)
    assignments = kept
    waiting = dict(result.unmatched) | {d: UnmatchedReason.no_capacity for d in dropped}
    for _ in range(REFILL_ROUNDS):
        if not dropped:
            break
        retry = set(dropped) | {d for d, r in waiting.items() if r == UnmatchedReason.no_capacity}
        taken = Counter(a.cook_id for a in assignments)
        now_booked = {c: list(times) for c, times in booked.items()}
        for a in assignments:
            now_booked.setdefault(a.cook_id, []).append((a.weekday, a.start))
        left = [
            replace(cooks[c], spare=cooks[c].spare - taken[c], load=cooks[c].load + taken[c])
            for c in sorted(graph.cooks_of(retry))
            if cooks[c].spare > taken[c]
        ]
        if not left:
            break
        free = without_booked(left, now_booked)
        again = engine.solve_batch(
            engine.batch_candidates(
                [diners[d] for d in sorted(retry)], engine.CookIndex(free), max_radius_m=radius
            )
        )
        shared = partial(_shared, {c.id: c for c in free}, diners)
        kept, dropped = apart(again.assignments, shared, now_booked)
        assignments = [*assignments, *kept]
        for a in kept:
            waiting.pop(a.diner_id, None)
        waiting |= {d: UnmatchedReason.no_capacity for d in dropped}
    return replace(
        result,
        assignments=sorted(assignments, key=lambda a: a.diner_id),
        unmatched=sorted(waiting.items()),
    )


def _shared(
    cooks: dict[int, engine.CookInput], diners: dict[int, engine.DinerInput], cook: int, diner: int
) -> list[engine.Window]:
    return engine.shared_windows(cooks[cook], diners[diner])


@dataclass(frozen=True, slots=True)
class BatchCooks:
    """A council's approved cooks as a batch sees them: places taken, absences and booked
    times applied, indexed for the engine."""

    versions: dict[int, str]  # each approved cook's row version, as read (and locked)
    rows: dict[int, CookRow]
    inputs: dict[int, engine.CookInput]
    index: engine.CookIndex
    booked: dict[int, list[tuple[int, int]]]  # open pairings' and coming covers' times


def batch_cooks(
    session: Session,
    *,
    council: Council,
    today: date,
    lock: bool,
    phases: dict[str, float] | None = None,
) -> BatchCooks:
    """The council's approved cooks for a batch, from this process's index of them when it
    holds exactly these rows (suggestions keep it), else read again. ``lock``: locked until
    commit (as single proposals lock them: cooks, then diners), so that no proposal can take
    their places meanwhile."""
    with _phase(phases, "lock and load cooks"):
        locked = lock_cooks(session, council=council, lock=lock)
        cached = council_cooks(session, council=council, today=today)
        if any(i not in cached.rows or cached.rows[i].version != v for i, v in locked.items()):
            cached = council_cooks(session, council=council, today=today, rebuild=True)
        ids = [i for i, v in locked.items() if i in cached.rows and cached.rows[i].version == v]
        loads = council_loads(session, council.id or 0)
        away = away_weekdays(session, council=council, today=today)
        # Open pairings' and coming covers' times: a cover belongs to a pairing, so none
        # without a load.
        booked = booked_times(session, council_id=council.id) if loads else {}
    with _phase(phases, "engine: index build"):
        if len(ids) == len(cached.inputs) and not loads and not away:
            # no cook has a place taken or an absence: the same inputs
            return BatchCooks(locked, cached.rows, cached.inputs, cached.index, booked)
        cooks = without_away(with_capacity([cached.inputs[i] for i in ids], loads), away)
        cooks = without_booked(cooks, booked)
        inputs = {c.id: c for c in cooks}
        return BatchCooks(locked, cached.rows, inputs, engine.CookIndex(cooks), booked)


def _plan_batch(
    session: Session, *, staff: User, phases: dict[str, float] | None, lock: bool
) -> BatchPlan:
    council = staff_council(session, staff)
    today = council_today(council)
    cooks = batch_cooks(session, council=council, today=today, lock=lock, phases=phases)
    with _phase(phases, "load diners + history"):
        diners = waiting_diners(session, council_id=council.id or 0, today=today)
        excluded, met = waiting_history(
            session, council_id=council.id or 0, diner_ids=[d.id for d in diners]
        )
        inputs = [d.matching_input(excluded=excluded[d.id], met=met[d.id]) for d in diners]
    radius = council.max_walk_radius_m
    with _phase(phases, "engine: candidates"):
        graph = engine.batch_candidates(inputs, cooks.index, max_radius_m=radius)
    with _phase(phases, "engine: solve (min-cost flow)"):
        result = engine.solve_batch(graph)
        by_diner = {d.id: d for d in inputs}
        result = _apart_and_refill(result, graph, cooks.inputs, by_diner, cooks.booked, radius)
        del graph
    return BatchPlan(
        council=council,
        today=today,
        result=result,
        cooks=cooks.rows,
        cook_inputs=cooks.inputs,
        cook_versions=cooks.versions,
        diners={d.id: d for d in diners},
        diner_inputs={d.id: d for d in inputs},
    )


def batch_proposals(
    session: Session, *, staff: User, phases: dict[str, float] | None = None
) -> BatchRun:
    """Propose the optimal set of pairings for every waiting diner with no open pairing.

    ``phases``, when given, receives the wall time of each step by name (bench/matching_db.py).
    """
    with _gc_paused():
        return _batch_proposals(session, staff=staff, phases=phases)


def _batch_proposals(
    session: Session,
    *,
    staff: User,
    phases: dict[str, float] | None,
    meanwhile: Callable[[BatchRun, Mapping[int, str]], object] | None = None,
) -> BatchRun:
    """``meanwhile(run, other_foods)``: as ``_insert_proposals``'s (it must not use the session)."""
    plan = plan_batch(session, staff=staff, phases=phases)
    council, result, rows, by_id = plan.council, plan.result, plan.cooks, plan.diners
    with _phase(phases, "write proposals"):
        starts = {m: hhmm(m) for m in {a.start for a in result.assignments}}
        proposals = [
            Proposal(
                cook=rows[a.cook_id],
                diner=by_id[a.diner_id],
                weekday=a.weekday,
                start=starts[a.start],
                frequency=by_id[a.diner_id].frequency,
            )
            for a in result.assignments
        ]
        runs: list[BatchRun] = []  # the one run, made while the invitations are written

        def written(pairings: list[tuple[int, float]], other_foods: Mapping[int, str]) -> None:
            runs.append(
                BatchRun(
                    proposed=[
                        Proposed(
                            pairing_id,
                            rows[a.cook_id],
                            by_id[a.diner_id],
                            p.weekday,
                            p.start,
                            p.frequency,
                            distance,
                        )
                        for a, p, (pairing_id, distance) in zip(
                            result.assignments, proposals, pairings, strict=True
                        )
                    ],
                    unmatched=list(result.unmatched),
                    diners=by_id,
                )
            )
            if meanwhile is not None:
                meanwhile(runs[0], other_foods)

        _insert_proposals(session, staff=staff, proposals=proposals, meanwhile=written)
        [run] = runs
        record_audit(
            session,
            actor_id=staff.id,
            council_id=council.id,
            action="matching.run",
            subject_type="council",
            subject_id=council.id,
            data={"proposed": len(run.proposed), "unmatched": len(result.unmatched)},
        )
    return run


def run_batch(
    session: Session, *, staff: User
) -> tuple[list[Pairing], list[tuple[int, UnmatchedReason]]]:
    """``batch_proposals``, with the proposed pairings loaded as model objects."""
    run = batch_proposals(session, staff=staff)
    return _load_pairings(session, [p.pairing_id for p in run.proposed]), run.unmatched


def run_matching(session: Session, *, staff: User, phases: dict[str, float] | None = None) -> bytes:
    """POST /api/staff/matching/run: the batch, flushed (the request's unit of work commits),
    and the answer API.md gives (``BatchOut``), built from the rows written (no reload) and
    serialised as the route sends it."""
    with _gc_paused():
        return _run_matching(session, staff=staff, phases=phases)


def _run_matching(session: Session, *, staff: User, phases: dict[str, float] | None) -> bytes:
    answers: list[bytes] = []

    def answer(run: BatchRun, other_foods: Mapping[int, str]) -> None:
        with _phase(phases, ANSWER_PHASE):
            answers.append(_batch_answer(run, other_foods))

    _batch_proposals(session, staff=staff, phases=phases, meanwhile=answer)
    with _phase(phases, "flush"):
        session.flush()  # the request's unit of work commits
    return answers[0]


# The batch's answer, made inside "write proposals": while the invitations are written, on
# PostgreSQL from _BESIDE_FROM proposals on (after them otherwise).
ANSWER_PHASE = "of it: the answer"


def _batch_answer(run: BatchRun, others: Mapping[int, str]) -> bytes:
    """pairing_out's staff view of each proposed pairing (no address, 10 m rounding), as plain
    values serialised in one call. Not validated into BatchOut first: these are values the
    batch has just written, and for a national batch that validation took most of a second
    (tests/matching/test_batch_answer.py checks the answer against the model)."""
    names = {d.id: first_name(d.full_name) for d in run.diners.values()}
    return to_json(
        {
            "proposed": [
                {
                    "id": p.pairing_id,
                    "cook_id": p.cook.id,
                    "diner_id": p.diner.id,
                    "status": PairingStatus.proposed,
                    "weekday": p.weekday,
                    "start": p.start,
                    "frequency": p.frequency,
                    "end_reason": None,
                    "diner": {
                        "id": p.diner.id,
                        "first_name": names[p.diner.id],
                        "distance_m": staff_distance_m(p.distance_m),
                        "diets": p.diner.diets,
                        "allergies": p.diner.allergies,
                        "other_allergies": others.get(p.diner.id),
                        "texture": p.diner.texture,
                        "address_line": None,
                        "access_notes": None,
                    },
                    "cook": {"id": p.cook.id, "display_name": p.cook.display_name},
                }
                for p in run.proposed
            ],
            "unmatched": [
                {"diner_id": d, "first_name": names[d], "reason": r} for d, r in run.unmatched
            ],
        }
    )
