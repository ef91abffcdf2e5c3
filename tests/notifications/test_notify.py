"""Email, texts and letters through GOV.UK Notify's client, to a local stand-in of its API."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Engine
from sqlmodel import Session

from app.models import Notification, User
from app.notifications.channels import delivery_from_settings
from app.notifications.outbox import enqueue
from app.notifications.sender import Outgoing, send_due
from app.notifications.texts import fits_one_fragment
from tests.factories import create_user
from tests.notifications.conftest import (
    NOTIFY_API_KEY,
    NOTIFY_TEMPLATES,
    NotifyStandIn,
    email_of,
    free_port,
    load,
    notify_settings,
    queue,
)

LETTER_ADDRESS = "Edna Smith\n3 Quiet Close\nFinchley\nN3 1QX"


def send(engine: Engine, stand_in: NotifyStandIn, now: datetime, **overrides: object) -> int:
    channels = delivery_from_settings(notify_settings(stand_in, **overrides)).channels
    return send_due(engine, channels=channels, worker_id="w1", now=now)


def reference_of(message: Notification) -> str:
    return Outgoing(0, "", "", "", "", "", message.message_id).reference


def texter(s: Session, *, name: str = "Zoë Okafor", phone: str = "+447911123456") -> User:
    user = create_user(s, full_name=name)
    user.phone, user.contact_preference = phone, "sms"
    s.add(user)
    return user


def test_email_reaches_notify_with_template_text_and_reference_when_sent_by_notify(
    fresh_engine: Engine, notify: NotifyStandIn, now: datetime
):
    [queued] = queue(fresh_engine)

    assert send(fresh_engine, notify, now) == 1

    [got] = notify.of_type("email")
    assert got["body"]["email_address"] == email_of(fresh_engine, queued)
    assert got["body"]["template_id"] == NOTIFY_TEMPLATES["email"]
    assert got["body"]["personalisation"] == {
        "subject": "Your meal tomorrow (0)",
        "body": "See you at 17:30.",
    }
    assert got["body"]["reference"] == reference_of(queued)
    stored = load(fresh_engine, queued.id)
    assert (stored.status, stored.provider, stored.provider_ref) == ("sent", "notify", got["id"])


def test_reminder_goes_by_one_text_when_cook_prefers_texts(
    fresh_engine: Engine, notify: NotifyStandIn, now: datetime
):
    with Session(fresh_engine, expire_on_commit=False) as s:
        cook = texter(s)
        queued = enqueue(
            s,
            event="meal_reminder",
            to=cook,
            subject="Tomorrow: a meal for Zoë at 17:30",
            body="A reminder for tomorrow. Print the label from your meals page.",
            dedupe_key="meal:1:reminder:1",
        )
        s.commit()
    assert queued is not None and queued.channel == "sms"

    assert send(fresh_engine, notify, now) == 1

    [got] = notify.of_type("sms")
    assert notify.of_type("email") == []
    assert got["body"]["phone_number"] == "+447911123456"
    assert got["body"]["template_id"] == NOTIFY_TEMPLATES["sms"]
    assert got["body"]["reference"] == reference_of(queued)
    text = got["body"]["personalisation"]["body"]
    assert text == "Tomorrow: a meal for Zoë at 17:30"  # "ë": UCS-2, 70: the subject alone
    assert fits_one_fragment(text)
    assert load(fresh_engine, queued.id).provider == "notify"


def test_cover_news_goes_by_text_when_carer_prefers_texts(
    fresh_engine: Engine, notify: NotifyStandIn, now: datetime
):
    with Session(fresh_engine, expire_on_commit=False) as s:
        carer = texter(s, name="Ann Carer", phone="+447700100200")
        queued = enqueue(
            s,
            event="cover_arranged",
            to=carer.id,  # as the services pass it: an id
            subject="Cover arranged for Tuesday 8 December",
            body="Priya will bring Edna's meal at 17:30.",
            dedupe_key="meal:9:covered:3",
        )
        s.commit()

    send(fresh_engine, notify, now)

    [got] = notify.of_type("sms")
    assert queued is not None and got["body"]["reference"] == reference_of(queued)
    assert got["body"]["personalisation"]["body"] == (
        "Cover arranged for Tuesday 8 December. Priya will bring Edna's meal at 17:30."
    )


def test_password_reset_goes_by_email_when_person_prefers_texts(
    fresh_engine: Engine, notify: NotifyStandIn, now: datetime
):
    with Session(fresh_engine, expire_on_commit=False) as s:
        queued = enqueue(
            s,
            event="password_reset",
            to=texter(s),
            subject="Reset your password",
            body="Follow this link: http://127.0.0.1:8000/reset-password?token=t",
            dedupe_key="reset:1",
        )
        s.commit()
    assert queued is not None and queued.channel == "email"

    send(fresh_engine, notify, now)

    assert [m["type"] for m in notify.received] == ["email"]


def test_letter_reaches_notify_with_address_lines_when_queued_for_a_diner_without_account(
    fresh_engine: Engine, notify: NotifyStandIn, now: datetime
):
    with Session(fresh_engine, expire_on_commit=False) as s:
        queued = enqueue(
            s,
            event="meal_plan_letter",
            channel="letter",
            recipient=LETTER_ADDRESS,
            subject="Your meals from Extra Portion",
            body="Dear Edna,\n\nTuesday 8 December, 17:30: Priya",
            dedupe_key="diner:1:meal_plan",
        )
        s.commit()
    assert queued is not None and queued.to_user_id is None

    assert send(fresh_engine, notify, now) == 1

    [got] = notify.of_type("letter")
    assert got["body"]["template_id"] == NOTIFY_TEMPLATES["letter"]
    assert got["body"]["reference"] == reference_of(queued)
    assert got["body"]["personalisation"] == {
        "address_line_1": "Edna Smith",
        "address_line_2": "3 Quiet Close",
        "address_line_3": "Finchley",
        "address_line_4": "N3 1QX",
        "subject": "Your meals from Extra Portion",
        "body": "Dear Edna,\n\nTuesday 8 December, 17:30: Priya",
    }
    assert load(fresh_engine, queued.id).status == "sent"


def test_letter_fails_without_being_sent_when_its_address_has_two_lines(
    fresh_engine: Engine, notify: NotifyStandIn, now: datetime
):
    with Session(fresh_engine, expire_on_commit=False) as s:
        queued = enqueue(
            s,
            event="meal_plan_letter",
            channel="letter",
            recipient="Edna Smith\nN3 1QX",
            subject="Your meals",
            body="...",
            dedupe_key="diner:1:meal_plan",
        )
        s.commit()
    assert queued is not None

    assert send(fresh_engine, notify, now) == 0

    assert notify.received == []
    stored = load(fresh_engine, queued.id)
    assert (stored.status, stored.last_error) == ("failed", "letter address has 2 lines")


def test_retry_is_not_sent_twice_when_notify_took_it_but_the_answer_was_lost(
    fresh_engine: Engine, notify: NotifyStandIn, now: datetime
):
    [queued] = queue(fresh_engine)
    notify.drop_responses = 1

    assert send(fresh_engine, notify, now) == 0
    first = load(fresh_engine, queued.id)
    assert (first.status, first.attempts) == ("pending", 1)
    assert first.last_error is not None and first.last_error.startswith("Notify outcome unknown")
    assert len(notify.received) == 1  # it did get there

    assert send(fresh_engine, notify, first.next_attempt_at) == 1

    assert len(notify.received) == 1  # not sent again ...
    assert notify.lookups == [{"template_type": "email", "reference": reference_of(queued)}]
    stored = load(fresh_engine, queued.id)  # ... and known as sent, with Notify's id
    assert (stored.status, stored.provider_ref) == ("sent", notify.received[0]["id"])


def test_retry_is_sent_once_when_notify_was_unreachable_at_first(
    fresh_engine: Engine, notify: NotifyStandIn, now: datetime
):
    [queued] = queue(fresh_engine)
    nobody = f"http://127.0.0.1:{free_port()}"  # nothing listens there
    assert send(fresh_engine, notify, now, notify_base_url=nobody) == 0
    deferred = load(fresh_engine, queued.id)
    assert deferred.last_error is not None and "unreachable" in deferred.last_error

    assert send(fresh_engine, notify, deferred.next_attempt_at) == 1

    assert len(notify.lookups) == 1 and len(notify.of_type("email")) == 1


def test_message_waits_without_being_sent_when_notify_refuses_the_key(
    fresh_engine: Engine, notify: NotifyStandIn, now: datetime
):
    [queued] = queue(fresh_engine)
    wrong_key = NOTIFY_API_KEY[:-36] + "00000000-0000-4000-8000-000000000000"

    assert send(fresh_engine, notify, now, notify_api_key=wrong_key) == 0

    assert notify.received == [] and notify.refused == [(403, "AuthError")]
    stored = load(fresh_engine, queued.id)
    assert (stored.status, stored.last_error) == ("pending", "Notify 403 AuthError")


def test_text_goes_by_email_when_the_phone_was_removed_before_sending(
    fresh_engine: Engine, notify: NotifyStandIn, now: datetime
):
    with Session(fresh_engine, expire_on_commit=False) as s:
        cook = texter(s)
        queued = enqueue(
            s,
            event="meal_reminder",
            to=cook,
            subject="Tomorrow: a meal for Edna at 17:30",
            body="A reminder for tomorrow.",
            dedupe_key="meal:1:reminder:1",
        )
        s.commit()
        cook.phone = None
        s.add(cook)
        s.commit()
    assert queued is not None and queued.channel == "sms"

    assert send(fresh_engine, notify, now) == 1

    assert [m["type"] for m in notify.received] == ["email"]
    assert notify.received[0]["body"]["email_address"] == cook.email
