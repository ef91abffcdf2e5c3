"""Periodic jobs: reminders, cover alerts and lapsed-contact alerts (time passed in, not read)."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta

import time_machine
from fastapi.testclient import TestClient
from sqlmodel import Session, select

from app.config import Settings
from app.flows.jobs import run_jobs
from app.models import Meal, Notification, OutcomeAnswer, User
from tests.factories import active_pairing


def at_noon(day: date) -> datetime:
    return datetime.combine(day, time(12, 0), tzinfo=UTC)


def events(session: Session, event: str) -> list[Notification]:
    return list(session.exec(select(Notification).where(Notification.event == event)).all())


def test_cook_is_reminded_once_the_day_before_when_jobs_run(
    client: TestClient, session: Session, settings: Settings, staff: User
):
    pairing = active_pairing(client, session, settings, staff, coordinator=staff)
    first = session.exec(
        select(Meal).where(Meal.pairing_id == pairing.pairing_id).order_by(Meal.date)
    ).first()
    assert first is not None
    run_jobs(session, now=at_noon(first.date - timedelta(days=2)))
    assert events(session, "meal_reminder") == []
    first_run = run_jobs(session, now=at_noon(first.date - timedelta(days=1)))
    again = run_jobs(session, now=at_noon(first.date - timedelta(days=1)))
    # What a run says it queued is what it queued: a run again queues nothing new (an outside
    # check read the same counts from every run and could not tell whether anything was sent).
    assert (first_run["reminders"], again["reminders"]) == (1, 0)
    reminders = events(session, "meal_reminder")
    assert [(n.to_user_id, n.subject.startswith("Tomorrow")) for n in reminders] == [
        (pairing.cook.id, True)
    ]


def test_coordinator_is_alerted_when_meal_still_needs_cover_two_days_before(
    client: TestClient, session: Session, settings: Settings, staff: User
):
    pairing = active_pairing(client, session, settings, staff, coordinator=staff)
    meals = client.get("/api/cooks/me/meals", headers=pairing.cook_headers).json()["items"]
    day = date.fromisoformat(meals[2]["date"])
    client.post(
        "/api/cooks/me/away", json={"from": str(day), "to": str(day)}, headers=pairing.cook_headers
    )
    run_jobs(session, now=at_noon(day - timedelta(days=3)))
    assert events(session, "cover_missing") == []
    run_jobs(session, now=at_noon(day - timedelta(days=2)))
    said = {n.to_user_id: n for n in events(session, "cover_missing")}
    # The carer too: they heard nothing, and the meal may not come.
    assert set(said) == {staff.id, pairing.carer.id}
    assert said[staff.id].subject.endswith(" at 17:30")
    assert said[staff.id].body.startswith("Priya, Edna's usual cook, is away")
    assert said[pairing.carer.id].subject.startswith("Edna's meal on ")
    assert "may not come" in said[pairing.carer.id].subject


def test_a_meal_nobody_covered_is_recorded_missed_once_its_time_has_come(
    client: TestClient, session: Session, settings: Settings, staff: User
):
    """An outside check: it stayed "needs cover" for ever, out of the week's missed meals."""
    pairing = active_pairing(client, session, settings, staff, coordinator=staff)
    meals = client.get("/api/cooks/me/meals", headers=pairing.cook_headers).json()["items"]
    day, later = date.fromisoformat(meals[2]["date"]), date.fromisoformat(meals[3]["date"])
    away = {"from": str(day), "to": str(later)}
    client.post("/api/cooks/me/away", json=away, headers=pairing.cook_headers)
    first = session.get(Meal, meals[2]["id"])
    assert first is not None and first.status == "needs_cover"
    moment = first.at.replace(tzinfo=UTC)

    before = run_jobs(session, now=moment - timedelta(minutes=1))
    after = run_jobs(session, now=moment)

    assert (before["uncovered_missed"], after["uncovered_missed"]) == (0, 1)
    first, second = session.get(Meal, meals[2]["id"]), session.get(Meal, meals[3]["id"])
    assert first is not None and second is not None
    assert (first.status, first.cook_id, second.status) == ("missed", None, "needs_cover")
    # Told two days before that it may not come; not told again, and no cook is blamed.
    assert events(session, "meal_missed") == []


