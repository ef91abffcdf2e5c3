"""The erasure hold holds the relatives the carer's request names, no other: one registered
after asking (Betty) is matched as usual and nobody is told to erase her (a review found her
held for ever, never matched nor erased); and a held relative's meals, when their cook is
away, go only to cooks they have met, else the coordinator is told why none was asked."""

from __future__ import annotations

from datetime import date

from fastapi.testclient import TestClient
from httpx import Response
from sqlmodel import Session, col, select

from app.config import Settings
from app.models import Council, Meal, Notification, User
from tests.factories import (
    PairingWorld,
    active_pairing,
    approved_cook,
    auth_headers,
    create_user,
    diner_payload,
    registered_diner,
)
from tests.meals.test_meals import covered_before
from tests.pages.helpers import sign_in
from tests.privacy.test_erasure_hold import ask_for_erasure, words


def register_after_asking(client: TestClient, settings: Settings, carer: User) -> int:
    """The carer registers another relative, after their request (which names only Arthur)."""
    body = diner_payload(full_name="Betty Jones")
    made = client.post("/api/diners", json=body, headers=auth_headers(carer, settings))
    assert made.status_code == 201, made.text
    return int(made.json()["id"])


def _away_on_the_next_meal(client: TestClient, world: PairingWorld) -> Response:
    """The pairing's cook marks themself away on the day of its next meal after today."""
    meals = client.get("/api/cooks/me/meals", headers=world.cook_headers).json()["items"]
    day = next(m["date"] for m in meals if date.fromisoformat(m["date"]) > date.today())
    away = client.post(
        "/api/cooks/me/away", json={"from": day, "to": day}, headers=world.cook_headers
    )
    assert away.status_code == 200, away.text
    return away


def test_a_relative_registered_after_the_carer_asked_is_matched_and_the_one_asked_about_is_not(
    client: TestClient, session: Session, settings: Settings, staff: User
):
    approved_cook(client, session, settings, staff)
    carer, arthur = registered_diner(client, session, settings, full_name="Arthur Jones")
    ask_for_erasure(client, carer)
    betty = register_after_asking(client, settings, carer)
    headers = auth_headers(staff, settings)

    preview = client.post("/api/staff/matching/preview", headers=headers)
    for_betty = client.get(f"/api/staff/diners/{betty}/suggestions", headers=headers)
    for_arthur = client.get(f"/api/staff/diners/{arthur}/suggestions", headers=headers)

    assert preview.status_code == 200, preview.text
    assert [p["diner_id"] for p in preview.json()["proposed"]] == [betty]
    assert [u["diner_id"] for u in preview.json()["unmatched"]] == []
    assert for_betty.status_code == 200, for_betty.text
    assert len(for_betty.json()["items"]) == 1
    assert for_arthur.json() == {"items": [], "unmatched_reason": None}
    run = client.post("/api/staff/matching/run", headers=headers)
    assert [p["diner_id"] for p in run.json()["proposed"]] == [betty]


def test_the_pages_hold_arthur_and_not_betty_and_staff_are_not_told_to_erase_her(
    client: TestClient, session: Session, settings: Settings, staff: User
):
    carer, arthur = registered_diner(client, session, settings, full_name="Arthur Jones")
    ask_for_erasure(client, carer)
    betty = register_after_asking(client, settings, carer)

    sign_in(client, carer)
    home = words(client.get("/carer/").text)
    betty_page = words(client.get(f"/carer/relatives/{betty}").text)
    arthur_page = words(client.get(f"/carer/relatives/{arthur}").text)
    client.cookies.clear()
    sign_in(client, staff)
    record = client.get(f"/staff/diners/{betty}")
    listed = client.get("/staff/diners?q=Betty")
    staff_home = client.get("/staff/").text

    held = "We are not looking for a cook: you asked us to erase your data and Arthur's"
    assert held in arthur_page and held in home
    assert "We are looking for a cook" in betty_page and "not looking" not in betty_page
    assert "You asked us to erase your data, and Arthur’s, on" in home
    assert "Your request does not include Betty, whom you registered after asking" in home
    assert "Ask us to erase Betty’s data too" in home
    assert record.status_code == 200, record.text
    assert f"/staff/diners/{betty}/match" in record.text  # "Find a cook" is offered
    assert "for their data to be erased" not in words(record.text)
    assert "Their carer asked for their data to be erased" not in words(listed.text)
    erasures = staff_home.split('id="erasure"', 1)[1].split('id="cover"', 1)[0]
    assert f"/staff/diners/{arthur}" in erasures and f"/staff/diners/{betty}" not in erasures


def test_a_held_diners_cook_away_asks_no_cook_they_never_met_and_tells_the_coordinator(
    client: TestClient, session: Session, settings: Settings, staff: User
):
    coordinator = create_user(session, role="staff", council=session.get(Council, staff.council_id))
    world = active_pairing(client, session, settings, staff, coordinator=coordinator)
    stranger, _ = approved_cook(
        client, session, settings, staff, postcode="N3 1QX", display_name="Stranger"
    )
    ask_for_erasure(client, world.carer)

    away = _away_on_the_next_meal(client, world)

    assert [m["status"] for m in away.json()["items"]] == ["needs_cover"]
    asked = select(Notification).where(Notification.event == "cover_request")
    assert session.exec(asked).all() == []  # the stranger is sent no needs
    offered = client.get("/api/cooks/me/cover-requests", headers=auth_headers(stranger, settings))
    assert offered.json()["items"] == []  # nor can take the meal (and learn the address)
    meal = session.exec(select(Meal).where(Meal.status == "needs_cover")).one()
    taken = client.post(f"/api/meals/{meal.id}/cover", headers=auth_headers(stranger, settings))
    assert taken.status_code == 404, taken.text
    told = session.exec(
        select(Notification).where(
            Notification.event == "cover_missing",
            col(Notification.to_user_id).in_([coordinator.id, world.carer.id]),
        )
    ).all()
    assert [n.to_user_id for n in told] == [coordinator.id]
    assert "carer asked for their data and Edna's to be erased" in told[0].body
    assert "so we have not asked other cooks" in told[0].body


def test_a_held_diners_cook_away_asks_a_cook_they_have_met_and_only_them(
    client: TestClient, session: Session, settings: Settings, staff: User
):
    world = active_pairing(client, session, settings, staff)
    approved_cook(  # one the diner never met, as near
        client, session, settings, staff, postcode="N3 1QX", display_name="Stranger"
    )
    friend, friend_id = approved_cook(
        client, session, settings, staff, postcode="N3 1BU", display_name="Friend"
    )
    covered_before(session, world.pairing_id, friend_id)
    ask_for_erasure(client, world.carer)

    _away_on_the_next_meal(client, world)

    asked = select(Notification.to_user_id).where(Notification.event == "cover_request")
    assert session.exec(asked).all() == [friend.id]
    assert (
        session.exec(select(Notification).where(Notification.event == "cover_missing")).all() == []
    )
