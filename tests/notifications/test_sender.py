"""Sending the outbox through a real SMTP server on 127.0.0.1, from committed databases."""

from __future__ import annotations

import logging
import socket
import threading
from collections import Counter
from dataclasses import dataclass
from datetime import datetime, timedelta
from email.message import EmailMessage
from pathlib import Path
from typing import Literal

import pytest
from pydantic import SecretStr
from sqlalchemy import Engine
from sqlmodel import Session, func, select

from app.config import get_settings
from app.models import Notification
from app.notifications.outbox import enqueue
from app.notifications.sender import (
    MAX_ATTEMPTS,
    MailerUnavailable,
    SmtpMailer,
    backoff,
    send_due,
)
from tests.factories import create_user
from tests.notifications.conftest import FROM, SmtpCatcher, email_of, load, mailer_for, queue


def test_message_arrives_once_with_its_headers_when_queued(
    fresh_engine: Engine, smtp: SmtpCatcher, now: datetime
):
    [queued] = queue(fresh_engine)

    sent = send_due(fresh_engine, mailer=mailer_for(smtp), worker_id="w1", mail_from=FROM, now=now)

    assert sent == 1
    [message] = smtp.messages
    assert message["To"] == email_of(fresh_engine, queued)
    assert message["From"] == FROM
    assert message["Subject"] == "Your meal tomorrow (0)"
    assert message["Message-ID"] == queued.message_id
    assert message.get_content().strip() == "See you at 17:30."
    stored = load(fresh_engine, queued.id)
    assert (stored.status, stored.sent_at, stored.attempts) == ("sent", now, 1)
    assert stored.claimed_by is None and stored.claimed_until is None


def test_message_id_is_at_the_domain_mail_is_sent_from(
    fresh_engine: Engine, smtp: SmtpCatcher, now: datetime, monkeypatch: pytest.MonkeyPatch
):
    # A Message-ID at a domain the sender does not hold counts against the message in spam
    # filters: it was always extra-portion.invalid, whatever PORTION_MAIL_FROM said.
    council = "Meals on foot <meals@barnet.example.gov.uk>"
    monkeypatch.setenv("PORTION_MAIL_FROM", council)
    get_settings.cache_clear()
    try:
        [queued] = queue(fresh_engine)
    finally:
        get_settings.cache_clear()

    mailer = mailer_for(smtp)
    send_due(fresh_engine, mailer=mailer, worker_id="w1", mail_from=council, now=now)

    [message] = smtp.messages
    local, at, domain = str(message["Message-ID"]).strip("<>").partition("@")
    assert (at, domain) == ("@", "barnet.example.gov.uk")
    assert len(local) == 32 and message["Message-ID"] == queued.message_id


def test_second_pass_sends_nothing_when_everything_was_sent(
    fresh_engine: Engine, smtp: SmtpCatcher, now: datetime
):
    queue(fresh_engine, 3)
    mailer = mailer_for(smtp)
    assert send_due(fresh_engine, mailer=mailer, worker_id="w1", mail_from=FROM, now=now) == 3

    later = now + timedelta(hours=1)
    assert send_due(fresh_engine, mailer=mailer, worker_id="w1", mail_from=FROM, now=later) == 0
    assert len(smtp.messages) == 3


def test_same_dedupe_key_queues_one_message_when_enqueued_twice(session: Session):
    user = create_user(session)
    fields = {"event": "meal_missed", "subject": "A meal was missed", "body": "..."}
    first = enqueue(session, to=user, dedupe_key="meal:7:missed", **fields)
    session.commit()
    second = enqueue(session, to=user, dedupe_key="meal:7:missed", **fields)
    session.commit()

    assert first is not None and second is not None and second.id == first.id
    count = session.exec(
        select(func.count()).select_from(Notification).where(Notification.to_user_id == user.id)
    ).one()
    assert count == 1


