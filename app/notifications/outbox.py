"""Queueing notifications in the outbox, inside the caller's transaction (sent by a worker)."""

from __future__ import annotations

import hashlib

from sqlmodel import Session, select

from app.models import Notification, User


def enqueue(
    session: Session,
    *,
    event: str,
    to: User | int | None,
    subject: str,
    body: str,
    dedupe_key: str,
    about_diner_id: int | None = None,
    fresh: bool = False,
) -> Notification | None:
    """Queue one message; the same dedupe_key (event + subject + recipient) is queued once.

    about_diner_id names the diner the message is about (whose name it carries), so that
    erasing the diner can scrub it. fresh=True skips the lookup for a key that cannot exist
    yet (e.g. a new pairing's id); the unique constraint still guards it.
    """
    user_id = to.id if isinstance(to, User) else to
    if user_id is None:
        return None
    key = recipient_key(dedupe_key, user_id)
    if not fresh:
        existing = session.exec(select(Notification).where(Notification.dedupe_key == key)).first()
        if existing is not None:
            return existing
    message = Notification(
        dedupe_key=key,
        event=event,
        to_user_id=user_id,
        about_diner_id=about_diner_id,
        subject=subject,
        body=body,
        message_id=message_id_for(key),
    )
    session.add(message)
    return message


def message_id_for(key: str) -> str:
    """A stable Message-ID: the same event for the same person always has the same one."""
    return f"<{hashlib.sha256(key.encode()).hexdigest()[:32]}@extra-portion.invalid>"


def recipient_key(dedupe_key: str, user_id: int) -> str:
    return f"{dedupe_key}:to:{user_id}"
