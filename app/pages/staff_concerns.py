"""Staff pages: concerns. The list (by status, most urgent first, filtered by cook or diner),
one concern with everyone's names and contacts and its triage form, and `concerns_about` for
the cook's and the diner's records.

Reads through app/concerns/search.py; triage goes through app.concerns.service.triage, the
same service as POST /api/staff/concerns/{id}/triage."""

from __future__ import annotations

from fastapi import APIRouter
from sqlmodel import Session

from app.concerns.search import ConcernRow, find_concerns

router = APIRouter(include_in_schema=False)


def concerns_about(
    session: Session, *, council_id: int, cook_id: int | None = None, diner_id: int | None = None
) -> list[ConcernRow]:
    """Every concern of this council about a cook (their pairings' concerns, and those they
    raised) or a diner, most urgent first: the rows of staff/_concerns.html's concern_table."""
    rows, _ = find_concerns(session, council_id=council_id, cook_id=cook_id, diner_id=diner_id)
    return rows
