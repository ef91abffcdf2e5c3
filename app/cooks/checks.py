"""What a cook waiting for checks is told: the checks, how long they usually take here, and
who to contact."""

from __future__ import annotations

import statistics
from dataclasses import dataclass

from sqlmodel import Session, col, select

from app.models import Cook, Council, Neighbourhood, User

# Fewer approvals than this say nothing reliable about how long checks take.
MIN_APPROVALS = 5


@dataclass(frozen=True)
class CouncilContact:
    name: str
    email: str
    phone: str | None
    neighbourhood: str | None  # set when this is the cook's neighbourhood coordinator


def typical_check_days(session: Session, *, council_id: int) -> int | None:
    """The median number of days from sign-up to approval of the council's cooks (None when
    too few were approved to tell)."""
    rows = session.exec(
        select(Cook.created_at, Cook.approved_at).where(
            Cook.council_id == council_id, col(Cook.approved_at).is_not(None)
        )
    ).all()
    days = [(approved - created).days for created, approved in rows if approved is not None]
    if len(days) < MIN_APPROVALS:
        return None
    return max(1, round(statistics.median(days)))


def council_contact(session: Session, *, cook: Cook) -> CouncilContact | None:
    """The coordinator of the cook's neighbourhood, else the council's first active staff
    member (the council's team), else None."""
    if cook.neighbourhood_id is not None:
        hood = session.get(Neighbourhood, cook.neighbourhood_id)
        person = session.get(User, hood.coordinator_id) if hood and hood.coordinator_id else None
        if hood is not None and person is not None and person.is_active:
            return CouncilContact(person.full_name, person.email, person.phone, hood.name)
    staff = session.exec(
        select(User)
        .where(User.council_id == cook.council_id, User.role == "staff", col(User.is_active))
        .order_by(col(User.id))
    ).first()
    if staff is None:
        return None
    return CouncilContact(staff.full_name, staff.email, staff.phone, None)


def council_of(session: Session, cook: Cook) -> Council:
    council = session.get(Council, cook.council_id)
    assert council is not None
    return council
