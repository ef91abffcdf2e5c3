"""A real SMTP server on 127.0.0.1 (aiosmtpd), and fresh committed databases for the worker."""

from __future__ import annotations

import socket
from collections.abc import Iterator
from datetime import datetime, timedelta
from email import message_from_bytes
from email.message import EmailMessage
from email.policy import default as default_policy
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword
from sqlalchemy import Engine
from sqlmodel import Session

from app.db import make_engine, utcnow
from app.models import Council, Notification, User
from app.notifications.outbox import enqueue
from app.notifications.sender import SmtpMailer
from tests.conftest import migrate
from tests.factories import create_council, create_user

FROM = "Extra Portion <noreply@extra-portion.invalid>"


def mailer_for(catcher: SmtpCatcher) -> SmtpMailer:
    return SmtpMailer(host="127.0.0.1", port=catcher.port, timeout_s=5)


def queue(engine: Engine, count: int = 1, *, active: bool = True) -> list[Notification]:
    """`count` messages to as many new users, committed."""
    with Session(engine, expire_on_commit=False) as s:
        queued = []
        for i in range(count):
            user = create_user(s, full_name=f"Recipient {i}")
            user.is_active = active
            message = enqueue(
                s,
                event="meal_reminder",
                to=user,
                subject=f"Your meal tomorrow ({i})",
                body="See you at 17:30.",
                dedupe_key=f"meal:{i}:reminder",
            )
            assert message is not None
            queued.append(message)
        s.commit()
    return queued


def load(engine: Engine, notification_id: int | None) -> Notification:
    with Session(engine) as s:
        n = s.get(Notification, notification_id)
        assert n is not None
        return n


def email_of(engine: Engine, notification: Notification) -> str:
    with Session(engine) as s:
        user = s.get(User, notification.to_user_id)
        assert user is not None
        return user.email


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class SmtpCatcher:
    """Accepts mail on 127.0.0.1:`port` and keeps it; refuses the addresses in `refuse`."""

    def __init__(self) -> None:
        self.port = free_port()
        self.messages: list[EmailMessage] = []
        self.refuse: dict[str, str] = {}  # address -> the reply to RCPT TO, e.g. "550 ..."
        self.credentials: tuple[str, str] | None = None  # require this login when set
        self._controller: Controller | None = None

    def start(self) -> SmtpCatcher:
        auth: dict[str, Any] = {}
        if self.credentials is not None:
            auth = {
                "authenticator": self._authenticate,
                "auth_required": True,
                "auth_require_tls": False,
            }
        self._controller = Controller(self, hostname="127.0.0.1", port=self.port, **auth)
        self._controller.start()
        return self

    def stop(self) -> None:
        if self._controller is not None:
            self._controller.stop()
            self._controller = None

    def message_ids(self) -> list[str]:
        return [str(m["Message-ID"]) for m in self.messages]

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options) -> str:
        if address in self.refuse:
            return self.refuse[address]
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope) -> str:
        message = message_from_bytes(envelope.content, policy=default_policy)
        assert isinstance(message, EmailMessage)
        self.messages.append(message)
        return "250 Message accepted for delivery"

    def _authenticate(self, server, session, envelope, mechanism, auth_data) -> AuthResult:
        ok = isinstance(auth_data, LoginPassword) and self.credentials == (
            auth_data.login.decode(),
            auth_data.password.decode(),
        )
        return AuthResult(success=ok)


@pytest.fixture
def smtp() -> Iterator[SmtpCatcher]:
    catcher = SmtpCatcher().start()
    yield catcher
    catcher.stop()


@pytest.fixture
def smtp_down() -> Iterator[SmtpCatcher]:
    """A catcher not started yet: nothing listens on its port until the test starts it."""
    catcher = SmtpCatcher()
    yield catcher
    catcher.stop()


@pytest.fixture
def fresh_engine(empty_database: str) -> Iterator[Engine]:
    """A migrated database of its own: the worker opens its own sessions and commits."""
    engine = make_engine(empty_database)
    migrate(engine)
    yield engine
    engine.dispose()


@pytest.fixture
def now() -> datetime:
    """A clock just after any message the test queues (the first user made hashes a password)."""
    return utcnow() + timedelta(minutes=5)


@pytest.fixture
def barnet(session: Session) -> Council:
    return create_council(session, slug="barnet", lad_codes=["E09000003"])


@pytest.fixture
def staff(session: Session, barnet: Council) -> User:
    return create_user(session, role="staff", council=barnet)
