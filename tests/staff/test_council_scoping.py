"""Every staff route, walked with another council's staff: nothing of council A is reachable."""

from __future__ import annotations

import re

from fastapi.testclient import TestClient
from sqlmodel import Session

from app.config import Settings
from app.main import app
from app.models import Council, User
from tests.factories import (
    approve_payload,
    approved_cook,
    auth_headers,
    create_council,
    create_user,
    diner_payload,
    registered_diner,
)

BODIES = {
    "approve": approve_payload(),
    "reject": {"reason": "x"},
    "suspend": {"reason": "x"},
    "reinstate": {"reason": "x"},
    "triage": {"status": "investigating", "note": "x"},
}


def staff_routes() -> list[tuple[str, str]]:
    """Every documented staff operation (the OpenAPI schema lists all included routes)."""
    return sorted(
        (method.upper(), path)
        for path, operations in app.openapi()["paths"].items()
        if path.startswith("/api/staff")
        for method in operations
    )


def test_other_councils_staff_reach_nothing_when_walking_every_staff_route(
    client: TestClient, session: Session, settings: Settings, staff: User, barnet: Council
):
    cook_user, cook_id = approved_cook(client, session, settings, staff)
    carer, diner_id = registered_diner(client, session, settings)
    _, waiting_id = registered_diner(client, session, settings)
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
    concern = {"diner_id": diner_id, "kind": "welfare", "description": "Seemed low"}
    concern_id = client.post(
        "/api/concerns", json=concern, headers=auth_headers(carer, settings)
    ).json()["id"]
    ids = {
        "cook_id": cook_id,
        "diner_id": diner_id,
        "pairing_id": pairing_id,
        "concern_id": concern_id,
        "user_id": cook_user.id,
    }

    intruder = create_user(
        session, role="staff", council=create_council(session, lad_codes=["E09000030"])
    )
    headers = auth_headers(intruder, settings)
    a_ids = {str(v) for v in (*ids.values(), waiting_id)}
    walked = 0
    for method, path in staff_routes():
        params = re.findall(r"{(\w+)}", path)
        url = path.format(**{p: ids[p] for p in params})
        body = BODIES.get(path.rsplit("/", 1)[-1])
        response = client.request(method, url, headers=headers, json=body)
        walked += 1
        if params:
            assert response.status_code == 404, (method, path, response.status_code, response.text)
        elif method == "GET" and path.endswith(".csv"):
            assert response.status_code == 200, (method, path, response.text)
            assert not any(i in response.text.split() for i in a_ids if len(i) > 2), path
        elif method == "GET":
            assert response.status_code == 200, (method, path, response.text)
            payload = response.json()
            if isinstance(payload, dict) and "items" in payload:
                found = {
                    str(i.get("id", i.get("diner_id")))
                    for i in payload["items"]
                    if isinstance(i, dict)
                }
                assert not (found & a_ids), (path, found)
        elif path == "/api/staff/pairings":
            proposal = {"diner_id": waiting_id, "cook_id": cook_id, "weekday": 1, "start": "17:30"}
            attempt = client.post(path, json=proposal | {"frequency": "weekly"}, headers=headers)
            assert attempt.status_code == 404
        elif path == "/api/staff/diners":
            refer = client.post(path, json=diner_payload(), headers=headers)
            assert (
                refer.status_code == 422
                and refer.json()["detail"][0]["type"] == "outside_council_area"
            )
        elif path == "/api/staff/matching/run":
            assert response.json()["proposed"] == [] and response.json()["unmatched"] == []
        else:
            raise AssertionError(f"{method} {path}: add this staff route to the council walk")
    assert walked >= 19  # grows as staff routes are added; each new one must be walked
