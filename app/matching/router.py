"""HTTP routes for suggestions and batch matching (API.md "Staff")."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query

from app.deps import SessionDep, StaffUser
from app.matching import service
from app.matching.schemas import BatchOut, SuggestionsOut
from app.schemas import PathId

router = APIRouter(prefix="/api/staff", tags=["staff"])


@router.get("/diners/{diner_id}/suggestions", response_model=SuggestionsOut)
def suggestions(
    diner_id: PathId,
    user: StaffUser,
    session: SessionDep,
    limit: Annotated[int, Query(ge=1, le=500)] = 10,
) -> SuggestionsOut:
    return service.suggest_cooks(session, staff=user, diner_id=diner_id, limit=limit)


@router.post("/matching/run", response_model=BatchOut)
def run_matching(user: StaffUser, session: SessionDep) -> BatchOut:
    return service.run_matching(session, staff=user)
