"""Other foods a diner must not have, beyond the 14 allergens ("kiwi fruit"): a newcomer's walk
found nowhere to say so but the access notes, which the cook reads only under "Getting in"."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient
from sqlmodel import Session, col, select

from app.config import Settings
from app.models import AuditEntry, Council, Diner, Notification, Pairing, User
from tests.factories import (
    PairingWorld,
    active_pairing,
    approved_cook,
    auth_headers,
    create_user,
    diner_payload,
    proposed_pairing,
)

KIWI = "Kiwi fruit\nStrawberries."


def _body(session: Session, *, to: int | None, event: str) -> str:
    return session.exec(
        select(Notification.body).where(Notification.event == event, Notification.to_user_id == to)
    ).one()


def test_a_carer_registers_other_foods_and_reads_them_back(
    client: TestClient, session: Session, settings: Settings, barnet: Council
):
    headers = auth_headers(create_user(session, role="carer"), settings)
    made = client.post(
        "/api/diners", json=diner_payload(other_allergies=" Kiwi fruit\r\nStrawberries. "),
        headers=headers,
    )  # fmt: skip
    assert made.status_code == 201, made.text
    assert made.json()["other_allergies"] == KIWI  # trimmed, \r\n as \n
    read = client.get(f"/api/diners/{made.json()['id']}", headers=headers).json()
    assert read["other_allergies"] == KIWI
    # Left out or blank: none (never an empty "also avoid" on the cook's pages).
    blank = client.post("/api/diners", json=diner_payload(other_allergies="  "), headers=headers)
    assert blank.json()["other_allergies"] is None
    left_out = client.post("/api/diners", json=diner_payload(), headers=headers)
    assert left_out.json()["other_allergies"] is None


@pytest.mark.parametrize(
    ("value", "why"),
    [
        ("kiwi\u200bfruit", "no other control or format characters (found U+200B)"),
        ("kiwi\u2028fruit", "no other control or format characters (found U+2028)"),
        ("x" * 301, "at most 300 characters"),
        (["kiwi"], "valid string"),
    ],
)
def test_other_foods_with_hidden_characters_or_too_long_get_422_naming_the_field(
    client: TestClient, session: Session, settings: Settings, barnet: Council, value, why
):
    headers = auth_headers(create_user(session, role="carer"), settings)
    response = client.post(
        "/api/diners", json=diner_payload(other_allergies=value), headers=headers
    )
    assert response.status_code == 422, response.text
    [problem] = response.json()["detail"]
    assert problem["loc"][-1] == "other_allergies" and why in problem["msg"], problem
    assert session.exec(select(Diner)).first() is None


def test_the_invited_cook_reads_the_other_foods_in_the_invitation_and_the_api(
    client: TestClient, session: Session, settings: Settings, staff: User
):
    cook, cook_id = approved_cook(client, session, settings, staff)
    carer = create_user(session, role="carer")
    diner = client.post(
        "/api/diners", json=diner_payload(other_allergies=KIWI),
        headers=auth_headers(carer, settings),
    ).json()  # fmt: skip
    body = {"diner_id": diner["id"], "cook_id": cook_id, "weekday": 1, "start": "17:30",
            "frequency": "weekly"}  # fmt: skip
    proposed = client.post("/api/staff/pairings", json=body, headers=auth_headers(staff, settings))
    assert proposed.status_code == 201, proposed.text
    invitation = _body(session, to=cook.id, event="proposal")
    # In a paragraph of its own, and not passed off as checked by the matching.
    assert "Edna must also not have: Kiwi fruit, Strawberries. We have not checked" in invitation
    pairings = client.get("/api/cooks/me/pairings", headers=auth_headers(cook, settings)).json()
    [item] = pairings["items"]
    assert item["diner"]["other_allergies"] == KIWI
    assert item["diner"]["allergies"] == ["peanuts"]  # every field as before


@pytest.fixture
def active(client: TestClient, session: Session, settings: Settings, staff: User) -> PairingWorld:
    council = session.get(Council, staff.council_id)
    assert council is not None
    coordinator = create_user(session, role="staff", council=council)
    return active_pairing(client, session, settings, staff, coordinator=coordinator)


def test_the_label_says_the_meal_is_made_free_from_the_other_foods_too(
    client: TestClient, active: PairingWorld
):
    changed = client.patch(
        f"/api/diners/{active.diner_id}", json={"other_allergies": "Kiwi fruit & <b>lime</b>"},
        headers=active.carer_headers,
    )  # fmt: skip
    assert changed.status_code == 200, changed.text
    meal = client.get("/api/cooks/me/meals", headers=active.cook_headers).json()["items"][0]
    assert meal["other_allergies"] == "Kiwi fruit & <b>lime</b>"  # beside the 14 in the list
    label = client.get(f"/api/meals/{meal['id']}/label", headers=active.cook_headers).text
    assert (
        '<p class="avoid">Made free from: peanuts, Kiwi fruit &amp; &lt;b&gt;lime&lt;/b&gt;</p>'
        in label
    )


def test_a_change_while_paired_tells_the_cook_and_coordinator_without_pausing(
    client: TestClient, session: Session, active: PairingWorld
):
    response = client.patch(
        f"/api/diners/{active.diner_id}", json={"other_allergies": "Kiwi fruit"},
        headers=active.carer_headers,
    )  # fmt: skip
    assert response.status_code == 200, response.text
    assert response.json()["other_allergies"] == "Kiwi fruit"
    # Matching cannot judge free text: the meals go on, and the cook is told what to leave out.
    pairing = session.get(Pairing, active.pairing_id)
    assert pairing is not None and pairing.status == "active"
    to_cook = _body(session, to=active.cook.id, event="diner_changed")
    assert "Edna's other foods to avoid changed" in to_cook
    assert "with none of these other foods: Kiwi fruit." in to_cook
    assert active.coordinator is not None
    assert "other foods to avoid" in _body(session, to=active.coordinator.id, event="diner_changed")
    # Audited by field name, never by value; null clears it.
    entry = session.exec(select(AuditEntry).where(AuditEntry.action == "diner.changed")).one()
    assert entry.data == {"fields": ["other_allergies"]} and "Kiwi" not in str(entry.data)
    cleared = client.patch(
        f"/api/diners/{active.diner_id}", json={"other_allergies": None},
        headers=active.carer_headers,
    )  # fmt: skip
    assert cleared.json()["other_allergies"] is None


def test_erasure_removes_the_other_foods_and_the_export_holds_them(
    client: TestClient, session: Session, settings: Settings, staff: User, barnet: Council
):
    carer = create_user(session, role="carer")
    headers = auth_headers(carer, settings)
    made = client.post("/api/diners", json=diner_payload(other_allergies=KIWI), headers=headers)
    exported = client.get("/api/me/export", headers=headers)
    assert exported.status_code == 200, exported.text
    assert KIWI in [d.get("other_allergies") for d in exported.json()["diners"]]
    erased = client.post(
        f"/api/staff/diners/{made.json()['id']}/erase", json={"confirm": True},
        headers=auth_headers(staff, settings),
    )  # fmt: skip
    assert erased.status_code == 200, erased.text
    stored = session.exec(select(Diner).where(col(Diner.id) == made.json()["id"])).one()
    session.refresh(stored)
    assert stored.other_allergies is None


def test_an_invited_cook_is_told_when_the_other_foods_change_before_they_answer(
    client: TestClient, session: Session, settings: Settings, staff: User
):
    world = proposed_pairing(client, session, settings, staff)
    response = client.patch(
        f"/api/diners/{world.diner_id}", json={"other_allergies": "Kiwi fruit"},
        headers=world.carer_headers,
    )  # fmt: skip
    assert response.status_code == 200, response.text
    pairing = session.get(Pairing, world.pairing_id)
    assert pairing is not None and pairing.status == "proposed"  # theirs to decide
    told = _body(session, to=world.cook.id, event="diner_changed")
    assert "Edna must not have: Kiwi fruit. We have not checked this" in told
    assert "read the invitation on your page again before you answer" in told
