"""A diner's pause or departure, and their meals and pairings follow."""

from __future__ import annotations

from sqlmodel import Session

from app.councils.rules import council_today
from app.db import lock_row
from app.diners import service as diners
from app.diners.schemas import PauseIn
from app.meals.service import cancel_for_pause, restore_outside_pause
from app.models import Council, Diner, User
from app.pairings.lifecycle import diner_leaves


def pause_diner(session: Session, *, actor: User, diner: Diner, body: PauseIn) -> Diner:
    """Pause from..to; meals in the pause are cancelled (their cooks told), and meals an
    earlier pause had cancelled outside it come back. The schedule resumes by itself after."""
    lock_row(session, diner)
    diners.pause_diner(session, actor=actor, diner=diner, body=body)
    restore_outside_pause(session, diner=diner, from_=body.from_, to=body.to)
    council = session.get(Council, diner.council_id)
    assert council is not None
    # A pause may have begun already (in hospital since Monday), but a past day's meal is the
    # cook's to record (delivered or missed), not the pause's to cancel under them.
    today = council_today(council)
    cancel_for_pause(session, diner=diner, from_=max(body.from_, today), to=body.to)
    return diner


def cancel_pause(session: Session, *, actor: User, diner: Diner) -> Diner:
    """The pause is off: the meals it cancelled from today come back, their cooks told."""
    lock_row(session, diner)
    diners.cancel_pause(session, actor=actor, diner=diner)
    restore_outside_pause(session, diner=diner, from_=None, to=None)
    return diner


def leave_diner(session: Session, *, actor: User, diner: Diner, reason: str) -> Diner:
    """The diner leaves the service: their pairings end (cooks told); history is kept."""
    lock_row(session, diner)
    diners.leave_diner(session, actor=actor, diner=diner, reason=reason)
    diner_leaves(session, diner=diner)
    return diner
