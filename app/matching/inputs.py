"""From database rows to the pure engine's inputs."""

from __future__ import annotations

import json
from collections import Counter, defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import date, datetime, timedelta
from typing import Any, Protocol

from sqlalchemy import (
    CompoundSelect,
    Integer,
    Select,
    String,
    Text,
    and_,
    any_,
    bindparam,
    cast,
    literal,
    literal_column,
    union_all,
)
from sqlalchemy import select as core_select
from sqlalchemy.dialects import postgresql
from sqlmodel import Session, col, func, select

from app.db import utcnow
from app.diners.erasure_hold import (
    ErasureHold,
    erasure_hold,
    first_erasure_ask,
    held_diner_ids,
)
from app.diners.rules import public_status
from app.geo.distance import bounding_box
from app.matching.engine import CookInput, DinerInput, Window
from app.matching.engine import busy as engine_busy
from app.meals.schedule import first_occurrence
from app.models import (
    OPEN_STATUSES,
    Cook,
    CookAway,
    Council,
    Diner,
    Meal,
    PairExclusion,
    Pairing,
)
from app.moderation.rules import is_matchable
from app.schemas import minutes
from app.vocab import CookStatus, DinerStatus, Frequency, MealStatus, PairingStatus, Texture


def windows(availability: list[dict[str, object]]) -> tuple[Window, ...]:
    return tuple(
        Window(int(w["weekday"]), minutes(str(w["start"])), minutes(str(w["end"])))  # type: ignore[call-overload]
        for w in availability
    )


_OPEN_LOADS = (
    select(col(Pairing.cook_id), func.count())
    .where(
        col(Pairing.cook_id).in_(bindparam("cook_ids", expanding=True)),
        col(Pairing.status).in_(OPEN_STATUSES),
    )
    .group_by(col(Pairing.cook_id))
)
_COUNCIL_LOADS = (
    select(col(Pairing.cook_id), func.count())
    .join(Cook, col(Cook.id) == Pairing.cook_id)
    .where(Cook.council_id == bindparam("council_id"), col(Pairing.status).in_(OPEN_STATUSES))
    .group_by(col(Pairing.cook_id))
)
_ID_CHUNK = 5_000  # ids per IN list (SQLite allows 32,766 parameters a statement)
# The times of the cooks' open pairings (engine.busy: a cook is not at two homes at once).
_COUNCIL_BOOKED = (
    select(col(Pairing.cook_id), col(Pairing.weekday), col(Pairing.start))
    .join(Cook, col(Cook.id) == Pairing.cook_id)
    .where(Cook.council_id == bindparam("council_id"), col(Pairing.status).in_(OPEN_STATUSES))
)
_OPEN_BOOKED = select(col(Pairing.cook_id), col(Pairing.weekday), col(Pairing.start)).where(
    col(Pairing.cook_id).in_(bindparam("cook_ids", expanding=True)),
    col(Pairing.status).in_(OPEN_STATUSES),
)


# The coming meals a cook covers for another: one day each, held as their weekday's time (a
# new pairing's weekly meals would meet it there; a review saw the batch propose a cook at the
# hour of their cover, an invitation they then could not accept).
_COVERS = select(col(Meal.cook_id), col(Meal.date), col(Meal.start)).where(
    col(Meal.is_cover).is_(True),
    col(Meal.status) == MealStatus.scheduled,
    col(Meal.at) >= bindparam("now"),
)
_COUNCIL_COVERS = _COVERS.join(Cook, col(Cook.id) == col(Meal.cook_id)).where(
    col(Cook.council_id) == bindparam("council_id")
)
_OPEN_COVERS = _COVERS.where(col(Meal.cook_id).in_(bindparam("cook_ids", expanding=True)))


