"""Alerts meant for a neighbourhood's coordinator reach the council's staff where the
neighbourhood has none (they were dropped): missed meals, a cover arranged or still missing,
a declined invitation, a concern, a lapse; and never another council's staff."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta

import pytest
from fastapi.testclient import TestClient
from sqlmodel import Session, col, select

from app.config import Settings
from app.diners.service import alert_recipients
from app.flows.jobs import run_jobs
from app.meals.service import schedule_meals
from app.models import Council, Diner, Meal, Notification, Pairing, User
from app.pairings.decline import decline_with_reason
from tests.factories import (
    PairingWorld,
    active_pairing,
    approved_cook,
    auth_headers,
    create_user,
    proposed_pairing,
)


@pytest.fixture
def colleague(session: Session, barnet: Council) -> User:
    """A second staff member of Barnet."""
    return create_user(session, role="staff", council=barnet, full_name="Second Staff")


@pytest.fixture
def elsewhere(session: Session, tower_hamlets: Council) -> User:
    """Staff of another council: told nothing about Barnet's diners."""
    return create_user(session, role="staff", council=tower_hamlets, full_name="Other Staff")


def to(session: Session, event: str) -> set[int | None]:
    rows = session.exec(select(Notification.to_user_id).where(Notification.event == event))
    return set(rows.all())


def past_meal(session: Session, world: PairingWorld) -> Meal:
    """The pairing started three weeks ago: its first meal is in the past."""
    pairing = session.get(Pairing, world.pairing_id)
    assert pairing is not None
    pairing.accepted_at = datetime.now(UTC) - timedelta(weeks=3)
    session.add(pairing)
    schedule_meals(session, pairing=pairing, today=date.today() - timedelta(weeks=3))
    session.commit()
    meal = session.exec(
        select(Meal).where(Meal.pairing_id == world.pairing_id, col(Meal.date) < date.today())
    ).first()
    assert meal is not None
    return meal


def test_alert_recipients_are_the_councils_active_staff_when_the_diner_has_no_coordinator(
    client: TestClient,
    session: Session,
    settings: Settings,
    staff: User,
    colleague: User,
    elsewhere: User,
):
    world = proposed_pairing(client, session, settings, staff)
    diner = session.get(Diner, world.diner_id)
    assert diner is not None and diner.neighbourhood_id is None
    assert alert_recipients(session, diner) == sorted([staff.id, colleague.id])  # type: ignore[type-var]
    colleague.is_active = False
    session.add(colleague)
    assert alert_recipients(session, diner) == [staff.id]


def test_alert_recipients_are_the_coordinator_alone_and_the_staff_when_they_are_inactive(
    client: TestClient, session: Session, settings: Settings, staff: User, colleague: User
):
    coordinator = create_user(session, role="staff", council=session.get(Council, staff.council_id))
    world = proposed_pairing(client, session, settings, staff, coordinator=coordinator)
    diner = session.get(Diner, world.diner_id)
    assert diner is not None and diner.neighbourhood_id is not None
    assert alert_recipients(session, diner) == [coordinator.id]
    coordinator.is_active = False
    session.add(coordinator)
    assert alert_recipients(session, diner) == sorted([staff.id, colleague.id])  # type: ignore[type-var]


def test_missed_meal_reaches_the_councils_staff_when_the_neighbourhood_has_no_coordinator(
    client: TestClient,
    session: Session,
    settings: Settings,
    staff: User,
    colleague: User,
    elsewhere: User,
):
    world = active_pairing(client, session, settings, staff)
    meal = past_meal(session, world)
    missed = client.post(f"/api/meals/{meal.id}/missed", headers=world.cook_headers)
    assert missed.status_code == 200, missed.text
    assert to(session, "meal_missed") == {world.carer.id, staff.id, colleague.id}


def test_missed_meal_reaches_only_the_coordinator_when_the_neighbourhood_has_one(
    client: TestClient, session: Session, settings: Settings, staff: User, colleague: User
):
    council = session.get(Council, staff.council_id)
    coordinator = create_user(session, role="staff", council=council, full_name="Coord")
    world = active_pairing(client, session, settings, staff, coordinator=coordinator)
    meal = past_meal(session, world)
    client.post(f"/api/meals/{meal.id}/missed", headers=world.cook_headers)
    assert to(session, "meal_missed") == {world.carer.id, coordinator.id}


def test_declined_invitation_reaches_the_councils_staff_without_a_coordinator(
    client: TestClient,
    session: Session,
    settings: Settings,
    staff: User,
    colleague: User,
    elsewhere: User,
):
    world = proposed_pairing(client, session, settings, staff)
    pairing = session.get(Pairing, world.pairing_id)
    assert pairing is not None
    decline_with_reason(session, pairing=pairing, reason="Too far for me")
    assert to(session, "pairing_declined") == {staff.id, colleague.id}


def test_concern_reaches_the_councils_staff_without_a_coordinator(
    client: TestClient,
    session: Session,
    settings: Settings,
    staff: User,
    colleague: User,
    elsewhere: User,
):
    world = active_pairing(client, session, settings, staff)
    body = {"diner_id": world.diner_id, "kind": "welfare", "serious": False,
            "description": "Edna seemed unwell"}  # fmt: skip
    raised = client.post("/api/concerns", json=body, headers=world.carer_headers)
    assert raised.status_code == 201, raised.text
    assert to(session, "concern_raised") == {staff.id, colleague.id}


def test_cover_arranged_and_cover_missing_reach_the_councils_staff_without_a_coordinator(
    client: TestClient,
    session: Session,
    settings: Settings,
    staff: User,
    colleague: User,
    elsewhere: User,
):
    world = active_pairing(client, session, settings, staff)
    meals = client.get("/api/cooks/me/meals", headers=world.cook_headers).json()["items"]
    first, third = meals[0], meals[2]
    for meal in (first, third):
        client.post(
            "/api/cooks/me/away",
            json={"from": meal["date"], "to": meal["date"]},
            headers=world.cook_headers,
        )
    day = date.fromisoformat(third["date"])
    run_jobs(session, now=datetime.combine(day - timedelta(days=2), time(12), tzinfo=UTC))
    assert to(session, "cover_missing") == {staff.id, colleague.id, world.carer.id}
    helper, _ = approved_cook(
        client, session, settings, staff, postcode="N3 1BU", display_name="Helper"
    )
    # The third: the jobs' clock, two days before it, is past the first's time (it is missed).
    covered = client.post(f"/api/meals/{third['id']}/cover", headers=auth_headers(helper, settings))
    assert covered.status_code == 200, covered.text
    assert to(session, "cover_arranged") == {world.carer.id, world.cook.id, staff.id, colleague.id}


def test_lapsed_contact_reaches_the_councils_staff_without_a_coordinator_once(
    client: TestClient,
    session: Session,
    settings: Settings,
    staff: User,
    colleague: User,
    elsewhere: User,
):
    active_pairing(client, session, settings, staff)
    later = datetime.now(UTC) + timedelta(days=15)
    assert run_jobs(session, now=later)["lapse_alerts"] == 1  # one lapse, however many told
    assert to(session, "contact_lapsed") == {staff.id, colleague.id}
    assert run_jobs(session, now=later)["lapse_alerts"] == 0
