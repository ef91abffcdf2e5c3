"""Data protection: a person's own data as JSON, and erasure that keeps anonymous history."""

from __future__ import annotations

import secrets
from typing import Any

from sqlmodel import Session, col, select

from app.accounts.passwords import hash_password
from app.audit import record_audit
from app.cooks.service import find_own_profile
from app.db import utcnow
from app.errors import Conflict
from app.geo.distance import public_distance_m
from app.models import (
    Concern,
    Cook,
    Diner,
    Meal,
    MealFeedback,
    Neighbourhood,
    OutcomeAnswer,
    Pairing,
    User,
)
from app.pairings.lifecycle import diner_leaves, release_cook
from app.vocab import CookStatus, DinerStatus

ERASED = "Erased"


def _row(model: Any, *, drop: tuple[str, ...] = ()) -> dict[str, Any]:
    return {k: v for k, v in model.model_dump(mode="json").items() if k not in drop}


def export_own_data(session: Session, *, user: User) -> dict[str, Any]:
    """Everything held about the signed-in person (and, for a carer, their relatives)."""
    data: dict[str, Any] = {"account": _row(user, drop=("password_hash", "email_key"))}
    cook = find_own_profile(session, user=user)
    if cook is not None:
        data["cook_profile"] = _row(cook, drop=("calendar_token",))
        pairings = session.exec(select(Pairing).where(Pairing.cook_id == cook.id)).all()
        # The cook sees the distance as everyone but staff does: to 100 m (API.md).
        data["pairings"] = [
            _row(p) | {"distance_m": public_distance_m(p.distance_m)} for p in pairings
        ]
        data["meals"] = [_row(m) for m in session.exec(select(Meal).where(Meal.cook_id == cook.id))]
    diners = session.exec(select(Diner).where(Diner.carer_id == user.id)).all()
    if diners:
        ids = [d.id for d in diners]
        data["diners"] = [_row(d) for d in diners]
        data["diner_meals"] = [
            _row(m) for m in session.exec(select(Meal).where(col(Meal.diner_id).in_(ids)))
        ]
        data["feedback"] = [
            _row(f)
            for f in session.exec(select(MealFeedback).where(MealFeedback.carer_id == user.id))
        ]
        data["outcomes"] = [
            _row(o)
            for o in session.exec(select(OutcomeAnswer).where(OutcomeAnswer.carer_id == user.id))
        ]
    data["concerns_raised"] = [
        _row(c) for c in session.exec(select(Concern).where(Concern.raised_by_id == user.id))
    ]
    return data


def erase_diner(session: Session, *, staff: User, diner: Diner) -> Diner:
    """Anonymise a diner: pairings end, personal fields go; ids, dates and outcomes stay."""
    if diner.anonymised_at is not None:
        raise Conflict("This diner has already been erased")
    diner_leaves(session, diner=diner)
    diner.full_name, diner.address_line, diner.phone, diner.access_notes = (
        ERASED,
        ERASED,
        None,
        None,
    )
    diner.postcode = diner.postcode.split(" ")[0]  # the district stays for area figures
    diner.latitude, diner.longitude = round(diner.latitude, 2), round(diner.longitude, 2)
    diner.status, diner.status_reason, diner.anonymised_at = DinerStatus.left, None, utcnow()
    session.add(diner)
    for concern in session.exec(select(Concern).where(Concern.diner_id == diner.id)).all():
        concern.description, concern.notes = ERASED, []
        session.add(concern)
    _audit(session, staff, "diner.erased", "diner", diner.id)
    session.flush()
    return diner


def erase_cook(session: Session, *, staff: User, cook: Cook) -> Cook:
    """Anonymise a cook and their account; pairings end; the history of meals stays."""
    user = session.get(User, cook.user_id)
    assert user is not None
    if user.anonymised_at is not None:
        raise Conflict("This cook has already been erased")
    release_cook(session, cook=cook, reason="cook_stopped")
    cook.display_name, cook.address_line, cook.phone = ERASED, ERASED, ""
    cook.postcode = cook.postcode.split(" ")[0]
    cook.latitude, cook.longitude = round(cook.latitude, 2), round(cook.longitude, 2)
    cook.status, cook.status_reason, cook.calendar_token = CookStatus.left, None, None
    cook.updated_at = utcnow()
    session.add(cook)
    _anonymise_user(session, user)
    _audit(session, staff, "cook.erased", "cook", cook.id)
    session.flush()
    return cook


def _anonymise_user(session: Session, user: User) -> None:
    for hood in session.exec(select(Neighbourhood).where(Neighbourhood.coordinator_id == user.id)):
        hood.coordinator_id = None
        session.add(hood)
    user.email = user.email_key = f"erased-{user.id}@erased.invalid"
    user.full_name, user.phone, user.is_active = ERASED, None, False
    user.password_hash = hash_password(secrets.token_urlsafe(32))
    user.anonymised_at = utcnow()
    session.add(user)


def _audit(
    session: Session, staff: User, action: str, subject_type: str, subject_id: int | None
) -> None:
    record_audit(
        session,
        actor_id=staff.id,
        council_id=staff.council_id,
        action=action,
        subject_type=subject_type,
        subject_id=subject_id,
    )
