"""Meals from acceptance onwards: schedule, outcomes, labels, absences, cover, endings."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, timedelta

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine
from sqlmodel import Session, col, select

from app.config import Settings
from app.geo.distance import haversine_m, public_distance_m
from app.meals.service import schedule_all, schedule_meals
from app.middleware import inline_style_hashes
from app.models import Cook, CookAway, Diner, Meal, MealFeedback, Notification, Pairing, User
from app.vocab import MealStatus
from tests.factories import (
    PairingWorld,
    active_pairing,
    approved_cook,
    auth_headers,
    cook_payload,
    registered_diner,
)
from tests.support.statements import beyond_sign_in, selects_run


@pytest.fixture
def active(client: TestClient, session: Session, settings: Settings, staff: User) -> PairingWorld:
    """An accepted weekly Tuesday 17:30 pairing between Priya (N3 1HT) and Edna (N3 1QX)."""
    return active_pairing(client, session, settings, staff)


def backdate(session: Session, pairing_id: int, weeks: int) -> list[Meal]:
    """Pretend the pairing started `weeks` ago, so that some meals are in the past."""
    pairing = session.get(Pairing, pairing_id)
    assert pairing is not None
    pairing.accepted_at = datetime.now(UTC) - timedelta(weeks=weeks)
    session.add(pairing)
    schedule_meals(session, pairing=pairing, today=date.today() - timedelta(weeks=weeks))
    session.commit()
    return list(
        session.exec(
            select(Meal).where(Meal.pairing_id == pairing_id, col(Meal.date) <= date.today())
        )
    )


def covered_before(session: Session, pairing_id: int, cook_id: int) -> None:
    """The cook brought one of the pairing's past meals as a cover."""
    past = backdate(session, pairing_id, weeks=2)
    past[0].cook_id, past[0].is_cover, past[0].status = cook_id, True, "delivered"
    session.add(past[0])
    session.commit()


def test_accepting_schedules_weekly_meals_over_eight_weeks_when_pairing_starts(
    client: TestClient, active: PairingWorld
):
    meals = client.get("/api/cooks/me/meals", headers=active.cook_headers).json()["items"]
    assert 8 <= len(meals) <= 9
    assert all(
        date.fromisoformat(m["date"]).weekday() == 1 and m["start"] == "17:30" for m in meals
    )
    assert all(date.fromisoformat(m["date"]) > date.today() for m in meals)
    assert meals[0]["diner_first_name"] == "Edna" and meals[0]["status"] == "scheduled"


def test_schedule_job_adds_nothing_when_run_twice(session: Session, active: PairingWorld):
    assert schedule_all(session) == 0
    before = len(session.exec(select(Meal)).all())
    schedule_all(session)
    assert len(session.exec(select(Meal)).all()) == before


def test_carer_sees_cook_name_and_upcoming_meals_when_pairing_active(
    client: TestClient, active: PairingWorld
):
    diner = client.get(f"/api/diners/{active.diner_id}", headers=active.carer_headers).json()
    assert diner["pairing"]["cook"] == {"display_name": "Priya", "id": None}
    assert len(diner["upcoming_meals"]) >= 8


def test_carer_does_not_see_an_ended_pairings_cancelled_meals_as_coming_up(
    client: TestClient, session: Session, settings: Settings, staff: User, active: PairingWorld
):
    """An outside check: after a new cook, half the carer's list of coming meals was the
    ended pairing's, "cancelled" beside the new ones."""
    ended = client.post(
        f"/api/staff/pairings/{active.pairing_id}/end", headers=auth_headers(staff, settings)
    )
    assert ended.status_code == 200, ended.text
    cancelled = session.exec(select(Meal).where(Meal.pairing_id == active.pairing_id)).all()
    assert cancelled and {m.status for m in cancelled} == {"cancelled"}

    diner = client.get(f"/api/diners/{active.diner_id}", headers=active.carer_headers).json()

    assert diner["upcoming_meals"] == []


def test_recording_outcome_works_once_and_not_before_the_day_when_cook_records(
    client: TestClient, session: Session, active: PairingWorld
):
    past = backdate(session, active.pairing_id, weeks=3)
    assert past
    meal_id = past[0].id
    done = client.post(f"/api/meals/{meal_id}/delivered", headers=active.cook_headers)
    assert done.status_code == 200 and done.json()["status"] == "delivered"
    assert (
        client.post(f"/api/meals/{meal_id}/missed", headers=active.cook_headers).status_code == 409
    )
    future = client.get("/api/cooks/me/meals", headers=active.cook_headers).json()["items"][-1]
    too_early = client.post(f"/api/meals/{future['id']}/delivered", headers=active.cook_headers)
    assert too_early.status_code == 422
    # The meal named in the address, not a body the request does not have.
    assert too_early.json()["detail"][0]["type"] == "meal_in_future"
    assert too_early.json()["detail"][0]["loc"] == ["path", "meal_id"]


