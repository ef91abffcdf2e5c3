"""A carer who asked for their data to be erased can take the request back while it is still to
do (Dad is not moving into a home after all): their relative was held out of matching for ever,
never matched, until staff erased everything. Taken back, the relative is matched again, the
pages and reports no longer show the request, and those the request told hear of it; asking
again holds them again."""

from __future__ import annotations

from fastapi.testclient import TestClient
from httpx import Response
from sqlmodel import Session, col, select

from app.config import Settings
from app.councils.service import add_neighbourhood
from app.diners.erasure_hold import ERASURE_REQUESTED, ERASURE_WITHDRAWN
from app.models import AuditEntry, Council, Notification, User
from tests.factories import (
    approved_cook,
    auth_headers,
    create_user,
    diner_payload,
    registered_diner,
)
from tests.pages.helpers import form_token, sign_in
from tests.pages.test_staff_home import count_link
from tests.privacy.test_erasure_hold import ask_for_erasure, words

HELD = "We are not looking for a cook"
TAKE_BACK = 'action="/carer/account/erase/withdraw"'


def take_back(client: TestClient, carer: User) -> str:
    """The carer takes their request back as they would: "Take back your request" on their
    page; returns the page they land on."""
    client.cookies.clear()
    sign_in(client, carer)
    assert TAKE_BACK in client.get("/carer/").text
    done = _send_take_back(client)
    assert done.status_code == 303, done.text
    assert done.headers["location"] == "/carer/?done=erasure_withdrawn"
    page = client.get(done.headers["location"]).text
    client.cookies.clear()
    return page


def _send_take_back(client: TestClient, page: str = "/carer/") -> Response:
    """POST "Take back your request" with the CSRF token of `page`, signed in as the carer
    (also when the page shows no such button: an old tab, a second click)."""
    return client.post(
        "/carer/account/erase/withdraw",
        data={"csrf_token": form_token(client, page)},
        follow_redirects=False,
    )


def _carer_page(client: TestClient, carer: User) -> str:
    client.cookies.clear()
    sign_in(client, carer)
    page = client.get("/carer/").text
    client.cookies.clear()
    return page


def _proposed(client: TestClient, settings: Settings, staff: User, diner_id: int) -> bool:
    """Whether the batch's preview and the diner's suggestions offer the diner a cook."""
    headers = auth_headers(staff, settings)
    preview = client.post("/api/staff/matching/preview", headers=headers)
    assert preview.status_code == 200, preview.text
    in_preview = diner_id in [p["diner_id"] for p in preview.json()["proposed"]]
    said = client.get(f"/api/staff/diners/{diner_id}/suggestions", headers=headers)
    assert said.status_code == 200, said.text
    suggested = bool(said.json()["items"])
    assert in_preview == suggested, (preview.json(), said.json())
    return in_preview


def _requests_on_staff_home(client: TestClient, staff: User) -> str | None:
    client.cookies.clear()
    sign_in(client, staff)
    page = client.get("/staff/").text
    client.cookies.clear()
    return count_link(page, "#erasure")


def _waiting(client: TestClient, settings: Settings, staff: User) -> tuple[int, int]:
    """The summary's diners waiting for a cook, and those it leaves out as held."""
    summary = client.get("/api/staff/reports/summary", headers=auth_headers(staff, settings))
    assert summary.status_code == 200, summary.text
    return summary.json()["waiting_diners"], summary.json()["held_for_erasure"]


def _told(session: Session, event: str) -> list[int | None]:
    rows = session.exec(
        select(Notification.to_user_id)
        .where(Notification.event == event)
        .order_by(col(Notification.id))
    )
    return list(rows.all())


