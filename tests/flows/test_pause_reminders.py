"""Two days before a relative's meals start again after a pause, their carer (else the
coordinator) is reminded, through the real job and the outbox: a guessed hospital discharge
date would otherwise bring a cook with the key-safe code to an empty home."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta

from fastapi.testclient import TestClient
from sqlmodel import Session, col, select

from app.config import Settings
from app.councils.rules import council_today
from app.councils.service import add_neighbourhood
from app.flows.diners import cancel_pause
from app.flows.jobs import run_jobs
from app.models import Council, Diner, Meal, Notification, User
from tests.factories import (
    PairingWorld,
    active_pairing,
    approved_cook,
    auth_headers,
    create_user,
    diner_payload,
)


def at_noon(day: date) -> datetime:
    return datetime.combine(day, time(12, 0), tzinfo=UTC)


def reminders(session: Session) -> list[Notification]:
    return list(
        session.exec(
            select(Notification)
            .where(Notification.event == "pause_ending")
            .order_by(col(Notification.id))
        ).all()
    )


def meal_dates(session: Session, pairing_id: int, today: date) -> list[date]:
    return list(
        session.exec(
            select(Meal.date)
            .where(Meal.pairing_id == pairing_id, col(Meal.date) > today)
            .order_by(col(Meal.date))
        ).all()
    )


def pause(client: TestClient, world: PairingWorld, first: date, last: date) -> None:
    body = {"from": str(first), "to": str(last)}
    paused = client.post(
        f"/api/diners/{world.diner_id}/pause", json=body, headers=world.carer_headers
    )
    assert paused.status_code == 200, paused.text


def test_the_carer_is_reminded_once_two_days_before_meals_start_again(
    client: TestClient, session: Session, settings: Settings, staff: User, barnet: Council
):
    world = active_pairing(client, session, settings, staff, coordinator=staff)
    today = council_today(barnet)
    meals = meal_dates(session, world.pairing_id, today)
    last = meals[1] + timedelta(days=2)  # a Thursday: the pause covers two Tuesday meals
    pause(client, world, today + timedelta(days=1), last)

    early = run_jobs(session, now=at_noon(last - timedelta(days=2)))
    due = run_jobs(session, now=at_noon(last - timedelta(days=1)))
    again = run_jobs(session, now=at_noon(last))

    assert (early["pause_reminders"], due["pause_reminders"], again["pause_reminders"]) == (
        0,
        1,
        0,
    )
    (told,) = reminders(session)
    assert told.to_user_id == world.carer.id
    assert told.subject == f"Edna's meals start again after Thursday {last.day} {last:%B}"
    first = meals[2]
    assert f"Edna's meals are paused until Thursday {last.day} {last:%B}." in told.body
    assert f"the first meal is on Tuesday {first.day} {first:%B} at 17:30" in told.body
    assert told.body.endswith(
        f"make the pause longer before then: "
        f"{settings.link(f'/carer/relatives/{world.diner_id}/pause')}"
    )


def test_a_first_meal_that_still_needs_a_cook_is_not_promised_one(
    client: TestClient, session: Session, settings: Settings, staff: User, barnet: Council
):
    """Priya is away for the first meal after the pause and no cover is found yet: the carer
    read "when a cook will come to Edna's home" (a review)."""
    world = active_pairing(client, session, settings, staff)
    today = council_today(barnet)
    meals = meal_dates(session, world.pairing_id, today)
    last = meals[1] + timedelta(days=2)
    first = meals[2]
    pause(client, world, today + timedelta(days=1), last)
    away = {"from": str(first), "to": str(first)}
    went = client.post("/api/cooks/me/away", json=away, headers=world.cook_headers)
    assert went.status_code in (200, 201), went.text

    run_jobs(session, now=at_noon(last - timedelta(days=1)))

    (told,) = reminders(session)
    assert told.to_user_id == world.carer.id
    assert f"the first meal is on Tuesday {first.day} {first:%B} at 17:30. " in told.body
    assert "a cook will come" not in told.body
    assert (
        "Its usual cook is away that day, and we are still looking for another cook to bring "
        "it: we will tell you who, or that we could not find one."
    ) in told.body


def test_a_carer_who_chose_texts_is_reminded_by_text(
    client: TestClient, session: Session, settings: Settings, staff: User, barnet: Council
):
    world = active_pairing(client, session, settings, staff)
    world.carer.phone, world.carer.contact_preference = "+447911123456", "sms"
    session.add(world.carer)
    session.commit()
    today = council_today(barnet)
    last = meal_dates(session, world.pairing_id, today)[0]
    pause(client, world, today, last)

    run_jobs(session, now=at_noon(last - timedelta(days=1)))

    assert [(n.to_user_id, n.channel) for n in reminders(session)] == [(world.carer.id, "sms")]


def test_a_pause_moved_later_is_reminded_of_before_its_new_last_day_only(
    client: TestClient, session: Session, settings: Settings, staff: User, barnet: Council
):
    world = active_pairing(client, session, settings, staff)
    today = council_today(barnet)
    meals = meal_dates(session, world.pairing_id, today)
    first_end, new_end = meals[1], meals[2]
    pause(client, world, today + timedelta(days=1), first_end)
    pause(client, world, today + timedelta(days=1), new_end)  # home later than guessed

    run_jobs(session, now=at_noon(first_end - timedelta(days=1)))
    assert reminders(session) == []
    run_jobs(session, now=at_noon(new_end - timedelta(days=1)))
    assert [n.subject for n in reminders(session)] == [
        f"Edna's meals start again after {new_end:%A} {new_end.day} {new_end:%B}"
    ]


def test_a_pause_made_longer_after_its_reminder_is_reminded_of_again(
    client: TestClient, session: Session, settings: Settings, staff: User, barnet: Council
):
    world = active_pairing(client, session, settings, staff)
    today = council_today(barnet)
    meals = meal_dates(session, world.pairing_id, today)
    pause(client, world, today + timedelta(days=1), meals[0])
    run_jobs(session, now=at_noon(meals[0] - timedelta(days=1)))
    pause(client, world, today + timedelta(days=1), meals[1])  # the reminder did its job

    run_jobs(session, now=at_noon(meals[1] - timedelta(days=1)))

    assert [n.subject.rsplit(" ", 2)[1] for n in reminders(session)] == [
        str(meals[0].day),
        str(meals[1].day),
    ]


def test_no_reminder_for_a_pause_cancelled_meanwhile_only_for_the_one_set_after(
    client: TestClient, session: Session, settings: Settings, staff: User, barnet: Council
):
    world = active_pairing(client, session, settings, staff)
    today = council_today(barnet)
    meals = meal_dates(session, world.pairing_id, today)
    pause(client, world, today + timedelta(days=1), meals[0])
    diner = session.get(Diner, world.diner_id)
    assert diner is not None
    cancel_pause(session, actor=world.carer, diner=diner)  # home early (the carer's page)
    session.commit()

    run_jobs(session, now=at_noon(meals[0] - timedelta(days=1)))
    assert reminders(session) == []
    pause(client, world, meals[0] + timedelta(days=1), meals[1])  # away again, later
    run_jobs(session, now=at_noon(meals[1] - timedelta(days=1)))
    assert [n.subject.rsplit(" ", 2)[1] for n in reminders(session)] == [str(meals[1].day)]


def test_no_reminder_for_a_pause_shorter_than_the_notice(
    client: TestClient, session: Session, settings: Settings, staff: User, barnet: Council
):
    """A one-day pause: the reminder would come before the pause had even begun; a two-day
    one is reminded of on its first day."""
    world = active_pairing(client, session, settings, staff)
    meals = meal_dates(session, world.pairing_id, council_today(barnet))
    pause(client, world, meals[0], meals[0])
    run_jobs(session, now=at_noon(meals[0] - timedelta(days=1)))
    run_jobs(session, now=at_noon(meals[0]))
    assert reminders(session) == []

    two_days = meals[0] + timedelta(days=1)
    pause(client, world, meals[0], two_days)
    run_jobs(session, now=at_noon(meals[0]))

    assert [n.subject.rsplit(" ", 2)[1] for n in reminders(session)] == [str(two_days.day)]


def test_the_coordinator_is_reminded_for_a_diner_with_no_carer(
    client: TestClient, session: Session, settings: Settings, staff: User, barnet: Council
):
    coordinator = create_user(session, role="staff", council=barnet)
    add_neighbourhood(session, council=barnet, name="Finchley", sectors=["N3 1"],
                      coordinator=coordinator)  # fmt: skip
    session.commit()
    staff_h = auth_headers(staff, settings)
    _, cook_id = approved_cook(client, session, settings, staff)
    referred = client.post("/api/staff/diners", json=diner_payload(), headers=staff_h)
    assert referred.status_code == 201, referred.text
    diner_id = referred.json()["id"]
    body = {"diner_id": diner_id, "cook_id": cook_id, "weekday": 1, "start": "17:30",
            "frequency": "weekly"}  # fmt: skip
    proposed = client.post("/api/staff/pairings", json=body, headers=staff_h).json()
    cook_user = session.exec(select(User).where(User.role == "cook")).one()
    accepted = client.post(
        f"/api/pairings/{proposed['id']}/accept", headers=auth_headers(cook_user, settings)
    )
    assert accepted.status_code == 200, accepted.text
    today = council_today(barnet)
    last = meal_dates(session, proposed["id"], today)[1]
    paused = client.post(
        f"/api/diners/{diner_id}/pause",
        json={"from": str(today), "to": str(last)},
        headers=staff_h,
    )
    assert paused.status_code == 200, paused.text

    run_jobs(session, now=at_noon(last - timedelta(days=1)))

    (told,) = reminders(session)
    assert told.to_user_id == coordinator.id
    assert "Edna has no carer to remind" in told.body
    assert told.body.endswith(f"Edna's record: {settings.link(f'/staff/diners/{diner_id}')}")


def test_no_reminder_when_no_meal_starts_again_after_the_pause(
    client: TestClient, session: Session, settings: Settings, staff: User, barnet: Council
):
    """A diner waiting for a new cook: nobody will come to the door after the pause."""
    world = active_pairing(client, session, settings, staff)
    today = council_today(barnet)
    meals = meal_dates(session, world.pairing_id, today)
    pause(client, world, today, meals[0])
    run_jobs(session, now=at_noon(meals[0] - timedelta(days=1)))
    assert len(reminders(session)) == 1
    ended = client.post(
        f"/api/diners/{world.diner_id}/change-request",
        json={"reason": "A different cook, please"},
        headers=world.carer_headers,
    )
    assert ended.status_code == 200, ended.text
    pause(client, world, meals[0] + timedelta(days=1), meals[1])

    run_jobs(session, now=at_noon(meals[1] - timedelta(days=1)))

    assert len(reminders(session)) == 1