def test_delivery_backs_off_then_succeeds_when_smtp_server_comes_back(
    fresh_engine: Engine, smtp_down: SmtpCatcher, now: datetime
):
    [queued] = queue(fresh_engine)
    mailer = mailer_for(smtp_down)

    assert send_due(fresh_engine, mailer=mailer, worker_id="w1", mail_from=FROM, now=now) == 0
    deferred = load(fresh_engine, queued.id)
    assert (deferred.status, deferred.attempts) == ("pending", 1)
    assert deferred.next_attempt_at == now + timedelta(minutes=1)
    assert deferred.last_error == "ConnectionRefusedError"
    assert deferred.claimed_by is None

    smtp_down.start()
    too_soon = now + timedelta(seconds=30)
    assert send_due(fresh_engine, mailer=mailer, worker_id="w1", mail_from=FROM, now=too_soon) == 0
    assert smtp_down.messages == []
    due = now + timedelta(minutes=1)
    assert send_due(fresh_engine, mailer=mailer, worker_id="w1", mail_from=FROM, now=due) == 1
    assert smtp_down.message_ids() == [queued.message_id]
    assert load(fresh_engine, queued.id).status == "sent"


@pytest.mark.parametrize(
    ("attempts", "minutes"), [(1, 1), (2, 2), (3, 4), (7, 64), (9, 256), (10, 360), (500, 360)]
)
def test_backoff_doubles_up_to_six_hours_when_attempts_fail(attempts: int, minutes: int):
    assert backoff(attempts) == timedelta(minutes=minutes)


def test_message_fails_when_every_attempt_fails(
    fresh_engine: Engine, smtp_down: SmtpCatcher, now: datetime
):
    [queued] = queue(fresh_engine)
    mailer = mailer_for(smtp_down)
    at = now
    for attempt in range(1, MAX_ATTEMPTS + 1):
        send_due(fresh_engine, mailer=mailer, worker_id="w1", mail_from=FROM, now=at)
        stored = load(fresh_engine, queued.id)
        assert stored.attempts == attempt
        at = stored.next_attempt_at
    assert stored.status == "failed"

    smtp_down.start()
    later = at + timedelta(days=1)
    assert send_due(fresh_engine, mailer=mailer, worker_id="w1", mail_from=FROM, now=later) == 0
    assert smtp_down.messages == []


def test_message_fails_at_once_when_server_refuses_recipient_for_good(
    fresh_engine: Engine, smtp: SmtpCatcher, now: datetime
):
    refused, fine = queue(fresh_engine, 2)
    smtp.refuse[email_of(fresh_engine, refused)] = "550 5.1.1 Mailbox unavailable"

    sent = send_due(fresh_engine, mailer=mailer_for(smtp), worker_id="w1", mail_from=FROM, now=now)

    assert sent == 1 and smtp.message_ids() == [fine.message_id]
    stored = load(fresh_engine, refused.id)
    assert (stored.status, stored.attempts) == ("failed", 1)
    assert stored.last_error == "SMTPRecipientsRefused [550]"


def test_message_is_retried_when_server_refuses_recipient_for_now(
    fresh_engine: Engine, smtp: SmtpCatcher, now: datetime
):
    [queued] = queue(fresh_engine)
    smtp.refuse[email_of(fresh_engine, queued)] = "450 4.2.1 Try again later"

    send_due(fresh_engine, mailer=mailer_for(smtp), worker_id="w1", mail_from=FROM, now=now)

    stored = load(fresh_engine, queued.id)
    assert (stored.status, stored.attempts) == ("pending", 1)
    assert stored.next_attempt_at == now + timedelta(minutes=1)


def test_nothing_is_sent_when_recipient_is_inactive(
    fresh_engine: Engine, smtp: SmtpCatcher, now: datetime
):
    [queued] = queue(fresh_engine, active=False)

    assert (
        send_due(fresh_engine, mailer=mailer_for(smtp), worker_id="w1", mail_from=FROM, now=now)
        == 0
    )

    assert smtp.messages == []
    assert load(fresh_engine, queued.id).status == "failed"


def test_another_worker_sends_it_when_a_claim_expired(
    fresh_engine: Engine, smtp: SmtpCatcher, now: datetime
):
    stale, live = queue(fresh_engine, 2)
    with Session(fresh_engine) as s:
        for n, until in ((stale, now - timedelta(seconds=1)), (live, now + timedelta(minutes=5))):
            row = s.get(Notification, n.id)
            assert row is not None
            row.claimed_by, row.claimed_until = "crashed-worker", until
            s.add(row)
        s.commit()

    sent = send_due(fresh_engine, mailer=mailer_for(smtp), worker_id="w2", mail_from=FROM, now=now)

    assert sent == 1 and smtp.message_ids() == [stale.message_id]
    assert load(fresh_engine, live.id).claimed_by == "crashed-worker"


