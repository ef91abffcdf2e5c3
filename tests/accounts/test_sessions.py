"""Revocable sign-ins: sign-out, staff ending a person's sessions (API.md "Accounts")."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient
from sqlmodel import Session, select

from app.config import Settings, get_settings
from app.main import app
from app.models import AuditEntry, AuthSession, Council
from tests.factories import (
    DEFAULT_PASSWORD,
    auth_headers,
    create_user,
    registered_diner,
    signed_up_cook,
)


def bearer(client: TestClient, email: str, password: str = DEFAULT_PASSWORD) -> dict[str, str]:
    response = client.post("/api/auth/token", data={"username": email, "password": password})
    assert response.status_code == 200, response.text
    return {"Authorization": f"Bearer {response.json()['access_token']}"}


def test_bearer_token_stops_working_when_signed_out(client: TestClient, session: Session):
    create_user(session, email="leaving@example.org")
    headers = bearer(client, "leaving@example.org")
    assert client.get("/api/me", headers=headers).status_code == 200
    assert client.post("/api/auth/logout", headers=headers).status_code == 204
    assert client.get("/api/me", headers=headers).status_code == 401


def test_session_cookie_stops_working_when_signed_out(client: TestClient, session: Session):
    create_user(session, email="browser@example.org")
    response = client.post(
        "/api/auth/session", json={"email": "browser@example.org", "password": DEFAULT_PASSWORD}
    )
    assert response.status_code == 200
    cookie = client.cookies.get("portion_session")
    csrf = response.json()["csrf_token"]
    assert cookie
    out = client.post("/api/auth/logout", headers={"X-CSRF-Token": csrf})
    assert out.status_code == 204
    assert "portion_session=" in out.headers["set-cookie"]  # cleared in the browser
    client.cookies.set("portion_session", cookie)  # a copy kept by whoever took it
    assert client.get("/api/me").status_code == 401


def test_signing_out_ends_only_that_session_when_signed_in_twice(
    client: TestClient, session: Session
):
    create_user(session, email="twice@example.org")
    phone, laptop = bearer(client, "twice@example.org"), bearer(client, "twice@example.org")
    assert client.post("/api/auth/logout", headers=phone).status_code == 204
    assert client.get("/api/me", headers=laptop).status_code == 200


def test_sign_in_records_a_revocable_session_when_token_issued(
    client: TestClient, session: Session
):
    user = create_user(session, email="recorded@example.org")
    bearer(client, "recorded@example.org")
    rows = session.exec(select(AuthSession).where(AuthSession.user_id == user.id)).all()
    assert [(row.kind, row.revoked_at) for row in rows] == [("access", None)]
    assert len(rows[0].id) == 43


def test_token_is_refused_when_its_session_row_is_unknown(
    client: TestClient, session: Session, settings: Settings
):
    from datetime import timedelta

    from app.accounts.tokens import issue_token

    user = create_user(session)
    assert user.id is not None
    unrecorded, _ = issue_token(
        user_id=user.id, kind="access", secret=settings.secret_key, lifetime=timedelta(minutes=5)
    )
    response = client.get("/api/me", headers={"Authorization": f"Bearer {unrecorded}"})
    assert response.status_code == 401


def test_staff_end_every_session_of_a_cook_when_cook_is_in_their_council(
    client: TestClient, session: Session, settings: Settings, barnet: Council
):
    staff = create_user(session, role="staff", council=barnet)
    cook, _ = signed_up_cook(client, session, settings)
    first, second = auth_headers(cook, settings), auth_headers(cook, settings)
    response = client.post(
        f"/api/staff/users/{cook.id}/sessions/revoke", headers=auth_headers(staff, settings)
    )
    assert response.status_code == 204
    assert client.get("/api/me", headers=first).status_code == 401
    assert client.get("/api/me", headers=second).status_code == 401
    entry = session.exec(select(AuditEntry).where(AuditEntry.action == "sessions_revoked")).one()
    assert (entry.actor_id, entry.subject_type, entry.subject_id) == (staff.id, "user", cook.id)
    assert entry.council_id == barnet.id


def test_staff_end_sessions_of_a_carer_when_carer_has_a_diner_in_their_council(
    client: TestClient, session: Session, settings: Settings, barnet: Council
):
    staff = create_user(session, role="staff", council=barnet)
    carer, _ = registered_diner(client, session, settings)
    headers = auth_headers(carer, settings)
    response = client.post(
        f"/api/staff/users/{carer.id}/sessions/revoke", headers=auth_headers(staff, settings)
    )
    assert response.status_code == 204
    assert client.get("/api/me", headers=headers).status_code == 401


def test_staff_get_404_and_sessions_stay_when_cook_is_in_another_council(
    client: TestClient,
    session: Session,
    settings: Settings,
    barnet: Council,
    tower_hamlets: Council,
):
    outsider = create_user(session, role="staff", council=tower_hamlets)
    cook, _ = signed_up_cook(client, session, settings)  # a Barnet cook
    headers = auth_headers(cook, settings)
    response = client.post(
        f"/api/staff/users/{cook.id}/sessions/revoke", headers=auth_headers(outsider, settings)
    )
    assert response.status_code == 404
    missing = client.post(
        "/api/staff/users/999999/sessions/revoke", headers=auth_headers(outsider, settings)
    )
    assert missing.json() == response.json()
    assert client.get("/api/me", headers=headers).status_code == 200


def test_admin_ends_sessions_of_anyone_when_asked(
    client: TestClient, session: Session, settings: Settings, barnet: Council
):
    admin = create_user(session, role="admin")
    staff = create_user(session, role="staff", council=barnet)
    headers = auth_headers(staff, settings)
    response = client.post(
        f"/api/staff/users/{staff.id}/sessions/revoke", headers=auth_headers(admin, settings)
    )
    assert response.status_code == 204
    assert client.get("/api/me", headers=headers).status_code == 401


def test_ending_sessions_is_403_when_asked_by_a_cook(
    client: TestClient, session: Session, settings: Settings
):
    cook, other = create_user(session, role="cook"), create_user(session, role="cook")
    response = client.post(
        f"/api/staff/users/{other.id}/sessions/revoke", headers=auth_headers(cook, settings)
    )
    assert response.status_code == 403


def _cookie_flags(response) -> dict[str, bool]:
    """Each cookie set by the response, and whether it is Secure."""
    return {
        header.split("=", 1)[0]: "secure" in header.lower().split("; ")
        for header in response.headers.get_list("set-cookie")
    }


@pytest.mark.parametrize(
    ("public_url", "secure"), [("https://meals.example", True), ("http://127.0.0.1:8000", False)]
)
def test_cookies_are_secure_when_people_reach_the_service_at_an_https_address(
    client: TestClient, session: Session, settings: Settings, public_url: str, secure: bool
):
    # A TLS proxy left out of --forwarded-allow-ips reaches the app over plain HTTP: the
    # cookies were then sent without Secure although people use https (an outside check).
    app.dependency_overrides[get_settings] = lambda: settings.model_copy(
        update={"public_url": public_url}
    )
    create_user(session, email="secure@example.org")
    signed = client.post(
        "/api/auth/session", json={"email": "secure@example.org", "password": DEFAULT_PASSWORD}
    )
    assert _cookie_flags(signed) == {"portion_session": secure, "portion_csrf": secure}
    client.cookies.clear()
    page = client.get("/sign-in")
    assert page.status_code == 200 and list(_cookie_flags(page).values()) == [secure]
