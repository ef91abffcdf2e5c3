"""PATCH /api/diners/{id}: a carer (or staff) changes a diner's needs or address; safety first."""

from __future__ import annotations

from datetime import date

import pytest
from fastapi.testclient import TestClient
from sqlmodel import Session, col, select

from app.config import Settings
from app.models import AuditEntry, Concern, Cook, Council, Diner, Meal, Notification, Pairing, User
from app.notifications.messages import day_month
from tests.factories import (
    DEFAULT_PASSWORD,
    PairingWorld,
    active_pairing,
    auth_headers,
    cook_payload,
    covering_helper,
    create_user,
    proposed_pairing,
    registered_diner,
)
from tests.pages.helpers import form_token


@pytest.fixture
def active(client: TestClient, session: Session, settings: Settings, staff: User) -> PairingWorld:
    """`active_pairing` in a Finchley neighbourhood (N3 1) with a coordinator of its own."""
    council = session.get(Council, staff.council_id)
    assert council is not None
    coordinator = create_user(session, role="staff", council=council)
    return active_pairing(client, session, settings, staff, coordinator=coordinator)


def future_meals(session: Session, pairing_id: int) -> list[Meal]:
    return list(
        session.exec(
            select(Meal).where(Meal.pairing_id == pairing_id, col(Meal.date) >= date.today())
        )
    )


def told(session: Session, event: str) -> set[int]:
    return set(
        session.exec(select(Notification.to_user_id).where(Notification.event == event)).all()
    )


def test_pairing_pauses_meals_cancel_and_cook_and_coordinator_told_when_allergen_cook_cannot_avoid(
    client: TestClient, session: Session, active: PairingWorld
):
    assert future_meals(session, active.pairing_id)  # meals were scheduled on acceptance
    response = client.patch(
        f"/api/diners/{active.diner_id}",
        json={"allergies": ["peanuts", "milk"]},
        headers=active.carer_headers,
    )
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["allergies"] == ["peanuts", "milk"] and body["pairing"]["status"] == "paused"
    assert body["pairing"]["pause_reason"] == "needs_changed"
    stored = session.get(Pairing, active.pairing_id)
    assert stored is not None
    assert (stored.status, stored.pause_reason) == ("paused", "needs_changed")
    meals = future_meals(session, active.pairing_id)
    assert {(m.status, m.cancel_reason) for m in meals} == {("cancelled", "needs_changed")}
    assert told(session, "pairing_needs_changed") == {active.cook.id, active.coordinator.id}


def test_pairing_pauses_when_new_address_is_beyond_cooks_walk(
    client: TestClient, session: Session, active: PairingWorld
):
    response = client.patch(
        f"/api/diners/{active.diner_id}",
        json={"address_line": "1 Far Lane", "postcode": "en51aa"},  # Barnet, 4.6 km from Priya
        headers=active.carer_headers,
    )
    assert response.status_code == 200, response.text
    assert response.json()["postcode"] == "EN5 1AA" and response.json()["address_line"] == (
        "1 Far Lane"
    )
    stored = session.get(Pairing, active.pairing_id)
    assert stored is not None and (stored.status, stored.pause_reason) == (
        "paused",
        "needs_changed",
    )
    assert {m.status for m in future_meals(session, active.pairing_id)} == {"cancelled"}
    # The cook is told why in words that fit: it was "Edna's needs have changed".
    to_cook = session.exec(
        select(Notification).where(
            Notification.event == "pairing_needs_changed",
            Notification.to_user_id == active.cook.id,
        )
    ).one()
    assert to_cook.body.startswith("Edna has moved, and now lives further away than you walk")
    # The coordinator reads of a move, not of needs (an outside check: "it no longer meets
    # Edna's needs safely (living within walking distance)").
    to_staff = session.exec(
        select(Notification).where(
            Notification.event == "pairing_needs_changed",
            Notification.to_user_id == active.coordinator.id,
        )
    ).one()
    assert to_staff.subject == "Pairing paused: Edna has moved"
    assert "they now live further from Priya than Priya walks" in to_staff.body