def booked_times(
    session: Session, *, council_id: int | None = None, cook_ids: list[int] | None = None
) -> dict[int, list[tuple[int, int]]]:
    """Per cook (of the council, or these), the (weekday, start minute) of each open pairing,
    and of each coming meal they cover (``cover_times``)."""
    found: dict[int, list[tuple[int, int]]] = defaultdict(list)
    connection = session.connection()
    if council_id is not None:
        rows = list(connection.execute(_COUNCIL_BOOKED, {"council_id": council_id}))
    else:
        ids, rows = cook_ids or [], []
        for i in range(0, len(ids), _ID_CHUNK):
            rows += connection.execute(_OPEN_BOOKED, {"cook_ids": ids[i : i + _ID_CHUNK]}).all()
    for cook_id, weekday, start in rows:
        found[cook_id].append((weekday, minutes(start)))
    for cook_id, times in cover_times(session, council_id=council_id, cook_ids=cook_ids).items():
        found[cook_id] += times
    return dict(found)


def cover_times(
    session: Session, *, council_id: int | None = None, cook_ids: list[int] | None = None
) -> dict[int, list[tuple[int, int]]]:
    """Per cook (of the council, or these), the (weekday, start minute) of each coming meal
    they cover."""
    found: dict[int, list[tuple[int, int]]] = defaultdict(list)
    connection, now = session.connection(), utcnow()
    if council_id is not None:
        rows = list(connection.execute(_COUNCIL_COVERS, {"council_id": council_id, "now": now}))
    else:
        ids, rows = cook_ids or [], []
        for i in range(0, len(ids), _ID_CHUNK):
            part = {"cook_ids": ids[i : i + _ID_CHUNK], "now": now}
            rows += connection.execute(_OPEN_COVERS, part).all()
    for cook_id, day, start in rows:
        if cook_id is not None:
            found[cook_id].append((day.weekday(), minutes(start)))
    return dict(found)


def open_loads(session: Session, cook_ids: list[int]) -> Counter[int]:
    """Proposed, active and paused pairings per cook: each holds one of the cook's places."""
    loads: Counter[int] = Counter()
    for i in range(0, len(cook_ids), _ID_CHUNK):
        part = cook_ids[i : i + _ID_CHUNK]
        loads.update(dict(session.connection().execute(_OPEN_LOADS, {"cook_ids": part}).all()))
    return loads


def council_loads(session: Session, council_id: int) -> Counter[int]:
    """``open_loads`` for every cook of a council, in one grouped query (no list of ids)."""
    rows = session.connection().execute(_COUNCIL_LOADS, {"council_id": council_id}).all()
    return Counter(dict(rows))


class CookFields(Protocol):
    """What matching reads of a cook: an ORM row or a ``CookRow`` (faster to load)."""

    @property
    def id(self) -> int | None: ...

    user_id: int
    display_name: str
    latitude: float
    longitude: float
    walk_radius_m: int
    max_diners: int
    dbs_checked_on: date | None
    frequencies: list[str]
    diets: list[str]
    allergen_free: list[str]
    textures: list[str]
    availability: list[dict[str, object]]

    @property
    def status(self) -> str: ...


_COOK_SCALARS = (
    "id",
    "user_id",
    "display_name",
    "latitude",
    "longitude",
    "walk_radius_m",
    "max_diners",
    "status",
    "dbs_checked_on",
)
_COOK_JSON = ("frequencies", "diets", "allergen_free", "textures", "availability")
# JSON columns and the row's version are read as text: decoding each distinct value once
# (most cooks share a handful of diet and texture lists) is what makes a national load fast.
_COOK_SELECT = core_select(
    *(col(getattr(Cook, name)) for name in _COOK_SCALARS),
    *(cast(col(getattr(Cook, name)), Text).label(name) for name in _COOK_JSON),
    cast(col(Cook.updated_at), Text).label("version"),
)


@dataclass(slots=True)
class CookRow:
    """A cook as matching loads it (satisfies ``CookFields``); ``version`` is the text of
    ``updated_at``. List fields may be shared between rows: never change them in place."""

    id: int
    user_id: int
    display_name: str
    latitude: float
    longitude: float
    walk_radius_m: int
    max_diners: int
    status: CookStatus
    dbs_checked_on: date | None
    frequencies: list[str]
    diets: list[str]
    allergen_free: list[str]
    textures: list[str]
    availability: list[dict[str, object]]
    version: str


