"""HTTP routes for suggestions and batch matching (API.md "Staff")."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query

from app.deps import SessionDep, StaffUser
from app.matching import service
from app.matching.schemas import BatchOut, SuggestionsOut, UnmatchedOut
from app.models import Cook, Diner
from app.pairings.views import first_name, pairing_out

router = APIRouter(prefix="/api/staff", tags=["staff"])


@router.get("/diners/{diner_id}/suggestions", response_model=SuggestionsOut)
def suggestions(
    diner_id: int,
    user: StaffUser,
    session: SessionDep,
    limit: Annotated[int, Query(ge=1, le=500)] = 10,
) -> SuggestionsOut:
    return service.suggest_cooks(session, staff=user, diner_id=diner_id, limit=limit)


@router.post("/matching/run", response_model=BatchOut)
def run_matching(user: StaffUser, session: SessionDep) -> BatchOut:
    proposed, unmatched = service.run_batch(session, staff=user)
    session.commit()
    diners = {d.id: d for d in (session.get(Diner, p.diner_id) for p in proposed) if d}
    cooks = {c.id: c for c in (session.get(Cook, p.cook_id) for p in proposed) if c}
    return BatchOut(
        proposed=[
            pairing_out(p, diner=diners[p.diner_id], cook=cooks[p.cook_id], viewer_role="staff")
            for p in proposed
        ],
        unmatched=[
            UnmatchedOut(diner_id=d, first_name=_first_name(session, d), reason=r)
            for d, r in unmatched
        ],
    )


def _first_name(session: SessionDep, diner_id: int) -> str:
    diner = session.get(Diner, diner_id)
    return first_name(diner.full_name) if diner else ""