def test_a_cook_whose_meals_resume_after_a_move_back_within_reach_is_told_to_look_at_it(
    client: TestClient, session: Session, active: PairingWorld
):
    """An outside check: the diner moved out of reach (paused), then to a new home within it;
    the cook heard only "needs changed again... back on", not that the address was new."""
    url, headers = f"/api/diners/{active.diner_id}", active.carer_headers
    far = client.patch(url, json={"postcode": "en51aa"}, headers=headers)
    assert far.json()["pairing"]["status"] == "paused", far.text

    near = client.patch(
        url, json={"address_line": "4 Near Road", "postcode": "N3 2AA"}, headers=headers
    )

    assert near.json()["pairing"]["status"] == "active", near.text
    resumed = session.exec(
        select(Notification).where(
            Notification.event == "pairing_resumed", Notification.to_user_id == active.cook.id
        )
    ).one()
    assert resumed.body.startswith("Edna's address and postcode changed, and you can cook")
    assert "Please look at Edna's address and postcode on your page, My cooking" in resumed.body


def test_pairing_stays_active_and_cook_is_told_when_cook_can_meet_the_change(
    client: TestClient, session: Session, active: PairingWorld
):
    response = client.patch(
        f"/api/diners/{active.diner_id}",
        json={
            "allergies": ["peanuts", "tree_nuts"],
            "texture": "regular",
            "postcode": "N3 2AA",  # 1.1 km from Priya: still within her walk
            "access_notes": None,
        },
        headers=active.carer_headers,
    )
    assert response.status_code == 200, response.text
    assert response.json()["texture"] == "regular" and response.json()["access_notes"] is None
    stored = session.get(Pairing, active.pairing_id)
    assert stored is not None and stored.status == "active" and stored.pause_reason is None
    assert "scheduled" in {m.status for m in future_meals(session, active.pairing_id)}
    assert told(session, "pairing_needs_changed") == set()
    assert told(session, "diner_changed") == {active.cook.id, active.coordinator.id}
    # What the meals must now be, to the cook (an outside check: only "please look at her
    # allergies", not which one was added).
    to_cook = session.exec(
        select(Notification.body).where(
            Notification.event == "diner_changed", Notification.to_user_id == active.cook.id
        )
    ).one()
    assert "The meals must now be: Vegetarian; free from peanuts and tree nuts (" in to_cook
    # The cook's walk is to the new door (a review saw the old 300 m after a 3 km move).
    pairings = client.get("/api/cooks/me/pairings", headers=active.cook_headers).json()
    assert [p["diner"]["distance_m"] for p in pairings["items"]] == [1100]


def test_coordinator_is_told_and_pairing_stays_active_when_only_times_change(
    client: TestClient, session: Session, active: PairingWorld
):
    response = client.patch(
        f"/api/diners/{active.diner_id}",
        json={
            "availability": [
                {"weekday": 1, "start": "17:00", "end": "19:30"},
                {"weekday": 3, "start": "12:00", "end": "14:00"},
            ],
            "frequency": "fortnightly",
        },
        headers=active.carer_headers,
    )
    assert response.status_code == 200, response.text
    assert response.json()["frequency"] == "fortnightly"
    stored = session.get(Pairing, active.pairing_id)
    assert stored is not None and stored.status == "active"
    assert "scheduled" in {m.status for m in future_meals(session, active.pairing_id)}
    assert told(session, "diner_changed") == {active.coordinator.id}
    # The coordinator is asked to agree the new frequency the pairing does not keep (an outside
    # check: "changed their how often they would like a meal" asked for nothing).
    message = session.exec(
        select(Notification).where(Notification.to_user_id == active.coordinator.id)
    ).one()
    assert message.subject == "Edna's meal times and meal frequency changed"
    assert (
        "Edna would now like a meal every other week; Priya brings one every week. Nothing "
        "changes until you agree it with Priya and the carer, then move the meals on their "
        "record."
    ) in message.body
    token = form_token(client, "/sign-in")
    signed = client.post(
        "/sign-in",
        data={"email": active.coordinator.email, "password": DEFAULT_PASSWORD, "csrf_token": token},
        follow_redirects=False,
    )
    assert signed.status_code == 303
    page = client.get(f"/staff/diners/{active.diner_id}").text
    assert (
        "They would now like a meal every other week: agree it with Sam Example and the carer"
        in page
    )