class _Decoded:
    """Each distinct JSON text decoded once: (list as stored, frozenset or windows)."""

    def __init__(self) -> None:
        self.sets: dict[str, tuple[list[str], frozenset[str]]] = {}
        self.windows: dict[str, tuple[list[dict[str, object]], tuple[Window, ...]]] = {}
        self.one_window: dict[tuple[object, object, object], Window] = {}

    def set(self, text: str) -> tuple[list[str], frozenset[str]]:
        found = self.sets.get(text)
        if found is None:
            values = json.loads(text)
            found = self.sets[text] = (values, frozenset(values))
        return found

    def window(self, text: str) -> tuple[list[dict[str, object]], tuple[Window, ...]]:
        found = self.windows.get(text)
        if found is None:
            values = json.loads(text)
            found = self.windows[text] = (values, tuple(map(self._one, values)))
        return found

    def _one(self, w: dict[str, object]) -> Window:
        """One window of ``windows``, the same object for every equal one."""
        key = (w["weekday"], w["start"], w["end"])
        found = self.one_window.get(key)
        if found is None:
            [found] = windows([w])
            self.one_window[key] = found
        return found


def first_meal_day(weekday: int, today: date) -> date:
    """The first meal of a pairing on ``weekday`` proposed today, if the cook accepts today.

    As app.meals.service schedules it: the first occurrence on or after the day after
    acceptance (the same date for every frequency).
    """
    return first_occurrence(weekday=weekday, frequency="weekly", anchor=today + timedelta(days=1))


def cook_away_on(session: Session, *, cook_id: int, day: date) -> bool:
    """Whether one of the cook's absences covers ``day``."""
    return (
        session.exec(
            select(CookAway.id).where(
                CookAway.cook_id == cook_id,
                col(CookAway.from_date) <= day,
                col(CookAway.to_date) >= day,
            )
        ).first()
        is not None
    )


def away_weekdays(session: Session, *, council: Council, today: date) -> dict[int, set[int]]:
    """Per cook of the council who has any: the weekdays whose first meal they would miss.

    A pairing is never proposed on such a weekday (its first meal would need cover at once).
    One query: only absences overlapping the coming week of first meals are read.
    """
    first_days = {w: first_meal_day(w, today) for w in range(7)}
    rows = session.exec(
        select(col(CookAway.cook_id), col(CookAway.from_date), col(CookAway.to_date))
        .join(Cook, col(Cook.id) == CookAway.cook_id)
        .where(
            Cook.council_id == council.id,
            col(CookAway.from_date) <= max(first_days.values()),
            col(CookAway.to_date) >= min(first_days.values()),
        )
    ).all()
    away: dict[int, set[int]] = defaultdict(set)
    for cook_id, start, end in rows:
        away[cook_id].update(w for w, day in first_days.items() if start <= day <= end)
    return {cook_id: days for cook_id, days in away.items() if days}


@dataclass(frozen=True, slots=True)
class CandidateState:
    """What a suggestion re-reads of its candidates, per cook still in the council: the row
    version (``CookRow.version``), the open pairings (``open_loads``, and their times) and the
    weekdays whose first meal they would miss (``away_weekdays``)."""

    versions: dict[int, str]
    loads: Counter[int]
    away: dict[int, set[int]]
    booked: dict[int, list[tuple[int, int]]]  # the open pairings' (weekday, start minute)


