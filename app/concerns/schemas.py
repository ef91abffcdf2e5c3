"""Shapes for concerns: raising one, the raiser's view of it, and the staff's."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

from pydantic import BaseModel, StrictBool, StringConstraints

from app.schemas import MULTI_LINE, BodyId, StrictModel
from app.vocab import ConcernCategory, ConcernStatus

Description = Annotated[
    str, StringConstraints(strip_whitespace=True, min_length=3, max_length=2000), MULTI_LINE
]
NoteText = Annotated[
    str, StringConstraints(strip_whitespace=True, min_length=1, max_length=2000), MULTI_LINE
]


class ConcernIn(StrictModel):
    diner_id: BodyId
    # One of the six categories; "welfare" and "safeguarding" are the two of before.
    kind: ConcernCategory
    serious: StrictBool = False
    description: Description


class TriageIn(StrictModel):
    status: Literal["investigating", "resolved", "upheld"]
    note: NoteText
    # Only with status "upheld": never propose this pair again, and/or suspend the cook; or,
    # neither, let the meals that the concern paused start again. Upholding a concern that
    # paused the pairing needs one of the three (422 upheld_needs_a_decision).
    exclude_pair: StrictBool = False
    suspend_cook: StrictBool = False
    resume_meals: StrictBool = False


class ConcernOut(BaseModel):
    id: int
    reference: str  # "EP-" and six characters: what the raiser quotes
    diner_id: int
    pairing_id: int | None
    kind: ConcernCategory
    serious: bool
    status: ConcernStatus
    created_at: datetime
    updated_at: datetime


class RaisedConcernOut(ConcernOut):
    """The raiser's view: where their concern stands, in words; never the staff's notes."""

    diner_first_name: str
    status_text: str  # "Received", "Being looked into", "Closed"
    description: str


class ConcernStaffOut(ConcernOut):
    diner_first_name: str
    description: str
    raised_by_role: str
    cook_id: int | None
    notes: list[dict[str, object]]