def test_a_cook_who_chose_texts_is_told_of_new_needs_by_text(
    client: TestClient, session: Session, active: PairingWorld
):
    """An outside check: "Mabel's allergies changed. The meals must now be ..." reached a cook
    who chose texts by email only."""
    cook = session.get(User, active.cook.id)
    assert cook is not None
    cook.phone, cook.contact_preference = "+447911123456", "sms"
    session.add(cook)
    session.commit()
    response = client.patch(
        f"/api/diners/{active.diner_id}",
        json={"allergies": ["peanuts", "tree_nuts"]},  # Priya keeps both out: the pairing stays
        headers=active.carer_headers,
    )
    assert response.status_code == 200, response.text
    [to_cook] = session.exec(
        select(Notification).where(
            Notification.to_user_id == active.cook.id, Notification.event == "diner_changed"
        )
    ).all()
    assert to_cook.channel == "sms"


def test_cook_is_told_too_but_pairing_stays_active_when_new_times_miss_the_pairing_slot(
    client: TestClient, session: Session, active: PairingWorld
):
    response = client.patch(
        f"/api/diners/{active.diner_id}",
        json={"availability": [{"weekday": 3, "start": "12:00", "end": "14:00"}]},
        headers=active.carer_headers,
    )
    assert response.status_code == 200, response.text
    stored = session.get(Pairing, active.pairing_id)
    assert stored is not None and stored.status == "active"
    assert told(session, "diner_changed") == {active.cook.id, active.coordinator.id}
    message = session.exec(
        select(Notification).where(Notification.to_user_id == active.coordinator.id)
    ).one()
    assert "no longer among the times" in message.body
    # The cook learns that the next meal still stands until a new time is agreed (an outside
    # check: nobody said whether it would come).
    first = min(m.date for m in future_meals(session, active.pairing_id))
    to_cook = session.exec(
        select(Notification).where(
            Notification.to_user_id == active.cook.id, Notification.event == "diner_changed"
        )
    ).one()
    assert f"Until then, the meal on {day_month(first)} goes ahead as planned." in to_cook.body


def test_council_staff_are_told_when_neighbourhood_has_no_coordinator(
    client: TestClient, session: Session, settings: Settings, staff: User
):
    world = active_pairing(client, session, settings, staff)
    client.patch(
        f"/api/diners/{world.diner_id}",
        json={"diets": ["vegan"]},
        headers=world.carer_headers,
    )
    assert told(session, "pairing_needs_changed") == {world.cook.id, staff.id}


def test_proposal_is_withdrawn_and_invited_cook_told_when_needs_change_beyond_the_cook(
    client: TestClient, session: Session, settings: Settings, staff: User
):
    world = proposed_pairing(client, session, settings, staff)
    response = client.patch(
        f"/api/diners/{world.diner_id}",
        json={"texture": "pureed"},
        headers=world.carer_headers,
    )
    assert response.status_code == 200, response.text
    assert response.json()["pairing"] is None and response.json()["status"] == "waiting"
    stored = session.get(Pairing, world.pairing_id)
    assert stored is not None
    assert (stored.status, stored.end_reason) == ("withdrawn", "needs_changed")
    assert world.cook.id in told(session, "pairing_needs_changed")


def test_change_is_audited_with_field_names_only_when_saved(
    client: TestClient, session: Session, active: PairingWorld
):
    client.patch(
        f"/api/diners/{active.diner_id}",
        json={"allergies": ["peanuts", "milk"], "texture": "soft_bite_sized"},  # texture as is
        headers=active.carer_headers,
    )
    entries = {
        e.action: e
        for e in session.exec(
            select(AuditEntry).where(
                col(AuditEntry.action).in_(("diner.changed", "pairing.paused"))
            )
        )
    }
    assert entries["diner.changed"].data == {"fields": ["allergies"]}
    assert entries["diner.changed"].actor_id == active.carer.id
    assert entries["pairing.paused"].subject_id == active.pairing_id
    assert "milk" not in str([e.data for e in entries.values()])


