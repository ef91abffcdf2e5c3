from __future__ import annotations

from fastapi.testclient import TestClient
from sqlmodel import Session

from app.config import Settings
from app.models import Council, User
from tests.factories import (
    approved_cook,
    auth_headers,
    create_council,
    create_user,
    registered_diner,
)


def test_map_shows_approved_cooks_and_waiting_diners_rounded_when_staff_asks(
    client: TestClient, session: Session, settings: Settings, staff: User, barnet: Council
):
    approved_cook(client, session, settings, staff)
    registered_diner(client, session, settings)
    body = client.get("/api/staff/reports/map", headers=auth_headers(staff, settings)).json()
    [cook], [diner] = body["cooks"], body["waiting_diners"]
    assert (cook["latitude"], cook["longitude"]) == (51.604, -0.196)  # N3 1HT, 3 decimals
    assert (diner["latitude"], diner["longitude"]) == (51.604, -0.193)  # N3 1QX
    other = create_user(
        session, role="staff", council=create_council(session, lad_codes=["E09000030"])
    )
    assert client.get("/api/staff/reports/map", headers=auth_headers(other, settings)).json() == {
        "cooks": [],
        "waiting_diners": [],
    }
