"""Sending the outbox: claim due messages, send them outside the claim, record the outcome.

Delivery is at least once: a message is claimed by one worker at a time (a lease), sent, then
marked sent. A crash between sending and marking resends it after the lease, with the same
Message-ID, so mail clients can recognise the duplicate. A channel that can look a message up
by our reference (GOV.UK Notify, the development mailbox) is asked first whenever an earlier
attempt may have reached it, so such a message is not sent twice.

Each message goes by its channel (email, sms, letter) to the Channel configured for it
(app/notifications/channels.py): SMTP or Notify for email, Notify for texts and letters, the
local mailbox in development.
"""

from __future__ import annotations

import logging
import smtplib
import ssl
from collections import Counter
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from email.message import EmailMessage
from email.utils import format_datetime
from typing import Protocol

from pydantic import SecretStr
from sqlalchemy import Engine
from sqlmodel import Session, col, or_, select

from app.db import utcnow
from app.models import Diner, Notification, User
from app.notifications.outbox import diner_recipient
from app.notifications.texts import sms_text

log = logging.getLogger("portion.notifications")

MAX_ATTEMPTS = 8
FIRST_BACKOFF = timedelta(minutes=1)
MAX_BACKOFF = timedelta(hours=6)
# Longer than a batch can take to send (batch x SMTP timeout), so a live claim never expires.
DEFAULT_LEASE = timedelta(minutes=10)
DEFAULT_BATCH = 20
NO_CHANNEL = "channel configured"  # "no letter channel configured": why a message was not sent

SessionFactory = Callable[[], Session]