def _candidate_state_query(dialect: str) -> Select[Any]:
    """Candidates by primary key (with the council in the WHERE clause, SQLite would walk the
    council's index instead), each with its open pairings counted and a row per absence that
    overlaps the coming week of first meals. The ids go in one parameter (a JSON array on
    SQLite, an array on PostgreSQL), so the statement's text is the same for any number of them:
    prepared once by the database, not rendered again per request."""
    if dialect == "postgresql":
        ids = bindparam("cook_ids", type_=postgresql.ARRAY(Integer))
        by_id = col(Cook.id) == any_(ids)
    else:
        json_ids = func.json_each(bindparam("cook_ids", type_=String)).table_valued("value")
        by_id = col(Cook.id).in_(core_select(json_ids.c.value))
    # The statuses written into the statement (an IN list of literals): an expanding parameter
    # would have the statement's text rendered again on every execution.
    statuses = [literal(status) for status in OPEN_STATUSES]
    # Each open pairing's "weekday:start", joined by commas: how many (the load) and when.
    when = (
        cast(col(Pairing.weekday), Text)
        .op("||")(literal_column("':'"))
        .op("||")(col(Pairing.start))
    )
    joined = (
        func.string_agg(when, literal_column("','"))
        if dialect == "postgresql"
        else func.group_concat(when, literal_column("','"))
    )
    booked = (
        core_select(joined)
        .where(
            col(Pairing.cook_id) == col(Cook.id),
            col(Pairing.status).in_(statuses),
            col(Pairing.diner_id) != bindparam("diner_id"),
        )
        .scalar_subquery()
    )
    absence = and_(
        col(CookAway.cook_id) == col(Cook.id),
        col(CookAway.from_date) <= bindparam("last"),
        col(CookAway.to_date) >= bindparam("first"),
    )
    return (
        core_select(
            col(Cook.id),
            col(Cook.council_id),
            cast(col(Cook.updated_at), Text),
            booked,
            col(CookAway.from_date),
            col(CookAway.to_date),
        )
        .select_from(Cook)
        .outerjoin(CookAway, absence)
        .where(by_id)
    )


_CANDIDATE_STATE = {name: _candidate_state_query(name) for name in ("sqlite", "postgresql")}


def candidate_state(
    session: Session, *, council_id: int, cook_ids: list[int], today: date, diner_id: int
) -> CandidateState:
    """``CandidateState`` of these cooks for this diner, in one query (none when there are no
    cooks). The diner's own open pairing is not among its cook's loads and booked times: a
    diner with a proposal found its own cook's time taken, by them, and no cook at all
    ("no_shared_time", an outside check)."""
    if not cook_ids:
        return CandidateState({}, Counter(), {}, {})
    first_days = {w: first_meal_day(w, today) for w in range(7)}
    connection = session.connection()
    dialect = connection.dialect.name
    params: dict[str, Any] = {
        "cook_ids": cook_ids if dialect == "postgresql" else json.dumps(cook_ids),
        "first": min(first_days.values()),
        "last": max(first_days.values()),
        "diner_id": diner_id,
    }
    versions: dict[int, str] = {}
    loads: Counter[int] = Counter()
    away: dict[int, set[int]] = defaultdict(set)
    booked: dict[int, list[tuple[int, int]]] = {}
    found = connection.execute(_CANDIDATE_STATE[dialect], params)
    for cook_id, in_council, version, times, start, end in found:
        if in_council != council_id:
            continue
        versions[cook_id] = version
        if times:  # "1:17:30,3:12:00"
            booked[cook_id] = [
                (int(day), minutes(at)) for day, at in (t.split(":", 1) for t in times.split(","))
            ]
            loads[cook_id] = len(booked[cook_id])
        if start is not None:
            away[cook_id].update(w for w, day in first_days.items() if start <= day <= end)
    away_days = {c: days for c, days in away.items() if days}
    return CandidateState(versions, loads, away_days, booked)


_COOK_VERSIONS = (
    core_select(col(Cook.id), cast(col(Cook.updated_at), Text))
    .where(
        col(Cook.council_id) == bindparam("council_id"),
        col(Cook.status) == CookStatus.approved,
        col(Cook.location_review).is_(False),
    )
    .order_by(col(Cook.id))
)
_LOCK_COOKS = _COOK_VERSIONS.with_for_update(key_share=True)


def lock_cooks(session: Session, *, council: Council, lock: bool = True) -> dict[int, str]:
    """Lock the council's approved cooks (those ``cook_inputs`` reads) until commit; return
    each one's row version (``CookRow.version``). ``lock=False`` only reads the versions (a
    batch's preview, which writes nothing)."""
    query = _LOCK_COOKS if lock else _COOK_VERSIONS
    found = session.connection().execute(query, {"council_id": council.id})
    return {cook_id: version for cook_id, version in found if cook_id is not None}


