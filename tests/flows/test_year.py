"""A pairing's year through the API: a holiday with cover, a hospital stay, a change of cook.

Worked out by hand (weekly, Tuesdays 17:30, Europe/London):
- Pairing 1, cook Priya, accepted Mon 2027-01-04: Tuesdays 5 Jan .. 27 Jul = 30 meals.
  Priya away 8-16 Mar: 9 and 16 Mar covered by Fatima (2 meals, not the regular cook).
  Hospital stay 10-24 May: 11 and 18 May cancelled. Delivered 28, by Priya 26.
  Change requested Wed 28 Jul: 205 days after acceptance.
- Pairing 2, cook Fatima (met through the cover, so suggested first), accepted Thu 29 Jul:
  Tuesdays 3 Aug .. 28 Dec = 22 meals, all by Fatima. 153 days to Wed 29 Dec.
- Continuity: (26 + 22) / (28 + 22) = 48 / 50 = 0.96. Median pairing length: (205 + 153) / 2 = 179.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import time_machine
from fastapi.testclient import TestClient
from sqlmodel import Session, select

from app.config import Settings
from app.flows.jobs import run_jobs
from app.models import Meal, User
from tests.factories import approved_cook, auth_headers, registered_diner

LONDON = ZoneInfo("Europe/London")


def at(day: date, hour: int = 19) -> datetime:
    return datetime.combine(day, time(hour, 0), tzinfo=LONDON)


def tuesdays(first: date, last: date) -> list[date]:
    return [first + timedelta(weeks=i) for i in range((last - first).days // 7 + 1)]


def test_a_year_of_meals_gives_the_continuity_worked_out_by_hand(
    client: TestClient, session: Session, settings: Settings, staff: User
):
    with time_machine.travel(at(date(2026, 12, 20)), tick=False) as clock:
        staff_h = lambda: auth_headers(staff, settings)  # noqa: E731  (tokens follow the clock)
        priya, priya_id = approved_cook(client, session, settings, staff, display_name="Priya")
        fatima, fatima_id = approved_cook(
            client, session, settings, staff, display_name="Fatima", postcode="N3 1BU"
        )
        carer, diner_id = registered_diner(client, session, settings)
        clock.move_to(at(date(2027, 1, 4), 10))
        body = {
            "diner_id": diner_id,
            "cook_id": priya_id,
            "weekday": 1,
            "start": "17:30",
            "frequency": "weekly",
        }
        pairing_1 = client.post("/api/staff/pairings", json=body, headers=staff_h()).json()["id"]
        assert (
            client.post(
                f"/api/pairings/{pairing_1}/accept", headers=auth_headers(priya, settings)
            ).status_code
            == 200
        )

        def deliver_on(day: date) -> None:
            clock.move_to(at(day))
            run_jobs(session)
            for cook in (priya, fatima):
                meals = client.get(
                    f"/api/cooks/me/meals?from={day}&to={day}", headers=auth_headers(cook, settings)
                ).json()["items"]
                for meal in meals:
                    if meal["status"] == "scheduled":
                        done = client.post(
                            f"/api/meals/{meal['id']}/delivered",
                            headers=auth_headers(cook, settings),
                        )
                        assert done.status_code == 200, done.text

        for day in tuesdays(date(2027, 1, 5), date(2027, 7, 27)):
            if day == date(2027, 3, 2):
                deliver_on(day)
                away = {"from": "2027-03-08", "to": "2027-03-16"}
                assert (
                    len(
                        client.post(
                            "/api/cooks/me/away", json=away, headers=auth_headers(priya, settings)
                        ).json()["items"]
                    )
                    == 2
                )
                for request in client.get(
                    "/api/cooks/me/cover-requests", headers=auth_headers(fatima, settings)
                ).json()["items"]:
                    assert (
                        client.post(
                            f"/api/meals/{request['id']}/cover",
                            headers=auth_headers(fatima, settings),
                        ).status_code
                        == 200
                    )
                continue
            if day == date(2027, 5, 4):
                deliver_on(day)
                pause = {"from": "2027-05-10", "to": "2027-05-24", "reason": "hospital stay"}
                assert (
                    client.post(
                        f"/api/diners/{diner_id}/pause",
                        json=pause,
                        headers=auth_headers(carer, settings),
                    ).status_code
                    == 200
                )
                continue
            deliver_on(day)

        clock.move_to(at(date(2027, 7, 28), 10))
        change = client.post(
            f"/api/diners/{diner_id}/change-request",
            json={"reason": "a fresh start"},
            headers=auth_headers(carer, settings),
        )
        assert change.status_code == 200
        clock.move_to(at(date(2027, 7, 29), 10))
        suggestions = client.get(
            f"/api/staff/diners/{diner_id}/suggestions", headers=staff_h()
        ).json()["items"]
        assert suggestions[0]["cook_id"] == fatima_id  # met through the cover
        assert priya_id not in [s["cook_id"] for s in suggestions]  # excluded by the change request
        body |= {"cook_id": fatima_id}
        pairing_2 = client.post("/api/staff/pairings", json=body, headers=staff_h()).json()["id"]
        client.post(f"/api/pairings/{pairing_2}/accept", headers=auth_headers(fatima, settings))
        for day in tuesdays(date(2027, 8, 3), date(2027, 12, 28)):
            deliver_on(day)

        clock.move_to(at(date(2027, 12, 29), 10))
        delivered = session.exec(
            select(Meal).where(Meal.diner_id == diner_id, Meal.status == "delivered")
        ).all()
        assert len(delivered) == 50
        assert sum(1 for m in delivered if m.is_cover) == 2
        assert {(m.date.month, m.date.day) for m in delivered if m.is_cover} == {(3, 9), (3, 16)}
        cancelled = session.exec(
            select(Meal.date).where(Meal.diner_id == diner_id, Meal.cancel_reason == "diner_paused")
        ).all()
        assert sorted(cancelled) == [date(2027, 5, 11), date(2027, 5, 18)]
        # Clock changes (28 Mar, 31 Oct) never move the local time: 17:30 in winter and summer.
        assert {m.at.astimezone(LONDON).strftime("%H:%M") for m in delivered} == {"17:30"}
        assert {m.at.astimezone(UTC).strftime("%H:%M") for m in delivered} == {"17:30", "16:30"}

        summary = client.get("/api/staff/reports/summary", headers=staff_h())
        assert summary.status_code == 200, summary.text
        figures = summary.json()
        assert figures["meals_delivered"] == 50 and figures["meals_missed"] == 0
        assert figures["continuity_rate"] == 0.96
        assert abs(figures["median_pairing_days"] - 179) <= 1
