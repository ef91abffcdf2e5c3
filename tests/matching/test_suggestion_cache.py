"""The cached cook index never serves stale safety or capacity decisions."""

from __future__ import annotations

from fastapi.testclient import TestClient
from sqlalchemy import update
from sqlmodel import Session

from app.config import Settings
from app.models import Cook, User
from tests.factories import approved_cook, auth_headers, registered_diner


def suggested(client: TestClient, staff: User, settings: Settings, diner_id: int) -> dict:
    return client.get(
        f"/api/staff/diners/{diner_id}/suggestions", headers=auth_headers(staff, settings)
    ).json()


def test_suspended_cook_disappears_at_once_when_index_was_cached(
    client: TestClient, session: Session, settings: Settings, staff: User
):
    _, cook_id = approved_cook(client, session, settings, staff)
    _, diner_id = registered_diner(client, session, settings)
    assert [s["cook_id"] for s in suggested(client, staff, settings, diner_id)["items"]] == [
        cook_id
    ]
    client.post(
        f"/api/staff/cooks/{cook_id}/suspend",
        json={"reason": "concern"},
        headers=auth_headers(staff, settings),
    )
    assert suggested(client, staff, settings, diner_id) == {
        "items": [],
        "unmatched_reason": "no_cook_in_reach",
    }


def test_change_written_by_another_process_is_seen_when_suggesting_again(
    client: TestClient, session: Session, settings: Settings, staff: User
):
    _, cook_id = approved_cook(client, session, settings, staff)
    _, diner_id = registered_diner(client, session, settings)
    assert suggested(client, staff, settings, diner_id)["items"]
    # Another worker process changes the row with plain SQL: no ORM object, no helper code.
    session.exec(update(Cook).where(Cook.id == cook_id).values(allergen_free=[]))  # type: ignore[call-overload]
    session.commit()
    assert suggested(client, staff, settings, diner_id)["unmatched_reason"] == "no_cook_for_allergy"


def test_capacity_is_read_fresh_when_a_cook_fills_up_after_caching(
    client: TestClient, session: Session, settings: Settings, staff: User
):
    _, cook_id = approved_cook(client, session, settings, staff, max_diners=1)
    _, first = registered_diner(client, session, settings)
    _, second = registered_diner(client, session, settings)
    assert suggested(client, staff, settings, second)["items"]
    body = {
        "diner_id": first,
        "cook_id": cook_id,
        "weekday": 1,
        "start": "17:30",
        "frequency": "weekly",
    }
    assert (
        client.post(
            "/api/staff/pairings", json=body, headers=auth_headers(staff, settings)
        ).status_code
        == 201
    )
    assert suggested(client, staff, settings, second) == {
        "items": [],
        "unmatched_reason": "no_capacity",
    }
