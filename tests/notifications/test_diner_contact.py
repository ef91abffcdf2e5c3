"""A message to a diner without an account (a letter, a text) goes to their contact as it is
when it is sent: a correction by staff or a carer made while it waits is followed; one sent
keeps its record. Through the real path: the API or page correcting the contact, committed,
then the worker sending to the local stand-in of GOV.UK Notify."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from fastapi.testclient import TestClient
from sqlalchemy import Engine
from sqlmodel import Session, col, select

from app.db import utcnow
from app.main import app
from app.models import Diner, Notification
from app.notifications.channels import delivery_from_settings
from app.notifications.outbox import enqueue
from app.notifications.sender import send_due
from tests.conftest import TEST_SETTINGS
from tests.factories import (
    DEFAULT_PASSWORD,
    approve_payload,
    auth_headers,
    cook_payload,
    create_council,
    create_user,
    diner_payload,
)
from tests.notifications.conftest import NotifyStandIn, notify_settings
from tests.pages.helpers import form_token

NEW_ADDRESS = {"address_line": "Flat 2, 9 Hendon Lane"}


@dataclass(frozen=True)
class Referred:
    """A diner staff referred (no carer, no account), paired with a cook who accepted: their
    meal plan letter is queued, not sent."""

    staff_id: int
    staff_email: str
    staff_headers: dict[str, str]
    diner_id: int


def referred_and_paired(client: TestClient, engine: Engine) -> Referred:
    with Session(engine, expire_on_commit=False) as setup:
        staff = create_user(setup, role="staff", council=create_council(setup, slug="barnet"))
        cook = create_user(setup, role="cook")
        staff_h, cook_h = auth_headers(staff, TEST_SETTINGS), auth_headers(cook, TEST_SETTINGS)
        setup.commit()
    cook_id = client.put("/api/cooks/me", json=cook_payload(), headers=cook_h).json()["id"]
    approved = client.post(
        f"/api/staff/cooks/{cook_id}/approve", json=approve_payload(), headers=staff_h
    )
    assert approved.status_code == 200, approved.text
    referred = client.post("/api/staff/diners", json=diner_payload(), headers=staff_h)
    assert referred.status_code == 201, referred.text
    diner_id = referred.json()["id"]
    body = {"diner_id": diner_id, "cook_id": cook_id, "weekday": 1, "start": "17:30",
            "frequency": "weekly"}  # fmt: skip
    proposal = client.post("/api/staff/pairings", json=body, headers=staff_h)
    assert proposal.status_code == 201, proposal.text
    accepted = client.post(f"/api/pairings/{proposal.json()['id']}/accept", headers=cook_h)
    assert accepted.status_code == 200, accepted.text
    assert staff.id is not None
    return Referred(staff.id, staff.email, staff_h, diner_id)


def send(engine: Engine, stand_in: NotifyStandIn) -> int:
    channels = delivery_from_settings(notify_settings(stand_in)).channels
    now = utcnow() + timedelta(minutes=5)
    return send_due(engine, channels=channels, worker_id="w1", now=now, batch=100)


def address_of(letter: dict) -> list[str]:
    fields = letter["body"]["personalisation"]
    return [fields[f"address_line_{i}"] for i in range(1, 8) if f"address_line_{i}" in fields]


def letters_to(engine: Engine, diner_id: int) -> list[Notification]:
    with Session(engine) as s:
        found = select(Notification).where(
            Notification.about_diner_id == diner_id, Notification.channel == "letter"
        )
        return list(s.exec(found.order_by(col(Notification.id))).all())


def test_letter_goes_to_the_corrected_address_when_staff_correct_it_before_it_is_sent(
    real_engine: Engine, notify: NotifyStandIn
):
    with TestClient(app) as client:
        world = referred_and_paired(client, real_engine)
        [queued] = letters_to(real_engine, world.diner_id)
        assert queued.status == "pending"

        corrected = client.patch(
            f"/api/diners/{world.diner_id}", json=NEW_ADDRESS, headers=world.staff_headers
        )
        assert corrected.status_code == 200, corrected.text

    send(real_engine, notify)

    [posted] = notify.of_type("letter")
    assert address_of(posted) == ["Edna Smith", "Flat 2", "9 Hendon Lane", "N3 1QX"]
    [stored] = letters_to(real_engine, world.diner_id)  # the same letter: not a second one
    assert stored.status == "sent"
    assert stored.recipient == "Edna Smith\nFlat 2\n9 Hendon Lane\nN3 1QX"

    # Sent, it stays as it was when the address is corrected again: not posted again, and
    # its record still says where it went.
    with TestClient(app) as client:
        again = client.patch(
            f"/api/diners/{world.diner_id}",
            json={"address_line": "4 Regents Park Road"},
            headers=world.staff_headers,
        )
        assert again.status_code == 200, again.text
    send(real_engine, notify)
    assert len(notify.of_type("letter")) == 1
    [after] = letters_to(real_engine, world.diner_id)
    assert (after.status, after.recipient, after.sent_at) == (
        "sent",
        stored.recipient,
        stored.sent_at,
    )


def queue_text_to(engine: Engine, diner_id: int) -> int:
    """A text to the diner themselves (no page queues one yet: the outbox takes it)."""
    with Session(engine, expire_on_commit=False) as s:
        diner = s.get(Diner, diner_id)
        assert diner is not None
        text = enqueue(
            s,
            event="meal_reminder",
            to_diner=diner,
            channel="sms",
            subject="Your meal tomorrow",
            body="Priya will bring it at 17:30.",
            dedupe_key=f"diner:{diner_id}:reminder",
        )
        assert text is not None
        s.commit()
        assert text.id is not None
        return text.id


def staff_page_sign_in(client: TestClient, world: Referred) -> None:
    client.cookies.clear()
    token = form_token(client, "/sign-in")
    signed_in = client.post(
        "/sign-in",
        data={"email": world.staff_email, "password": DEFAULT_PASSWORD, "csrf_token": token},
        follow_redirects=False,
    )
    assert signed_in.status_code == 303, signed_in.text


def correct_details(client: TestClient, world: Referred, phone: str) -> None:
    path = f"/staff/diners/{world.diner_id}/change/details"
    token = form_token(client, path)
    done = client.post(
        path,
        data={"full_name": "Edna Smith", "phone": phone, "csrf_token": token},
        follow_redirects=False,
    )
    assert done.status_code == 303, done.text


def test_text_goes_to_the_corrected_number_when_staff_correct_it_before_it_is_sent(
    real_engine: Engine, notify: NotifyStandIn
):
    with TestClient(app) as client:
        world = referred_and_paired(client, real_engine)
        text_id = queue_text_to(real_engine, world.diner_id)
        staff_page_sign_in(client, world)

        correct_details(client, world, "07911 123457")

    send(real_engine, notify)

    [texted] = [t for t in notify.of_type("sms") if "Priya will bring it" in str(t["body"])]
    assert texted["body"]["phone_number"] == "+447911123457"
    with Session(real_engine) as s:
        stored = s.get(Notification, text_id)
        assert stored is not None
        assert (stored.status, stored.recipient) == ("sent", "+447911123457")


def test_text_is_not_sent_when_the_diners_number_was_removed_before_it_went(
    real_engine: Engine, notify: NotifyStandIn
):
    with TestClient(app) as client:
        world = referred_and_paired(client, real_engine)
        text_id = queue_text_to(real_engine, world.diner_id)
        staff_page_sign_in(client, world)

        correct_details(client, world, "")

    send(real_engine, notify)

    assert notify.of_type("sms") == []  # never to the number that was removed
    with Session(real_engine) as s:
        stored = s.get(Notification, text_id)
        assert stored is not None
        assert (stored.status, stored.last_error) == (
            "failed",
            "the diner has no phone number now",
        )
        assert stored.recipient is None  # the number removed is not kept with it
