"""The people a matching page names: cooks' and diners' full names by id, and a diner's open
pairing with its cook's full name; each scoped to one council (another council's id is left out
or None, as a 404 would leave it)."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from sqlmodel import Session, col, select

from app.models import OPEN_STATUSES, Cook, Diner, Pairing, User

CHUNK = 5_000  # ids per IN (...): well under every database's limit on bound parameters


def _chunks(ids: Iterable[int]) -> list[list[int]]:
    unique = sorted(set(ids))
    return [unique[i : i + CHUNK] for i in range(0, len(unique), CHUNK)]


def cook_full_names(
    session: Session, *, council_id: int, cook_ids: Iterable[int]
) -> dict[int, str]:
    """Each of this council's cooks (by cook profile id) and their account's full name."""
    names: dict[int, str] = {}
    for part in _chunks(cook_ids):
        rows = session.exec(
            select(Cook.id, User.full_name)
            .join(User, col(User.id) == Cook.user_id)
            .where(col(Cook.id).in_(part), Cook.council_id == council_id)
        ).all()
        names |= {cook_id: name for cook_id, name in rows if cook_id is not None}
    return names


def diner_full_names(
    session: Session, *, council_id: int, diner_ids: Iterable[int]
) -> dict[int, str]:
    """Each of this council's diners (by id) and their full name."""
    names: dict[int, str] = {}
    for part in _chunks(diner_ids):
        rows = session.exec(
            select(Diner.id, Diner.full_name).where(
                col(Diner.id).in_(part), Diner.council_id == council_id
            )
        ).all()
        names |= {diner_id: name for diner_id, name in rows if diner_id is not None}
    return names


@dataclass(frozen=True, slots=True)
class OpenPairing:
    """A diner's proposed, active or paused pairing, with the cook's full name."""

    pairing: Pairing
    cook_name: str


def open_pairing(session: Session, *, diner_id: int) -> OpenPairing | None:
    """The diner's open pairing (at most one: proposals refuse a second), else None."""
    row = session.exec(
        select(Pairing, User.full_name)
        .join(Cook, col(Cook.id) == Pairing.cook_id)
        .join(User, col(User.id) == Cook.user_id)
        .where(Pairing.diner_id == diner_id, col(Pairing.status).in_(OPEN_STATUSES))
        .order_by(col(Pairing.id).desc())
    ).first()
    return OpenPairing(row[0], row[1]) if row else None
