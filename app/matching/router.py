"""HTTP routes for suggestions and batch matching (API.md "Staff")."""

from __future__ import annotations

from typing import Annotated, TypeVar

from fastapi import APIRouter, Query
from sqlmodel import col, select

from app.deps import SessionDep, StaffUser
from app.matching import service
from app.matching.schemas import BatchOut, SuggestionsOut, UnmatchedOut
from app.models import Cook, Diner
from app.pairings.views import first_name, pairing_out
from app.schemas import PathId

T = TypeVar("T", Cook, Diner)

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
    proposed, unmatched = service.run_batch(session, staff=user)
    session.commit()
    # One query each for the people named in the result (a city batch proposes thousands).
    diners = _by_id(session, Diner, {p.diner_id for p in proposed} | {d for d, _ in unmatched})
    cooks = _by_id(session, Cook, {p.cook_id for p in proposed})
    return BatchOut(
        proposed=[
            pairing_out(p, diner=diners[p.diner_id], cook=cooks[p.cook_id], viewer_role="staff")
            for p in proposed
        ],
        unmatched=[
            UnmatchedOut(diner_id=d, first_name=first_name(diners[d].full_name), reason=r)
            for d, r in unmatched
        ],
    )


def _by_id(
    session: SessionDep, model: type[T], ids: set[int], chunk: int = 10_000
) -> dict[int | None, T]:
    found: dict[int | None, T] = {}
    ordered = sorted(ids)
    for i in range(0, len(ordered), chunk):
        rows = session.exec(select(model).where(col(model.id).in_(ordered[i : i + chunk])))
        found |= {row.id: row for row in rows}
    return found