def test_a_carer_who_takes_back_their_request_has_their_relative_matched_again(
    client: TestClient, session: Session, settings: Settings, staff: User
):
    council = session.get(Council, staff.council_id)
    assert council is not None
    coordinator = create_user(session, role="staff", council=council, full_name="Cora Lane")
    add_neighbourhood(
        session, council=council, name="Finchley", sectors=["N3 1"], coordinator=coordinator
    )
    session.commit()
    approved_cook(client, session, settings, staff)
    carer, arthur = registered_diner(client, session, settings, full_name="Arthur Jones")
    assert _proposed(client, settings, staff, arthur)
    ask_for_erasure(client, carer)
    assert not _proposed(client, settings, staff, arthur)
    assert HELD in _carer_page(client, carer)
    assert _requests_on_staff_home(client, staff) == "1 request to erase a carer's data"
    assert _waiting(client, settings, staff) == (0, 1)

    page = take_back(client, carer)

    assert "You took back your request to erase your data" in words(page)  # the banner
    assert "govuk-notification-banner" in page
    assert HELD not in page and TAKE_BACK not in page
    assert 'href="/carer/account/erase"' in page  # they may ask again
    assert _proposed(client, settings, staff, arthur)
    assert _requests_on_staff_home(client, staff) is None
    assert _waiting(client, settings, staff) == (1, 0)
    # Those the request told hear it was taken back: the coordinator, and the carer.
    assert _told(session, "erasure_requested") == [coordinator.id]
    assert _told(session, "erasure_withdrawn") == [coordinator.id]
    assert _told(session, "erasure_taken_back") == [carer.id]
    [withdrawn] = session.exec(
        select(AuditEntry).where(AuditEntry.action == ERASURE_WITHDRAWN)
    ).all()
    assert (withdrawn.actor_id, withdrawn.council_id) == (carer.id, staff.council_id)
    assert (withdrawn.subject_type, withdrawn.subject_id) == ("user", carer.id)
    assert withdrawn.data == {"diner_ids": [arthur]}  # ids only

    # Asking again holds Arthur again, and the coordinator hears of the new request.
    ask_for_erasure(client, carer)
    assert not _proposed(client, settings, staff, arthur)
    assert HELD in _carer_page(client, carer)
    assert _requests_on_staff_home(client, staff) == "1 request to erase a carer's data"
    assert _waiting(client, settings, staff) == (0, 1)
    assert _told(session, "erasure_requested") == [coordinator.id, coordinator.id]
    asked = select(AuditEntry).where(AuditEntry.action == ERASURE_REQUESTED)
    assert len(session.exec(asked).all()) == 2


def test_taking_back_with_no_request_still_to_do_changes_nothing(
    client: TestClient, session: Session, settings: Settings, staff: User
):
    """No button without a request; a POST all the same (an old tab, a second click) is sent
    back to the carer's page, and nobody is told."""
    carer, _ = registered_diner(client, session, settings, full_name="Arthur Jones")
    sign_in(client, carer)
    page = client.get("/carer/").text
    assert TAKE_BACK not in page and 'href="/carer/account/erase"' in page

    done = _send_take_back(client, "/carer/account/erase")

    assert done.status_code == 303, done.text
    assert done.headers["location"] == "/carer/"
    withdrawn = select(AuditEntry).where(AuditEntry.action == ERASURE_WITHDRAWN)
    assert session.exec(withdrawn).all() == []
    assert _told(session, "erasure_withdrawn") == [] == _told(session, "erasure_taken_back")
    # Taken back once, a second click changes nothing either.
    client.cookies.clear()
    ask_for_erasure(client, carer)
    take_back(client, carer)
    sign_in(client, carer)
    again = _send_take_back(client)
    assert again.headers["location"] == "/carer/"
    assert len(session.exec(withdrawn).all()) == 1
    assert len(_told(session, "erasure_taken_back")) == 1


def test_a_request_staff_have_begun_to_carry_out_can_no_longer_be_taken_back(
    client: TestClient, session: Session, settings: Settings, staff: User
):
    """A review: staff erase each relative, then the carer's account; taken back in between,
    the request vanished from the coordinator's list unannounced (the administrators were told
    instead), and the carer read that nothing would be erased, after Arthur had been."""
    carer, arthur = registered_diner(client, session, settings, full_name="Arthur Jones")
    made = client.post(
        "/api/diners",
        json=diner_payload(full_name="Betty Jones"),
        headers=auth_headers(carer, settings),
    )
    assert made.status_code == 201, made.text
    ask_for_erasure(client, carer)
    erased = client.post(
        f"/api/staff/diners/{arthur}/erase",
        json={"confirm": True},
        headers=auth_headers(staff, settings),
    )
    assert erased.status_code == 200, erased.text

    page = _carer_page(client, carer)

    assert TAKE_BACK not in page
    assert "The council has begun erasing the data, so the request can no longer be taken back" in (
        words(page)
    )
    sign_in(client, carer)
    sent = _send_take_back(client)
    assert sent.headers["location"] == "/carer/"
    assert (
        session.exec(select(AuditEntry).where(AuditEntry.action == ERASURE_WITHDRAWN)).all() == []
    )
    assert _told(session, "erasure_withdrawn") == [] == _told(session, "erasure_taken_back")
    assert _requests_on_staff_home(client, staff) == "1 request to erase a carer's data"
