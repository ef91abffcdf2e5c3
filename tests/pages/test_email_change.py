"""A new sign-in address takes effect only once the link sent to it is opened (pages, with
JavaScript off): before, a mistyped address took every message and reset link with it at once.
The link works once, for a day, only the newest one; the change ends the other sign-ins and
tells the old address. (Erasure removes an address never confirmed:
tests/privacy/test_privacy_rights.py.)"""

from __future__ import annotations

import re
from datetime import timedelta

from fastapi.testclient import TestClient
from sqlmodel import Session, select

from app.config import Settings
from app.db import utcnow
from app.models import EmailChange, Notification, User
from tests.factories import DEFAULT_PASSWORD, auth_headers, create_user
from tests.pages.helpers import form_token

NEW = "alan.new@example.org"


def post(client: TestClient, path: str, data: dict, page: str | None = None):
    token = form_token(client, page or path)
    return client.post(path, data={**data, "csrf_token": token}, follow_redirects=False)


def signed_in(client: TestClient, session: Session, role: str = "carer", **fields) -> User:
    user = create_user(session, role=role, full_name="Alan Brown", **fields)
    done = post(client, "/sign-in", {"email": user.email, "password": DEFAULT_PASSWORD})
    assert done.status_code == 303, done.text
    return user


def ask(client: TestClient, new_email: str = NEW):
    return post(client, "/account/email", {"email": new_email, "password": DEFAULT_PASSWORD})


def link_sent_to(session: Session, address: str) -> str:
    """The path of the newest confirming link queued for `address`."""
    sent = session.exec(
        select(Notification)
        .where(Notification.event == "confirm_new_email", Notification.recipient == address)
        .order_by(Notification.id.desc())  # type: ignore[union-attr]
    ).first()
    assert sent is not None and sent.channel == "email"
    found = re.search(r"https?://[^/\s]+(/account/email/confirm\?token=\S+)", sent.body)
    assert found, sent.body
    return found.group(1)


def confirm(client: TestClient, path: str):
    page = client.get(path)
    token = re.search(r'name="token" value="([^"]+)"', page.text)
    csrf = re.search(r'name="csrf_token" value="([^"]+)"', page.text)
    assert page.status_code == 200 and token and csrf, page.text
    return client.post(
        "/account/email/confirm",
        data={"token": token.group(1), "csrf_token": csrf.group(1)},
        follow_redirects=False,
    )


def test_the_address_changes_only_when_the_link_sent_to_it_is_opened(
    client: TestClient, session: Session, settings: Settings
):
    carer = signed_in(client, session)
    old = carer.email
    elsewhere = auth_headers(carer, settings)  # another sign-in, say on a phone

    asked = ask(client)

    assert asked.headers["location"] == "/account/email/sent"
    sent_page = client.get("/account/email/sent").text
    assert NEW in sent_page and old in sent_page and "nothing changes" in sent_page
    session.refresh(carer)
    assert carer.email == old  # a typo would not have taken the account's messages yet
    assert client.get("/api/me", headers=elsewhere).status_code == 200
    assert (
        session.exec(select(Notification).where(Notification.event == "email_changed")).all() == []
    )
    # The form says a link is waiting (its markup kept: "~" had escaped the <strong> too).
    assert f'<strong class="ep-break-all">{NEW}</strong>' in client.get("/account/email").text

    path = link_sent_to(session, NEW)
    shown = client.get(path)
    assert "Confirm your new email address" in shown.text and NEW in shown.text
    session.refresh(carer)
    assert carer.email == old  # opening the link (a mail scanner does) changes nothing

    done = confirm(client, path)

    assert (done.status_code, done.headers["location"]) == (303, "/account/email/changed")
    session.refresh(carer)
    assert (carer.email, carer.email_key) == (NEW, NEW)
    told = session.exec(select(Notification).where(Notification.event == "email_changed")).one()
    assert (told.recipient, told.channel) == (old, "email")
    assert client.get("/api/me", headers=elsewhere).status_code == 401
    assert "has been changed" in client.get("/account/email/changed").text
    assert client.get("/carer/").status_code == 200  # this browser's sign-in goes on
    again = client.get(path)  # the link works once
    assert "has expired or was already used" in again.text