def without_away(cooks: list[CookInput], away: dict[int, set[int]]) -> list[CookInput]:
    """The same cooks without their windows on weekdays whose first meal they would miss."""
    return [
        replace(c, windows=tuple(w for w in c.windows if w.weekday not in away[c.id]))
        if c.id in away
        else c
        for c in cooks
    ]


def cook_inputs(
    session: Session,
    *,
    council: Council,
    today: date,
    near: tuple[float, float] | None = None,
    with_loads: bool = True,
    with_away: bool = True,
    with_booked: bool = True,
    for_update: bool = False,
) -> tuple[list[CookInput], dict[int, CookRow]]:
    """The council's approved cooks (near a point, by a bounding box the database filters).

    A cook whose place awaits staff review (``location_review``, after a move) is left out.
    ``with_away`` drops each cook's windows on weekdays whose first meal falls in one of
    their absences (``away_weekdays``); ``with_booked`` (with ``with_loads``) the times their
    open pairings take (``engine.busy``). ``for_update`` locks the rows read until commit.

    Plain column rows, not ORM objects, with each distinct JSON value decoded once: loading a
    nation's cooks is the slow part of a batch.
    """
    query = _COOK_SELECT.where(
        col(Cook.council_id) == council.id,
        col(Cook.status) == CookStatus.approved,
        col(Cook.location_review).is_(False),
    )
    if near is not None:
        lat_min, lat_max, lon_min, lon_max = bounding_box(*near, council.max_walk_radius_m)
        query = query.where(
            col(Cook.latitude).between(lat_min, lat_max),
            col(Cook.longitude).between(lon_min, lon_max),
        )
    query = query.order_by(col(Cook.id))
    if for_update:
        query = query.with_for_update(key_share=True)
    raw = session.connection().execute(query).all()
    if not with_loads:
        loads: Counter[int] = Counter()
    elif near is None:
        loads = council_loads(session, council.id or 0)
    else:
        loads = open_loads(session, [r[0] for r in raw])
    decoded = _Decoded()
    recheck = timedelta(days=council.dbs_recheck_days)
    inputs, rows = [], {}
    for cook_id, user_id, name, lat, lon, radius, places, status, dbs, *texts, version in raw:
        (freq_l, freq), (diet_l, diet), (free_l, free), (tex_l, tex) = map(decoded.set, texts[:4])
        avail_l, avail = decoded.window(texts[4])
        rows[cook_id] = CookRow(
            cook_id, user_id, name, lat, lon, radius, places, status, dbs,
            freq_l, diet_l, free_l, tex_l, avail_l, version,
        )  # fmt: skip
        load = loads[cook_id]
        inputs.append(
            CookInput(
                id=cook_id,
                lat=lat,
                lon=lon,
                radius_m=radius,
                # is_matchable, inlined for speed: approved (the query) and DBS in date.
                matchable=dbs is not None and dbs + recheck >= today,
                spare=max(0, places - load),
                load=load,
                frequencies=freq,
                diets=diet,
                allergen_free=free,
                textures=tex,
                windows=avail,
            )
        )
    if with_away:
        inputs = without_away(inputs, away_weekdays(session, council=council, today=today))
    if with_loads and with_booked:
        booked = (
            booked_times(session, council_id=council.id)
            if near is None
            else booked_times(session, cook_ids=[r[0] for r in raw])
        )
        inputs = engine_busy.without_booked(inputs, booked)
    return inputs, rows


def cook_input(cook: CookFields, *, council: Council, today: date, load: int) -> CookInput:
    assert cook.id is not None
    return CookInput(
        id=cook.id,
        lat=cook.latitude,
        lon=cook.longitude,
        radius_m=cook.walk_radius_m,
        matchable=is_matchable(cook, council, today),
        spare=max(0, cook.max_diners - load),
        load=load,
        frequencies=frozenset(cook.frequencies),
        diets=frozenset(cook.diets),
        allergen_free=frozenset(cook.allergen_free),
        textures=frozenset(cook.textures),
        windows=windows(cook.availability),
    )


