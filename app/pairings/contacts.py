"""Who hears about a diner: their carer and their neighbourhood's coordinator."""

from __future__ import annotations

from sqlmodel import Session

from app.models import Diner, Neighbourhood


def coordinator_id(session: Session, diner: Diner) -> int | None:
    if diner.neighbourhood_id is None:
        return None
    hood = session.get(Neighbourhood, diner.neighbourhood_id)
    return hood.coordinator_id if hood else None
