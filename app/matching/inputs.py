"""From database rows to the pure engine's inputs."""

from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import replace
from datetime import date, timedelta
from typing import Protocol

from sqlmodel import Session, col, func, select

from app.geo.distance import bounding_box
from app.matching.engine import CookInput, DinerInput, Window
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
from app.moderation.service import is_matchable
from app.pairings.schedule import first_occurrence
from app.schemas import minutes
from app.vocab import CookStatus, DinerStatus


def windows(availability: list[dict[str, object]]) -> tuple[Window, ...]:
    return tuple(
        Window(int(w["weekday"]), minutes(str(w["start"])), minutes(str(w["end"])))  # type: ignore[call-overload]
        for w in availability
    )


def open_loads(session: Session, cook_ids: list[int]) -> Counter[int]:
    """Proposed, active and paused pairings per cook: each holds one of the cook's places."""
    if not cook_ids:
        return Counter()
    rows = session.exec(
        select(Pairing.cook_id, func.count())
        .where(col(Pairing.cook_id).in_(cook_ids), col(Pairing.status).in_(OPEN_STATUSES))
        .group_by(col(Pairing.cook_id))
    ).all()
    return Counter(dict(rows))


class CookFields(Protocol):
    """What matching reads of a cook: an ORM row or a plain Core row (faster to load)."""

    id: int | None
    user_id: int
    display_name: str
    latitude: float
    longitude: float
    walk_radius_m: int
    max_diners: int
    status: str
    dbs_checked_on: date | None
    frequencies: list[str]
    diets: list[str]
    allergen_free: list[str]
    textures: list[str]
    availability: list[dict[str, object]]


_COOK_COLUMNS = [
    col(getattr(Cook, name))
    for name in ("id", *(n for n in CookFields.__annotations__ if n != "id"))
]


def first_meal_day(weekday: int, today: date) -> date:
    """The first meal of a pairing on ``weekday`` proposed today, if the cook accepts today.

    As app.pairings.meals schedules it: the first occurrence on or after the day after
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
) -> tuple[list[CookInput], dict[int, CookFields]]:
    """The council's approved cooks (near a point, by a bounding box the database filters).

    A cook whose place awaits staff review (``location_review``, after a move) is left out.
    ``with_away`` drops each cook's windows on weekdays whose first meal falls in one of
    their absences (``away_weekdays``).

    Plain column rows, not ORM objects: loading a city's cooks is the slow part of a batch.
    """
    query = select(*_COOK_COLUMNS).where(
        Cook.council_id == council.id,
        Cook.status == CookStatus.approved,
        col(Cook.location_review).is_(False),
    )
    if near is not None:
        lat_min, lat_max, lon_min, lon_max = bounding_box(*near, council.max_walk_radius_m)
        query = query.where(
            col(Cook.latitude).between(lat_min, lat_max),
            col(Cook.longitude).between(lon_min, lon_max),
        )
    cooks: list[CookFields] = list(session.exec(query.order_by(col(Cook.id))).all())
    ids = [c.id for c in cooks if c.id is not None]
    loads = open_loads(session, ids) if with_loads else Counter[int]()
    inputs = [cook_input(c, council=council, today=today, load=loads[c.id or 0]) for c in cooks]
    if with_away:
        inputs = without_away(inputs, away_weekdays(session, council=council, today=today))
    return inputs, {c.id: c for c in cooks if c.id is not None}


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


def history(
    session: Session, diner_ids: list[int]
) -> tuple[dict[int, set[int]], dict[int, set[int]]]:
    """Per diner: the cooks excluded, and the cooks met (an accepted pairing, or a cover meal)."""
    excluded: dict[int, set[int]] = {d: set() for d in diner_ids}
    met: dict[int, set[int]] = {d: set() for d in diner_ids}
    if not diner_ids:
        return excluded, met
    for diner_id, cook_id in session.exec(
        select(PairExclusion.diner_id, PairExclusion.cook_id).where(
            col(PairExclusion.diner_id).in_(diner_ids)
        )
    ):
        excluded[diner_id].add(cook_id)
    for diner_id, cook_id in session.exec(
        select(Pairing.diner_id, Pairing.cook_id).where(
            col(Pairing.diner_id).in_(diner_ids), col(Pairing.accepted_at).is_not(None)
        )
    ):
        met[diner_id].add(cook_id)
    for meal_diner, cover_cook in session.exec(
        select(Meal.diner_id, Meal.cook_id).where(
            col(Meal.diner_id).in_(diner_ids),
            col(Meal.is_cover).is_(True),
            Meal.status == "delivered",
        )
    ):
        if cover_cook is not None:
            met[meal_diner].add(cover_cook)
    return excluded, met


def diner_input(
    diner: Diner, *, excluded: set[int], met: set[int], frequency: str | None = None
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
    """The council's diners waiting today (not paused) with no open pairing."""
    from app.diners.service import public_status  # diners' rules; imported late to avoid a cycle

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
    return [d for d in rows if public_status(d, today) == DinerStatus.waiting]
