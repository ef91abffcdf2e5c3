"""A relative whose carer asked for their data to be erased is held out of anything new until
staff carry the request out: no batch (nor preview) proposes them, suggestions offer nobody, a
proposal by hand is refused, a decline proposes nobody next, and when their meals end nobody is
told "back in matching". Their planned meals are kept. Each scenario starts with the carer
asking on their own page, as a newcomer's walk did for their father Arthur."""

from __future__ import annotations

import html as html_lib
import re

from fastapi.testclient import TestClient
from sqlmodel import Session, col, select

from app.config import Settings
from app.councils.rules import council_today
from app.models import Council, Meal, Notification, Pairing, User
from app.pages.cook_forms import long_date
from app.privacy.erasure_requests import erase_by
from app.vocab import MealStatus, PairingStatus
from tests.factories import (
    active_pairing,
    approved_cook,
    auth_headers,
    create_user,
    proposed_pairing,
    registered_diner,
)
from tests.pages.helpers import form_token, sign_in


def ask_for_erasure(client: TestClient, carer: User) -> None:
    """The carer asks as they do: signed in, "Ask us to erase your data" on their pages."""
    client.cookies.clear()
    sign_in(client, carer)
    token = form_token(client, "/carer/account/erase")
    done = client.post("/carer/account/erase", data={"csrf_token": token}, follow_redirects=False)
    assert done.status_code == 303, done.text
    assert done.headers["location"] == "/carer/account/erase/sent"
    client.cookies.clear()


def due_words(session: Session, staff: User) -> tuple[str, str]:
    """The day the request was made and its due day, as pages write them."""
    council = session.get(Council, staff.council_id)
    assert council is not None
    asked = council_today(council)
    return long_date(asked), long_date(erase_by(asked))


def words(html: str) -> str:
    return " ".join(html_lib.unescape(re.sub(r"<[^>]+>", " ", html)).split())


def test_the_batch_and_its_preview_leave_out_a_relative_whose_carer_asked_for_erasure(
    client: TestClient, session: Session, settings: Settings, staff: User
):
    approved_cook(client, session, settings, staff)
    approved_cook(client, session, settings, staff, display_name="Sam")
    carer, arthur = registered_diner(client, session, settings, full_name="Arthur Jones")
    _, edna = registered_diner(client, session, settings, full_name="Edna Smith")
    ask_for_erasure(client, carer)
    headers = auth_headers(staff, settings)

    preview = client.post("/api/staff/matching/preview", headers=headers)
    assert preview.status_code == 200, preview.text
    seen = [p["diner_id"] for p in preview.json()["proposed"]]
    seen += [u["diner_id"] for u in preview.json()["unmatched"]]
    assert seen == [edna]  # Edna still is: the batch runs for everyone else

    run = client.post("/api/staff/matching/run", headers=headers)
    assert run.status_code == 200, run.text
    assert [p["diner_id"] for p in run.json()["proposed"]] == [edna]
    assert run.json()["unmatched"] == []
    assert session.exec(select(Pairing).where(Pairing.diner_id == arthur)).all() == []


def test_suggestions_offer_no_cook_for_a_relative_whose_carer_asked_for_erasure(
    client: TestClient, session: Session, settings: Settings, staff: User
):
    approved_cook(client, session, settings, staff)
    carer, arthur = registered_diner(client, session, settings, full_name="Arthur Jones")
    ask_for_erasure(client, carer)

    said = client.get(
        f"/api/staff/diners/{arthur}/suggestions", headers=auth_headers(staff, settings)
    )

    assert said.status_code == 200, said.text
    # None of API.md's unmatched reasons (each a cook lacking) is this one: null, and the match
    # page says why.
    assert said.json() == {"items": [], "unmatched_reason": None}


def test_a_proposal_by_hand_is_refused_for_a_relative_whose_carer_asked_for_erasure(
    client: TestClient, session: Session, settings: Settings, staff: User
):
    _, cook_id = approved_cook(client, session, settings, staff)
    carer, arthur = registered_diner(client, session, settings, full_name="Arthur Jones")
    ask_for_erasure(client, carer)
    body = {"diner_id": arthur, "cook_id": cook_id, "weekday": 1, "start": "17:30",
            "frequency": "weekly"}  # fmt: skip

    refused = client.post("/api/staff/pairings", json=body, headers=auth_headers(staff, settings))

    assert refused.status_code == 422, refused.text
    [issue] = refused.json()["detail"]
    assert issue["type"] == "erasure_requested" and issue["loc"] == ["body", "diner_id"]
    asked, due = (w.split(" ", 1)[1] for w in due_words(session, staff))  # without the weekday
    assert f"asked on {asked}" in issue["msg"] and f"by {due}" in issue["msg"]
    assert session.exec(select(Pairing).where(Pairing.diner_id == arthur)).all() == []