class MailerUnavailable(Exception):
    """The mail server cannot be reached or refuses us: no message of this pass can go."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason  # class names and SMTP codes only: never an address


class MessageRejected(Exception):
    """The server refused this one message; `permanent` when retrying cannot help (5xx)."""

    def __init__(self, reason: str, *, permanent: bool) -> None:
        super().__init__(reason)
        self.reason = reason
        self.permanent = permanent


class Mailer(Protocol):
    def send(self, message: EmailMessage) -> None:
        """Hand one message to the mail system; raise MailerUnavailable or MessageRejected."""
        ...


@dataclass(frozen=True)
class Outgoing:
    """One claimed message, as a channel needs it."""

    id: int
    event: str
    channel: str  # email | sms | letter
    to: str  # an email address, an E.164 number, or a letter's address lines (one per line)
    subject: str
    body: str
    message_id: str
    # An earlier attempt may have reached the provider (it failed in an unknown way, or its
    # worker's claim ran out): look it up by reference before sending again.
    maybe_sent: bool = False

    @property
    def reference(self) -> str:
        """Our stable id for the message, as providers carry it (Notify's `reference`)."""
        return self.message_id.strip("<>").split("@", 1)[0]

    @property
    def text(self) -> str:
        """The message as one text message (a reminder fits one fragment)."""
        return sms_text(self.event, self.subject, self.body)


class Channel(Protocol):
    """One way of delivering messages (SMTP, GOV.UK Notify, the development mailbox)."""

    @property
    def provider(self) -> str: ...

    def deliver(self, item: Outgoing, now: datetime) -> str | None:
        """Send it; return the provider's id for it, if any. Raise MailerUnavailable (nothing
        more can go this pass) or MessageRejected (this message; permanent or not)."""
        ...

    def find(self, item: Outgoing) -> str | None:
        """The provider's id for this message if it already has it (by reference), else None.
        Raise MailerUnavailable when it cannot tell."""
        ...


Channels = Mapping[str, Channel]  # channel name (email | sms | letter) -> how it goes


class SmtpSettings(Protocol):
    """The settings SmtpMailer.from_settings reads (app.config.Settings has them)."""

    @property
    def smtp_host(self) -> str: ...
    @property
    def smtp_port(self) -> int: ...
    @property
    def smtp_timeout_s(self) -> float: ...
    @property
    def smtp_starttls(self) -> bool: ...
    @property
    def smtp_implicit_tls(self) -> bool: ...
    @property
    def smtp_username(self) -> str | None: ...
    @property
    def smtp_password(self) -> SecretStr | None: ...


@dataclass(frozen=True)
class SmtpMailer:
    """Sends through an SMTP server with the standard library, one connection per message."""

    host: str
    port: int
    timeout_s: float = 10.0
    starttls: bool = False
    implicit_tls: bool = False  # SMTPS: TLS from the connection's first byte
    username: str | None = None
    password: str | None = None

    @classmethod
    def from_settings(cls, settings: SmtpSettings) -> SmtpMailer:
        password = settings.smtp_password
        return cls(
            host=settings.smtp_host,
            port=settings.smtp_port,
            timeout_s=settings.smtp_timeout_s,
            starttls=settings.smtp_starttls,
            implicit_tls=settings.smtp_implicit_tls,
            username=settings.smtp_username,
            password=password.get_secret_value() if password is not None else None,
        )

    def send(self, message: EmailMessage) -> None:
        try:
            smtp = (
                smtplib.SMTP_SSL(
                    self.host,
                    self.port,
                    timeout=self.timeout_s,
                    context=ssl.create_default_context(),
                )
                if self.implicit_tls
                else smtplib.SMTP(self.host, self.port, timeout=self.timeout_s)
            )
            with smtp:
                if self.starttls:
                    smtp.starttls(context=ssl.create_default_context())
                if self.username:
                    smtp.login(self.username, self.password or "")
                smtp.send_message(message)
        except smtplib.SMTPRecipientsRefused as exc:
            codes = sorted({code for code, _ in exc.recipients.values()})
            raise MessageRejected(
                f"SMTPRecipientsRefused {codes}", permanent=all(c >= 500 for c in codes)
            ) from exc
        except smtplib.SMTPDataError as exc:
            raise MessageRejected(
                f"SMTPDataError {exc.smtp_code}", permanent=exc.smtp_code >= 500
            ) from exc
        except smtplib.SMTPResponseException as exc:  # sender refused, auth, HELO, connect
            raise MailerUnavailable(f"{type(exc).__name__} {exc.smtp_code}") from exc
        except OSError as exc:  # refused, timed out, TLS failure, disconnected, ...
            # A server that never answers reads "SMTPServerDisconnected" alone: say it timed
            # out (an operator's walk). Only that: other texts may quote the server.
            late = isinstance(exc, TimeoutError) or "timed out" in str(exc)
            raise MailerUnavailable(
                f"{type(exc).__name__}{' (timed out)' if late else ''}"
            ) from exc


@dataclass(frozen=True)
class MailChannel:
    """Email through a Mailer (SMTP): the Message-ID lets mail clients spot a resend; SMTP
    cannot be asked what it already has."""

    mailer: Mailer
    mail_from: str
    provider: str = field(default="smtp")

    def deliver(self, item: Outgoing, now: datetime) -> str | None:
        try:
            message = _build(item, mail_from=self.mail_from, now=now)
        except (ValueError, TypeError) as exc:  # e.g. a line break in the subject
            raise MessageRejected("invalid message", permanent=True) from exc
        self.mailer.send(message)
        return None

    def find(self, item: Outgoing) -> str | None:
        return None


def backoff(attempts: int) -> timedelta:
    """The wait after the `attempts`-th failed attempt: 1, 2, 4, ... minutes, at most 6 hours."""
    return min(FIRST_BACKOFF * 2 ** min(max(attempts - 1, 0), 20), MAX_BACKOFF)


def send_due(
    engine: Engine | SessionFactory,
    *,
    worker_id: str,
    mailer: Mailer | None = None,
    mail_from: str = "",
    channels: Channels | None = None,
    now: datetime | None = None,
    batch: int = DEFAULT_BATCH,
    lease: timedelta = DEFAULT_LEASE,
) -> int:
    """Send up to `batch` due messages claimed for this worker; return how many were sent.

    `channels` says how each channel goes; without it, email goes through `mailer`.
    """
    if channels is None:
        if mailer is None:
            raise TypeError("send_due needs channels or a mailer")
        channels = {"email": MailChannel(mailer, mail_from)}
    sessions = _session_factory(engine)
    now = now or utcnow()
    outgoing = _claim(
        sessions, worker_id=worker_id, now=now, batch=batch, lease=lease, channels=channels
    )
    sent = 0
    refused: list[int] = []
    down: dict[str, str] = {}  # provider -> why it is unavailable this pass
    deferred: Counter[str] = Counter()
    for item in outgoing:
        channel = channels[item.channel]
        provider = channel.provider
        if provider in down:
            _record_failure(sessions, item.id, worker_id, now, down[provider], permanent=False)
            deferred[provider] += 1
            continue
        try:
            reference = channel.find(item) if item.maybe_sent else None
            if reference is not None:
                log.info("notification %s: %s already has it, not sent again", item.id, provider)
            else:
                reference = channel.deliver(item, now)
        except MailerUnavailable as exc:
            down[provider] = exc.reason
            _record_failure(sessions, item.id, worker_id, now, exc.reason, permanent=False)
            deferred[provider] += 1
        except MessageRejected as exc:
            _record_failure(sessions, item.id, worker_id, now, exc.reason, permanent=exc.permanent)
            if exc.permanent:
                refused.append(item.id)
        except Exception as exc:  # a bug in a channel: keep the batch going, retry later
            log.error("notification %s: unexpected %s while sending", item.id, type(exc).__name__)
            reason = f"unexpected {type(exc).__name__}"
            _record_failure(sessions, item.id, worker_id, now, reason, permanent=False)
        else:
            _record_sent(sessions, item.id, worker_id, now, provider, reference)
            sent += 1
    for provider, count in deferred.items():
        what = PROVIDER_NAMES.get(provider, provider)
        log.warning("%s unavailable (%s): %d notification(s) deferred", what, down[provider], count)
    if refused:
        log.warning("notifications refused this pass: ids %s", refused)
    if sent:
        log.info("sent %d notification(s)", sent)
    return sent


PROVIDER_NAMES = {"smtp": "mail server", "notify": "GOV.UK Notify", "mailbox": "local mailbox"}


def _session_factory(engine: Engine | SessionFactory) -> SessionFactory:
    if isinstance(engine, Engine):
        return lambda: Session(engine, expire_on_commit=False)
    return engine


def _claim(
    sessions: SessionFactory,
    *,
    worker_id: str,
    now: datetime,
    batch: int,
    lease: timedelta,
    channels: Channels,
) -> Sequence[Outgoing]:
    """Claim due, unclaimed messages in one short transaction.

    PostgreSQL: FOR UPDATE SKIP LOCKED, so concurrent workers take disjoint rows without
    waiting. SQLite: the transaction began with BEGIN IMMEDIATE (app.db), so it already holds
    the database's write lock and the dialect leaves the FOR UPDATE out.
    """
    due = (
        select(Notification)
        .where(
            Notification.status == "pending",
            Notification.next_attempt_at <= now,
            or_(col(Notification.claimed_until).is_(None), col(Notification.claimed_until) <= now),
        )
        .order_by(col(Notification.next_attempt_at), col(Notification.id))
        .limit(batch)
        .with_for_update(skip_locked=True)
    )
    with sessions() as session:
        rows = session.exec(due).all()
        if not rows:
            session.rollback()
            return []
        user_ids = {n.to_user_id for n in rows if n.to_user_id is not None}
        users = {u.id: u for u in session.exec(select(User).where(col(User.id).in_(user_ids)))}
        # A diner's contact as last committed: a correction committed before this claim is
        # followed; one after it finds the message already on its way, as if it had gone.
        diner_ids = {n.to_diner_id for n in rows if n.to_diner_id is not None}
        diners = {d.id: d for d in session.exec(select(Diner).where(col(Diner.id).in_(diner_ids)))}
        outgoing: list[Outgoing] = []
        for n in rows:
            assert n.id is not None
            user = users.get(n.to_user_id) if n.to_user_id else None
            diner = diners.get(n.to_diner_id) if n.to_diner_id else None
            route = _route(n, user, diner, channels)
            if isinstance(route, str):
                n.status, n.last_error = "failed", route
                if n.to_diner_id is not None:  # a number removed, say: not kept with it
                    n.recipient = None
                # A channel missing is the operator's to mend (letters without GOV.UK Notify
                # were dropped at INFO, unseen: an outside check); a person gone is not.
                level = logging.WARNING if route.endswith(NO_CHANNEL) else logging.INFO
                log.log(level, "notification %s not sent: %s", n.id, route)
            else:
                channel, to = route
                if n.to_diner_id is not None:
                    n.recipient = to  # the record says where it went
                maybe_sent = n.attempts > 0 or n.claimed_by is not None
                n.claimed_by, n.claimed_until = worker_id, now + lease
                outgoing.append(
                    Outgoing(
                        n.id, n.event, channel, to, n.subject, n.body, n.message_id, maybe_sent
                    )
                )
            session.add(n)
        session.commit()
    return outgoing


def _route(
    n: Notification, user: User | None, diner: Diner | None, channels: Channels
) -> tuple[str, str] | str:
    """(channel, address) for a message, or why it cannot be sent.

    An account's current email or phone is used; a text to someone without a phone any more,
    or when no text channel is configured, goes by email instead. A message to a diner goes
    to their current address or phone; one by text to a diner whose number was removed is not
    sent (they have no email; the old number is not theirs any more).
    """
    if n.to_diner_id is not None:
        if diner is None or diner.anonymised_at is not None:
            return "recipient erased"
        to = diner_recipient(diner, n.channel)
        if to is None:
            return f"the diner has no {'phone number' if n.channel == 'sms' else n.channel} now"
        if n.channel not in channels:
            return f"no {n.channel} {NO_CHANNEL}"
        return n.channel, to
    if n.to_user_id is not None:
        if user is None or not user.is_active or user.anonymised_at is not None:
            return "recipient inactive or anonymised"
        if n.channel == "sms" and user.phone and "sms" in channels:
            return "sms", user.phone
        if "email" not in channels:
            return f"no email {NO_CHANNEL}"
        return "email", user.email
    if not n.recipient:
        return "no recipient (erased)"
    if n.channel not in channels:
        return f"no {n.channel} {NO_CHANNEL}"
    return n.channel, n.recipient


def _build(item: Outgoing, *, mail_from: str, now: datetime) -> EmailMessage:
    message = EmailMessage()
    message["From"] = mail_from
    message["To"] = item.to
    message["Subject"] = item.subject
    message["Message-ID"] = item.message_id
    message["Date"] = format_datetime(now)
    message["Auto-Submitted"] = "auto-generated"
    message.set_content(item.body)
    return message


# Messages whose body is a credential (a single-use link): once delivered, the outbox keeps
# no working copy of it for whoever can read the database.
SENT_SECRET_BODIES = {
    "password_reset": "A password reset link was sent here; it is not kept.",
    "confirm_new_email": "A link to confirm a new email address was sent here; it is not kept.",
}
SECRET_BEARING_EVENTS = frozenset(SENT_SECRET_BODIES)


def _record_sent(
    sessions: SessionFactory,
    notification_id: int,
    worker_id: str,
    now: datetime,
    provider: str,
    reference: str | None,
) -> None:
    with sessions() as session:
        n = _still_ours(session, notification_id, worker_id)
        if n is not None:
            n.status, n.sent_at, n.last_error = "sent", now, None
            n.provider, n.provider_ref = provider, reference
            if n.event in SECRET_BEARING_EVENTS:  # the link works until used: keep no copy
                n.body = SENT_SECRET_BODIES[n.event]
            n.attempts += 1
            n.claimed_by = n.claimed_until = None
            session.add(n)
        session.commit()


def _record_failure(
    sessions: SessionFactory,
    notification_id: int,
    worker_id: str,
    now: datetime,
    reason: str,
    *,
    permanent: bool,
) -> None:
    with sessions() as session:
        n = _still_ours(session, notification_id, worker_id)
        if n is not None:
            n.attempts += 1
            n.last_error = reason[:500]
            if permanent or n.attempts >= MAX_ATTEMPTS:
                n.status = "failed"
            else:
                n.next_attempt_at = now + backoff(n.attempts)
            n.claimed_by = n.claimed_until = None
            session.add(n)
        session.commit()


def _still_ours(session: Session, notification_id: int, worker_id: str) -> Notification | None:
    n = session.get(Notification, notification_id, with_for_update=True)
    if n is None or n.claimed_by != worker_id:
        # The lease ran out and another worker took it: it decides the outcome now.
        log.warning("notification %s: claim lost before its outcome was recorded", notification_id)
        return None
    return n
