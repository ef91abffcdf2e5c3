"""From database rows to the pure engine's inputs."""

from __future__ import annotations

from collections import Counter
from datetime import date
from typing import Protocol

from sqlmodel import Session, col, func, select

from app.geo.distance import bounding_box
from app.matching.engine import CookInput, DinerInput, Window
from app.models import OPEN_STATUSES, Cook, Council, Diner, Meal, PairExclusion, Pairing
from app.moderation.service import is_matchable
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


def cook_inputs(
    session: Session,
    *,
    council: Council,
    today: date,
    near: tuple[float, float] | None = None,
    with_loads: bool = True,
) -> tuple[list[CookInput], dict[int, CookFields]]:
    """The council's approved cooks (near a point, by a bounding box the database filters).

    Plain column rows, not ORM objects: loading a city's cooks is the slow part of a batch.
    """
    query = select(*_COOK_COLUMNS).where(
        Cook.council_id == council.id, Cook.status == CookStatus.approved
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