@pytest.mark.concurrency
def test_every_message_arrives_once_when_two_workers_send_at_once(
    fresh_engine: Engine, smtp: SmtpCatcher, now: datetime
):
    queued = queue(fresh_engine, 30)
    start = threading.Barrier(2)
    totals: dict[str, int] = {}
    errors: list[BaseException] = []

    def work(worker_id: str) -> None:
        mailer = mailer_for(smtp)
        start.wait()
        total = 0
        try:
            while sent := send_due(
                fresh_engine, mailer=mailer, worker_id=worker_id, mail_from=FROM, now=now, batch=4
            ):
                total += sent
        except BaseException as exc:
            errors.append(exc)
        totals[worker_id] = total

    threads = [threading.Thread(target=work, args=(f"w{i}",)) for i in (1, 2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)

    assert errors == []
    arrived = Counter(smtp.message_ids())
    assert arrived == Counter(n.message_id for n in queued)  # each of the 30, exactly once
    assert sum(totals.values()) == 30
    with Session(fresh_engine) as s:
        statuses = s.exec(select(Notification.status)).all()
    assert statuses == ["sent"] * 30


def test_logs_hold_no_personal_data_when_sending_fails(
    fresh_engine: Engine, smtp: SmtpCatcher, now: datetime, caplog: pytest.LogCaptureFixture
):
    refused, _ = queue(fresh_engine, 2)
    address = email_of(fresh_engine, refused)
    smtp.refuse[address] = f"550 5.1.1 <{address}> unknown"
    caplog.set_level(logging.DEBUG, logger="portion.notifications")

    send_due(fresh_engine, mailer=mailer_for(smtp), worker_id="w1", mail_from=FROM, now=now)
    dead = SmtpMailer(host="127.0.0.1", port=SmtpCatcher().port, timeout_s=2)
    queue_more = queue(fresh_engine, 1)
    send_due(fresh_engine, mailer=dead, worker_id="w1", mail_from=FROM, now=now)

    ours = "\n".join(r.getMessage() for r in caplog.records if r.name.startswith("portion"))
    assert f"refused this pass: ids [{refused.id}]" in ours and "unavailable" in ours
    assert address not in ours and email_of(fresh_engine, queue_more[0]) not in ours
    assert "Your meal" not in ours and "Recipient" not in ours


def test_one_warning_per_pass_when_smtp_server_is_down(
    fresh_engine: Engine, smtp_down: SmtpCatcher, now: datetime, caplog: pytest.LogCaptureFixture
):
    queue(fresh_engine, 5)
    caplog.set_level(logging.INFO, logger="portion.notifications")

    send_due(fresh_engine, mailer=mailer_for(smtp_down), worker_id="w1", mail_from=FROM, now=now)

    warnings = [r for r in caplog.records if r.levelno >= logging.WARNING]
    assert len(warnings) == 1
    assert "5 notification(s) deferred" in warnings[0].getMessage()


@dataclass(frozen=True)
class _MailSettings:
    smtp_host: str
    smtp_port: int
    smtp_timeout_s: float = 5.0
    smtp_starttls: bool = False
    smtp_implicit_tls: bool = False
    smtp_username: str | None = None
    smtp_password: SecretStr | None = None


def _message(to: str) -> EmailMessage:
    message = EmailMessage()
    message["From"], message["To"], message["Subject"] = FROM, to, "Hello"
    message.set_content("Hello")
    return message


AUTH_WITHOUT_TLS = pytest.mark.filterwarnings("ignore:Requiring AUTH while not requiring TLS")


@AUTH_WITHOUT_TLS
def test_mailer_logs_in_when_server_requires_it(smtp_down: SmtpCatcher):
    smtp_down.credentials = ("portion", "s3cret-pass")
    smtp_down.start()
    settings = _MailSettings(
        smtp_host="127.0.0.1",
        smtp_port=smtp_down.port,
        smtp_username="portion",
        smtp_password=SecretStr("s3cret-pass"),
    )

    SmtpMailer.from_settings(settings).send(_message("edna@example.org"))

    assert [m["To"] for m in smtp_down.messages] == ["edna@example.org"]


@AUTH_WITHOUT_TLS
def test_mailer_is_unavailable_when_login_is_wrong(smtp_down: SmtpCatcher):
    smtp_down.credentials = ("portion", "s3cret-pass")
    smtp_down.start()
    mailer = SmtpMailer(
        host="127.0.0.1", port=smtp_down.port, timeout_s=1, username="portion", password="nope"
    )

    with pytest.raises(MailerUnavailable) as raised:
        mailer.send(_message("edna@example.org"))

    assert raised.value.reason  # 535 for PLAIN, then LOGIN times out: no message either way
    assert smtp_down.messages == []


def test_reset_link_is_not_kept_in_the_outbox_when_sent(
    fresh_engine: Engine, smtp: SmtpCatcher, now: datetime
):
    link = "http://127.0.0.1:8000/reset-password?token=secret-token-123"
    with Session(fresh_engine, expire_on_commit=False) as s:
        user = create_user(s, full_name="Reset Asker")
        queued = enqueue(
            s,
            event="password_reset",
            to=user,
            subject="Reset your password",
            body=f"Follow this link: {link}",
            dedupe_key="reset:1",
        )
        s.commit()
    assert queued is not None

    send_due(fresh_engine, mailer=mailer_for(smtp), worker_id="w1", mail_from=FROM, now=now)

    [message] = smtp.messages
    assert link in message.get_content()  # the person gets the link ...
    stored = load(fresh_engine, queued.id)
    assert stored.status == "sent" and "secret-token-123" not in stored.body  # ... we keep none


def test_mailer_says_it_timed_out_when_the_server_never_answers():
    # A listener that accepts and never greets: the reason read "SMTPServerDisconnected"
    # alone (an operator's walk).
    with socket.socket() as silent:
        silent.bind(("127.0.0.1", 0))
        silent.listen()
        mailer = SmtpMailer(host="127.0.0.1", port=silent.getsockname()[1], timeout_s=0.3)
        with pytest.raises(MailerUnavailable) as raised:
            mailer.send(_message("edna@example.org"))

    assert raised.value.reason.endswith("(timed out)"), raised.value.reason


@AUTH_WITHOUT_TLS  # aiosmtpd's warning on implicit TLS, which it does not count as TLS
@pytest.mark.parametrize("kind", ["starttls", "implicit"])
def test_mailer_logs_in_over_tls_when_the_server_takes_logins_only_so(
    smtp_down: SmtpCatcher,
    certificate: tuple[Path, Path],
    monkeypatch: pytest.MonkeyPatch,
    kind: Literal["starttls", "implicit"],
):
    # STARTTLS (port 587) was never tried against a server that speaks TLS; implicit TLS (465)
    # was not offered at all (an operator's walk).
    smtp_down.tls = (kind, *certificate)
    smtp_down.credentials = ("portion", "s3cret-pass")
    smtp_down.start()
    monkeypatch.setenv("SSL_CERT_FILE", str(certificate[0]))  # trust the test's own certificate
    settings = _MailSettings(
        smtp_host="127.0.0.1",
        smtp_port=smtp_down.port,
        smtp_starttls=kind == "starttls",
        smtp_implicit_tls=kind == "implicit",
        smtp_username="portion",
        smtp_password=SecretStr("s3cret-pass"),
    )

    SmtpMailer.from_settings(settings).send(_message("edna@example.org"))

    assert [m["To"] for m in smtp_down.messages] == ["edna@example.org"]


@pytest.mark.parametrize("kind", ["starttls", "implicit"])
def test_mailer_is_unavailable_when_the_servers_certificate_is_not_trusted(
    smtp_down: SmtpCatcher, certificate: tuple[Path, Path], kind: Literal["starttls", "implicit"]
):
    smtp_down.tls = (kind, *certificate)
    smtp_down.start()
    mailer = SmtpMailer(
        host="127.0.0.1",
        port=smtp_down.port,
        timeout_s=2,
        starttls=kind == "starttls",
        implicit_tls=kind == "implicit",
    )

    with pytest.raises(MailerUnavailable) as raised:
        mailer.send(_message("edna@example.org"))

    assert raised.value.reason == "SSLCertVerificationError"
    assert smtp_down.messages == []