def test_a_meal_is_missed_only_once_its_time_has_come_but_delivered_from_its_day(
    client: TestClient, session: Session, active: PairingWorld
):
    """At 07:00 a 16:30 meal was recorded missed, and the carer and the coordinator were told
    it "did not happen" (an outside check)."""
    meal = session.exec(select(Meal).where(Meal.pairing_id == active.pairing_id)).first()
    assert meal is not None
    later = datetime.now(UTC) + timedelta(hours=2)
    meal.date, meal.at = date.today(), later
    meal.start = f"{later:%H:%M}"
    session.add(meal)
    session.commit()
    path = f"/api/meals/{meal.id}"

    too_soon = client.post(f"{path}/missed", headers=active.cook_headers)

    assert too_soon.status_code == 422
    assert too_soon.json()["detail"][0]["type"] == "meal_not_yet_due"
    assert too_soon.json()["detail"][0]["loc"] == ["path", "meal_id"]
    told = select(Notification).where(Notification.event == "meal_missed")
    assert session.exec(told).all() == []
    brought = client.post(f"{path}/delivered", headers=active.cook_headers)
    assert brought.status_code == 200 and brought.json()["status"] == "delivered"


def test_missed_meal_alerts_carer_and_coordinator_when_recorded(
    client: TestClient, session: Session, active: PairingWorld, staff: User
):
    from app.councils.service import add_neighbourhood
    from app.models import Council, Diner

    diner = session.get(Diner, active.diner_id)
    assert diner is not None
    council = session.get(Council, diner.council_id)
    assert council is not None
    hood = add_neighbourhood(
        session, council=council, name="Finchley", sectors=["N3 1"], coordinator=staff
    )
    diner.neighbourhood_id = hood.id
    session.add(diner)
    past = backdate(session, active.pairing_id, weeks=2)
    client.post(f"/api/meals/{past[0].id}/missed", headers=active.cook_headers)
    sent = session.exec(select(Notification).where(Notification.event == "meal_missed")).all()
    said = {n.to_user_id: n.body for n in sent}
    assert set(said) == {active.carer.id, staff.id}
    # Each in their own words: the coordinator was told "the coordinator can help".
    assert said[active.carer.id].endswith(
        "Please check that all is well; the coordinator can help."
    )
    assert said[staff.id].endswith("Please check with the cook and the carer that all is well.")


def test_label_names_diner_and_allergens_when_printed(client: TestClient, active: PairingWorld):
    meal = client.get("/api/cooks/me/meals", headers=active.cook_headers).json()["items"][0]
    response = client.get(f"/api/meals/{meal['id']}/label", headers=active.cook_headers)
    assert response.status_code == 200 and response.headers["content-type"].startswith("text/html")
    assert (
        "For Edna" in response.text
        and "peanuts" in response.text
        and "reheat" in response.text.lower()
    )
    # Her diet too: a cook covering for another learns it from the label, not from a pairing.
    assert '<p class="avoid">Made to suit: Vegetarian</p>' in response.text
    assert "Quiet Close" not in response.text
    # A way back on screen (a browser walk found none), left off the printed label; the
    # page's policy still allows its one style block.
    assert '<p class="back"><a href="/cook/">Back to My cooking</a>' in response.text
    # Days without a leading zero ("Saturday 05 December" before: a browser check).
    assert re.search(r"Cooked on [A-Z][a-z]+day [1-9]\d? [A-Z][a-z]+ \d{4}\.", response.text)
    assert "@media print{.back{display:none}}" in response.text
    # Laid out for a phone's width, as every page is (980 px and tiny text before: a walk).
    assert '<meta name="viewport" content="width=device-width, initial-scale=1">' in response.text
    policy = response.headers["content-security-policy"]
    assert all(h in policy for h in inline_style_hashes(response.text))


def test_a_cancelled_meal_has_no_label(client: TestClient, session: Session, active: PairingWorld):
    meal = session.exec(select(Meal).where(Meal.pairing_id == active.pairing_id)).first()
    assert meal is not None
    meal.status = MealStatus.cancelled
    session.add(meal)
    session.commit()
    response = client.get(f"/api/meals/{meal.id}/label", headers=active.cook_headers)
    assert response.status_code == 404
    assert response.json()["detail"] == "This meal is cancelled: there is no label to print"
    # The cook's page links here: a browser following that link (a newcomer's walk, after the
    # meal was cancelled) reads why on a page, not {"detail": ...}.
    browser = active.cook_headers | {"Accept": "text/html,application/xhtml+xml,*/*;q=0.8"}
    shown = client.get(f"/api/meals/{meal.id}/label", headers=browser)
    assert shown.status_code == 404
    assert shown.headers["content-type"].startswith("text/html")
    assert "This meal is cancelled: there is no label to print" in shown.text
    assert '<h1 class="govuk-heading-l">Page not found</h1>' in shown.text


def test_another_cook_gets_404_when_touching_someone_elses_meal(
    client: TestClient, session: Session, settings: Settings, staff: User, active: PairingWorld
):
    other, _ = approved_cook(client, session, settings, staff)
    meal = client.get("/api/cooks/me/meals", headers=active.cook_headers).json()["items"][0]
    for path in (f"/api/meals/{meal['id']}/delivered", f"/api/meals/{meal['id']}/missed"):
        assert client.post(path, headers=auth_headers(other, settings)).status_code == 404
    assert (
        client.get(
            f"/api/meals/{meal['id']}/label", headers=auth_headers(other, settings)
        ).status_code
        == 404
    )


