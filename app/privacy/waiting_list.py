"""The waiting list: an out-of-area person's email, kept only with their consent, to tell them
when we start in their district (PRODUCT.md); erasure scrubs it."""

from __future__ import annotations

from sqlmodel import Session, col, select

from app.db import utcnow
from app.models import AreaDemand


def join_waiting_list(session: Session, *, district: str, role: str, email: str) -> AreaDemand:
    """Note the district with an email the person consented to leave (checked by the caller)."""
    demand = AreaDemand(
        district=district, role=role, email=email.strip().lower(), consented_at=utcnow()
    )
    session.add(demand)
    session.flush()
    return demand


def forget_email(session: Session, email: str) -> int:
    """Remove an email (and its consent) from the waiting list, keeping the districts as
    anonymous demand; returns how many entries held it."""
    rows = session.exec(
        select(AreaDemand).where(col(AreaDemand.email) == email.strip().lower())
    ).all()
    for demand in rows:
        demand.email, demand.consented_at = None, None
        session.add(demand)
    return len(rows)