def test_nothing_changes_when_body_is_empty_or_repeats_current_values(
    client: TestClient, session: Session, active: PairingWorld
):
    url = f"/api/diners/{active.diner_id}"
    assert client.patch(url, json={}, headers=active.carer_headers).status_code == 200
    same = client.patch(
        url, json={"allergies": ["peanuts"], "postcode": "n3 1qx"}, headers=active.carer_headers
    )
    assert same.status_code == 200, same.text
    actions = session.exec(select(AuditEntry.action)).all()
    assert "diner.changed" not in actions
    assert told(session, "diner_changed") == set()


def test_other_carer_gets_404_when_changing_someone_elses_diner(
    client: TestClient, session: Session, settings: Settings, active: PairingWorld
):
    stranger = create_user(session, role="carer")
    response = client.patch(
        f"/api/diners/{active.diner_id}",
        json={"allergies": []},
        headers=auth_headers(stranger, settings),
    )
    assert response.status_code == 404
    diner = session.get(Diner, active.diner_id)
    assert diner is not None and diner.allergies == ["peanuts"]


def test_staff_of_another_council_gets_404_and_own_council_staff_get_staff_view(
    client: TestClient,
    session: Session,
    settings: Settings,
    active: PairingWorld,
    tower_hamlets: Council,
    staff: User,
):
    url = f"/api/diners/{active.diner_id}"
    elsewhere = create_user(session, role="staff", council=tower_hamlets)
    refused = client.patch(
        url, json={"texture": "pureed"}, headers=auth_headers(elsewhere, settings)
    )
    assert refused.status_code == 404
    diner = session.get(Diner, active.diner_id)
    assert diner is not None and diner.texture == "soft_bite_sized"
    own = client.patch(
        url, json={"access_notes": "Ring twice"}, headers=auth_headers(staff, settings)
    )
    assert own.status_code == 200, own.text
    assert own.json()["access_notes"] == "Ring twice" and own.json()["pairing"]["cook"]["id"]
    viewed = session.exec(
        select(AuditEntry.subject_id).where(
            AuditEntry.action == "diner.address_viewed", AuditEntry.actor_id == staff.id
        )
    ).all()
    assert viewed == [active.diner_id]


@pytest.mark.parametrize(
    ("postcode", "rule"),
    [
        ("12345", "invalid_postcode"),
        ("EH1 1YZ", "outside_service_area"),
        ("E1 6AA", "outside_council_area"),  # Tower Hamlets: ask the coordinator
    ],
)
def test_bad_postcode_gets_422_naming_postcode_and_saves_nothing(
    client: TestClient,
    session: Session,
    active: PairingWorld,
    tower_hamlets: Council,
    postcode: str,
    rule: str,
):
    response = client.patch(
        f"/api/diners/{active.diner_id}",
        json={"allergies": ["peanuts", "milk"], "postcode": postcode},
        headers=active.carer_headers,
    )
    assert response.status_code == 422, response.text
    [error] = response.json()["detail"]
    assert error["loc"] == ["body", "postcode"] and error["type"] == rule
    diner = session.get(Diner, active.diner_id)
    assert diner is not None and (diner.allergies, diner.postcode) == (["peanuts"], "N3 1QX")
    stored = session.get(Pairing, active.pairing_id)
    assert stored is not None and stored.status == "active"
    assert "diner.changed" not in session.exec(select(AuditEntry.action)).all()
    assert told(session, "pairing_needs_changed") == set()


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("allergies", ["shellfish"]),
        ("allergies", ["milk", "milk"]),
        ("diets", None),
        ("texture", "liquidised"),
        ("frequency", "daily"),
        ("availability", [{"weekday": 2, "start": "18:00", "end": "17:00"}]),
        ("availability", []),
        ("access_notes", "x" * 501),
        ("address_line", ""),
        ("full_name", "Someone Else"),  # not changeable here: unknown fields are refused
    ],
)
def test_bad_field_gets_422_naming_it_and_saves_nothing(
    client: TestClient, session: Session, active: PairingWorld, field: str, value: object
):
    response = client.patch(
        f"/api/diners/{active.diner_id}",
        json={"texture": "regular", field: value},
        headers=active.carer_headers,
    )
    assert response.status_code == 422, response.text
    assert any(field in e["loc"] for e in response.json()["detail"])
    diner = session.get(Diner, active.diner_id)
    assert diner is not None and diner.texture == "soft_bite_sized"