def test_only_the_newest_link_works_and_not_after_a_day(
    client: TestClient, session: Session, settings: Settings
):
    carer = signed_in(client, session)
    ask(client, "first.try@example.org")
    first = link_sent_to(session, "first.try@example.org")
    ask(client)
    newest = link_sent_to(session, NEW)

    assert "has expired or was already used" in client.get(first).text
    refused = client.post(
        "/account/email/confirm",
        data={"token": first.split("token=")[1], "csrf_token": form_token(client, newest)},
        follow_redirects=False,
    )
    assert refused.status_code == 422
    session.refresh(carer)
    assert carer.email != "first.try@example.org"

    change = session.exec(select(EmailChange).where(EmailChange.used_at == None)).one()  # noqa: E711
    change.expires_at = utcnow() - timedelta(seconds=1)
    session.add(change)
    session.flush()
    assert "has expired or was already used" in client.get(newest).text
    session.refresh(carer)
    assert carer.email != NEW


def test_a_link_opened_in_another_browser_changes_the_address_and_signs_nobody_in(
    client: TestClient, session: Session, settings: Settings
):
    carer = signed_in(client, session)
    ask(client)
    path = link_sent_to(session, NEW)
    client.cookies.clear()  # the new mailbox is read on another device

    done = confirm(client, path)

    assert done.headers["location"] == "/account/email/changed"
    page = client.get("/account/email/changed")
    assert page.status_code == 200 and 'href="/sign-in"' in page.text
    session.refresh(carer)
    assert carer.email == NEW
    assert client.get("/carer/", follow_redirects=False).status_code in (303, 307)


def test_an_address_taken_before_the_link_is_opened_is_refused_and_nothing_changes(
    client: TestClient, session: Session, settings: Settings
):
    carer = signed_in(client, session)
    old = carer.email
    ask(client)
    path = link_sent_to(session, NEW)
    create_user(session, role="cook", email=NEW)

    taken = confirm(client, path)

    assert taken.status_code == 409 and "Another account now uses" in taken.text
    session.refresh(carer)
    assert carer.email == old


def test_a_new_password_voids_a_link_to_a_new_address(
    client: TestClient, session: Session, settings: Settings
):
    """Someone who knew the old password and asked for their own address loses the link once
    the owner changes their password."""
    carer = signed_in(client, session)
    ask(client)
    path = link_sent_to(session, NEW)
    changed = post(
        client,
        "/account/password",
        {"current_password": DEFAULT_PASSWORD, "new_password": "a much newer pass phrase 7"},
    )
    assert changed.status_code == 303, changed.text

    assert "has expired or was already used" in client.get(path).text
    session.refresh(carer)
    assert carer.email != NEW


def test_links_to_new_addresses_are_limited_and_do_not_name_the_person(
    client: TestClient, session: Session, settings: Settings
):
    """A review: any signed-in account could mail any address, as often as it liked, with the
    person's full name, through the council's sender."""
    signed_in(client, session)
    for n in range(3):
        assert ask(client, f"try{n}@example.org").status_code == 303
    fourth = ask(client, "try3@example.org")
    assert fourth.status_code == 422
    assert 'href="#email"' in fourth.text and "3 links in the last hour" in fourth.text
    sent = session.exec(select(Notification).where(Notification.event == "confirm_new_email"))
    bodies = [m.body for m in sent]
    assert len(bodies) == 3 and not any("Alan Brown" in b for b in bodies)


def test_trying_addresses_is_limited_as_registrations_are(
    client: TestClient, session: Session, settings: Settings
):
    """A security review: "Another account uses this email address" answered as often as
    asked, so any signed-in account could learn, unlimited, who has an account (registration
    tells it too, but only 20 times an hour from one connection; now both share that count)."""
    signed_in(client, session)
    for n in range(settings.registrations_per_client_hour):
        other = create_user(session, role="carer", email=f"taken{n}@example.org")
        taken = ask(client, other.email)
        assert taken.status_code == 422 and "Another account uses" in taken.text

    limited = ask(client, "anyone@example.org")

    assert limited.status_code == 429 and limited.headers["Retry-After"]
    assert 'href="#email"' in limited.text and "tried too many times" in limited.text
    assert "Another account uses" not in limited.text
    registering = client.post(
        "/api/auth/register",
        json={
            "email": "new@example.org",
            "password": "a long pass phrase 7",
            "full_name": "Nina New",
            "role": "carer",
        },
    )
    assert registering.status_code == 429  # the same connection's count
