"""Staff's audit log with JavaScript off: filtered by a diner, a cook or a pairing and by what
was done (another council's entries never), a bad number beside its field; and a record seen
again within `audit.VIEW_WINDOW` audited once, not once per reload."""

from __future__ import annotations

from datetime import timedelta

import pytest
from fastapi.testclient import TestClient
from sqlmodel import Session, func, select

from app.audit import VIEW_WINDOW
from app.config import Settings
from app.db import utcnow
from app.models import AuditEntry, Council, User
from app.moderation.service import COOK_VIEWED
from tests.factories import PairingWorld, active_pairing, auth_headers, create_user
from tests.pages.test_staff_home import sign_in


@pytest.fixture
def world(client: TestClient, session: Session, settings: Settings, staff: User) -> PairingWorld:
    return active_pairing(client, session, settings, staff)


def views(session: Session, *, actor: User, action: str, subject_id: int) -> int:
    return session.exec(
        select(func.count()).where(
            AuditEntry.actor_id == actor.id,
            AuditEntry.action == action,
            AuditEntry.subject_id == subject_id,
        )
    ).one()


def later_by(monkeypatch: pytest.MonkeyPatch, gap: timedelta) -> None:
    """The audit's clock moved on by `gap` (the window is read from it)."""
    then = utcnow() + gap
    monkeypatch.setattr("app.audit.utcnow", lambda: then)


def raise_concern(client: TestClient, world: PairingWorld) -> int:
    made = client.post(
        "/api/concerns",
        json={"diner_id": world.diner_id, "kind": "missed_meal", "description": "No meal came"},
        headers=world.carer_headers,
    )
    assert made.status_code == 201, made.text
    return int(made.json()["id"])


# --- one view a window, not one a reload ----------------------------------------------------


def test_reloading_a_concern_page_audits_one_view_when_within_the_window(
    client: TestClient, session: Session, staff: User, world: PairingWorld, monkeypatch
):
    concern_id = raise_concern(client, world)
    sign_in(client, staff)
    for _ in range(10):
        assert client.get(f"/staff/concerns/{concern_id}").status_code == 200
    seen = views(session, actor=staff, action="diner.address_viewed", subject_id=world.diner_id)
    assert seen == 1
    # The diner's record shows the same address: the same kind of view, within the window.
    assert client.get(f"/staff/diners/{world.diner_id}").status_code == 200
    assert (
        views(session, actor=staff, action="diner.address_viewed", subject_id=world.diner_id) == 1
    )

    later_by(monkeypatch, VIEW_WINDOW + timedelta(seconds=1))
    assert client.get(f"/staff/concerns/{concern_id}").status_code == 200
    assert (
        views(session, actor=staff, action="diner.address_viewed", subject_id=world.diner_id) == 2
    )


def test_another_staff_members_view_is_audited_when_within_the_first_ones_window(
    client: TestClient,
    session: Session,
    settings: Settings,
    staff: User,
    barnet: Council,
    world: PairingWorld,
):
    """Per person: the JSON API's read of the diner is the same kind of view as the page's."""
    other = create_user(session, role="staff", council=barnet)
    for viewer in (staff, staff, other, other):
        path = f"/api/staff/diners/{world.diner_id}"
        assert client.get(path, headers=auth_headers(viewer, settings)).status_code == 200
    for viewer in (staff, other):
        seen = views(
            session, actor=viewer, action="diner.address_viewed", subject_id=world.diner_id
        )
        assert seen == 1


def test_reloading_a_cooks_record_audits_one_view_when_within_the_window(
    client: TestClient, session: Session, staff: User, world: PairingWorld, monkeypatch
):
    sign_in(client, staff)
    for _ in range(3):
        assert client.get(f"/staff/cooks/{world.cook_id}").status_code == 200
    assert views(session, actor=staff, action=COOK_VIEWED, subject_id=world.cook_id) == 1
    later_by(monkeypatch, VIEW_WINDOW + timedelta(seconds=1))
    assert client.get(f"/staff/cooks/{world.cook_id}").status_code == 200
    assert views(session, actor=staff, action=COOK_VIEWED, subject_id=world.cook_id) == 2