def test_change_gets_409_when_diner_has_left(
    client: TestClient, session: Session, settings: Settings, barnet: Council
):
    carer, diner_id = registered_diner(client, session, settings)
    headers = auth_headers(carer, settings)
    client.post(f"/api/diners/{diner_id}/leave", json={"reason": "moved away"}, headers=headers)
    response = client.patch(f"/api/diners/{diner_id}", json={"diets": []}, headers=headers)
    assert response.status_code == 409


def test_concern_pause_becomes_needs_changed_when_needs_change_beyond_the_cook(
    client: TestClient, session: Session, settings: Settings, active: PairingWorld
):
    raised = client.post(
        "/api/concerns",
        json={
            "diner_id": active.diner_id,
            "kind": "welfare",
            "serious": True,
            "description": "She seemed unwell today",
        },
        headers=active.carer_headers,
    )
    assert raised.status_code == 201, raised.text
    client.patch(
        f"/api/diners/{active.diner_id}",
        json={"allergies": ["peanuts", "milk"]},
        headers=active.carer_headers,
    )
    stored = session.get(Pairing, active.pairing_id)
    assert stored is not None and (stored.status, stored.pause_reason) == (
        "paused",
        "needs_changed",
    )
    # Resolving the concern must not bring these meals back: they are the needs' to keep.
    assert {m.cancel_reason for m in future_meals(session, active.pairing_id)} == {"needs_changed"}


def test_cover_cook_gives_meal_back_when_they_cannot_meet_the_new_needs(
    client: TestClient, session: Session, settings: Settings, staff: User, active: PairingWorld
):
    helper, meal = covering_helper(client, session, settings, staff, pairing_id=active.pairing_id)
    response = client.patch(
        f"/api/diners/{active.diner_id}",
        json={"allergies": ["peanuts", "tree_nuts"]},  # Priya can; the helper cannot
        headers=active.carer_headers,
    )
    assert response.status_code == 200, response.text
    session.refresh(meal)
    assert (meal.status, meal.cook_id) == ("needs_cover", None)
    stored = session.get(Pairing, active.pairing_id)
    assert stored is not None and stored.status == "active"
    assert told(session, "cover_cancelled") == {helper.id}


def test_cover_cook_who_can_still_cook_safely_is_told_what_the_meal_must_be_now(
    client: TestClient, session: Session, settings: Settings, staff: User, active: PairingWorld
):
    """An outside check: a new need reached the regular cook and not the cook bringing the
    next meal, who cooks from the cover request's old words."""
    helper, meal = covering_helper(client, session, settings, staff, pairing_id=active.pairing_id)
    response = client.patch(
        f"/api/diners/{active.diner_id}",
        json={"texture": "regular", "access_notes": "Key safe at the back door"},
        headers=active.carer_headers,
    )
    assert response.status_code == 200, response.text
    session.refresh(meal)
    assert (meal.status, meal.cook_id) == ("scheduled", helper_id_of(session, helper))
    [to_helper] = session.exec(
        select(Notification).where(
            Notification.to_user_id == helper.id, Notification.event == "diner_changed"
        )
    ).all()
    assert "before the meal you are covering" in to_helper.subject
    assert "must now be: Vegetarian; free from peanuts." in to_helper.body
    # A change of times alone is the pairing's, not the cover meal's: not told.
    client.patch(
        f"/api/diners/{active.diner_id}", json={"frequency": "fortnightly"},
        headers=active.carer_headers,
    )  # fmt: skip
    assert len(told_all(session, helper.id, "diner_changed")) == 1


def helper_id_of(session: Session, helper: User) -> int | None:
    return session.exec(select(Cook.id).where(Cook.user_id == helper.id)).one()


