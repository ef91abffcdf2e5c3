"""A cook's views of their diners' addresses (their list of pairings, their home page) are
audited once per diner within `audit.VIEW_WINDOW`, as staff's views of a record are: not one
entry per reload, and again once the window has passed."""

from __future__ import annotations

from datetime import timedelta

import pytest
from fastapi.testclient import TestClient
from sqlmodel import Session

from app.audit import VIEW_WINDOW
from app.config import Settings
from app.models import User
from tests.factories import PairingWorld, active_pairing
from tests.pages.helpers import sign_in
from tests.pages.test_staff_audit import later_by, views

ADDRESS_VIEWED = "diner.address_viewed"


@pytest.fixture
def world(client: TestClient, session: Session, settings: Settings, staff: User) -> PairingWorld:
    return active_pairing(client, session, settings, staff)


def test_a_cooks_list_reloaded_audits_one_view_of_each_address_when_within_the_window(
    client: TestClient, session: Session, world: PairingWorld, monkeypatch: pytest.MonkeyPatch
):
    later_by(monkeypatch, VIEW_WINDOW + timedelta(seconds=1))  # past the acceptance's entry
    before = views(session, actor=world.cook, action=ADDRESS_VIEWED, subject_id=world.diner_id)
    for _ in range(3):
        listed = client.get("/api/cooks/me/pairings", headers=world.cook_headers)
        assert listed.status_code == 200, listed.text
        assert listed.json()["items"][0]["diner"]["address_line"]  # the address is shown
    after = views(session, actor=world.cook, action=ADDRESS_VIEWED, subject_id=world.diner_id)
    assert after == before + 1
    later_by(monkeypatch, 2 * VIEW_WINDOW + timedelta(seconds=2))
    assert client.get("/api/cooks/me/pairings", headers=world.cook_headers).status_code == 200
    again = views(session, actor=world.cook, action=ADDRESS_VIEWED, subject_id=world.diner_id)
    assert again == after + 1


def test_a_cooks_home_page_reloaded_audits_one_view_of_the_address_when_within_the_window(
    client: TestClient, session: Session, world: PairingWorld, monkeypatch: pytest.MonkeyPatch
):
    later_by(monkeypatch, VIEW_WINDOW + timedelta(seconds=1))  # past the acceptance's entry
    before = views(session, actor=world.cook, action=ADDRESS_VIEWED, subject_id=world.diner_id)
    sign_in(client, world.cook)
    for _ in range(3):
        assert client.get("/cook/").status_code == 200
    after = views(session, actor=world.cook, action=ADDRESS_VIEWED, subject_id=world.diner_id)
    assert after == before + 1
