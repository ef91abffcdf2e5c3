"""The calendar routes: a cook makes a secret feed URL; calendar apps fetch it."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, date, datetime
from urllib.parse import urlsplit

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from icalendar import Calendar
from sqlmodel import Session

from app.calendar_feed import meal_uid
from app.config import Settings, get_settings
from app.db import get_session
from app.errors import install_error_handlers
from app.models import Meal, User
from app.notifications.feeds import calendar_for_token
from app.notifications.router import router
from tests.conftest import handed_to_request
from tests.factories import (
    DEFAULT_PASSWORD,
    approved_cook,
    auth_headers,
    create_user,
    registered_diner,
)


@pytest.fixture
def feed_client(session: Session, settings: Settings) -> Iterator[TestClient]:
    """The calendar routes alone, on the test's session (app.main wires them for real)."""
    app = FastAPI()
    install_error_handlers(app)
    app.include_router(router)
    app.dependency_overrides[get_session] = lambda: handed_to_request(session)
    app.dependency_overrides[get_settings] = lambda: settings
    with TestClient(app) as test_client:
        yield test_client


@pytest.fixture
def paired_cook(client: TestClient, session: Session, settings: Settings, staff: User) -> dict:
    """Priya, cooking weekly on Tuesdays at 17:30 for Edna Smith (3 Quiet Close, N3 1QX)."""
    cook_user, cook_id = approved_cook(client, session, settings, staff)
    _, diner_id = registered_diner(client, session, settings)
    body = {
        "diner_id": diner_id,
        "cook_id": cook_id,
        "weekday": 1,
        "start": "17:30",
        "frequency": "weekly",
    }
    proposed = client.post("/api/staff/pairings", json=body, headers=auth_headers(staff, settings))
    assert proposed.status_code == 201, proposed.text
    headers = auth_headers(cook_user, settings)
    accepted = client.post(f"/api/pairings/{proposed.json()['id']}/accept", headers=headers)
    assert accepted.status_code == 200, accepted.text
    meals = client.get("/api/cooks/me/meals", headers=headers).json()["items"]
    return {
        "headers": headers,
        "cook_id": cook_id,
        "email": cook_user.email,
        "meal_ids": [m["id"] for m in meals],
    }


def feed_path(feed_client: TestClient, headers: dict[str, str]) -> str:
    response = feed_client.post("/api/cooks/me/calendar", headers=headers)
    assert response.status_code == 200, response.text
    url = urlsplit(response.json()["url"])
    assert url.path.startswith("/api/calendar/") and url.path.endswith(".ics")
    return url.path


def test_feed_lists_the_cooks_meals_when_fetched_with_its_url(
    feed_client: TestClient, paired_cook: dict
):
    path = feed_path(feed_client, paired_cook["headers"])

    response = feed_client.get(path)

    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/calendar")
    events = list(Calendar.from_ical(response.content).events)
    assert paired_cook["meal_ids"]
    assert [str(e["UID"]) for e in events] == [
        f"meal-{meal_id}@extra-portion" for meal_id in paired_cook["meal_ids"]
    ]
    assert {str(e["SUMMARY"]) for e in events} == {"Meal for Edna"}
    assert all((e.start.hour, e.start.minute) == (17, 30) for e in events)
    for private in (b"Smith", b"Quiet Close", b"N3 1QX", b"Key safe"):
        assert private not in response.content
    # Its address is the secret: one policy, sending it nowhere (a review saw two, the app's
    # looser one last, which the browser follows), and the feed's own caching.
    assert response.headers.get_list("referrer-policy") == ["no-referrer"]
    assert response.headers.get_list("cache-control") == ["private, max-age=300"]


def test_old_url_stops_working_when_the_cook_makes_a_new_one(
    feed_client: TestClient, paired_cook: dict
):
    old = feed_path(feed_client, paired_cook["headers"])
    new = feed_path(feed_client, paired_cook["headers"])

    assert new != old
    assert feed_client.get(old).status_code == 404
    assert feed_client.get(new).status_code == 200


def test_feed_is_gone_when_the_cook_turns_it_off(feed_client: TestClient, paired_cook: dict):
    path = feed_path(feed_client, paired_cook["headers"])

    assert (
        feed_client.delete("/api/cooks/me/calendar", headers=paired_cook["headers"]).status_code
        == 204
    )
    assert feed_client.get(path).status_code == 404


def test_feed_is_not_found_when_the_cook_is_suspended(
    client: TestClient, feed_client: TestClient, paired_cook: dict, staff: User, settings: Settings
):
    path = feed_path(feed_client, paired_cook["headers"])

    suspended = client.post(
        f"/api/staff/cooks/{paired_cook['cook_id']}/suspend",
        json={"reason": "Under review"},
        headers=auth_headers(staff, settings),
    )

    assert suspended.status_code == 200, suspended.text
    assert feed_client.get(path).status_code == 404