def test_coordinator_is_alerted_once_when_nothing_delivered_for_two_weeks(
    client: TestClient, session: Session, settings: Settings, staff: User
):
    active_pairing(client, session, settings, staff, coordinator=staff)
    run_jobs(session, now=datetime.now(UTC) + timedelta(days=13))
    assert events(session, "contact_lapsed") == []
    run_jobs(session, now=datetime.now(UTC) + timedelta(days=15))
    run_jobs(session, now=datetime.now(UTC) + timedelta(days=16))
    assert [n.to_user_id for n in events(session, "contact_lapsed")] == [staff.id]


def test_no_lapse_is_alerted_while_the_diner_asked_for_no_meals_and_counted_from_its_end(
    client: TestClient, session: Session, settings: Settings, staff: User
):
    """An outside check: a diner paused for a fortnight in hospital had the coordinator told
    "no meal delivered for 14+ days, a friendly call may help" during the planned stay."""
    world = active_pairing(client, session, settings, staff, coordinator=staff)
    today = datetime.now(UTC).date()
    pause = {"from": str(today + timedelta(days=1)), "to": str(today + timedelta(days=20))}
    paused = client.post(
        f"/api/diners/{world.diner_id}/pause", json=pause, headers=world.carer_headers
    )
    assert paused.status_code == 200, paused.text

    run_jobs(session, now=at_noon(today + timedelta(days=15)))  # in the stay
    run_jobs(session, now=at_noon(today + timedelta(days=30)))  # 10 days after it
    assert events(session, "contact_lapsed") == []
    run_jobs(session, now=at_noon(today + timedelta(days=35)))  # 15 days after it
    assert [n.to_user_id for n in events(session, "contact_lapsed")] == [staff.id]


def test_carer_is_asked_the_friendship_question_once_a_quarter_when_pairing_established(
    client: TestClient, session: Session, settings: Settings, staff: User
):
    with time_machine.travel(datetime(2027, 1, 4, 10, tzinfo=UTC), tick=False):
        active_pairing(client, session, settings, staff, coordinator=staff)
    run_jobs(session, now=datetime(2027, 1, 20, 12, tzinfo=UTC))
    assert events(session, "outcome_question") == []  # under four weeks: too early
    asked_now = run_jobs(session, now=datetime(2027, 2, 15, 12, tzinfo=UTC))
    asked_later = run_jobs(session, now=datetime(2027, 3, 30, 12, tzinfo=UTC))
    assert len(events(session, "outcome_question")) == 1  # once in the first quarter
    assert (asked_now["outcome_questions"], asked_later["outcome_questions"]) == (1, 0)
    run_jobs(session, now=datetime(2027, 4, 2, 12, tzinfo=UTC))
    asked = events(session, "outcome_question")
    assert len(asked) == 2 and "consider Priya a friend" in asked[0].body


def test_a_carer_who_answered_lately_is_not_asked_the_friendship_question_again(
    client: TestClient, session: Session, settings: Settings, staff: User
):
    """An outside check: a carer who answered on their page on 12 November was asked again
    on 2 December, and would be on 2 January."""
    with time_machine.travel(datetime(2026, 9, 1, 10, tzinfo=UTC), tick=False):
        world = active_pairing(client, session, settings, staff, coordinator=staff)
    session.add(
        OutcomeAnswer(
            diner_id=world.diner_id,
            pairing_id=world.pairing_id,
            carer_id=world.carer.id,
            considers_friend=True,
            answered_at=datetime(2026, 11, 12, 15, tzinfo=UTC),
        )
    )
    session.commit()
    for day in (datetime(2026, 12, 2, 12, tzinfo=UTC), datetime(2027, 1, 2, 12, tzinfo=UTC)):
        run_jobs(session, now=day)
    assert events(session, "outcome_question") == []
    run_jobs(session, now=datetime(2027, 2, 15, 12, tzinfo=UTC))  # a quarter on
    assert len(events(session, "outcome_question")) == 1


def test_jobs_count_only_new_alerts_when_run_again(
    client: TestClient, session: Session, settings: Settings, staff: User
):
    active_pairing(client, session, settings, staff, coordinator=staff)
    later = datetime.now(UTC) + timedelta(days=15)
    assert run_jobs(session, now=later)["lapse_alerts"] == 1
    assert run_jobs(session, now=later)["lapse_alerts"] == 0
