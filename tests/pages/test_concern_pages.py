"""Concerns from the pages with JavaScript off: a carer or a cook raises one, gets a reference,
and follows its status as staff move it on."""

from __future__ import annotations

import re
from datetime import UTC, datetime

import pytest
from fastapi.testclient import TestClient
from sqlmodel import Session, select

from app.config import Settings
from app.models import Concern, Pairing, User
from tests.factories import (
    DEFAULT_PASSWORD,
    approved_cook,
    auth_headers,
    create_council,
    create_user,
    registered_diner,
)
from tests.pages.helpers import textarea
from tests.pages.test_carer_pages import post, summary, title, value_of


@pytest.fixture
def world(client: TestClient, session: Session, settings: Settings) -> dict:
    council = create_council(session, slug="barnet", lad_codes=["E09000003"])
    staff = create_user(session, role="staff", council=council)
    cook_user, cook_id = approved_cook(client, session, settings, staff)
    carer, diner_id = registered_diner(client, session, settings)
    body = {"diner_id": diner_id, "cook_id": cook_id, "weekday": 1, "start": "17:30",
            "frequency": "weekly"}  # fmt: skip
    pairing = client.post("/api/staff/pairings", json=body, headers=auth_headers(staff, settings))
    client.post(
        f"/api/pairings/{pairing.json()['id']}/accept", headers=auth_headers(cook_user, settings)
    )
    return {"staff": staff, "cook": cook_user, "carer": carer, "diner_id": diner_id,
            "pairing_id": pairing.json()["id"], "council": council}  # fmt: skip


def sign_in(client: TestClient, user: User) -> None:
    done = post(client, "/sign-in", {"email": user.email, "password": DEFAULT_PASSWORD})
    assert done.status_code == 303


def test_concern_form_lists_every_error_at_once_and_keeps_what_was_written_when_incomplete(
    client: TestClient, world: dict
):
    sign_in(client, world["carer"])
    form = client.get(f"/concerns/new?diner={world['diner_id']}")
    assert form.status_code == 200
    for words in (
        "A meal did not arrive",
        "The food, or food hygiene",
        "Edna’s health or wellbeing",
        "Edna’s safety, or the way someone treats them",
        "The cook’s behaviour",
        "Something else",
    ):
        assert words in form.text
    # The limit said before it is met (GOV.UK's character count; it was only in the error).
    assert 'data-module="govuk-character-count" data-maxlength="2000"' in form.text
    assert "You can enter up to 2,000 characters" in form.text  # as its error says it
    page = post(
        client,
        "/concerns/new",
        {"diner": str(world["diner_id"]), "serious": "yes", "description": ""},
        page=f"/concerns/new?diner={world['diner_id']}",
    )
    assert page.status_code == 422 and title(page).startswith("Error: Raise a concern about Edna")
    assert summary(page.text) == [
        ("#kind", "Select what the concern is about"),
        ("#description", "Tell us what happened"),
    ]
    assert re.search(r'name="serious" type="checkbox" value="yes" checked', page.text)


def test_carer_gets_a_reference_and_follows_the_status_when_staff_move_the_concern_on(
    client: TestClient, session: Session, settings: Settings, world: dict
):
    sign_in(client, world["carer"])
    done = post(
        client,
        "/concerns/new",
        {
            "diner": str(world["diner_id"]),
            "kind": "missed_meal",
            "description": "No meal came on Tuesday.\nNobody rang.",
        },
        page=f"/concerns/new?diner={world['diner_id']}",
    )
    assert done.status_code == 303
    concern = session.exec(select(Concern)).one()
    assert concern.kind == "missed_meal" and concern.raised_by_id == world["carer"].id
    assert re.fullmatch(r"EP-[A-Z2-9]{6}", concern.reference)
    assert done.headers["location"] == f"/concerns/{concern.reference}?sent=1"
    sent = client.get(done.headers["location"])
    assert "Concern sent" in sent.text and concern.reference in sent.text
    assert "Received" in sent.text and "Missed meal" in sent.text
    # Its lines as written (they ran together).
    # As lines, without the list cell's own indent and line break before them, which pre-wrap
    # kept (an outside check).
    told = "No meal came on Tuesday.<br>Nobody rang."
    assert told in sent.text, "the description keeps its line breaks, and only them"
    assert "ep-pre-wrap" not in sent.text

    client.post(
        f"/api/staff/concerns/{concern.id}/triage",
        json={"status": "investigating", "note": "Rang the cook"},
        headers=auth_headers(world["staff"], settings),
    )
    listed = client.get("/concerns")
    row = re.search(rf"{concern.reference}.*?</tr>", listed.text, re.DOTALL)
    assert row and "Being looked into" in row.group()
    assert "Rang the cook" not in client.get(f"/concerns/{concern.reference}").text
    relative = client.get(f"/carer/relatives/{world['diner_id']}")
    assert concern.reference in relative.text and "Being looked into" in relative.text