def test_a_decline_proposes_no_next_cook_to_a_relative_whose_carer_asked_for_erasure(
    client: TestClient, session: Session, settings: Settings, staff: User
):
    world = proposed_pairing(client, session, settings, staff)
    approved_cook(client, session, settings, staff, display_name="Sam")  # the next best
    ask_for_erasure(client, world.carer)

    declined = client.post(f"/api/pairings/{world.pairing_id}/decline", headers=world.cook_headers)

    assert declined.status_code == 200, declined.text
    statuses = session.exec(select(Pairing.status).where(Pairing.diner_id == world.diner_id))
    assert list(statuses) == [PairingStatus.declined]


def test_when_the_cook_stops_nobody_is_told_the_relative_is_back_in_matching_after_erasure_asked(
    client: TestClient, session: Session, settings: Settings, staff: User
):
    coordinator = create_user(session, role="staff", council=session.get(Council, staff.council_id))
    world = active_pairing(client, session, settings, staff, coordinator=coordinator)
    planned = select(Meal.id).where(
        Meal.pairing_id == world.pairing_id, Meal.status == MealStatus.scheduled
    )
    meals = list(session.exec(planned))
    ask_for_erasure(client, world.carer)
    # Asking stops nothing: the relative still needs their meals until staff erase them.
    assert list(session.exec(planned)) == meals and meals

    stopped = client.post(
        "/api/cooks/me/stop", json={"reason": "Moving away"}, headers=world.cook_headers
    )

    assert stopped.status_code == 200, stopped.text
    _, due = due_words(session, staff)
    told = {
        to: body
        for to, body in session.exec(
            select(Notification.to_user_id, Notification.body).where(
                Notification.event == "pairing_ended",
                col(Notification.to_user_id).in_([coordinator.id, world.carer.id]),
            )
        )
    }
    assert set(told) == {coordinator.id, world.carer.id}
    day = " ".join(due.split()[:3])  # messages name the day without the year
    assert "back in matching" not in told[coordinator.id]
    assert "is not matched with another cook" in told[coordinator.id]
    assert f"Please erase Edna's record by {day}" in told[coordinator.id]
    assert "looking for another cook near" not in told[world.carer.id]
    assert "we are not looking for another cook" in told[world.carer.id]
    assert f"the council is carrying out your request, by {day}" in told[world.carer.id]
    # Nor do the carer's own pages say a cook is being looked for.
    sign_in(client, world.carer)
    for page in ("/carer/", f"/carer/relatives/{world.diner_id}"):
        shown = words(client.get(page).text)
        assert "We are not looking for a cook: you asked us to erase your data" in shown, page
        assert "We are looking for a cook" not in shown, page
        # The tag beside it says the same, not "Waiting for a cook" (a review).
        assert "Not looking for a cook" in shown, page
        assert "Waiting for a cook" not in shown, page


def test_the_match_page_and_the_diner_list_say_the_carer_asked_for_erasure_and_by_when(
    client: TestClient, session: Session, settings: Settings, staff: User
):
    approved_cook(client, session, settings, staff)
    carer, arthur = registered_diner(client, session, settings, full_name="Arthur Jones")
    ask_for_erasure(client, carer)
    asked, due = due_words(session, staff)
    sign_in(client, staff)

    match = client.get(f"/staff/diners/{arthur}/match")
    listed = client.get("/staff/diners")
    record = client.get(f"/staff/diners/{arthur}")

    assert record.status_code == 200, record.text
    assert f"/staff/diners/{arthur}/match" not in record.text  # no "Find a cook for Arthur"

    assert match.status_code == 200, match.text
    page = words(match.text)
    assert f"Arthur Jones’s carer asked on {asked} for their data to be erased." in page
    assert f"Erase by {due}" in page
    assert "No cook is suggested for Arthur: their carer asked for their data to be erased" in page
    assert "Invite " not in page  # no card, no form sending Arthur's needs
    assert listed.status_code == 200, listed.text
    row = words(listed.text)
    assert f"Their carer asked for their data to be erased: erase by {due.split(' ', 1)[1]}" in row


def test_an_invitation_made_before_the_carer_asked_for_erasure_can_no_longer_be_accepted(
    client: TestClient, session: Session, settings: Settings, staff: User
):
    world = proposed_pairing(client, session, settings, staff)
    ask_for_erasure(client, world.carer)

    accepted = client.post(f"/api/pairings/{world.pairing_id}/accept", headers=world.cook_headers)

    assert accepted.status_code == 409, accepted.text
    assert "Edna's carer has asked us to erase their details" in accepted.json()["detail"]
    pairing = session.get(Pairing, world.pairing_id)
    assert pairing is not None and pairing.status == PairingStatus.proposed
    assert session.exec(select(Meal).where(Meal.pairing_id == world.pairing_id)).all() == []
