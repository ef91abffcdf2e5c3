"""Queueing notifications in the outbox, inside the caller's transaction (sent by a worker)."""

from __future__ import annotations

import hashlib
from datetime import datetime
from email.utils import parseaddr
from functools import cache
from typing import Any

from sqlalchemy import update
from sqlmodel import Session, col, select

from app.config import get_settings
from app.models import Diner, Notification, User
from app.notifications.messages import Message
from app.notifications.texts import TEXT_EVENTS

CHANNELS = frozenset({"email", "sms", "letter"})
MAX_ADDRESS_LINES = 7


def enqueue(
    session: Session,
    *,
    event: str,
    to: User | int | None = None,
    subject: str,
    body: str,
    dedupe_key: str,
    about_diner_id: int | None = None,
    fresh: bool = False,
    channel: str | None = None,
    recipient: str | None = None,
    to_diner: Diner | None = None,
) -> Notification | None:
    """Queue one message; the same dedupe_key (event + subject + recipient) is queued once.

    `to` is an account: the message goes by text when they prefer texts, have a phone and the
    event is one sent by text (app/notifications/texts.py), else by email. `to_diner` is the
    diner themselves, by `channel` (a letter, a text): it goes to their address or phone as
    they are when it is sent, so a correction made while it waits is followed; nothing is
    queued by text to a diner without a phone. Otherwise `recipient` and `channel` say where:
    an email address, an E.164 number, or a letter's address lines joined by newlines.
    Neither: nothing is queued.

    about_diner_id names the diner the message is about (whose name it carries), so that
    erasing the diner can scrub it. fresh=True skips the lookup for a key that cannot exist
    yet (e.g. a new pairing's id); the unique constraint still guards it.
    """
    user_id = to.id if isinstance(to, User) else to
    diner_id = None
    if user_id is not None:
        user = to if isinstance(to, User) else session.get(User, user_id)
        chosen = channel_for(event, user)
        key = recipient_key(dedupe_key, user_id)
    elif to_diner is not None and channel is not None:
        recipient = diner_recipient(to_diner, channel)  # where it would go now
        if recipient is None:
            return None
        chosen, diner_id = channel, to_diner.id
        about_diner_id = diner_id if about_diner_id is None else about_diner_id
        # The diner, not their address: a correction neither makes the same message new nor
        # leaves a copy of it queued for the old address.
        key = f"{dedupe_key}:to:diner:{diner_id}:{channel}"
    elif recipient and channel is not None and channel in CHANNELS:
        chosen = channel
        key = f"{dedupe_key}:to:{channel}:{hashlib.sha256(recipient.encode()).hexdigest()[:24]}"
    else:
        return None
    if not fresh:
        existing = session.exec(select(Notification).where(Notification.dedupe_key == key)).first()
        if existing is not None:
            return existing
    message = Notification(
        dedupe_key=key,
        event=event,
        channel=chosen,
        to_user_id=user_id,
        recipient=None if user_id is not None else recipient,
        to_diner_id=diner_id,
        about_diner_id=about_diner_id,
        subject=subject,
        body=body,
        message_id=message_id_for(key),
    )
    session.add(message)
    return message


def tell(
    session: Session,
    told: Message,
    *,
    to: User | int | None,
    dedupe_key: str,
    about_diner_id: int | None = None,
    fresh: bool = False,
) -> Notification | None:
    """``enqueue`` one message of the catalogue (app/notifications/messages.py) to an account."""
    return enqueue(
        session,
        event=told.event,
        to=to,
        subject=told.subject,
        body=told.body,
        dedupe_key=dedupe_key,
        about_diner_id=about_diner_id,
        fresh=fresh,
    )


