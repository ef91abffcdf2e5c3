from __future__ import annotations

import pytest
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


@pytest.fixture
def barnet(session: Session) -> Council:
    return create_council(session, slug="barnet", lad_codes=["E09000003"])


@pytest.fixture
def staff(session: Session, barnet: Council) -> User:
    return create_user(session, role="staff", council=barnet)


@pytest.fixture
def paired(client: TestClient, session: Session, settings: Settings, staff: User) -> dict:
    """A carer's relative (Edna) with an approved cook, paired and accepted."""
    cook_user, cook_id = approved_cook(client, session, settings, staff)
    carer, diner_id = registered_diner(client, session, settings)
    body = {"diner_id": diner_id, "cook_id": cook_id, "weekday": 1, "start": "17:30",
            "frequency": "weekly"}  # fmt: skip
    pairing = client.post("/api/staff/pairings", json=body, headers=auth_headers(staff, settings))
    assert pairing.status_code == 201, pairing.text
    accepted = client.post(
        f"/api/pairings/{pairing.json()['id']}/accept", headers=auth_headers(cook_user, settings)
    )
    assert accepted.status_code == 200, accepted.text
    return {"cook": cook_user, "carer": carer, "diner_id": diner_id, "staff": staff}
