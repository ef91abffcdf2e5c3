"""The append-only audit log (the database refuses UPDATE and DELETE on it), and the reasons
staff gave for its decisions, kept apart."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, Column, Index
from sqlmodel import Field, SQLModel

from app.db import utcnow


class AuditEntry(SQLModel, table=True):
    __tablename__ = "audit_entry"
    # A person's requests to be erased, looked up by action and person on the staff's and the
    # carer's home pages: without it each load read the whole log (a diff review), which grows
    # with every view of an address.
    __table_args__ = (
        # Then by time: whether a person saw a record within audit.VIEW_WINDOW reads only the
        # record's entries of those minutes (audit.views_to_record, on every view).
        Index("ix_audit_entry_action_subject", "action", "subject_type", "subject_id", "at"),
        # A council's log newest first, read in its order: by council alone, each page sorted
        # every entry of the council (0.09 s for the first page, 0.25 s deep, at a city's
        # 253,000 entries; 0.1 and 9 ms with it). It also counts them, as the index it replaces.
        Index("ix_audit_entry_council_at", "council_id", "at", "id"),
    )

    id: int | None = Field(default=None, primary_key=True)
    at: datetime = Field(default_factory=utcnow, index=True)
    actor_id: int | None = Field(default=None, foreign_key="user.id")
    council_id: int | None = Field(default=None, foreign_key="council.id")  # indexed above
    action: str = Field(max_length=64)
    subject_type: str = Field(max_length=32)
    subject_id: int | None = None
    # Ids and codes only, never personal data.
    data: dict[str, object] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))


class AuditReason(SQLModel, table=True):
    """The words staff gave for a decision the audit log records (a suspension, a rejection,
    a reinstatement): kept beside the log, not in it, so that the log holds no free text and
    erasing the person can remove these."""

    __tablename__ = "audit_reason"

    id: int | None = Field(default=None, primary_key=True)
    audit_entry_id: int = Field(foreign_key="audit_entry.id", unique=True)
    text: str = Field(max_length=500)