def test_away_from_a_past_day_is_422_naming_from_and_takes_no_meal_off_the_cook(
    client: TestClient, session: Session, active: PairingWorld
):
    """Before, the API (unlike the page) took it: yesterday's unrecorded meal needed cover
    from nobody, and the cook's "delivered" for it was then 404."""
    past = session.exec(select(Meal).where(Meal.pairing_id == active.pairing_id)).first()
    assert past is not None
    past.date = date.today() - timedelta(days=1)
    session.add(past)
    session.commit()
    response = client.post(
        "/api/cooks/me/away",
        json={"from": past.date.isoformat(), "to": date.today().isoformat()},
        headers=active.cook_headers,
    )
    assert response.status_code == 422, response.text
    assert [e["loc"] for e in response.json()["detail"]] == [["body", "from"]]
    session.refresh(past)
    assert (past.status, past.cook_id) == ("scheduled", active.cook_id)
    assert not session.exec(select(CookAway)).all()


def test_away_with_its_days_reversed_is_422_naming_to(
    client: TestClient, session: Session, active: PairingWorld
):
    response = client.post(
        "/api/cooks/me/away",
        json={"from": "2031-05-10", "to": "2031-05-01"},
        headers=active.cook_headers,
    )
    assert response.status_code == 422
    assert [(e["loc"], e["msg"]) for e in response.json()["detail"]] == [
        (["body", "to"], "Value error, to must be on or after from")
    ]


def test_the_cooks_own_lists_take_limit_and_offset_as_every_list_does(
    client: TestClient, active: PairingWorld
):
    """Before, all three answered every item whatever `limit` and `offset` said."""
    headers = active.cook_headers
    far = {
        "from": date.today().isoformat(),
        "to": (date.today() + timedelta(days=3650)).isoformat(),
    }
    every = client.get("/api/cooks/me/meals", params=far, headers=headers).json()
    assert every["total"] > 2
    page = client.get(
        "/api/cooks/me/meals", params={**far, "limit": 2, "offset": 1}, headers=headers
    ).json()
    assert page["total"] == every["total"]
    assert [m["id"] for m in page["items"]] == [m["id"] for m in every["items"][1:3]]
    for path in ("/api/cooks/me/meals", "/api/cooks/me/pairings", "/api/cooks/me/cover-requests"):
        for bad, field in (
            ({"limit": 501}, "limit"),
            ({"limit": 0}, "limit"),
            ({"offset": -1}, "offset"),
        ):
            refused = client.get(path, params=bad, headers=headers)
            assert refused.status_code == 422, (path, bad)
            assert [e["loc"] for e in refused.json()["detail"]] == [["query", field]]
    pairings = client.get("/api/cooks/me/pairings", params={"offset": 1}, headers=headers).json()
    assert (pairings["items"], pairings["total"]) == ([], 1)


def test_a_pause_that_began_yesterday_leaves_yesterdays_meal_for_the_cook_to_record(
    client: TestClient, session: Session, active: PairingWorld
):
    """Before, the pause cancelled it, and the cook's "delivered" for it was then 409."""
    meals = session.exec(
        select(Meal).where(Meal.pairing_id == active.pairing_id).order_by(col(Meal.date))
    ).all()
    past, coming = meals[0], meals[1]
    past.date = date.today() - timedelta(days=1)
    session.add(past)
    session.commit()
    body = {"from": past.date.isoformat(), "to": coming.date.isoformat()}
    paused = client.post(
        f"/api/diners/{active.diner_id}/pause", json=body, headers=active.carer_headers
    )
    assert paused.status_code == 200, paused.text
    session.refresh(past)
    session.refresh(coming)
    assert (past.status, coming.status) == ("scheduled", "cancelled")
    recorded = client.post(f"/api/meals/{past.id}/delivered", headers=active.cook_headers)
    assert recorded.status_code == 200, recorded.text


def test_away_needs_cover_and_familiar_cook_covers_when_asked(
    client: TestClient, session: Session, settings: Settings, staff: User, active: PairingWorld
):
    stranger, _ = approved_cook(
        client, session, settings, staff, postcode="N3 1QX", display_name="Stranger"
    )
    friend, friend_id = approved_cook(
        client, session, settings, staff, postcode="N3 1BU", display_name="Friend"
    )
    # The friend covered one of Edna's meals before.
    covered_before(session, active.pairing_id, friend_id)
    meals = client.get("/api/cooks/me/meals", headers=active.cook_headers).json()["items"]
    upcoming = [m for m in meals if date.fromisoformat(m["date"]) > date.today()]
    first, last = upcoming[0]["date"], upcoming[1]["date"]
    response = client.post(
        "/api/cooks/me/away", json={"from": first, "to": last}, headers=active.cook_headers
    )
    assert response.status_code == 200, response.text
    assert [m["status"] for m in response.json()["items"]] == ["needs_cover", "needs_cover"]
    asked = session.exec(select(Notification).where(Notification.event == "cover_request")).all()
    assert {n.to_user_id for n in asked} == {friend.id, stranger.id}
    requests = client.get(
        "/api/cooks/me/cover-requests", headers=auth_headers(friend, settings)
    ).json()
    assert [m["date"] for m in requests["items"]] == [first, last]
    # What the meal must be: the cover cook learns Edna's needs nowhere else.
    assert {
        (tuple(m["diets"]), tuple(m["allergies"]), m["texture"]) for m in requests["items"]
    } == {(("vegetarian",), ("peanuts",), "soft_bite_sized")}
    # How far, as a cook may see it (to 100 m): a newcomer's walk found no distance given.
    edna, friend_cook = session.get(Diner, active.diner_id), session.get(Cook, friend_id)
    assert edna is not None and friend_cook is not None
    metres = haversine_m(friend_cook.latitude, friend_cook.longitude, edna.latitude, edna.longitude)
    assert [m["distance_m"] for m in requests["items"]] == [public_distance_m(metres)] * 2
    assert all(m["distance_m"] % 100 == 0 for m in requests["items"])
    taken = client.post(
        f"/api/meals/{requests['items'][0]['id']}/cover", headers=auth_headers(friend, settings)
    )
    assert (
        taken.status_code == 200
        and taken.json()["status"] == "scheduled"
        and taken.json()["is_cover"]
    )
    again = client.post(
        f"/api/meals/{requests['items'][0]['id']}/cover", headers=auth_headers(stranger, settings)
    )
    assert again.status_code == 409
    pairing = session.get(Pairing, active.pairing_id)
    assert pairing is not None and pairing.status == "active" and pairing.cook_id == active.cook_id