def told_all(session: Session, user_id: int | None, event: str) -> list[Notification]:
    return list(
        session.exec(
            select(Notification).where(
                Notification.to_user_id == user_id, Notification.event == event
            )
        )
    )


def test_a_cover_cook_is_told_when_the_meal_they_cover_is_back_on(
    client: TestClient, session: Session, settings: Settings, staff: User, active: PairingWorld
):
    """Told their meal was cancelled when the pairing paused for safety, the cover cook heard
    nothing when it was put right and their meal was planned again."""
    helper, meal = covering_helper(client, session, settings, staff, pairing_id=active.pairing_id)
    covering = meal.cook_id
    headers = active.cook_headers  # Priya drops peanuts: paused; the helper still cooks safely
    dropped = client.put("/api/cooks/me", json=cook_payload(allergen_free=[]), headers=headers)
    assert dropped.status_code == 200, dropped.text
    session.refresh(meal)
    assert meal.status == "cancelled"

    back = client.put("/api/cooks/me", json=cook_payload(), headers=headers)

    assert back.status_code == 200, back.text
    session.refresh(meal)
    assert (meal.status, meal.cook_id) == ("scheduled", covering)
    assert told(session, "meal_back_on") == {helper.id}


def test_a_cover_cook_suspended_meanwhile_is_not_given_the_meal_back(
    client: TestClient, session: Session, settings: Settings, staff: User, active: PairingWorld
):
    """A cover cook suspended while the pairing was paused was told "please bring it as
    planned" when the pause ended (a review found it): the meal goes to cover instead."""
    helper, meal = covering_helper(client, session, settings, staff, pairing_id=active.pairing_id)
    covering = meal.cook_id
    headers = active.cook_headers
    dropped = client.put("/api/cooks/me", json=cook_payload(allergen_free=[]), headers=headers)
    assert dropped.status_code == 200, dropped.text
    suspended = client.post(
        f"/api/staff/cooks/{covering}/suspend",
        json={"reason": "Under review"},
        headers=auth_headers(staff, settings),
    )
    assert suspended.status_code == 200, suspended.text

    back = client.put("/api/cooks/me", json=cook_payload(), headers=headers)

    assert back.status_code == 200, back.text
    session.refresh(meal)
    assert (meal.status, meal.cook_id) == ("needs_cover", None)
    assert helper.id not in told(session, "meal_back_on")


def test_resolving_an_unrelated_concern_keeps_the_pause_when_needs_changed(
    client: TestClient, session: Session, settings: Settings, staff: User, active: PairingWorld
):
    paused = client.patch(
        f"/api/diners/{active.diner_id}",
        json={"allergies": ["peanuts", "milk"]},
        headers=active.carer_headers,
    )
    assert paused.status_code == 200, paused.text
    raised = client.post(
        "/api/concerns",
        json={
            "diner_id": active.diner_id,
            "kind": "welfare",
            "serious": False,
            "description": "The door was hard to open",
        },
        headers=active.carer_headers,
    )
    assert raised.status_code == 201, raised.text
    headers = auth_headers(staff, settings)
    for status in ("investigating", "resolved"):
        resolved = client.post(
            f"/api/staff/concerns/{raised.json()['id']}/triage",
            json={"status": status, "note": "Door fixed"},
            headers=headers,
        )
    assert resolved.status_code == 200, resolved.text
    stored = session.get(Pairing, active.pairing_id)
    assert stored is not None and (stored.status, stored.pause_reason) == (
        "paused",
        "needs_changed",
    )
    assert {m.status for m in future_meals(session, active.pairing_id)} == {"cancelled"}


