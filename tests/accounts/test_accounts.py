from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from fastapi.testclient import TestClient
from sqlmodel import Session, select

from app.accounts.tokens import issue_token
from app.config import Settings
from app.models import LoginFailure, User
from tests.factories import DEFAULT_PASSWORD, auth_headers, create_council, create_user

GOOD = {
    "email": "Ada.Cook@Example.org",
    "password": "a kettle of soup on thursdays",
    "full_name": "Ada Cook",
    "role": "cook",
}


def sign_in(client: TestClient, email: str, password: str, ip: str | None = None):
    headers = {"X-Forwarded-For": ip} if ip else {}
    return client.post(
        "/api/auth/token", data={"username": email, "password": password}, headers=headers
    )


def test_register_creates_account_when_payload_is_valid(client: TestClient, session: Session):
    response = client.post("/api/auth/register", json=GOOD)
    assert response.status_code == 201
    body = response.json()
    assert body["email"] == "Ada.Cook@example.org" and body["role"] == "cook"
    stored = session.get(User, body["id"])
    assert stored is not None and stored.password_hash.startswith("$argon2")
    assert "password" not in response.text


def test_register_conflicts_when_email_taken_in_other_case(client: TestClient):
    assert client.post("/api/auth/register", json=GOOD).status_code == 201
    again = client.post("/api/auth/register", json={**GOOD, "email": "ada.cook@EXAMPLE.ORG"})
    assert again.status_code == 409


@pytest.mark.parametrize(
    ("field", "value", "expected_type"),
    [
        ("email", "not-an-email", "value_error"),
        ("password", "short", "weak_password"),
        ("password", "password1234", "weak_password"),
        ("password", "x" * 129, "weak_password"),
        ("role", "admin", "literal_error"),
        ("role", "staff", "literal_error"),
        ("full_name", "", "string_too_short"),
        ("full_name", "x" * 201, "string_too_long"),
        ("full_name", 42, "string_type"),
    ],
)
def test_register_rejects_with_422_naming_field_when_input_bad(
    client: TestClient, field: str, value: object, expected_type: str
):
    response = client.post("/api/auth/register", json={**GOOD, field: value})
    assert response.status_code == 422
    errors = response.json()["detail"]
    assert any(e["loc"][-1] == field and e["type"] == expected_type for e in errors), errors


def test_register_error_never_echoes_password_when_rejected(client: TestClient):
    response = client.post("/api/auth/register", json={**GOOD, "password": "password1234"})
    assert "password1234" not in response.text


def test_token_is_issued_and_me_answers_when_credentials_good(client: TestClient, session: Session):
    council = create_council(session, slug="barnet")
    user = create_user(session, role="staff", email="Staff@Barnet.example.org", council=council)
    response = sign_in(client, "staff@barnet.example.org", DEFAULT_PASSWORD)
    assert response.status_code == 200
    body = response.json()
    assert body["token_type"] == "bearer" and "set-cookie" not in response.headers
    me = client.get("/api/me", headers={"Authorization": f"Bearer {body['access_token']}"})
    assert me.status_code == 200
    assert me.json() == {
        "id": user.id,
        "email": "Staff@Barnet.example.org",
        "full_name": "Sam Example",
        "role": "staff",
        "council": "barnet",
    }


def test_wrong_password_and_unknown_email_get_same_answer_when_signing_in(
    client: TestClient, session: Session
):
    create_user(session, email="known@example.org")
    wrong = sign_in(client, "known@example.org", "not the right password")
    unknown = sign_in(client, "nobody@example.org", "not the right password")
    assert wrong.status_code == unknown.status_code == 401
    assert wrong.json() == unknown.json()


def test_sign_in_is_limited_with_retry_after_when_account_fails_repeatedly(
    client: TestClient, session: Session
):
    create_user(session, email="target@example.org")
    for _ in range(5):
        assert sign_in(client, "target@example.org", "wrong password!!").status_code == 401
    limited = sign_in(client, "target@example.org", DEFAULT_PASSWORD)
    assert limited.status_code == 429
    assert int(limited.headers["Retry-After"]) > 0
    # Another account from the same client is not yet limited.
    create_user(session, email="other@example.org")
    assert sign_in(client, "other@example.org", DEFAULT_PASSWORD).status_code == 200


