"""POST /api/staff/pairings/{id}/schedule: staff move an active pairing to a new day, time or
frequency both can do. Before, a pairing whose day one side could no longer do went on at that
day, or ended (the only way to move it), breaking the continuity the service exists for."""

from __future__ import annotations

from datetime import date

from fastapi.testclient import TestClient
from sqlmodel import Session, col, select

from app.config import Settings
from app.models import Meal, Notification, Pairing, User
from tests.factories import (
    active_pairing,
    approved_cook,
    auth_headers,
    cook_payload,
    covering_helper,
    create_council,
    create_user,
    diner_payload,
    registered_diner,
)

THURSDAY = 3
BOTH_FREE_THURSDAYS = [
    {"weekday": 1, "start": "17:00", "end": "19:00"},
    {"weekday": THURSDAY, "start": "12:00", "end": "14:00"},
]


def coming(session: Session, pairing_id: int) -> list[Meal]:
    return list(
        session.exec(
            select(Meal)
            .where(Meal.pairing_id == pairing_id, col(Meal.date) > date.today())
            .order_by(col(Meal.date))
        )
    )


def test_staff_move_a_pairing_to_a_time_both_can_do_and_both_are_told(
    client: TestClient, session: Session, settings: Settings, staff: User
):
    world = active_pairing(client, session, settings, staff)
    patched = client.patch(
        f"/api/diners/{world.diner_id}",
        json={"availability": BOTH_FREE_THURSDAYS},
        headers=world.carer_headers,
    )
    assert patched.status_code == 200, patched.text
    client.put(
        "/api/cooks/me", json=cook_payload(availability=BOTH_FREE_THURSDAYS),
        headers=world.cook_headers,
    )  # fmt: skip
    helper, _ = covering_helper(client, session, settings, staff, pairing_id=world.pairing_id)
    body = {"weekday": THURSDAY, "start": "12:30", "frequency": "weekly"}

    moved = client.post(
        f"/api/staff/pairings/{world.pairing_id}/schedule",
        json=body,
        headers=auth_headers(staff, settings),
    )

    assert moved.status_code == 200, moved.text
    assert (moved.json()["weekday"], moved.json()["start"]) == (THURSDAY, "12:30")
    meals = coming(session, world.pairing_id)
    assert meals and {(m.date.weekday(), m.start, m.status) for m in meals} == {
        (THURSDAY, "12:30", "scheduled")
    }
    said = session.exec(select(Notification).where(Notification.event == "pairing_moved"))
    assert {n.to_user_id for n in said} == {world.cook.id, world.carer.id}
    stopped = session.exec(select(Notification).where(Notification.event == "cover_cancelled"))
    assert [n.to_user_id for n in stopped] == [helper.id]
    pairing = session.get(Pairing, world.pairing_id)
    assert pairing is not None and pairing.status == "active"


def test_a_time_one_side_cannot_do_is_refused_naming_the_rule_and_nothing_moves(
    client: TestClient, session: Session, settings: Settings, staff: User
):
    world = active_pairing(client, session, settings, staff)
    before = [(m.id, m.date, m.start) for m in coming(session, world.pairing_id)]
    path = f"/api/staff/pairings/{world.pairing_id}/schedule"
    headers = auth_headers(staff, settings)

    thursday = client.post(
        path, json={"weekday": THURSDAY, "start": "12:30", "frequency": "weekly"}, headers=headers
    )
    monthly = client.post(
        path, json={"weekday": 1, "start": "17:30", "frequency": "monthly"}, headers=headers
    )

    assert thursday.status_code == 422
    assert thursday.json()["detail"][0]["type"] == "no_shared_time"
    assert monthly.status_code == 422  # Priya cooks weekly or fortnightly
    assert [(m.id, m.date, m.start) for m in coming(session, world.pairing_id)] == before


def test_moving_is_for_the_councils_staff_and_active_pairings_only(
    client: TestClient, session: Session, settings: Settings, staff: User
):
    world = active_pairing(client, session, settings, staff)
    path = f"/api/staff/pairings/{world.pairing_id}/schedule"
    body = {"weekday": 1, "start": "17:45", "frequency": "weekly"}
    elsewhere = create_user(session, role="staff", council=create_council(session, slug="other"))
    assert (
        client.post(path, json=body, headers=auth_headers(elsewhere, settings)).status_code == 404
    )
    assert client.post(path, json=body, headers=world.cook_headers).status_code == 403
    client.post(
        f"/api/staff/pairings/{world.pairing_id}/end", headers=auth_headers(staff, settings)
    )
    ended = client.post(path, json=body, headers=auth_headers(staff, settings))
    assert ended.status_code == 409