def test_a_meal_whose_time_has_gone_is_neither_offered_for_cover_nor_taken(
    client: TestClient, session: Session, settings: Settings, staff: User, active: PairingWorld
):
    """An outside check: at 22:25 a 17:00 meal of that day was still offered, and could be
    taken."""
    friend, _ = approved_cook(client, session, settings, staff, postcode="N3 1BU")
    meals = client.get("/api/cooks/me/meals", headers=active.cook_headers).json()["items"]
    day = meals[0]["date"]
    client.post("/api/cooks/me/away", json={"from": day, "to": day}, headers=active.cook_headers)
    headers = auth_headers(friend, settings)
    offered = client.get("/api/cooks/me/cover-requests", headers=headers).json()["items"]
    assert [m["id"] for m in offered] == [meals[0]["id"]]
    meal = session.get(Meal, meals[0]["id"])
    assert meal is not None
    meal.at = datetime.now(UTC) - timedelta(hours=5)  # earlier today
    session.add(meal)
    session.commit()

    offered = client.get("/api/cooks/me/cover-requests", headers=headers).json()["items"]
    taken = client.post(f"/api/meals/{meal.id}/cover", headers=headers)

    assert offered == []
    assert (taken.status_code, taken.json()["detail"]) == (409, "This meal's time has passed")


def test_a_cook_away_this_week_is_asked_to_cover_a_meal_next_week(
    client: TestClient, session: Session, settings: Settings, staff: User, active: PairingWorld
):
    """An outside check: a cook away on the coming Tuesday was left out of cover for every
    Tuesday (the matching's away weekdays), though free on the meal's own day."""
    friend, _ = approved_cook(
        client, session, settings, staff, postcode="N3 1BU", display_name="Friend"
    )
    meals = client.get("/api/cooks/me/meals", headers=active.cook_headers).json()["items"]
    upcoming = [m["date"] for m in meals if date.fromisoformat(m["date"]) > date.today()]
    first, second = upcoming[0], upcoming[1]
    friend_away = {"from": first, "to": first}
    headers = auth_headers(friend, settings)
    assert client.post("/api/cooks/me/away", json=friend_away, headers=headers).status_code == 200

    away = {"from": second, "to": second}
    assert (
        client.post("/api/cooks/me/away", json=away, headers=active.cook_headers).status_code == 200
    )

    requests = client.get("/api/cooks/me/cover-requests", headers=headers).json()["items"]
    assert [m["date"] for m in requests] == [second]
    asked = session.exec(select(Notification).where(Notification.event == "cover_request")).all()
    assert friend.id in {n.to_user_id for n in asked}


def test_cover_is_refused_when_cook_cannot_meet_the_allergy(
    client: TestClient, session: Session, settings: Settings, staff: User, active: PairingWorld
):
    unsafe, _ = approved_cook(client, session, settings, staff, allergen_free=["milk"])
    meals = client.get("/api/cooks/me/meals", headers=active.cook_headers).json()["items"]
    client.post(
        "/api/cooks/me/away",
        json={"from": meals[0]["date"], "to": meals[0]["date"]},
        headers=active.cook_headers,
    )
    assert (
        client.get("/api/cooks/me/cover-requests", headers=auth_headers(unsafe, settings)).json()[
            "items"
        ]
        == []
    )
    assert (
        client.post(
            f"/api/meals/{meals[0]['id']}/cover", headers=auth_headers(unsafe, settings)
        ).status_code
        == 404
    )


def test_stop_ends_pairing_cancels_meals_and_diner_waits_when_cook_stops(
    client: TestClient, session: Session, active: PairingWorld
):
    response = client.post(
        "/api/cooks/me/stop", json={"reason": "moving away"}, headers=active.cook_headers
    )
    assert response.status_code == 200 and response.json()["status"] == "left"
    pairing = session.get(Pairing, active.pairing_id)
    assert (
        pairing is not None and pairing.status == "ended" and pairing.end_reason == "cook_stopped"
    )
    statuses = set(
        session.exec(select(Meal.status).where(Meal.pairing_id == active.pairing_id)).all()
    )
    assert statuses == {"cancelled"}
    diner = client.get(f"/api/diners/{active.diner_id}", headers=active.carer_headers).json()
    assert diner["status"] == "waiting"