def test_sign_in_is_limited_when_one_client_fails_across_many_accounts(
    client: TestClient, session: Session, settings: Settings
):
    for i in range(settings.login_max_failures_per_client):
        session.add(LoginFailure(email_key=f"victim{i}@example.org", client="testclient"))
    session.commit()
    create_user(session, email="fresh@example.org")
    assert sign_in(client, "fresh@example.org", DEFAULT_PASSWORD).status_code == 429


def test_failures_outside_window_do_not_count_when_signing_in(client: TestClient, session: Session):
    user = create_user(session, email="old@example.org")
    long_ago = datetime.now(UTC) - timedelta(minutes=16)
    for _ in range(5):
        session.add(LoginFailure(email_key=user.email_key, client="testclient", at=long_ago))
    session.commit()
    assert sign_in(client, "old@example.org", DEFAULT_PASSWORD).status_code == 200


def test_me_is_401_when_token_expired_or_tampered(
    client: TestClient, session: Session, settings: Settings
):
    user = create_user(session)
    assert user.id is not None
    expired, _ = issue_token(
        user_id=user.id,
        kind="access",
        secret=settings.secret_key,
        lifetime=timedelta(minutes=5),
        now=datetime.now(UTC) - timedelta(hours=1),
    )
    assert client.get("/api/me", headers={"Authorization": f"Bearer {expired}"}).status_code == 401
    good = auth_headers(user, settings)["Authorization"]
    header, payload, signature = good.removeprefix("Bearer ").split(".")
    tampered = f"{header}.{payload}.{signature[:-2]}{'AA' if signature[-2:] != 'AA' else 'BB'}"
    assert client.get("/api/me", headers={"Authorization": f"Bearer {tampered}"}).status_code == 401
    forged, _ = issue_token(
        user_id=user.id, kind="access", secret="another-secret", lifetime=timedelta(minutes=5)
    )
    assert client.get("/api/me", headers={"Authorization": f"Bearer {forged}"}).status_code == 401
    assert client.get("/api/me", headers=auth_headers(user, settings)).status_code == 200


def test_me_is_401_when_not_signed_in(client: TestClient):
    assert client.get("/api/me").status_code == 401


def test_session_cookie_signs_in_browser_and_unsafe_request_needs_csrf(
    client: TestClient, session: Session
):
    create_user(session, email="browser@example.org")
    response = client.post(
        "/api/auth/session", json={"email": "browser@example.org", "password": DEFAULT_PASSWORD}
    )
    assert response.status_code == 200
    cookie_header = "; ".join(response.headers.get_list("set-cookie"))
    assert "HttpOnly" in cookie_header and "SameSite=lax" in cookie_header
    csrf = response.json()["csrf_token"]
    assert client.get("/api/me").status_code == 200  # the cookie authenticates
    assert client.post("/api/auth/logout").status_code == 403  # unsafe, no CSRF header
    assert client.post("/api/auth/logout", headers={"X-CSRF-Token": "wrong"}).status_code == 403
    assert client.post("/api/auth/logout", headers={"X-CSRF-Token": csrf}).status_code == 204


def test_bearer_request_is_never_csrf_checked_when_cookie_also_present(
    client: TestClient, session: Session, settings: Settings
):
    user = create_user(session, email="both@example.org")
    client.post(
        "/api/auth/session", json={"email": "both@example.org", "password": DEFAULT_PASSWORD}
    )
    response = client.post("/api/auth/logout", headers=auth_headers(user, settings))
    assert response.status_code == 204


def test_failed_sign_in_is_recorded_without_password_when_wrong(
    client: TestClient, session: Session
):
    sign_in(client, "Someone@Example.org", "a wrong password here")
    failures = session.exec(select(LoginFailure)).all()
    assert [f.email_key for f in failures] == ["someone@example.org"]


def test_a_password_holding_the_emails_name_part_is_refused_in_words_that_say_so(
    client: TestClient,
):
    # It read "must not contain your email address" of a password that held only the part
    # before the @ (an operator's walk).
    body = {**GOOD, "email": "after-backup@example.org", "password": "after-backup-pass-91"}
    response = client.post("/api/auth/register", json=body)
    assert response.status_code == 422
    [error] = response.json()["detail"]
    assert error["loc"][-1] == "password"
    assert "must not contain the part of your email address before the @" in error["msg"]