def test_feed_stops_when_every_sign_in_ends_on_a_new_password_or_by_staff(
    client: TestClient, feed_client: TestClient, paired_cook: dict, staff: User, settings: Settings
):
    """An outside review: the address, a standing credential, kept working for whoever once
    held the account after the owner changed their password or staff ended every sign-in."""
    cook_headers = paired_cook["headers"]
    path = feed_path(feed_client, cook_headers)
    changed = client.post(
        "/api/me/password",
        json={"current_password": DEFAULT_PASSWORD, "new_password": "a newer pass phrase 42"},
        headers=cook_headers,
    )
    assert changed.status_code == 204, changed.text
    assert feed_client.get(path).status_code == 404

    cook = session_user(client, settings, "a newer pass phrase 42", paired_cook)
    path = feed_path(feed_client, cook)
    assert feed_client.get(path).status_code == 200
    user_id = client.get("/api/me", headers=cook).json()["id"]
    ended = client.post(
        f"/api/staff/users/{user_id}/sessions/revoke", headers=auth_headers(staff, settings)
    )
    assert ended.status_code == 204, ended.text
    assert feed_client.get(path).status_code == 404


def session_user(client: TestClient, settings: Settings, password: str, cook: dict) -> dict:
    """The cook signed in again (a bearer token) with their new password."""
    token = client.post("/api/auth/token", data={"username": cook["email"], "password": password})
    assert token.status_code == 200, token.text
    return {"Authorization": f"Bearer {token.json()['access_token']}"}


def test_unknown_token_is_not_found_when_guessed(feed_client: TestClient):
    response = feed_client.get("/api/calendar/not-a-real-token.ics")

    assert response.status_code == 404
    assert response.json() == {"detail": "No such calendar"}


@pytest.mark.parametrize("token", ["abc%00def", "abc%E2%80%AEdef", "a" * 65])
def test_token_that_cannot_be_one_is_not_found_when_it_has_a_nul_or_odd_characters(
    feed_client: TestClient, token: str
):
    """A NUL went to the database, which PostgreSQL refuses in text: a 500 there."""
    response = feed_client.get(f"/api/calendar/{token}.ics")

    assert response.status_code == 404
    assert response.json() == {"detail": "No such calendar"}


def test_only_cooks_get_a_feed_when_asking(
    feed_client: TestClient, session: Session, settings: Settings
):
    carer = create_user(session, role="carer")
    without_profile = create_user(session, role="cook")

    as_carer = feed_client.post("/api/cooks/me/calendar", headers=auth_headers(carer, settings))
    no_profile = feed_client.post(
        "/api/cooks/me/calendar", headers=auth_headers(without_profile, settings)
    )
    anonymous = feed_client.post("/api/cooks/me/calendar")

    assert (as_carer.status_code, no_profile.status_code, anonymous.status_code) == (403, 404, 401)


def test_feed_window_is_counted_in_the_councils_days_when_utc_is_still_yesterday(
    feed_client: TestClient, session: Session, paired_cook: dict
):
    """At 23:30 UTC on 1 June it is already 2 June in London: the feed keeps PAST_DAYS of the
    cook's days, so a meal 29 London days back is gone and one 28 days back is still there."""
    path = feed_path(feed_client, paired_cook["headers"])
    token = path.removeprefix("/api/calendar/").removesuffix(".ics")
    first, second = (session.get(Meal, meal_id) for meal_id in paired_cook["meal_ids"][:2])
    assert first is not None and second is not None
    first.date, second.date = date(2026, 5, 4), date(2026, 5, 5)
    session.add_all([first, second])
    session.flush()

    feed = calendar_for_token(session, token=token, now=datetime(2026, 6, 1, 23, 30, tzinfo=UTC))

    uids = {str(event["UID"]) for event in Calendar.from_ical(feed).events}
    assert meal_uid(second.id) in uids
    assert meal_uid(first.id) not in uids


def test_feed_url_is_on_the_public_url_whatever_host_the_request_names(
    feed_client: TestClient, paired_cook: dict, settings: Settings
):
    """It was built from the request's Host: `Host: evil.example` got the secret URL there."""
    response = feed_client.post(
        "/api/cooks/me/calendar", headers={**paired_cook["headers"], "Host": "evil.example"}
    )

    assert response.status_code == 200, response.text
    url = response.json()["url"]
    assert url.startswith(settings.public_url.rstrip("/") + "/api/calendar/")
    assert "evil.example" not in url