def test_change_request_ends_pairing_and_excludes_cook_when_carer_asks(
    client: TestClient, session: Session, settings: Settings, staff: User, active: PairingWorld
):
    response = client.post(
        f"/api/diners/{active.diner_id}/change-request",
        json={"reason": "not a good fit"},
        headers=active.carer_headers,
    )
    assert response.status_code == 200 and response.json()["status"] == "ended"
    assert response.json()["end_reason"] == "change_requested"
    suggestions = client.get(
        f"/api/staff/diners/{active.diner_id}/suggestions", headers=auth_headers(staff, settings)
    ).json()
    assert active.cook_id not in [s["cook_id"] for s in suggestions["items"]]
    body = {
        "diner_id": active.diner_id,
        "cook_id": active.cook_id,
        "weekday": 1,
        "start": "17:30",
        "frequency": "weekly",
    }
    refused = client.post("/api/staff/pairings", json=body, headers=auth_headers(staff, settings))
    assert refused.status_code == 422 and refused.json()["detail"][0]["type"] == "excluded_pair"
    second = client.post(
        f"/api/diners/{active.diner_id}/change-request",
        json={"reason": "again"},
        headers=active.carer_headers,
    )
    assert second.status_code == 409


def test_pause_cancels_meals_in_range_and_tells_cook_when_diner_in_hospital(
    client: TestClient, session: Session, active: PairingWorld
):
    meals = client.get("/api/cooks/me/meals", headers=active.cook_headers).json()["items"]
    body = {"from": meals[1]["date"], "to": meals[2]["date"], "reason": "hospital"}
    assert (
        client.post(
            f"/api/diners/{active.diner_id}/pause", json=body, headers=active.carer_headers
        ).status_code
        == 200
    )
    after = client.get("/api/cooks/me/meals", headers=active.cook_headers).json()["items"]
    assert [m["status"] for m in after[:4]] == ["scheduled", "cancelled", "cancelled", "scheduled"]
    told = session.exec(select(Notification).where(Notification.event == "diner_paused")).all()
    assert len(told) == 2 and {n.to_user_id for n in told} == {active.cook.id}


def test_leaving_ends_the_pairing_when_diner_leaves(
    client: TestClient, session: Session, active: PairingWorld
):
    client.post(
        f"/api/diners/{active.diner_id}/leave",
        json={"reason": "moved"},
        headers=active.carer_headers,
    )
    pairing = session.get(Pairing, active.pairing_id)
    assert pairing is not None and pairing.status == "ended" and pairing.end_reason == "diner_left"


def test_carer_rates_a_delivered_meal_once_when_asked(
    client: TestClient, session: Session, active: PairingWorld
):
    past = backdate(session, active.pairing_id, weeks=2)
    client.post(f"/api/meals/{past[0].id}/delivered", headers=active.cook_headers)
    rated = client.post(
        f"/api/meals/{past[0].id}/feedback",
        json={"rating": 5, "comment": "Lovely stew"},
        headers=active.carer_headers,
    )
    assert rated.status_code == 201
    again = client.post(
        f"/api/meals/{past[0].id}/feedback", json={"rating": 4}, headers=active.carer_headers
    )
    assert again.status_code == 409
    bad = client.post(
        f"/api/meals/{past[0].id}/feedback", json={"rating": 6}, headers=active.carer_headers
    )
    assert bad.status_code == 422
    diner = client.get(f"/api/diners/{active.diner_id}", headers=active.carer_headers).json()
    assert [(m["id"], m["rating"]) for m in diner["recent_meals"]] == [(past[0].id, 5)]


def test_nobody_rates_a_meal_or_answers_about_an_erased_diner(
    client: TestClient, session: Session, settings: Settings, staff: User, active: PairingWorld
):
    """A security review: after erasure the carer could still post a comment naming the
    diner (their name, street, illness), and it showed on the erased record."""
    past = backdate(session, active.pairing_id, weeks=2)
    client.post(f"/api/meals/{past[0].id}/delivered", headers=active.cook_headers)
    erased = client.post(
        f"/api/staff/diners/{active.diner_id}/erase",
        json={"confirm": True},
        headers=auth_headers(staff, settings),
    )
    assert erased.status_code == 200, erased.text

    rated = client.post(
        f"/api/meals/{past[0].id}/feedback",
        json={"rating": 2, "comment": "Edna Smith of 3 Quiet Close"},
        headers=active.carer_headers,
    )
    answered = client.post(
        f"/api/diners/{active.diner_id}/outcome",
        json={"considers_friend": True},
        headers=active.carer_headers,
    )

    assert (rated.status_code, answered.status_code) == (404, 404)
    assert session.exec(select(MealFeedback)).all() == []


def test_carer_sees_their_latest_friendship_answer_when_answered(
    client: TestClient, active: PairingWorld
):
    url = f"/api/diners/{active.diner_id}"
    assert client.get(url, headers=active.carer_headers).json()["outcome"] is None
    answer = {"considers_friend": True}
    assert (
        client.post(f"{url}/outcome", json=answer, headers=active.carer_headers).status_code == 201
    )
    outcome = client.get(url, headers=active.carer_headers).json()["outcome"]
    assert outcome["considers_friend"] is True


def test_rematching_prefers_cook_who_covered_before_when_regular_cook_stops(
    client: TestClient, session: Session, settings: Settings, staff: User, active: PairingWorld
):
    _, near_id = approved_cook(
        client, session, settings, staff, postcode="N3 1QX", display_name="Near"
    )
    _, friend_id = approved_cook(
        client, session, settings, staff, postcode="N3 1BU", display_name="Friend"
    )
    covered_before(session, active.pairing_id, friend_id)
    client.post("/api/cooks/me/stop", json={"reason": "moving"}, headers=active.cook_headers)
    suggestions = client.get(
        f"/api/staff/diners/{active.diner_id}/suggestions", headers=auth_headers(staff, settings)
    ).json()["items"]
    ranked = [s["cook_id"] for s in suggestions]
    assert ranked.index(friend_id) < ranked.index(near_id)
    assert suggestions[0]["distance_m"] > suggestions[1]["distance_m"]  # familiarity beat distance