def test_a_time_that_puts_the_cook_at_another_diners_home_is_refused(
    client: TestClient, session: Session, settings: Settings, staff: User
):
    """Moved to 17:00 on a Thursday, Priya was booked at two homes at once: the check knew the
    times she shares with this diner, not her other pairings (an outside check)."""
    world = active_pairing(client, session, settings, staff)
    first = session.get(Pairing, world.pairing_id)
    assert first is not None
    _, albert = registered_diner(client, session, settings, full_name="Albert Smith")
    session.add(
        Pairing(
            council_id=first.council_id, diner_id=albert, cook_id=first.cook_id, weekday=1,
            start="18:00", frequency="weekly", status="active", distance_m=300,
            proposed_at=first.proposed_at,
        )
    )  # fmt: skip
    session.commit()

    clash = client.post(
        f"/api/staff/pairings/{world.pairing_id}/schedule",
        json={"weekday": 1, "start": "18:15", "frequency": "weekly"},
        headers=auth_headers(staff, settings),
    )

    assert clash.status_code == 422
    assert clash.json()["detail"][0]["type"] == "cook_busy"
    assert clash.json()["detail"][0]["loc"] == ["body", "start"]


def test_the_move_names_its_first_meal_and_posts_a_diner_without_a_carer_the_plan(
    client: TestClient, session: Session, settings: Settings, staff: User
):
    headers = auth_headers(staff, settings)
    referred = client.post("/api/staff/diners", json=diner_payload(phone=None), headers=headers)
    assert referred.status_code == 201, referred.text
    cook_user, cook_id = approved_cook(client, session, settings, staff)
    proposed = client.post(
        "/api/staff/pairings",
        json={"diner_id": referred.json()["id"], "cook_id": cook_id, "weekday": 1,
              "start": "17:30", "frequency": "weekly"},
        headers=headers,
    )  # fmt: skip
    pairing_id = proposed.json()["id"]
    client.post(f"/api/pairings/{pairing_id}/accept", headers=auth_headers(cook_user, settings))
    letters = select(Notification).where(Notification.event == "meal_plan_letter")
    before = len(session.exec(letters).all())

    moved = client.post(
        f"/api/staff/pairings/{pairing_id}/schedule",
        json={"weekday": 1, "start": "18:00", "frequency": "weekly"},
        headers=headers,
    )

    assert moved.status_code == 200, moved.text
    assert len(session.exec(letters).all()) == before + 1  # the new plan, by post
    [told] = session.exec(select(Notification).where(Notification.event == "pairing_moved"))
    first = coming(session, pairing_id)[0].date
    assert told.subject == "Meals for Edna move to Tuesdays at 18:00, every week"
    assert f"The first is on {first:%A} {first.day} {first:%B}." in told.body


def test_a_meal_needing_cover_is_asked_for_again_at_its_new_time(
    client: TestClient, session: Session, settings: Settings, staff: User
):
    """An outside check: a cook asked to cover at 17:30 was neither told of the move nor
    asked again (the new meal could take the deleted one's id, and its request was swallowed
    as a duplicate)."""
    world = active_pairing(client, session, settings, staff)
    spare, _ = approved_cook(client, session, settings, staff, postcode="N3 1QX")
    day = coming(session, world.pairing_id)[0].date.isoformat()
    away = client.post(
        "/api/cooks/me/away", json={"from": day, "to": day}, headers=world.cook_headers
    )
    assert away.status_code == 200, away.text
    asked = select(Notification).where(
        Notification.to_user_id == spare.id, Notification.event == "cover_request"
    )
    assert [n.body.count("17:30") for n in session.exec(asked)] == [1]

    moved = client.post(
        f"/api/staff/pairings/{world.pairing_id}/schedule",
        json={"weekday": 1, "start": "18:15", "frequency": "weekly"},
        headers=auth_headers(staff, settings),
    )

    assert moved.status_code == 200, moved.text
    bodies = [n.body for n in session.exec(asked)]
    assert len(bodies) == 2 and "18:15" in bodies[1]
    # The first meal the cook brings at the new time is the one after their day away (an
    # outside check: "the first is on Tuesday 8 December", the day they were away).
    told = session.exec(
        select(Notification).where(
            Notification.event == "pairing_moved", Notification.to_user_id == world.cook.id
        )
    ).one()
    theirs = [m.date for m in coming(session, world.pairing_id) if m.cook_id == world.cook_id]
    assert theirs[0].isoformat() > day
    assert f"The first is on {theirs[0]:%A} {theirs[0].day} {theirs[0]:%B}." in told.body
    # The carer's first is Edna's, the one needing cover (they were told the cook's, then
    # "cover arranged" for the week before: an outside check).
    to_carer = session.exec(
        select(Notification).where(
            Notification.event == "pairing_moved", Notification.to_user_id == world.carer.id
        )
    ).one()
    first = date.fromisoformat(day)
    assert f"The first is on {first:%A} {first.day} {first:%B}." in to_carer.body