# A cook who declined an invitation to a diner is not offered them again by suggestions, the
# batch or the next-best proposal after a decline (a coordinator can still propose them by hand,
# say once the cook has changed their mind on the phone): kind 2 below, excluded unless asked.
_HISTORY: CompoundSelect = union_all(
    select(literal(0), col(PairExclusion.diner_id), col(PairExclusion.cook_id)).where(
        col(PairExclusion.diner_id).in_(bindparam("diner_ids", expanding=True))
    ),
    select(literal(2), col(Pairing.diner_id), col(Pairing.cook_id)).where(
        col(Pairing.diner_id).in_(bindparam("diner_ids", expanding=True)),
        col(Pairing.status) == PairingStatus.declined,
    ),
    select(literal(1), col(Pairing.diner_id), col(Pairing.cook_id)).where(
        col(Pairing.diner_id).in_(bindparam("diner_ids", expanding=True)),
        col(Pairing.accepted_at).is_not(None),
    ),
    select(literal(1), col(Meal.diner_id), col(Meal.cook_id)).where(
        col(Meal.diner_id).in_(bindparam("diner_ids", expanding=True)),
        col(Meal.is_cover).is_(True),
        Meal.status == MealStatus.delivered,
        col(Meal.cook_id).is_not(None),
    ),
)


def history(
    session: Session, diner_ids: list[int], *, declined_excluded: bool = True
) -> tuple[dict[int, set[int]], dict[int, set[int]]]:
    """Per diner: the cooks excluded, and the cooks met (an accepted pairing, or a cover meal).

    The excluded are the pairs excluded for good and, unless ``declined_excluded`` is False
    (a proposal by hand, a one-off cover), the cooks who declined an invitation to the diner.
    One query (four parts) per few thousand diners.
    """
    excluded: dict[int, set[int]] = {d: set() for d in diner_ids}
    met: dict[int, set[int]] = {d: set() for d in diner_ids}
    chunk = _ID_CHUNK // 4  # the ids appear four times
    for i in range(0, len(diner_ids), chunk):
        found = session.connection().execute(_HISTORY, {"diner_ids": diner_ids[i : i + chunk]})
        for kind, diner_id, cook_id in found:
            if kind == 1:
                met[diner_id].add(cook_id)
            elif kind == 0 or declined_excluded:
                excluded[diner_id].add(cook_id)
    return excluded, met


class DinerFields(Protocol):
    """What matching reads of a diner: an ORM row or a ``DinerRow``."""

    @property
    def id(self) -> int | None: ...

    council_id: int
    full_name: str
    latitude: float
    longitude: float
    diets: list[str]
    allergies: list[str]
    availability: list[dict[str, object]]

    @property
    def texture(self) -> str: ...

    @property
    def frequency(self) -> str: ...


def diner_input(
    diner: DinerFields, *, excluded: set[int], met: set[int], frequency: str | None = None
) -> DinerInput:
    assert diner.id is not None
    return DinerInput(
        id=diner.id,
        lat=diner.latitude,
        lon=diner.longitude,
        diets=frozenset(diner.diets),
        allergies=frozenset(diner.allergies),
        texture=diner.texture,
        frequency=frequency or diner.frequency,
        windows=windows(diner.availability),
        excluded=frozenset(excluded),
        met=frozenset(met),
    )


def unpaired_waiting_diners(session: Session, *, council: Council, today: date) -> list[Diner]:
    """The council's diners waiting today (not paused) with no open pairing, and not held for
    an erasure their carer asked for (app/diners/erasure_hold.py)."""
    open_diners = select(Pairing.diner_id).where(col(Pairing.status).in_(OPEN_STATUSES))
    rows = session.exec(
        select(Diner)
        .where(
            Diner.council_id == council.id,
            Diner.status == DinerStatus.waiting,
            col(Diner.id).not_in(open_diners),
        )
        .order_by(col(Diner.id))
    ).all()
    held = held_diner_ids(session)
    return [d for d in rows if public_status(d, today) == DinerStatus.waiting and d.id not in held]


