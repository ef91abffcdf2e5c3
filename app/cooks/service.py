"""Cook profiles: sign-up, replacement and the cook's own view."""

from __future__ import annotations

from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, select

from app.audit import record_audit
from app.cooks.schemas import CookProfileIn
from app.db import utcnow
from app.errors import Conflict, NotFound
from app.models import Cook, User
from app.moderation.rules import STICKY
from app.places import Place
from app.vocab import CookStatus


def leaves_council(cook: Cook | None, place: Place) -> bool:
    """Whether saving the profile at ``place`` moves the cook to another council."""
    return (
        cook is not None and cook.council_id != place.council.id and cook.status != CookStatus.left
    )


def save_own_profile(session: Session, *, user: User, body: CookProfileIn, place: Place) -> Cook:
    """Create or replace the cook's profile at a located place; a new (or returning) cook waits
    for checks. A move to another council also ends the cook's pairings: callers use
    app.flows.cooks.put_own_profile, which does that first."""
    cook = find_own_profile(session, user=user)
    fields = body.model_dump(mode="json", exclude={"postcode"})
    fields |= {
        "postcode": place.postcode.full,
        "latitude": place.location.latitude,
        "longitude": place.location.longitude,
        "geo_precision": place.location.precision,
        "council_id": place.council.id,
        "neighbourhood_id": place.neighbourhood.id if place.neighbourhood else None,
        "updated_at": utcnow(),
    }
    if cook is None:
        cook = Cook(user_id=user.id, status=CookStatus.pending, **fields)  # type: ignore[arg-type]
    else:
        old_council_id, moved = cook.council_id, place.postcode.full != cook.postcode
        # Moving to another council: the old one can no longer look after the pairings,
        # and the new one has not vetted this cook. Pairings end; the new council checks.
        # A suspension or rejection stays until the council that set it lifts it.
        if leaves_council(cook, place) and cook.status not in STICKY:
            cook.status, cook.status_reason = CookStatus.pending, None
        if old_council_id != place.council.id and cook.first_council_id is None:
            cook.first_council_id = old_council_id  # where they signed up (the weekly report)
        for name, value in fields.items():
            setattr(cook, name, value)
        if cook.status == CookStatus.left:  # coming back: the council checks again
            cook.status, cook.status_reason = CookStatus.pending, None
        cook.stopped_at = None  # saving a profile is wanting to cook
        if cook.status == CookStatus.pending:
            cook.location_review = False  # checked where they live now, before approval
        elif moved and cook.status in (CookStatus.approved, CookStatus.suspended):
            # Vetted at another address: not proposed or offered cover until staff confirm.
            cook.location_review = True
        _audit_move(session, user=user, cook=cook, old_council_id=old_council_id, moved=moved)
    user.council_id = place.council.id
    try:
        with session.begin_nested():  # the caller's work stays if this insert fails
            session.add_all([cook, user])
    except IntegrityError as exc:  # the same first profile sent twice at the same moment
        raise Conflict("Your profile was being saved twice at once: please try again") from exc
    return cook


def _audit_move(
    session: Session, *, user: User, cook: Cook, old_council_id: int, moved: bool
) -> None:
    """A move is part of the cook's history in each council it touches (ids and codes only)."""
    if old_council_id != cook.council_id:
        moves = [(old_council_id, "cook.moved_away"), (cook.council_id, "cook.moved_in")]
    elif moved:
        moves = [(cook.council_id, "cook.location_changed")]
    else:
        return
    for council_id, action in moves:
        record_audit(
            session,
            actor_id=user.id,
            council_id=council_id,
            action=action,
            subject_type="cook",
            subject_id=cook.id,
            data={"status": cook.status, "location_review": cook.location_review},
        )


def find_own_profile(session: Session, *, user: User, lock: bool = False) -> Cook | None:
    """The user's cook profile, if any (locked until commit when asked)."""
    query = select(Cook).where(Cook.user_id == user.id)
    return session.exec(query.with_for_update(key_share=True) if lock else query).first()


def get_own_profile(session: Session, *, user: User) -> Cook:
    cook = find_own_profile(session, user=user)
    if cook is None:
        raise NotFound("You have no cook profile yet")
    return cook