def letter_address(full_name: str, address_line: str, postcode: str) -> list[str]:
    """A letter's address lines: the name, the address split at its commas, the postcode last
    (Notify wants 3 to 7 lines, the last a postcode)."""
    parts = [p.strip() for p in address_line.split(",") if p.strip()]
    middle = parts[: MAX_ADDRESS_LINES - 2]
    if len(parts) > len(middle):  # more parts than lines: the rest share the last line
        middle[-1] = ", ".join([middle[-1], *parts[len(middle) :]])
    return [full_name.strip(), *middle, postcode.strip().upper()]


def diner_recipient(diner: Diner, channel: str) -> str | None:
    """Where a message to the diner themselves goes by this channel, as their record says now:
    a letter's address lines (joined by newlines), or their phone; None when they have none
    (a number removed, an erased diner)."""
    if diner.anonymised_at is not None:
        return None
    if channel == "letter":
        return "\n".join(letter_address(diner.full_name, diner.address_line, diner.postcode))
    if channel == "sms":
        return diner.phone or None
    return None  # a diner has no email address of their own


def channel_for(event: str, user: User | None) -> str:
    """An account's channel for this event: text where they chose texts and it goes by text."""
    texts = user is not None and user.contact_preference == "sms" and bool(user.phone)
    return channel_by_choice(event, texts=texts)


def channel_by_choice(event: str, *, texts: bool) -> str:
    """`channel_for`, given whether the account chose texts (and has a phone)."""
    return "sms" if texts and event in TEXT_EVENTS else "email"


def message_id_for(key: str) -> str:
    """A stable Message-ID: the same event for the same person always has the same one."""
    digest = hashlib.sha256(key.encode()).hexdigest()[:32]
    return f"<{digest}@{sender_domain(get_settings().mail_from)}>"


@cache
def sender_domain(mail_from: str) -> str:
    """The domain of the address mail is sent from (PORTION_MAIL_FROM), for Message-IDs: one
    at a domain the sender does not hold is a mark against the message in spam filters."""
    return parseaddr(mail_from)[1].rpartition("@")[2] or "extra-portion.invalid"


def recipient_key(dedupe_key: str, user_id: int) -> str:
    return f"{dedupe_key}:to:{user_id}"


def queue_again_if_failed(message: Notification, *, now: datetime) -> bool:
    """A message marked failed (no channel for it then, say) queued again, on an operator's
    explicit request once the configuration is mended: its key keeps a second copy from being
    queued (a meal plan is queued once a day). Whether it was failed."""
    if message.status != "failed":
        return False
    message.status, message.last_error, message.next_attempt_at = "pending", None, now
    message.claimed_by = message.claimed_until = None
    return True


# An outbox row's status once it is taken back before it went (`take_back`).
TAKEN_BACK = "withdrawn"


def _take_back_where(session: Session, *where: Any) -> int:
    """Take back the messages `where` says that have surely not gone (never tried, never
    claimed by a worker: one tried may have reached the mail server, as the sender itself
    assumes), so that they never will; how many."""
    result = session.execute(
        update(Notification)
        .where(
            *where,
            col(Notification.status) == "pending",
            col(Notification.attempts) == 0,
            col(Notification.claimed_by).is_(None),
        )
        .values(status=TAKEN_BACK, last_error="taken back before it was sent")
        .execution_options(synchronize_session="fetch")
    )
    return int(getattr(result, "rowcount", 0))


def take_back_about(session: Session, *, event: str, diner_id: int) -> int:
    """Every message of this event about this diner that has surely not gone (a letter to a
    diner without an account, say), taken back; how many."""
    return _take_back_where(
        session,
        col(Notification.event) == event,
        col(Notification.about_diner_id) == diner_id,
    )


def take_back(session: Session, *, dedupe_key: str, user_id: int) -> bool:
    """Take back a message to an account that has surely not gone, so that it never will; True
    if it was taken back. A proposal withdrawn seconds after it was made still sent "Would you
    cook for ...?" (an outside check)."""
    key = recipient_key(dedupe_key, user_id)
    return _take_back_where(session, col(Notification.dedupe_key) == key) > 0
