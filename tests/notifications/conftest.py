"""A real SMTP server on 127.0.0.1 (aiosmtpd), a stand-in for GOV.UK Notify's API, and fresh
committed databases for the worker."""

from __future__ import annotations

import json
import re
import socket
import ssl
import subprocess
import threading
import time
import uuid
from collections.abc import Iterator
from datetime import datetime, timedelta
from email import message_from_bytes
from email.message import EmailMessage
from email.policy import default as default_policy
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any, Literal
from urllib.parse import parse_qs, urlsplit

import jwt
import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword
from sqlalchemy import Engine
from sqlmodel import Session

from app.config import Settings
from app.db import make_engine, utcnow
from app.models import Notification, User
from app.notifications.outbox import enqueue
from app.notifications.sender import SmtpMailer
from tests.conftest import migrate
from tests.factories import create_user

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
        # TLS with this certificate and key: offered by STARTTLS, or from the first byte.
        self.tls: tuple[Literal["starttls", "implicit"], Path, Path] | None = None
        self._controller: Controller | None = None

    def start(self) -> SmtpCatcher:
        options: dict[str, Any] = {}
        if self.credentials is not None:
            options = {
                "authenticator": self._authenticate,
                "auth_required": True,
                # aiosmtpd counts only STARTTLS as TLS: on implicit TLS it would offer no AUTH
                "auth_require_tls": self.tls is not None and self.tls[0] == "starttls",
            }
        if self.tls is not None:
            kind, certificate, key = self.tls
            context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
            context.load_cert_chain(certificate, key)
            if kind == "implicit":
                options["ssl_context"] = context
            else:
                options |= {"tls_context": context, "require_starttls": True}
        self._controller = Controller(self, hostname="127.0.0.1", port=self.port, **options)
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


