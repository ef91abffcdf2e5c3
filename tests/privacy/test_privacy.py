"""Who can read what: a table of role × endpoint (PRODUCT.md "Non-negotiables")."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient
from sqlmodel import Session

from app.config import Settings
from app.models import Council
from tests.factories import auth_headers, cook_payload, create_council, create_user, diner_payload

PRIVATE = ("address_line", "access_notes", "phone", "latitude", "longitude")


@pytest.fixture
def world(
    client: TestClient, session: Session, settings: Settings, barnet: Council
) -> dict[str, object]:
    other_council = create_council(session, slug="elsewhere", lad_codes=["E09000030"])
    people = {
        "carer": create_user(session, role="carer"),
        "other_carer": create_user(session, role="carer"),
        "cook": create_user(session, role="cook"),
        "staff": create_user(session, role="staff", council=barnet),
        "other_staff": create_user(session, role="staff", council=other_council),
        "admin": create_user(session, role="admin"),
    }
    headers = {name: auth_headers(user, settings) for name, user in people.items()}
    diner = client.post("/api/diners", json=diner_payload(), headers=headers["carer"]).json()
    assert "id" in diner, diner
    client.put("/api/cooks/me", json=cook_payload(), headers=headers["cook"])
    return {"headers": headers, "diner_id": diner["id"]}


# (role, method, path, expected status) — {d} is the carer's diner.
TABLE = [
    ("carer", "GET", "/api/diners/{d}", 200),
    ("other_carer", "GET", "/api/diners/{d}", 404),
    ("cook", "GET", "/api/diners/{d}", 403),
    ("staff", "GET", "/api/diners/{d}", 403),
    ("admin", "GET", "/api/diners/{d}", 403),
    ("staff", "GET", "/api/staff/diners/{d}", 200),
    ("other_staff", "GET", "/api/staff/diners/{d}", 404),
    ("carer", "GET", "/api/staff/diners/{d}", 403),
    ("cook", "GET", "/api/staff/diners/{d}", 403),
    ("cook", "GET", "/api/staff/diners", 403),
    ("carer", "GET", "/api/staff/diners", 403),
    ("other_carer", "POST", "/api/diners/{d}/pause", 404),
    ("other_staff", "POST", "/api/diners/{d}/pause", 404),
    ("other_carer", "POST", "/api/diners/{d}/leave", 404),
    ("other_staff", "POST", "/api/diners/{d}/leave", 404),
    ("cook", "POST", "/api/diners/{d}/leave", 403),
    ("cook", "GET", "/api/cooks/me", 200),
    ("carer", "GET", "/api/cooks/me", 403),
]
BODIES = {"pause": {"from": "2031-01-01", "to": "2031-01-02"}, "leave": {"reason": "test"}}


@pytest.mark.parametrize(("role", "method", "path", "expected"), TABLE)
def test_role_gets_expected_status_when_calling_endpoint(
    client: TestClient, world: dict, role: str, method: str, path: str, expected: int
):
    url = path.format(d=world["diner_id"])
    body = next((b for key, b in BODIES.items() if url.endswith(key)), None)
    response = client.request(method, url, headers=world["headers"][role], json=body)
    assert response.status_code == expected, response.text


def test_other_councils_staff_list_never_includes_diner_when_listing(
    client: TestClient, world: dict
):
    listing = client.get("/api/staff/diners", headers=world["headers"]["other_staff"]).json()
    assert listing["total"] == 0


def test_lists_carry_no_coordinates_or_private_notes_when_listing(client: TestClient, world: dict):
    for role, url in (("carer", "/api/diners"), ("staff", "/api/staff/diners")):
        text = client.get(url, headers=world["headers"][role]).text
        assert all(
            f'"{field}"' not in text
            for field in ("latitude", "longitude", "access_notes", "address_line")
        )