@dataclass(slots=True)
class DinerRow:
    """A waiting diner as a batch loads it (satisfies ``DinerFields``), with its needs decoded.
    List fields may be shared between rows: never change them in place."""

    id: int
    council_id: int
    full_name: str
    latitude: float
    longitude: float
    diets: list[str]
    allergies: list[str]
    texture: Texture
    availability: list[dict[str, object]]
    frequency: Frequency
    diet_set: frozenset[str]
    allergy_set: frozenset[str]
    windows: tuple[Window, ...]

    def matching_input(self, *, excluded: set[int], met: set[int]) -> DinerInput:
        """The same as ``diner_input(self, ...)``, from the decoded needs."""
        return DinerInput(
            id=self.id,
            lat=self.latitude,
            lon=self.longitude,
            diets=self.diet_set,
            allergies=self.allergy_set,
            texture=self.texture,
            frequency=self.frequency,
            windows=self.windows,
            excluded=frozenset(excluded),
            met=frozenset(met),
        )


_DINER_COLUMNS = (
    col(Diner.id),
    col(Diner.council_id),
    col(Diner.full_name),
    col(Diner.latitude),
    col(Diner.longitude),
    cast(col(Diner.diets), Text),
    cast(col(Diner.allergies), Text),
    col(Diner.texture),
    cast(col(Diner.availability), Text),
    col(Diner.frequency),
)
_DINER_BY_ID = core_select(*_DINER_COLUMNS).where(col(Diner.id) == bindparam("diner_id"))


def _diner_row(decoded: _Decoded, raw: Sequence[Any]) -> DinerRow:
    diner_id, council_id, name, lat, lon, diets, allergies, texture, avail, freq = raw[:10]
    (diet_l, diet), (allergy_l, allergy) = decoded.set(diets), decoded.set(allergies)
    avail_l, avail_w = decoded.window(avail)
    return DinerRow(
        diner_id, council_id, name, lat, lon, diet_l, allergy_l, texture, avail_l, freq,
        diet, allergy, avail_w,
    )  # fmt: skip


_COUNCIL_COLUMNS = tuple(Council.__table__.columns)  # type: ignore[attr-defined]
# The council's cook index version (app/matching/cache.py): its latest change to a cook's row.
_LATEST_COOK_CHANGE = (
    core_select(func.max(col(Cook.updated_at)))
    .where(col(Cook.council_id) == col(Council.id))
    .scalar_subquery()
)


def _cook_ids_of(query: Select[Any], dialect: str) -> Any:
    """The cook ids a correlated query finds, as one text (``1,5,9``; NULL for none). The
    separator is written into the statement (``aggregate_strings`` would render it on every
    execution)."""
    [cook_id] = query.selected_columns
    text = cast(cook_id, Text)
    ids = (
        func.string_agg(text, literal_column("','"))
        if dialect == "postgresql"
        else (func.group_concat(text, literal_column("','")))
    )
    return query.with_only_columns(ids).scalar_subquery()


def _diner_and_council_query(dialect: str) -> Select[*tuple[Any, ...]]:
    """The diner, their council, its cook index version, ``history`` for the diner as four
    texts of cook ids (the excluded, those who declined, and those met in an accepted pairing
    or by a delivered cover meal), and whether the diner may be held for an erasure (when
    erased, and when their carer first asked: only then is it read whether a request names
    them): one query less for a suggestion."""
    history = (
        core_select(col(PairExclusion.cook_id)).where(col(PairExclusion.diner_id) == col(Diner.id)),
        core_select(col(Pairing.cook_id)).where(
            col(Pairing.diner_id) == col(Diner.id), col(Pairing.status) == PairingStatus.declined
        ),
        core_select(col(Pairing.cook_id)).where(
            col(Pairing.diner_id) == col(Diner.id), col(Pairing.accepted_at).is_not(None)
        ),
        core_select(col(Meal.cook_id)).where(
            col(Meal.diner_id) == col(Diner.id),
            col(Meal.is_cover).is_(True),
            col(Meal.status) == MealStatus.delivered,
            col(Meal.cook_id).is_not(None),
        ),
    )
    return (
        core_select(
            *_DINER_COLUMNS,
            *_COUNCIL_COLUMNS,
            _LATEST_COOK_CHANGE,
            *(_cook_ids_of(query, dialect) for query in history),
            col(Diner.anonymised_at),
            first_erasure_ask(col(Diner.carer_id)),
        )
        .join_from(Diner, Council, col(Council.id) == col(Diner.council_id))
        .where(col(Diner.id) == bindparam("diner_id"))
    )


