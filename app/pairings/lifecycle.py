"""What happens to pairings when people come and go (used by moderation, cooks, diners)."""

from __future__ import annotations

from sqlmodel import Session, col, select

from app.db import utcnow
from app.models import Cook, Diner, Pairing
from app.vocab import DinerStatus


def release_cook(session: Session, *, cook: Cook, reason: str) -> list[Pairing]:
    """Withdraw the cook's proposals and end their active pairings; diners wait again."""
    pairings = session.exec(
        select(Pairing).where(
            Pairing.cook_id == cook.id, col(Pairing.status).in_(("proposed", "active", "paused"))
        )
    ).all()
    for pairing in pairings:
        end_pairing(session, pairing=pairing, reason=reason)
    return list(pairings)


def end_pairing(session: Session, *, pairing: Pairing, reason: str) -> None:
    """A proposal is withdrawn, an active pairing ended; either way the history is kept."""
    pairing.status = "withdrawn" if pairing.status == "proposed" else "ended"
    pairing.ended_at, pairing.end_reason = utcnow(), reason
    session.add(pairing)
    diner = session.get(Diner, pairing.diner_id)
    if diner is not None and diner.status == DinerStatus.matched:
        diner.status = DinerStatus.waiting
        session.add(diner)
    session.flush()
