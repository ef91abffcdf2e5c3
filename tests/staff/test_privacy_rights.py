from __future__ import annotations

from fastapi.testclient import TestClient
from sqlmodel import Session, select

from app.config import Settings
from app.councils.service import add_neighbourhood
from app.models import Council, Diner, Meal, Pairing, User
from tests.factories import DEFAULT_PASSWORD, approved_cook, auth_headers, registered_diner


def test_carer_downloads_own_and_relatives_data_when_exporting(
    client: TestClient, session: Session, settings: Settings, staff: User
):
    carer, diner_id = registered_diner(client, session, settings)
    data = client.get("/api/me/export", headers=auth_headers(carer, settings)).json()
    assert data["account"]["email"] == carer.email and "password_hash" not in data["account"]
    assert [d["id"] for d in data["diners"]] == [diner_id]


def test_erasing_diner_anonymises_but_keeps_history_when_staff_erases(
    client: TestClient, session: Session, settings: Settings, staff: User
):
    cook_user, cook_id = approved_cook(client, session, settings, staff)
    _carer, diner_id = registered_diner(client, session, settings)
    body = {
        "diner_id": diner_id,
        "cook_id": cook_id,
        "weekday": 1,
        "start": "17:30",
        "frequency": "weekly",
    }
    pairing_id = client.post(
        "/api/staff/pairings", json=body, headers=auth_headers(staff, settings)
    ).json()["id"]
    client.post(f"/api/pairings/{pairing_id}/accept", headers=auth_headers(cook_user, settings))
    response = client.post(
        f"/api/staff/diners/{diner_id}/erase", headers=auth_headers(staff, settings)
    )
    assert response.status_code == 200
    diner = session.get(Diner, diner_id)
    assert diner is not None and diner.full_name == "Erased" and diner.address_line == "Erased"
    assert diner.postcode == "N3" and diner.access_notes is None and diner.status == "left"
    pairing = session.get(Pairing, pairing_id)
    assert pairing is not None and pairing.status == "ended"  # history kept, anonymous
    assert session.exec(select(Meal).where(Meal.pairing_id == pairing_id)).first() is not None
    assert (
        client.post(
            f"/api/staff/diners/{diner_id}/erase", headers=auth_headers(staff, settings)
        ).status_code
        == 409
    )


def test_erased_cook_can_no_longer_sign_in_when_erased(
    client: TestClient, session: Session, settings: Settings, staff: User
):
    cook_user, cook_id = approved_cook(client, session, settings, staff)
    email = cook_user.email
    assert (
        client.post(
            f"/api/staff/cooks/{cook_id}/erase", headers=auth_headers(staff, settings)
        ).status_code
        == 200
    )
    token = client.post("/api/auth/token", data={"username": email, "password": DEFAULT_PASSWORD})
    assert token.status_code == 401
    profile = client.get(
        f"/api/staff/cooks/{cook_id}", headers=auth_headers(staff, settings)
    ).json()
    assert profile["display_name"] == "Erased" and profile["status"] == "left"


def test_coordinator_is_the_contact_when_cook_or_carer_asks(
    client: TestClient, session: Session, settings: Settings, staff: User, barnet: Council
):
    add_neighbourhood(session, council=barnet, name="Finchley", sectors=["N3 1"], coordinator=staff)
    cook_user, _ = approved_cook(client, session, settings, staff)
    carer, _ = registered_diner(client, session, settings)
    for person in (cook_user, carer):
        contacts = client.get("/api/me/coordinators", headers=auth_headers(person, settings)).json()
        assert contacts == [
            {
                "neighbourhood": "Finchley",
                "name": staff.full_name,
                "email": staff.email,
                "phone": None,
            }
        ]