_DINER_AND_COUNCIL = {name: _diner_and_council_query(name) for name in ("sqlite", "postgresql")}


def _ids(text: str | None) -> set[int]:
    return set(map(int, text.split(","))) if text else set()


@dataclass(frozen=True, slots=True)
class DinerInCouncil:
    diner: DinerRow
    council: Council  # a copy of the row, not in the session: read it, never change it
    latest_cook_change: datetime | None  # ``cache.council_cooks``'s version
    excluded: set[int]  # the diner's ``history``: cooks excluded ...
    met: set[int]  # ... and cooks met
    held: ErasureHold | None = None  # their carer asked for erasure (erasure_hold.py)


def diner_in_council(session: Session, *, diner_id: int) -> DinerInCouncil | None:
    """One diner as a ``DinerRow``, their council, its cook index version and the diner's
    ``history``, in one query."""
    connection = session.connection()
    query = _DINER_AND_COUNCIL[connection.dialect.name]
    raw = connection.execute(query, {"diner_id": diner_id}).first()
    if raw is None:
        return None
    n, m = len(_DINER_COLUMNS), len(_COUNCIL_COLUMNS)
    fields: dict[str, Any] = {
        c.name: v for c, v in zip(_COUNCIL_COLUMNS, raw[n : n + m], strict=True)
    }
    latest: Any
    latest, excluded, declined, paired, covered, erased, asked = raw[n + m :]
    # Built without validation (the row is the database's): ten times cheaper.
    council = Council.model_construct(**fields)
    return DinerInCouncil(
        diner=_diner_row(_Decoded(), raw),
        council=council,
        latest_cook_change=latest,  # max(updated_at) or None
        excluded=_ids(excluded) | _ids(declined),
        met=_ids(paired) | _ids(covered),
        held=_held(session, diner_id, council) if asked is not None and erased is None else None,
    )


def _held(session: Session, diner_id: int, council: Council) -> ErasureHold | None:
    """The hold of a diner whose carer asked for erasure: only if a request names them (one
    registered after asking is not held; app/diners/erasure_hold.py)."""
    diner = session.get(Diner, diner_id)
    return erasure_hold(session, diner=diner, council=council) if diner is not None else None


def diner_row(session: Session, *, diner_id: int) -> DinerRow | None:
    """One diner as a ``DinerRow`` (plain columns: cheaper than the model object)."""
    raw = session.connection().execute(_DINER_BY_ID, {"diner_id": diner_id}).first()
    return None if raw is None else _diner_row(_Decoded(), raw)


_WAITING_DINERS = (
    core_select(
        *_DINER_COLUMNS,
        col(Diner.status),
        col(Diner.paused_from),
        col(Diner.paused_to),
    )
    .where(
        col(Diner.council_id) == bindparam("council_id"),
        col(Diner.status) == DinerStatus.waiting,
        col(Diner.id).not_in(
            select(Pairing.diner_id).where(col(Pairing.status).in_(OPEN_STATUSES))
        ),
    )
    .order_by(col(Diner.id))
)


def waiting_diner_rows(session: Session, *, council: Council, today: date) -> list[DinerRow]:
    """``unpaired_waiting_diners`` as plain rows, each distinct JSON value decoded once."""
    decoded = _Decoded()
    found = []
    held = held_diner_ids(session)  # named by an erasure request (erasure_hold.py)
    raw = session.connection().execute(_WAITING_DINERS, {"council_id": council.id})
    for row in raw:
        status, paused_from, paused_to = row[10:]
        pause = _Pause(status, paused_from, paused_to)
        if public_status(pause, today) != DinerStatus.waiting or row[0] in held:
            continue
        found.append(_diner_row(decoded, row))
    return found


@dataclass(slots=True)
class _Pause:
    status: str
    paused_from: date | None
    paused_to: date | None
