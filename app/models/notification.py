"""The notification outbox: written in the same transaction as the change it announces."""

from __future__ import annotations

from datetime import datetime

from sqlmodel import Field, SQLModel

from app.db import utcnow


class Notification(SQLModel, table=True):
    id: int | None = Field(default=None, primary_key=True)
    # One message per event and recipient, however often the event is processed.
    dedupe_key: str = Field(max_length=200, unique=True)
    event: str = Field(max_length=40, index=True)
    channel: str = Field(default="email", max_length=8)  # email | sms | letter
    # The account it goes to, if any; else `recipient` says where (a diner without one).
    to_user_id: int | None = Field(default=None, foreign_key="user.id", index=True)
    # For a recipient without an account: an email address, an E.164 phone number, or a
    # letter's address lines joined by newlines (the last a postcode). None for an account:
    # its current email or phone is read when the message is sent (and a diner's, below).
    recipient: str | None = Field(default=None, max_length=500)
    # A message to the diner themselves (a letter, a text: they have no account): it goes to
    # their name, address or phone as they are when the worker takes it, so a carer's or
    # staff's correction made while it waits is followed; `recipient` is then rewritten to
    # where it went (app/notifications/sender.py).
    to_diner_id: int | None = Field(default=None, foreign_key="diner.id")
    # The diner the message is about (if any), so that erasing the diner can scrub it.
    about_diner_id: int | None = Field(default=None, foreign_key="diner.id", index=True)
    subject: str = Field(max_length=200)
    body: str
    message_id: str = Field(max_length=200)  # stable Message-ID, so a resend is recognisable
    status: str = Field(
        default="pending", max_length=12, index=True
    )  # pending|sent|failed|withdrawn
    attempts: int = 0
    next_attempt_at: datetime = Field(default_factory=utcnow, index=True)
    claimed_by: str | None = Field(default=None, max_length=64)
    claimed_until: datetime | None = None
    sent_at: datetime | None = None
    last_error: str | None = Field(default=None, max_length=500)
    # Who took it (smtp | notify | mailbox) and their reference for it (Notify's id).
    provider: str | None = Field(default=None, max_length=16)
    provider_ref: str | None = Field(default=None, max_length=64)
    # Indexed for `portion run-jobs`, which forgets the words of messages a year old (a review:
    # each hour it read every message sent).
    created_at: datetime = Field(default_factory=utcnow, index=True)
