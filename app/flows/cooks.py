"""A cook's standing changes, and their pairings and covers follow."""

from __future__ import annotations

from sqlmodel import Session

from app.audit import record_audit
from app.config import Settings
from app.cooks.schemas import CookProfileIn
from app.cooks.service import find_own_profile, leaves_council, save_own_profile
from app.db import lock_row, utcnow
from app.errors import Conflict
from app.flows.cook_changes import cook_changed, offer_of
from app.models import Cook, User
from app.moderation import service as moderation
from app.moderation.rules import STICKY
from app.pairings.lifecycle import release_cook
from app.places import locate_place
from app.vocab import CookStatus, EndReason


def put_own_profile(
    session: Session, *, user: User, body: CookProfileIn, settings: Settings
) -> Cook:
    """Create or replace the cook's profile; a move to another council first ends their
    pairings and hands back their covers (the old council can no longer look after them).
    Within the council, a pairing the new profile no longer meets safely is stopped
    (`cook_changes.cook_changed`)."""
    place = locate_place(session, raw_postcode=body.postcode, role="cook", settings=settings)
    cook = find_own_profile(session, user=user, lock=True)
    if cook is not None and leaves_council(cook, place):
        release_cook(session, cook=cook, reason=EndReason.cook_moved)
        return save_own_profile(session, user=user, body=body, place=place)
    before = offer_of(session, cook) if cook is not None else None
    moved = cook is not None and cook.postcode != place.postcode.full
    saved = save_own_profile(session, user=user, body=body, place=place)
    if before is not None:
        # What the cook no longer offers must not reach a diner who needs it: an allergen
        # dropped, a diet, a texture, or a new home beyond the walk to them.
        cook_changed(session, cook=saved, before=before, moved=moved)
    return saved


def suspend_cook(session: Session, *, staff: User, cook: Cook, reason: str) -> Cook:
    """Suspend at once; the cook's pairings are unwound in the same transaction."""
    lock_row(session, cook)
    moderation.suspend_cook(session, staff=staff, cook=cook, reason=reason)
    release_cook(session, cook=cook, reason=EndReason.cook_suspended)
    return cook


def stop_cooking(session: Session, *, cook: Cook, reason: str) -> Cook:
    """The cook stops: pairings end, diners wait again (re-matching prefers familiar faces).

    A suspended or rejected cook keeps that status and the staff's reason: stopping must not
    wipe it (only the council that set it, or an admin, lifts it). The stop is kept all the
    same (`stopped_at`): lifting the decision then leaves them stopped, not invited again.
    """
    lock_row(session, cook)
    if cook.status == CookStatus.left:
        raise Conflict("You have already stopped")
    release_cook(session, cook=cook, reason=EndReason.cook_stopped)
    if cook.status in STICKY:
        cook.stopped_at = utcnow()
    else:
        cook.status, cook.status_reason = CookStatus.left, reason
    cook.updated_at = utcnow()
    session.add(cook)
    record_audit(
        session,
        actor_id=cook.user_id,
        council_id=cook.council_id,
        action="cook.stopped",
        subject_type="cook",
        subject_id=cook.id,
        data={"status": cook.status},
    )
    session.flush()
    return cook