def test_a_concerns_paragraphs_show_as_paragraphs_to_the_raiser_and_to_staff(
    client: TestClient, session: Session, world: dict
):
    """A blank line between paragraphs showed as a single line break (a newcomer's walk)."""
    sign_in(client, world["carer"])
    typed = "No meal came on Tuesday.\r\nNobody rang.\r\n\r\nEdna waited until eight."
    done = post(
        client,
        "/concerns/new",
        {"diner": str(world["diner_id"]), "kind": "missed_meal", "description": typed},
        page=f"/concerns/new?diner={world['diner_id']}",
    )
    assert done.status_code == 303, done.text
    concern = session.exec(select(Concern)).one()
    assert concern.description == typed.replace("\r\n", "\n")  # stored as typed
    shown = (
        '<p class="govuk-body">No meal came on Tuesday.<br>Nobody rang.</p>'
        '<p class="govuk-body">Edna waited until eight.</p>'
    )
    assert shown in client.get(f"/concerns/{concern.reference}").text
    client.cookies.clear()
    sign_in(client, world["staff"])
    assert shown in client.get(f"/staff/concerns/{concern.id}").text


def test_cook_raises_a_serious_concern_from_the_pages_and_the_pairing_pauses(
    client: TestClient, session: Session, world: dict
):
    sign_in(client, world["cook"])
    # Worded for the cook (a browser walk: the cook was offered "The cook's behaviour", and told
    # "meals with Edna's cook stop", of themselves).
    form = client.get(f"/concerns/new?diner={world['diner_id']}").text
    assert "Another cook’s behaviour" in form and "The cook’s behaviour" not in form
    assert "Your meals with Edna stop at once" in form and "Edna’s cook" not in form
    done = post(
        client,
        "/concerns/new",
        {
            "diner": str(world["diner_id"]),
            "kind": "safeguarding",
            "serious": "yes",
            "description": "A visitor was asking about her bank card.",
        },
        page=f"/concerns/new?diner={world['diner_id']}",
    )
    assert done.status_code == 303
    pairing = session.get(Pairing, world["pairing_id"])
    session.refresh(pairing)
    assert (pairing.status, pairing.pause_reason) == ("paused", "concern")
    assert "Concern sent" in client.get(done.headers["location"]).text


def test_someone_else_gets_not_found_for_a_concern_or_a_diner_that_is_not_theirs(
    client: TestClient, session: Session, settings: Settings, world: dict
):
    raised = client.post(
        "/api/concerns",
        json={"diner_id": world["diner_id"], "kind": "other", "description": "Worried"},
        headers=auth_headers(world["carer"], settings),
    )
    stranger = create_user(session, role="carer")
    sign_in(client, stranger)
    assert client.get(f"/concerns/{raised.json()['reference']}").status_code == 404
    assert client.get(f"/concerns/new?diner={world['diner_id']}").status_code == 404
    refused = post(
        client,
        "/concerns/new",
        {"diner": str(world["diner_id"]), "kind": "other", "description": "Made up"},
        page="/concerns",
    )
    assert refused.status_code == 404
    assert session.exec(select(Concern)).all() == [session.get(Concern, raised.json()["id"])]


def test_concern_pages_send_a_visitor_to_sign_in_when_nobody_is_signed_in(client: TestClient):
    for path in ("/concerns", "/concerns/new?diner=1", "/concerns/EP-ABCDEF"):
        answer = client.get(path, follow_redirects=False)
        assert answer.status_code == 303 and answer.headers["location"].startswith("/sign-in?next=")


def test_description_is_refused_and_the_answers_kept_when_it_is_too_long(
    client: TestClient, world: dict
):
    sign_in(client, world["carer"])
    page = post(
        client,
        "/concerns/new",
        {"diner": str(world["diner_id"]), "kind": "welfare", "description": "x" * 4500},
        page=f"/concerns/new?diner={world['diner_id']}",
    )
    assert summary(page.text) == [
        ("#description", "What happened must be 2,000 characters or fewer")
    ]
    assert value_of(page.text, "diner") == str(world["diner_id"])
    # All of it, as typed: past 4,000 characters it was cut, and the count then said "2,000
    # characters too many" of 2,500.
    assert textarea(page.text, "description") == "x" * 4500


def test_a_concern_raised_just_after_midnight_in_a_london_summer_shows_that_day(
    client: TestClient, session: Session, world: dict
):
    """Stored moments are UTC: 23:30 on 1 July is 00:30 on 2 July in London. Before, the
    raiser's pages said 1 July."""
    sign_in(client, world["carer"])
    done = post(
        client,
        "/concerns/new",
        {"diner": str(world["diner_id"]), "kind": "missed_meal", "description": "No meal."},
        page=f"/concerns/new?diner={world['diner_id']}",
    )
    assert done.status_code == 303
    concern = session.exec(select(Concern)).one()
    concern.created_at = concern.updated_at = datetime(2027, 7, 1, 23, 30, tzinfo=UTC)
    session.add(concern)
    session.commit()
    for page in (
        f"/concerns/{concern.reference}",
        "/concerns",
        f"/carer/relatives/{world['diner_id']}",
    ):
        text = client.get(page).text
        assert "2 July 2027" in text and "1 July 2027" not in text, page
