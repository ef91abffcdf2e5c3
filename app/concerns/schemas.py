"""Shapes for welfare and safeguarding concerns."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

from pydantic import BaseModel, StrictBool, StringConstraints

from app.schemas import MULTI_LINE, BodyId, StrictModel

Description = Annotated[
    str, StringConstraints(strip_whitespace=True, min_length=3, max_length=2000), MULTI_LINE
]
NoteText = Annotated[
    str, StringConstraints(strip_whitespace=True, min_length=1, max_length=2000), MULTI_LINE
]


class ConcernIn(StrictModel):
    diner_id: BodyId
    kind: Literal["welfare", "safeguarding"]
    serious: StrictBool = False
    description: Description


class TriageIn(StrictModel):
    status: Literal["investigating", "resolved", "upheld"]
    note: NoteText
    # Only with status "upheld": never propose this pair again, and/or suspend the cook.
    exclude_pair: StrictBool = False
    suspend_cook: StrictBool = False


class ConcernOut(BaseModel):
    id: int
    diner_id: int
    pairing_id: int | None
    kind: str
    serious: bool
    status: str
    created_at: datetime


class ConcernStaffOut(ConcernOut):
    diner_first_name: str
    description: str
    raised_by_role: str
    cook_id: int | None
    notes: list[dict[str, object]]
