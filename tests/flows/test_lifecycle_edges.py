"""Edges a review found: moving council, stale concerns, audits, pauses, declines."""

from __future__ import annotations

from datetime import date, timedelta

from fastapi.testclient import TestClient
from sqlmodel import Session, select

from app.config import Settings
from app.models import AuditEntry, Meal, Pairing, User
from tests.factories import (
    approved_cook,
    auth_headers,
    cook_payload,
    create_council,
    diner_payload,
    registered_diner,
)


def pair(
    client: TestClient,
    settings: Settings,
    staff: User,
    cook: User,
    cook_id: int,
    diner_id: int,
    accept: bool = True,
) -> int:
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
    if accept:
        client.post(f"/api/pairings/{pairing_id}/accept", headers=auth_headers(cook, settings))
    return pairing_id


def test_cook_moving_to_another_council_ends_pairings_and_waits_for_checks(
    client: TestClient, session: Session, settings: Settings, staff: User
):
    create_council(session, slug="tower-hamlets", lad_codes=["E09000030"])
    cook, cook_id = approved_cook(client, session, settings, staff)
    _, diner_id = registered_diner(client, session, settings)
    pairing_id = pair(client, settings, staff, cook, cook_id, diner_id)
    moved = client.put(
        "/api/cooks/me", json=cook_payload(postcode="E14 5AB"), headers=auth_headers(cook, settings)
    )
    assert moved.status_code == 200
    assert moved.json()["council"] == "tower-hamlets" and moved.json()["status"] == "pending"
    pairing = session.get(Pairing, pairing_id)
    assert pairing is not None and pairing.status == "ended" and pairing.end_reason == "cook_moved"
    listed = client.get("/api/cooks/me/pairings", headers=auth_headers(cook, settings)).json()
    assert listed["items"] == []


def test_excluded_former_cook_cannot_raise_concern_when_no_longer_paired(
    client: TestClient, session: Session, settings: Settings, staff: User
):
    cook_a, a_id = approved_cook(client, session, settings, staff)
    cook_b, b_id = approved_cook(client, session, settings, staff, postcode="N3 1BU")
    carer, diner_id = registered_diner(client, session, settings)
    pair(client, settings, staff, cook_a, a_id, diner_id)
    client.post(
        f"/api/diners/{diner_id}/change-request",
        json={"reason": "fresh start"},
        headers=auth_headers(carer, settings),
    )
    b_pairing = pair(client, settings, staff, cook_b, b_id, diner_id)
    body = {
        "diner_id": diner_id,
        "kind": "welfare",
        "serious": True,
        "description": "Not my diner now",
    }
    assert (
        client.post("/api/concerns", json=body, headers=auth_headers(cook_a, settings)).status_code
        == 404
    )
    pairing = session.get(Pairing, b_pairing)
    assert pairing is not None and pairing.status == "active"


def test_staff_pause_leave_and_referral_responses_are_audited_as_address_views(
    client: TestClient, session: Session, settings: Settings, staff: User
):
    headers = auth_headers(staff, settings)
    referred = client.post("/api/staff/diners", json=diner_payload(), headers=headers).json()["id"]
    later = {
        "from": str(date.today() + timedelta(days=30)),
        "to": str(date.today() + timedelta(days=31)),
    }
    client.post(f"/api/diners/{referred}/pause", json=later, headers=headers)
    client.post(f"/api/diners/{referred}/leave", json={"reason": "moved"}, headers=headers)
    views = session.exec(
        select(AuditEntry).where(AuditEntry.action == "diner.address_viewed")
    ).all()
    assert [(v.actor_id, v.subject_id) for v in views] == [(staff.id, referred)] * 3


def test_far_future_date_is_refused_when_listing_meals(
    client: TestClient, session: Session, settings: Settings, staff: User
):
    cook, _ = approved_cook(client, session, settings, staff)  # else 404: no profile comes first
    assert (
        client.get(
            "/api/cooks/me/meals?from=9999-12-31", headers=auth_headers(cook, settings)
        ).status_code
        == 422
    )


def test_resolving_one_concern_keeps_pairing_paused_while_another_serious_one_is_open(
    client: TestClient, session: Session, settings: Settings, staff: User
):
    cook, cook_id = approved_cook(client, session, settings, staff)
    carer, diner_id = registered_diner(client, session, settings)
    pairing_id = pair(client, settings, staff, cook, cook_id, diner_id)
    body = {"diner_id": diner_id, "kind": "safeguarding", "serious": True, "description": "Worried"}
    first = client.post("/api/concerns", json=body, headers=auth_headers(carer, settings)).json()[
        "id"
    ]
    client.post("/api/concerns", json=body, headers=auth_headers(carer, settings))
    client.post(
        f"/api/staff/concerns/{first}/triage",
        json={"status": "resolved", "note": "ok"},
        headers=auth_headers(staff, settings),
    )
    pairing = session.get(Pairing, pairing_id)
    assert pairing is not None and pairing.status == "paused"


def test_shortened_pause_brings_later_meals_back_when_paused_again(
    client: TestClient, session: Session, settings: Settings, staff: User
):
    cook, cook_id = approved_cook(client, session, settings, staff)
    carer, diner_id = registered_diner(client, session, settings)
    pairing_id = pair(client, settings, staff, cook, cook_id, diner_id)
    today = date.today()
    pause = {"from": str(today), "to": str(today + timedelta(days=40))}
    client.post(f"/api/diners/{diner_id}/pause", json=pause, headers=auth_headers(carer, settings))
    shorter = {"from": str(today), "to": str(today + timedelta(days=1))}
    client.post(
        f"/api/diners/{diner_id}/pause", json=shorter, headers=auth_headers(carer, settings)
    )
    meals = session.exec(select(Meal).where(Meal.pairing_id == pairing_id)).all()
    late = [m for m in meals if m.date > today + timedelta(days=1)]
    assert late and {m.status for m in late} == {"scheduled"}


def test_decline_proposes_nobody_when_diner_is_paused(
    client: TestClient, session: Session, settings: Settings, staff: User
):
    cook, cook_id = approved_cook(client, session, settings, staff)
    approved_cook(client, session, settings, staff, postcode="N3 1BU")
    carer, diner_id = registered_diner(client, session, settings)
    pairing_id = pair(client, settings, staff, cook, cook_id, diner_id, accept=False)
    today = date.today()
    client.post(
        f"/api/diners/{diner_id}/pause",
        json={"from": str(today), "to": str(today + timedelta(days=7))},
        headers=auth_headers(carer, settings),
    )
    client.post(f"/api/pairings/{pairing_id}/decline", headers=auth_headers(cook, settings))
    proposed = session.exec(
        select(Pairing).where(Pairing.diner_id == diner_id, Pairing.status == "proposed")
    ).all()
    assert proposed == []