def accept_pairing_for(
    client: TestClient, settings: Settings, staff: User, cook: User, cook_id: int, diner_id: int
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
    assert (
        client.post(
            f"/api/pairings/{pairing_id}/accept", headers=auth_headers(cook, settings)
        ).status_code
        == 200
    )
    return pairing_id


def test_cook_busy_with_own_meal_is_not_asked_to_cover_when_times_clash(
    client: TestClient, session: Session, settings: Settings, staff: User, active: PairingWorld
):
    busy, busy_id = approved_cook(client, session, settings, staff, postcode="N3 1BU")
    _, other_diner = registered_diner(client, session, settings, full_name="Albert Jones")
    accept_pairing_for(client, settings, staff, busy, busy_id, other_diner)  # Tuesdays 17:30 too
    meals = client.get("/api/cooks/me/meals", headers=active.cook_headers).json()["items"]
    day = meals[0]["date"]
    client.post("/api/cooks/me/away", json={"from": day, "to": day}, headers=active.cook_headers)
    assert (
        client.get("/api/cooks/me/cover-requests", headers=auth_headers(busy, settings)).json()[
            "items"
        ]
        == []
    )
    assert (
        client.post(
            f"/api/meals/{meals[0]['id']}/cover", headers=auth_headers(busy, settings)
        ).status_code
        == 404
    )


def test_covers_taken_are_handed_on_when_the_cover_cook_goes_away_too(
    client: TestClient, session: Session, settings: Settings, staff: User, active: PairingWorld
):
    helper, _ = approved_cook(
        client, session, settings, staff, postcode="N3 1BU", display_name="Helper"
    )
    spare, _ = approved_cook(
        client, session, settings, staff, postcode="N3 1QX", display_name="Spare"
    )
    meals = client.get("/api/cooks/me/meals", headers=active.cook_headers).json()["items"]
    day = meals[0]["date"]
    client.post("/api/cooks/me/away", json={"from": day, "to": day}, headers=active.cook_headers)
    assert (
        client.post(
            f"/api/meals/{meals[0]['id']}/cover", headers=auth_headers(helper, settings)
        ).status_code
        == 200
    )
    handed = client.post(
        "/api/cooks/me/away", json={"from": day, "to": day}, headers=auth_headers(helper, settings)
    )
    assert [m["id"] for m in handed.json()["items"]] == [meals[0]["id"]]
    assert handed.json()["items"][0]["status"] == "needs_cover"
    requests = client.get(
        "/api/cooks/me/cover-requests", headers=auth_headers(spare, settings)
    ).json()["items"]
    assert [m["id"] for m in requests] == [meals[0]["id"]]


def _cover_taken(
    client: TestClient, session: Session, settings: Settings, staff: User, active: PairingWorld
) -> tuple[User, int, User, int]:
    """Helper (N3 1BU) covers the first meal of the pairing, its cook away that day; Spare
    (N3 1QX) was asked too. Returns Helper, their cook id, Spare and the meal's id."""
    helper, helper_id = approved_cook(
        client, session, settings, staff, postcode="N3 1BU", display_name="Helper"
    )
    spare, _ = approved_cook(
        client, session, settings, staff, postcode="N3 1QX", display_name="Spare"
    )
    meals = client.get("/api/cooks/me/meals", headers=active.cook_headers).json()["items"]
    day, meal_id = meals[0]["date"], meals[0]["id"]
    client.post("/api/cooks/me/away", json={"from": day, "to": day}, headers=active.cook_headers)
    took = client.post(f"/api/meals/{meal_id}/cover", headers=auth_headers(helper, settings))
    assert took.status_code == 200, took.text
    return helper, helper_id, spare, meal_id


def test_a_suspended_cover_cook_is_told_not_to_come_and_everyone_told_it_fell_through(
    client: TestClient, session: Session, settings: Settings, staff: User, active: PairingWorld
):
    """An outside check: everyone held "Helper will bring Edna's meal", the suspended cook was
    told nothing (and could come to the door), and the cooks asked before were never asked
    again."""
    helper, helper_id, spare, meal_id = _cover_taken(client, session, settings, staff, active)

    suspended = client.post(
        f"/api/staff/cooks/{helper_id}/suspend",
        json={"reason": "Under review"},
        headers=auth_headers(staff, settings),
    )

    assert suspended.status_code == 200, suspended.text

    def to(user: User, event: str) -> list[Notification]:
        return list(
            session.exec(
                select(Notification).where(
                    Notification.to_user_id == user.id, Notification.event == event
                )
            )
        )

    [not_to_come] = to(helper, "cover_cancelled")
    assert not_to_come.subject.startswith("Please do not bring Edna's meal")
    for person in (active.carer, active.cook, staff):
        [fell] = to(person, "cover_fell_through")
        assert "can no longer bring it" in fell.body
    assert len(to(spare, "cover_request")) == 2  # asked again, not swallowed as a duplicate
    retaken = client.post(f"/api/meals/{meal_id}/cover", headers=auth_headers(spare, settings))
    assert retaken.status_code == 200, retaken.text
    arranged = to(active.carer, "cover_arranged")
    assert [m.body.split(" will ")[0] for m in arranged] == ["Helper", "Spare"]


def test_a_cover_cook_who_stops_is_not_asked_to_cover_the_meal_they_gave_up(
    client: TestClient, session: Session, settings: Settings, staff: User, active: PairingWorld
):
    """A newcomer's walk: a cook who had taken a cover stopped cooking, and in the same second
    was told "Please do not bring Edna's meal" and asked "Could you cover a meal" for it."""
    helper, _, spare, _ = _cover_taken(client, session, settings, staff, active)

    stopped = client.post(
        "/api/cooks/me/stop", json={"reason": "Moving away"}, headers=auth_headers(helper, settings)
    )

    assert stopped.status_code == 200, stopped.text
    told = session.exec(
        select(Notification.event, Notification.subject)
        .where(Notification.to_user_id == helper.id)
        .order_by(col(Notification.id))
    ).all()
    events = [event for event, _ in told]
    assert told[-1].subject.startswith("Please do not bring Edna's meal"), told  # nothing after
    assert events.count("cover_request") == 1, events  # the first ask only, before they took it
    asked_spare = session.exec(
        select(Notification).where(
            Notification.to_user_id == spare.id, Notification.event == "cover_request"
        )
    ).all()
    assert len(asked_spare) == 2  # the others are asked again


def test_cook_out_of_walking_reach_sees_no_cover_request_when_meal_needs_cover(
    client: TestClient, session: Session, settings: Settings, staff: User, active: PairingWorld
):
    far, _ = approved_cook(client, session, settings, staff, postcode="EN5 1AA", walk_radius_m=800)
    meals = client.get("/api/cooks/me/meals", headers=active.cook_headers).json()["items"]
    day = meals[0]["date"]
    client.post("/api/cooks/me/away", json={"from": day, "to": day}, headers=active.cook_headers)
    assert (
        client.get("/api/cooks/me/cover-requests", headers=auth_headers(far, settings)).json()[
            "items"
        ]
        == []
    )


def test_whether_a_cook_is_asked_to_cover_depends_on_the_distance_they_see_not_the_exact_one(
    client: TestClient, session: Session, settings: Settings, staff: User, active: PairingWorld
):
    """A security review lowered a cook's walk 100 m at a time and watched a cover request
    drop off between 2,100 and 2,000 m: with the distance shown (rounded), it placed the diner
    to 50 m. Judged on the distance the cook sees, the walk tells them nothing more."""
    # N3 1JQ is 923 m from Edna (N3 1QX): "about 900 m" to a cook.
    near, _ = approved_cook(client, session, settings, staff, postcode="N3 1JQ", walk_radius_m=900)
    short, _ = approved_cook(client, session, settings, staff, postcode="N3 1JT", walk_radius_m=800)
    day = client.get("/api/cooks/me/meals", headers=active.cook_headers).json()["items"][0]["date"]
    away = {"from": day, "to": day}
    assert (
        client.post("/api/cooks/me/away", json=away, headers=active.cook_headers).status_code == 200
    )

    def asked(cook: User) -> list[dict]:
        return client.get(
            "/api/cooks/me/cover-requests", headers=auth_headers(cook, settings)
        ).json()["items"]

    assert [m["date"] for m in asked(near)] == [day]
    assert asked(short) == []


def test_cook_never_asked_gets_404_when_meal_was_already_covered(
    client: TestClient, session: Session, settings: Settings, staff: User, active: PairingWorld
):
    helper, _ = approved_cook(client, session, settings, staff, postcode="N3 1BU")
    spare, _ = approved_cook(client, session, settings, staff, postcode="N3 1QX")
    far, _ = approved_cook(client, session, settings, staff, postcode="EN5 1AA", walk_radius_m=800)
    meal = client.get("/api/cooks/me/meals", headers=active.cook_headers).json()["items"][0]
    day = meal["date"]
    client.post("/api/cooks/me/away", json={"from": day, "to": day}, headers=active.cook_headers)
    taken = client.post(f"/api/meals/{meal['id']}/cover", headers=auth_headers(helper, settings))
    assert taken.status_code == 200
    # Same council, but never asked: the meal's existence and fate are not theirs to learn.
    stranger = client.post(f"/api/meals/{meal['id']}/cover", headers=auth_headers(far, settings))
    assert stranger.status_code == 404
    # A cook who was asked learns it is taken (409), even once no longer able to take it.
    asked = select(Notification).where(
        Notification.event == "cover_request", Notification.to_user_id == spare.id
    )
    assert session.exec(asked).first() is not None
    away = {"from": day, "to": day}
    client.post("/api/cooks/me/away", json=away, headers=auth_headers(spare, settings))
    late = client.post(f"/api/meals/{meal['id']}/cover", headers=auth_headers(spare, settings))
    assert late.status_code == 409 and late.json()["detail"] == "This meal no longer needs cover"


def test_cook_awaiting_location_review_is_not_offered_cover_until_staff_confirm(
    client: TestClient, session: Session, settings: Settings, staff: User, active: PairingWorld
):
    helper, helper_id = approved_cook(client, session, settings, staff, postcode="N3 1BU")
    helper_headers = auth_headers(helper, settings)
    client.put("/api/cooks/me", json=cook_payload(postcode="N3 1QX"), headers=helper_headers)
    meal = client.get("/api/cooks/me/meals", headers=active.cook_headers).json()["items"][0]
    day = meal["date"]
    client.post("/api/cooks/me/away", json={"from": day, "to": day}, headers=active.cook_headers)
    asked = session.exec(select(Notification).where(Notification.event == "cover_request")).all()
    assert helper.id not in {n.to_user_id for n in asked}
    requests = client.get("/api/cooks/me/cover-requests", headers=helper_headers).json()
    assert requests["items"] == []
    refused = client.post(f"/api/meals/{meal['id']}/cover", headers=helper_headers)
    assert refused.status_code == 404
    client.post(
        f"/api/staff/cooks/{helper_id}/confirm-location", headers=auth_headers(staff, settings)
    )
    requests = client.get("/api/cooks/me/cover-requests", headers=helper_headers).json()
    assert [m["id"] for m in requests["items"]] == [meal["id"]]


def test_each_lifecycle_event_queues_a_message_to_the_right_people(
    client: TestClient, session: Session, settings: Settings, staff: User, active: PairingWorld
):
    def to(event: str) -> set[int]:
        rows = session.exec(select(Notification.to_user_id).where(Notification.event == event))
        return set(rows.all())

    assert to("cook_approved") == {active.cook.id}
    assert to("proposal") == {active.cook.id}
    assert to("pairing_accepted") == {active.carer.id}
    accepted = session.exec(
        select(Notification).where(Notification.event == "pairing_accepted")
    ).one()
    assert "Priya" in accepted.subject and "Edna" in accepted.subject
    helper, _ = approved_cook(
        client, session, settings, staff, postcode="N3 1BU", display_name="Helper"
    )
    meal = client.get("/api/cooks/me/meals", headers=active.cook_headers).json()["items"][0]
    client.post(
        "/api/cooks/me/away",
        json={"from": meal["date"], "to": meal["date"]},
        headers=active.cook_headers,
    )
    client.post(f"/api/meals/{meal['id']}/cover", headers=auth_headers(helper, settings))
    # no coordinator set: the council's staff are told in their place
    assert to("cover_arranged") == {active.carer.id, active.cook.id, staff.id}
    client.post("/api/cooks/me/stop", json={"reason": "moving"}, headers=active.cook_headers)
    # The coordinator (here the council's staff) too, and the cook covering a meal that goes.
    assert to("pairing_ended") == {active.carer.id, active.cook.id, staff.id}
    assert to("cover_cancelled") == {helper.id}


def test_cooks_meals_run_two_selects_beyond_the_sign_in_check_when_listed(
    client: TestClient, engine: Engine, session: Session, active: PairingWorld
):
    def get(path: str) -> None:
        assert client.get(path, headers=active.cook_headers).status_code == 200

    session.expunge_all()  # as a request's own session: nothing loaded yet
    listed = beyond_sign_in(selects_run(engine, lambda: get("/api/cooks/me/meals")))
    # the cook's id with their council's clock, then the meals with their diners' names
    assert len(listed) == 2


def test_carers_diner_is_three_selects_beyond_the_sign_in_check_when_read(
    client: TestClient, engine: Engine, session: Session, active: PairingWorld
):
    url = f"/api/diners/{active.diner_id}"
    client.post(f"{url}/outcome", json={"considers_friend": True}, headers=active.carer_headers)
    session.expunge_all()  # as a request's own session: nothing loaded yet
    read = beyond_sign_in(
        selects_run(
            engine, lambda: client.get(url, headers=active.carer_headers).raise_for_status()
        )
    )
    # the diner with its council, neighbourhood, open pairing and latest answer; its upcoming
    # meals; its recent meals
    assert len(read) == 3
    diner = client.get(url, headers=active.carer_headers).json()
    assert diner["pairing"]["status"] == "active" and diner["pairing"]["cook"]["id"] is None
    assert diner["outcome"]["considers_friend"] is True and diner["upcoming_meals"]


def test_the_coordinator_of_a_diner_without_a_carer_is_asked_to_tell_them_of_a_cover(
    client: TestClient, session: Session, settings: Settings, staff: User, active: PairingWorld
):
    """An outside check: a staff-referred diner (no carer) was posted a plan naming their usual
    cook; when another cook took a meal, the coordinator read only "Ben will bring Arthur's
    meal at 16:30", and nobody told Arthur a different person would knock."""
    diner = session.get(Diner, active.diner_id)
    assert diner is not None
    diner.carer_id = None  # as a diner staff referred
    session.add(diner)
    session.commit()
    helper, _ = approved_cook(
        client, session, settings, staff, postcode="N3 1BU", display_name="Helper"
    )
    meal = client.get("/api/cooks/me/meals", headers=active.cook_headers).json()["items"][0]
    away = {"from": meal["date"], "to": meal["date"]}
    assert client.post("/api/cooks/me/away", json=away, headers=active.cook_headers).is_success
    taken = client.post(f"/api/meals/{meal['id']}/cover", headers=auth_headers(helper, settings))
    assert taken.status_code == 200, taken.text
    said = {
        n.to_user_id: n.body
        for n in session.exec(select(Notification).where(Notification.event == "cover_arranged"))
    }
    assert "please let Edna know that Helper, not their usual cook" in said[staff.id]
    assert "no carer" not in said[active.cook.id]
