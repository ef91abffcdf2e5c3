"""Staff put a meal's recorded outcome right (POST /api/staff/meals/{id}/outcome, and the diner's
record): before, a cook who recorded "missed" by mistake left the carer believing a meal never
came, and nobody could change it (the cook's own record is once only: 409)."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

from fastapi.testclient import TestClient
from sqlmodel import Session, select

from app.config import Settings
from app.councils.rules import council_today
from app.models import AuditEntry, Council, Meal, Notification, User
from app.vocab import MealStatus
from tests.factories import (
    DEFAULT_PASSWORD,
    PairingWorld,
    active_pairing,
    auth_headers,
    create_council,
    create_user,
)
from tests.pages.helpers import form_token


def recorded(
    session: Session, world: PairingWorld, council: Council, status: MealStatus, days_ago: int = 2
) -> Meal:
    meal = Meal(
        pairing_id=world.pairing_id, diner_id=world.diner_id, council_id=council.id,
        cook_id=world.cook_id, date=council_today(council) - timedelta(days=days_ago),
        start="17:30", at=datetime.now(UTC) - timedelta(days=days_ago), status=status,
    )  # fmt: skip
    session.add(meal)
    session.commit()
    return meal


def correct(client: TestClient, user: User, settings: Settings, meal_id: int, outcome: str):
    return client.post(
        f"/api/staff/meals/{meal_id}/outcome",
        json={"outcome": outcome},
        headers=auth_headers(user, settings),
    )


def told(session: Session, event: str) -> list[Notification]:
    return list(session.exec(select(Notification).where(Notification.event == event)))


def test_a_meal_recorded_missed_by_mistake_is_put_right_and_the_carer_told_it_came(
    client: TestClient, session: Session, settings: Settings, staff: User, barnet: Council
):
    world = active_pairing(client, session, settings, staff)
    meal = recorded(session, world, barnet, MealStatus.missed)
    # The cook's own record is once only, as API.md says.
    again = client.post(f"/api/meals/{meal.id}/delivered", headers=world.cook_headers)
    assert again.status_code == 409

    done = correct(client, staff, settings, meal.id or 0, "delivered")

    assert done.status_code == 200, done.text
    assert done.json()["status"] == "delivered"
    session.refresh(meal)
    assert meal.status == MealStatus.delivered
    came = told(session, "meal_delivered_after_all")
    assert world.carer.id in {m.to_user_id for m in came}
    assert "recorded by mistake: the meal was delivered" in came[0].body
    [entry] = session.exec(select(AuditEntry).where(AuditEntry.action == "meal.outcome_corrected"))
    assert (entry.subject_type, entry.subject_id, entry.actor_id) == (
        "diner",
        world.diner_id,
        staff.id,
    )
    assert entry.data["from"] == "missed" and entry.data["to"] == "delivered"

    same = correct(client, staff, settings, meal.id or 0, "delivered")
    assert same.status_code == 409


def test_a_meal_recorded_delivered_that_never_came_tells_the_carer_and_coordinator(
    client: TestClient, session: Session, settings: Settings, staff: User, barnet: Council
):
    world = active_pairing(client, session, settings, staff)
    meal = recorded(session, world, barnet, MealStatus.delivered)

    assert correct(client, staff, settings, meal.id or 0, "missed").status_code == 200
    missed = told(session, "meal_missed")
    assert world.carer.id in {m.to_user_id for m in missed}
    assert staff.id not in {m.to_user_id for m in missed}  # they made it: they know
    # Told as a correction, not as if a meal had just been missed today.
    assert missed[0].subject.startswith("A correction: Edna's meal on ")
    assert "recorded as brought by mistake" in missed[0].body
    # Back to delivered, then missed again: each told, none swallowed as a duplicate.
    assert correct(client, staff, settings, meal.id or 0, "delivered").status_code == 200
    assert correct(client, staff, settings, meal.id or 0, "missed").status_code == 200
    to_carer = [m for m in told(session, "meal_missed") if m.to_user_id == world.carer.id]
    assert len(to_carer) == 2


def test_staff_record_a_meal_nobody_recorded_once_its_time_has_come(
    client: TestClient, session: Session, settings: Settings, staff: User, barnet: Council
):
    """An outside check: a meal its cook never recorded, or one still needing cover, could not be
    recorded by anyone else (409), and never counted among the missed."""
    world = active_pairing(client, session, settings, staff, coordinator=staff)
    coming = recorded(session, world, barnet, MealStatus.scheduled, days_ago=-400)
    early = correct(client, staff, settings, coming.id or 0, "missed")
    assert early.status_code == 422 and early.json()["detail"][0]["type"] == "meal_not_yet_due"
    forgot = recorded(session, world, barnet, MealStatus.scheduled)
    uncovered = recorded(session, world, barnet, MealStatus.needs_cover, days_ago=3)
    uncovered.cook_id = None
    session.add(uncovered)
    session.commit()
    colleague = create_user(session, role="staff", council=barnet)

    came = correct(client, colleague, settings, forgot.id or 0, "delivered")
    missed = correct(client, colleague, settings, uncovered.id or 0, "missed")

    assert (came.status_code, came.json()["status"]) == (200, "delivered"), came.text
    assert (missed.status_code, missed.json()["status"]) == (200, "missed"), missed.text
    # Missed: told as the cook's record would be, to the carer and the coordinator.
    said = told(session, "meal_missed")
    assert {m.to_user_id for m in said} == {world.carer.id, staff.id}
    assert all(m.subject == "A meal for Edna was missed" for m in said)
    assert told(session, "meal_delivered_after_all") == []
    entries = session.exec(select(AuditEntry).where(AuditEntry.action == "meal.outcome_recorded"))
    assert sorted((e.data["from"], e.data["to"], e.actor_id) for e in entries) == [
        ("needs_cover", "missed", colleague.id),
        ("scheduled", "delivered", colleague.id),
    ]


def test_only_a_meal_of_the_council_can_be_recorded_by_its_staff(
    client: TestClient, session: Session, settings: Settings, staff: User, barnet: Council
):
    world = active_pairing(client, session, settings, staff)
    meal = recorded(session, world, barnet, MealStatus.cancelled)
    assert correct(client, staff, settings, meal.id or 0, "missed").status_code == 409
    elsewhere = create_user(session, role="staff", council=create_council(session, slug="other"))
    assert correct(client, elsewhere, settings, meal.id or 0, "missed").status_code == 404
    assert correct(client, world.cook, settings, meal.id or 0, "missed").status_code == 403
    odd = correct(client, staff, settings, meal.id or 0, "cancelled")
    assert odd.status_code == 422 and odd.json()["detail"][0]["loc"] == ["body", "outcome"]
    # In words a client can read (it named "<MealStatus.delivered: 'delivered'>").
    assert odd.json()["detail"][0]["msg"] == "Input should be 'delivered' or 'missed'"
    # An erased diner's meal: the page hid the button, the API took it and wrote to the
    # former carer of "a meal for Erased" (a review).
    missed = recorded(session, world, barnet, MealStatus.missed, days_ago=9)
    erased = client.post(
        f"/api/staff/diners/{world.diner_id}/erase",
        json={"confirm": True},
        headers=auth_headers(staff, settings),
    )
    assert erased.status_code == 200, erased.text
    assert correct(client, staff, settings, missed.id or 0, "delivered").status_code == 404


def test_staff_put_an_outcome_right_from_the_diners_record(
    client: TestClient, session: Session, settings: Settings, staff: User, barnet: Council
):
    world = active_pairing(client, session, settings, staff)
    meal = recorded(session, world, barnet, MealStatus.missed)
    token = form_token(client, "/sign-in")
    signed = client.post(
        "/sign-in",
        data={"email": staff.email, "password": DEFAULT_PASSWORD, "csrf_token": token},
        follow_redirects=False,
    )
    assert signed.status_code == 303
    record = f"/staff/diners/{world.diner_id}"
    action = f"{record}/meals/{meal.id}/outcome"
    page = client.get(record).text
    assert f'action="{action}"' in page and "Record as delivered" in page

    done = client.post(
        action,
        data={"outcome": "delivered", "csrf_token": form_token(client, record)},
        follow_redirects=False,
    )

    assert (done.status_code, done.headers["location"]) == (303, f"{record}?corrected=delivered")
    session.refresh(meal)
    assert meal.status == MealStatus.delivered
    after = client.get(done.headers["location"]).text
    assert "The meal is recorded as delivered" in after and "Record as missed" in after
    assert re.search(r"Those told it was missed are told it came", after)

    # A meal nobody recorded: the record offers both, and says what each does.
    forgot = recorded(session, world, barnet, MealStatus.scheduled, days_ago=1)
    page = client.get(record).text
    assert "Record what happened" in page and 'name="outcome" value="missed"' in page
    assert "If it was missed, the carer and the coordinator are told." in page
    action = f"{record}/meals/{forgot.id}/outcome"
    done = client.post(
        action,
        data={"outcome": "missed", "csrf_token": form_token(client, record)},
        follow_redirects=False,
    )
    assert (done.status_code, done.headers["location"]) == (303, f"{record}?recorded=missed")
    session.refresh(forgot)
    assert forgot.status == MealStatus.missed
    assert "The meal is recorded as missed" in client.get(done.headers["location"]).text