@pytest.fixture(scope="session")
def certificate(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """A self-signed certificate for 127.0.0.1 and its key (openssl): trusted by a test that
    points SSL_CERT_FILE at it."""
    folder = tmp_path_factory.mktemp("tls")
    certificate, key = folder / "certificate.pem", folder / "key.pem"
    subprocess.run(
        [
            *("openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2"),
            *("-keyout", str(key), "-out", str(certificate), "-subj", "/CN=127.0.0.1"),
            *("-addext", "subjectAltName=IP:127.0.0.1"),
        ],
        check=True,
        capture_output=True,
    )
    return certificate, key


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


# --- A local stand-in for GOV.UK Notify's API -------------------------------------------------

NOTIFY_SERVICE_ID = "26785a09-ab16-4eb0-8407-a37497a57506"
NOTIFY_SECRET = "3d844edf-8d35-48ac-975b-e847b4f122b0"
NOTIFY_API_KEY = f"portion_test-{NOTIFY_SERVICE_ID}-{NOTIFY_SECRET}"
NOTIFY_TEMPLATES = {
    "email": "f33517ff-2a88-4f6e-b855-c550268ce08a",
    "sms": "a1b2c3d4-0000-4000-8000-000000000002",
    "letter": "a1b2c3d4-0000-4000-8000-000000000003",
}
# What each generic template fills in (Notify answers 400 when one is missing).
NOTIFY_FIELDS = {"email": {"subject", "body"}, "sms": {"body"}, "letter": {"subject", "body"}}
E164 = re.compile(r"^\+[1-9][0-9]{7,14}$")
UK_POSTCODE = re.compile(r"^[A-Z]{1,2}[0-9][0-9A-Z]? ?[0-9][A-Z]{2}$", re.IGNORECASE)
TOKEN_LEEWAY_S = 30  # Notify's own bound on `iat`


class NotifyStandIn:
    """Notify's v2 API on 127.0.0.1, as far as we use it: it verifies each request's JWT
    (HS256 with the key's secret, `iss` the service id, a recent `iat`), checks the template
    id, the personalisation, the reference and the phone number or address, keeps what it
    accepted, and answers the lookup by reference. `drop_responses` > 0: it keeps the next
    message(s) but closes the connection without answering (the result is lost)."""

    def __init__(self) -> None:
        self.received: list[dict[str, Any]] = []  # accepted messages: type, id, request body
        self.lookups: list[dict[str, str]] = []
        self.refused: list[tuple[int, str]] = []  # (status, error) of each request refused
        self.drop_responses = 0
        self._lock = threading.Lock()
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self._server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self._server.server_address[1]}"
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    def start(self) -> NotifyStandIn:
        self._thread.start()
        return self

    def stop(self) -> None:
        if self._thread.is_alive():
            self._server.shutdown()
        self._server.server_close()

    def of_type(self, kind: str) -> list[dict[str, Any]]:
        return [m for m in self.received if m["type"] == kind]

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        stand_in = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, format: str, *args: Any) -> None:  # quiet
                return

            def do_POST(self) -> None:
                if not self._authorised():
                    return
                kind = self.path.removeprefix("/v2/notifications/")
                body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
                problem = stand_in.check(kind, body)
                if problem:
                    self._error(400, "BadRequestError", problem)
                    return
                message = {"type": kind, "id": str(uuid.uuid4()), "body": body}
                with stand_in._lock:
                    stand_in.received.append(message)
                    drop = stand_in.drop_responses > 0
                    stand_in.drop_responses -= 1 if drop else 0
                if drop:  # kept, but the answer never arrives
                    self.close_connection = True
                    self.connection.shutdown(socket.SHUT_RDWR)
                    return
                self._json(
                    201,
                    {
                        "id": message["id"],
                        "reference": body.get("reference"),
                        "content": body.get("personalisation", {}),
                        "template": {"id": body["template_id"], "version": 1, "uri": ""},
                        "uri": f"{stand_in.url}/v2/notifications/{message['id']}",
                    },
                )

            def do_GET(self) -> None:
                if not self._authorised():
                    return
                url = urlsplit(self.path)
                if url.path != "/v2/notifications":
                    self._error(404, "NoResultFound", "No result found")
                    return
                query = {k: v[0] for k, v in parse_qs(url.query).items()}
                stand_in.lookups.append(query)
                found = [
                    {
                        "id": m["id"],
                        "reference": m["body"].get("reference"),
                        "type": m["type"],
                        "status": "created",
                    }
                    for m in stand_in.received
                    if m["body"].get("reference") == query.get("reference")
                    and m["type"] == query.get("template_type", m["type"])
                ]
                self._json(200, {"notifications": found, "links": {"current": self.path}})

            def _authorised(self) -> bool:
                header = self.headers.get("Authorization", "")
                try:
                    claims = jwt.decode(
                        header.removeprefix("Bearer "), NOTIFY_SECRET, algorithms=["HS256"]
                    )
                except jwt.InvalidTokenError:
                    self._error(403, "AuthError", "Invalid token: signature")
                    return False
                if claims.get("iss") != NOTIFY_SERVICE_ID:
                    self._error(403, "AuthError", "Invalid token: service not found")
                    return False
                if abs(time.time() - int(claims.get("iat", 0))) > TOKEN_LEEWAY_S:
                    self._error(403, "AuthError", "Error: Your system clock must be accurate")
                    return False
                return True

            def _error(self, status: int, error: str, message: str) -> None:
                stand_in.refused.append((status, error))
                body = {"errors": [{"error": error, "message": message}], "status_code": status}
                self._json(status, body)

            def _json(self, status: int, body: dict[str, Any]) -> None:
                data = json.dumps(body).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

        return Handler

    @staticmethod
    def check(kind: str, body: dict[str, Any]) -> str | None:
        """What Notify would refuse in this request, or None."""
        if kind not in NOTIFY_TEMPLATES:
            return f"unknown notification type {kind}"
        if body.get("template_id") != NOTIFY_TEMPLATES[kind]:
            return "Template not found"
        if not body.get("reference"):
            return "reference missing"  # Notify accepts none; we always send one
        personalisation = body.get("personalisation") or {}
        missing = NOTIFY_FIELDS[kind] - set(personalisation)
        if missing:
            return f"Missing personalisation: {', '.join(sorted(missing))}"
        if kind == "email" and "@" not in str(body.get("email_address", "")):
            return "email_address Not a valid email address"
        if kind == "sms" and not E164.match(str(body.get("phone_number", ""))):
            return "phone_number Not a valid phone number"
        if kind == "letter":
            lines = [str(personalisation.get(f"address_line_{i}", "")).strip() for i in range(1, 8)]
            lines = [line for line in lines if line]
            if len(lines) < 3:
                return "Address must be at least 3 lines"
            if not UK_POSTCODE.match(lines[-1]):
                return "Last line of address must be a real UK postcode"
        return None


@pytest.fixture
def notify() -> Iterator[NotifyStandIn]:
    stand_in = NotifyStandIn().start()
    yield stand_in
    stand_in.stop()


def notify_settings(stand_in: NotifyStandIn, **overrides: Any) -> Settings:
    """Settings that send everything through Notify, at the stand-in."""
    values: dict[str, Any] = {
        "secret_key": "test-secret-key-that-is-long-enough-1234567890",
        "notifications_via": "notify",
        "notify_api_key": NOTIFY_API_KEY,
        "notify_base_url": stand_in.url,
        "notify_email_template_id": NOTIFY_TEMPLATES["email"],
        "notify_sms_template_id": NOTIFY_TEMPLATES["sms"],
        "notify_letter_template_id": NOTIFY_TEMPLATES["letter"],
        "notify_timeout_s": 5.0,
    }
    return Settings(**(values | overrides))
