"""Answers so far of a multi-step journey, kept server-side (table form_draft) so that Back,
a reload or a validation error loses nothing typed; pruned by age.

The owner is the signed-in user ("user:<id>") or, before any account exists, the browser's
form cookie (forms.FORM_COOKIE) — stored hashed, so the table never holds a usable cookie.
"""

from __future__ import annotations

import hashlib
import json
from datetime import datetime, timedelta
from typing import Any

from fastapi import Request
from sqlmodel import Session, col, delete, select

from app.db import utcnow
from app.errors import AppError
from app.models import FormDraft
from app.models.draft import user_owner
from app.pages.forms import FORM_COOKIE

# A draft nobody touched for this long is dropped (on the next save, or by prune()).
MAX_AGE = timedelta(days=7)
# Answers to a few form pages, in UTF-8: anything larger is not a draft a person typed (each
# text answer is kept to 2,000 characters, app.pages.carer_common.for_draft).
MAX_BYTES = 64_000


class DraftTooLarge(AppError):
    status_code = 413

    def __init__(self) -> None:
        super().__init__("These answers are too long to keep: shorten them and try again")


def owner_of(request: Request, user_id: int | None = None) -> str | None:
    """The draft owner for this request: the user, else the browser's form cookie; None when
    the browser has neither (its first page: the form cookie is set with that page)."""
    if user_id is not None:
        return user_owner(user_id)
    cookie = request.cookies.get(FORM_COOKIE) or getattr(request.state, "form_cookie", None)
    if not cookie:
        return None
    return "anon:" + hashlib.sha256(cookie.encode()).hexdigest()[:48]


def load(
    session: Session,
    owner: str | None,
    journey: str,
    *,
    now: datetime | None = None,
    lock: bool = False,
) -> dict[str, Any]:
    """The answers kept for this journey ({} when none, or too old). `lock`: for the step that
    sends them, so that a second click waits for the first and then finds them gone (on
    PostgreSQL both read them and registered the relative twice)."""
    draft = _find(session, owner, journey, lock=lock)
    if draft is None or draft.updated_at < (now or utcnow()) - MAX_AGE:
        return {}
    return dict(draft.data)


def save(
    session: Session,
    owner: str | None,
    journey: str,
    data: dict[str, Any],
    *,
    now: datetime | None = None,
) -> None:
    """Replace the journey's answers with `data` (flushed, committed with the request)."""
    if owner is None:
        return
    # Measured as stored, not as escaped ASCII: "ł" counted 6 bytes, and a name and address in
    # Polish, each as long as a field takes, was refused as too large (a newcomer's walk).
    if len(json.dumps(data, default=str, ensure_ascii=False).encode()) > MAX_BYTES:
        raise DraftTooLarge
    now = now or utcnow()
    prune(session, now=now)
    draft = _find(session, owner, journey)
    if draft is None:
        draft = FormDraft(owner=owner, journey=journey, data=data, updated_at=now)
    else:
        draft.data = dict(data)  # a new object: the JSON column sees the change
        draft.updated_at = now
    session.add(draft)
    session.flush()


def update(
    session: Session, owner: str | None, journey: str, changes: dict[str, Any]
) -> dict[str, Any]:
    """Merge `changes` into the kept answers and save them; returns the merged answers."""
    data = {**load(session, owner, journey), **changes}
    save(session, owner, journey, data)
    return data


def clear(session: Session, owner: str | None, journey: str) -> None:
    """Forget the journey's answers (once sent, or when the person starts again)."""
    if owner is None:
        return
    session.exec(
        delete(FormDraft).where(col(FormDraft.owner) == owner, col(FormDraft.journey) == journey)
    )
    session.flush()


def move(session: Session, old_owner: str | None, new_owner: str, journey: str) -> None:
    """Hand an anonymous draft to the account made from it (answers typed before signing up)."""
    if old_owner is None or old_owner == new_owner:
        return
    data = load(session, old_owner, journey)
    clear(session, old_owner, journey)
    if data:
        save(session, new_owner, journey, {**load(session, new_owner, journey), **data})


def prune(session: Session, *, now: datetime | None = None) -> None:
    """Drop every draft older than MAX_AGE."""
    cutoff = (now or utcnow()) - MAX_AGE
    session.exec(delete(FormDraft).where(col(FormDraft.updated_at) < cutoff))


def _find(
    session: Session, owner: str | None, journey: str, *, lock: bool = False
) -> FormDraft | None:
    if owner is None:
        return None
    query = select(FormDraft).where(FormDraft.owner == owner, FormDraft.journey == journey)
    if lock:
        query = query.with_for_update().execution_options(populate_existing=True)
    return session.exec(query).first()