def test_needs_changed_back_within_the_cooks_offer_bring_the_meals_back(
    client: TestClient, session: Session, active: PairingWorld
):
    """Before, a pause for changed needs had no way back: a carer's mistaken allergy, put
    right a minute later, left the pairing paused for good."""
    planned = {m.date for m in future_meals(session, active.pairing_id)}
    path, headers = f"/api/diners/{active.diner_id}", active.carer_headers
    assert client.patch(path, json={"allergies": ["milk"]}, headers=headers).status_code == 200
    stored = session.get(Pairing, active.pairing_id)
    assert stored is not None
    session.refresh(stored)
    assert stored.status == "paused"
    back = client.patch(path, json={"allergies": ["peanuts"]}, headers=headers)
    assert back.status_code == 200, back.text
    assert back.json()["pairing"]["status"] == "active"
    session.refresh(stored)
    assert (stored.status, stored.pause_reason) == ("active", None)
    meals = future_meals(session, active.pairing_id)
    assert {m.date for m in meals if m.status == "scheduled"} == planned
    assert told(session, "pairing_resumed") == {active.cook.id, active.coordinator.id}


def test_needs_the_cooks_new_offer_meets_end_a_pause_the_cooks_change_made(
    client: TestClient, session: Session, active: PairingWorld
):
    """Priya stops cooking peanut-free (paused); Edna's carer finds the allergy was sesame and
    puts that right, which Priya still avoids. The page said "Priya can still cook safely for
    Edna" while the pairing stayed paused until Priya happened to save her profile again."""
    dropped = client.put(
        "/api/cooks/me",
        json=cook_payload(allergen_free=["tree_nuts", "sesame"]),
        headers=active.cook_headers,
    )
    assert dropped.status_code == 200, dropped.text
    stored = session.get(Pairing, active.pairing_id)
    assert stored is not None
    session.refresh(stored)
    assert stored.pause_reason == "cook_changed"

    put_right = client.patch(
        f"/api/diners/{active.diner_id}",
        json={"allergies": ["sesame"]},
        headers=active.carer_headers,
    )

    assert put_right.status_code == 200, put_right.text
    session.refresh(stored)
    assert (stored.status, stored.pause_reason) == ("active", None)
    assert any(m.status == "scheduled" for m in future_meals(session, active.pairing_id))
    assert told(session, "pairing_resumed") == {active.cook.id, active.coordinator.id}


def test_needs_changed_back_leave_the_pause_while_a_serious_concern_is_open(
    client: TestClient, session: Session, active: PairingWorld
):
    """A change back lifts only the pause for the needs, never a concern's."""
    path, headers = f"/api/diners/{active.diner_id}", active.carer_headers
    assert client.patch(path, json={"allergies": ["milk"]}, headers=headers).status_code == 200
    stored = session.get(Pairing, active.pairing_id)
    assert stored is not None
    session.add(
        Concern(
            council_id=stored.council_id,
            diner_id=active.diner_id,
            pairing_id=stored.id,
            raised_by_id=active.carer.id,
            kind="safeguarding",
            serious=True,
            description="Worried about the last visit",
        )
    )
    session.commit()
    back = client.patch(path, json={"allergies": ["peanuts"]}, headers=headers)
    assert back.status_code == 200, back.text
    session.refresh(stored)
    assert (stored.status, stored.pause_reason) == ("paused", "needs_changed")
    assert told(session, "pairing_resumed") == set()


def test_a_cover_cook_who_cannot_meet_needs_changed_while_paused_is_not_given_the_meal_back(
    client: TestClient, session: Session, settings: Settings, staff: User, active: PairingWorld
):
    """An outside check: the pairing paused for a new allergy, the carer put it right with
    another (tree nuts), the regular cook could avoid it and the meals came back, and the
    cover cook, who cannot, was told "please bring it as planned"."""
    helper, meal = covering_helper(client, session, settings, staff, pairing_id=active.pairing_id)
    url, headers = f"/api/diners/{active.diner_id}", active.carer_headers
    paused = client.patch(url, json={"allergies": ["peanuts", "milk"]}, headers=headers)
    assert paused.json()["pairing"]["status"] == "paused", paused.text

    back = client.patch(url, json={"allergies": ["peanuts", "tree_nuts"]}, headers=headers)

    assert back.json()["pairing"]["status"] == "active", back.text  # Priya avoids tree nuts
    session.refresh(meal)
    assert (meal.status, meal.cook_id) == ("needs_cover", None)  # the helper does not
    assert helper.id not in told(session, "meal_back_on")
