"""POST /api/staff/pairings/{id}/end: staff end an active or paused pairing (the way on from a
pause for safety that nothing else resolves); the diner waits again."""

from __future__ import annotations

from fastapi.testclient import TestClient
from sqlmodel import Session, col, select

from app.config import Settings
from app.models import AuditEntry, AuditReason, Diner, Notification, Pairing, User
from tests.factories import (
    active_pairing,
    auth_headers,
    cook_payload,
    create_council,
    create_user,
    proposed_pairing,
)


def test_staff_end_a_paused_pairing_and_the_diner_can_be_matched_again(
    client: TestClient, session: Session, settings: Settings, staff: User
):
    world = active_pairing(client, session, settings, staff)
    dropped = client.put(
        "/api/cooks/me", json=cook_payload(allergen_free=[]), headers=world.cook_headers
    )
    assert dropped.status_code == 200, dropped.text
    headers = auth_headers(staff, settings)
    ended = client.post(f"/api/staff/pairings/{world.pairing_id}/end", headers=headers)
    assert ended.status_code == 200, ended.text
    assert ended.json()["status"] == "ended"
    pairing = session.get(Pairing, world.pairing_id)
    diner = session.get(Diner, world.diner_id)
    assert pairing is not None and diner is not None
    session.refresh(pairing)
    session.refresh(diner)
    assert (pairing.status, pairing.end_reason) == ("ended", "ended_by_staff")
    assert diner.status == "waiting"
    told = session.exec(
        select(Notification.to_user_id).where(Notification.event == "pairing_ended")
    ).all()
    assert set(told) == {world.cook.id, world.carer.id}
    # Not excluded: once safe again, the same cook may be proposed.
    client.put("/api/cooks/me", json=cook_payload(), headers=world.cook_headers)
    body = {"diner_id": world.diner_id, "cook_id": world.cook_id, "weekday": 1,
            "start": "17:30", "frequency": "weekly"}  # fmt: skip
    assert client.post("/api/staff/pairings", json=body, headers=headers).status_code == 201


def test_ending_is_for_the_councils_staff_and_running_pairings_only(
    client: TestClient, session: Session, settings: Settings, staff: User
):
    world = proposed_pairing(client, session, settings, staff)
    path = f"/api/staff/pairings/{world.pairing_id}/end"
    proposal = client.post(path, headers=auth_headers(staff, settings))
    assert proposal.status_code == 409  # a proposal is withdrawn, not ended
    elsewhere = create_user(session, role="staff", council=create_council(session, slug="other"))
    assert client.post(path, headers=auth_headers(elsewhere, settings)).status_code == 404
    assert client.post(path, headers=world.cook_headers).status_code == 403
    pairing = session.get(Pairing, world.pairing_id)
    assert pairing is not None and pairing.status == "proposed"


def test_staff_end_a_pairing_with_a_reason_kept_for_staff_when_the_body_gives_one(
    client: TestClient, session: Session, settings: Settings, staff: User
):
    world = active_pairing(client, session, settings, staff)
    path = f"/api/staff/pairings/{world.pairing_id}/end"
    headers = auth_headers(staff, settings)
    # The body is optional (clients from before it send none), but a reason given is checked.
    for refused in ({"reason": ""}, {"reason": "x" * 501}, {"reason": "a\x00b"}, {"why": "x"}):
        answer = client.post(path, json=refused, headers=headers)
        assert answer.status_code == 422, refused

    ended = client.post(
        path, json={"reason": "  The cook moved away\r\nfor good  "}, headers=headers
    )

    assert ended.status_code == 200, ended.text
    assert "moved away" not in ended.text  # the pairing's shape (API.md) is unchanged
    pairing = session.get(Pairing, world.pairing_id)
    assert pairing is not None
    session.refresh(pairing)
    assert (pairing.status, pairing.end_note) == ("ended", "The cook moved away\nfor good")
    said = session.exec(
        select(AuditReason.text)
        .join(AuditEntry, col(AuditEntry.id) == AuditReason.audit_entry_id)
        .where(AuditEntry.action == "pairing.ended", AuditEntry.subject_id == pairing.id)
    ).all()
    assert said == ["The cook moved away\nfor good"]


def test_staff_end_a_pairing_with_no_reason_when_the_body_is_empty(
    client: TestClient, session: Session, settings: Settings, staff: User
):
    world = active_pairing(client, session, settings, staff)
    path = f"/api/staff/pairings/{world.pairing_id}/end"

    ended = client.post(path, json={}, headers=auth_headers(staff, settings))

    assert ended.status_code == 200, ended.text
    pairing = session.get(Pairing, world.pairing_id)
    assert pairing is not None
    session.refresh(pairing)
    assert (pairing.status, pairing.end_note) == ("ended", None)
    assert session.exec(select(AuditReason)).all() == []
