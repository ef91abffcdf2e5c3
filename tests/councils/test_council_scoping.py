"""Every staff route, walked with another council's staff: nothing of council A is reachable."""

from __future__ import annotations

import re

from fastapi.testclient import TestClient
from sqlmodel import Session, select

from app.config import Settings
from app.db import utcnow
from app.main import app
from app.models import Council, Meal, User
from app.reports.router import report_time
from app.vocab import MealStatus
from tests.factories import (
    active_pairing,
    approve_payload,
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
    "schedule": {"weekday": 1, "start": "17:30", "frequency": "weekly"},
    "outcome": {"outcome": "delivered"},
    "cover": {"cook_id": 1},
}


def staff_routes() -> list[tuple[str, str]]:
    """Every documented staff operation (the OpenAPI schema lists all included routes)."""
    return sorted(
        (method.upper(), path)
        for path, operations in app.openapi()["paths"].items()
        if path.startswith("/api/staff")
        for method in operations
    )


def missed_meal(session: Session, pairing_id: int) -> int:
    """One of the pairing's meals, recorded missed (so that a correction would take)."""
    meal = session.exec(select(Meal).where(Meal.pairing_id == pairing_id)).first()
    assert meal is not None and meal.id is not None
    meal.status = MealStatus.missed
    session.add(meal)
    session.flush()
    return meal.id


def test_other_councils_staff_reach_nothing_when_walking_every_staff_route(
    client: TestClient, session: Session, settings: Settings, staff: User, barnet: Council
):
    now = utcnow()
    app.dependency_overrides[report_time] = lambda: now  # the reports' weeks stay put
    intruder = create_user(
        session, role="staff", council=create_council(session, lad_codes=["E09000030"])
    )
    headers = auth_headers(intruder, settings)
    reads = [path for method, path in staff_routes() if method == "GET" and "{" not in path]
    empty = {path: client.get(path, headers=headers).text for path in reads}  # before A's records

    world = active_pairing(client, session, settings, staff)
    cook_user, cook_id, carer, diner_id = world.cook, world.cook_id, world.carer, world.diner_id
    pairing_id = world.pairing_id
    _, waiting_id = registered_diner(
        client, session, settings, full_name="Albert Waiting", postcode="N3 1BU", diets=["vegan"]
    )
    concern = {"diner_id": diner_id, "kind": "welfare", "description": "Seemed low on Tuesday"}
    concern_id = client.post(
        "/api/concerns", json=concern, headers=auth_headers(carer, settings)
    ).json()["id"]
    ids = {
        "cook_id": cook_id,
        "diner_id": diner_id,
        "pairing_id": pairing_id,
        "concern_id": concern_id,
        "user_id": cook_user.id,
        "carer_id": carer.id,
        "meal_id": missed_meal(session, pairing_id),
    }
    # What only council A's records say (names, emails, postcodes, addresses, the concern).
    markers = [cook_user.email, carer.email, "Priya", "Edna", "Albert Waiting", "N3 1HT",
               "N3 1QX", "N3 1BU", "Example Road", "Quiet Close", "Seemed low"]  # fmt: skip
    assert (
        client.get("/api/staff/diners", headers=auth_headers(staff, settings)).json()["total"] == 2
    )  # A's own staff see them
    assert (
        "N3"
        in client.get(
            "/api/staff/reports/unmatched.csv", headers=auth_headers(staff, settings)
        ).text
    )  # and count them

    walked = 0
    for method, path in staff_routes():
        params = re.findall(r"{(\w+)}", path)
        url = path.format(**{p: ids[p] for p in params})
        body = BODIES.get(path.rsplit("/", 1)[-1])
        response = client.request(method, url, headers=headers, json=body)
        walked += 1
        leaked = [m for m in markers if m.lower() in response.text.lower()]
        assert not leaked, (method, path, leaked)
        if params:
            assert response.status_code == 404, (method, path, response.status_code, response.text)
        elif method == "GET":  # lists, reports and CSV files: as if A had nothing
            assert response.status_code == 200, (method, path, response.text)
            assert response.text == empty[path], (path, empty[path], response.text)
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
        elif path in ("/api/staff/matching/run", "/api/staff/matching/preview"):
            assert response.status_code == 200, (method, path, response.text)
            assert response.json()["proposed"] == [] and response.json()["unmatched"] == []
        elif path == "/api/staff/matching/confirm":  # A's own preview, confirmed by B
            a_preview = client.post(
                "/api/staff/matching/preview", headers=auth_headers(staff, settings)
            ).json()["preview_id"]
            pairs = [{"diner_id": waiting_id, "cook_id": cook_id}]
            attempt = client.post(
                path, json={"preview_id": a_preview, "pairs": pairs}, headers=headers
            )
            assert attempt.status_code == 404, attempt.text
        else:
            raise AssertionError(f"{method} {path}: add this staff route to the council walk")
    assert walked >= 19  # grows as staff routes are added; each new one must be walked
