"""The sign-in check every signed-in request solves: as few dependencies as FastAPI must solve
(each costs CPU on every request), and still every refusal at once (API.md "Accounts")."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from fastapi.dependencies import utils
from fastapi.testclient import TestClient
from sqlmodel import Session, select

from app.accounts import tokens as tokens_module
from app.accounts.tokens import issue_token, read_token
from app.config import Settings
from app.db import utcnow
from app.deps import current_settings, get_current_auth, get_current_user
from app.models import AuthSession, User
from tests.factories import DEFAULT_PASSWORD, auth_headers, create_user

STAFF_LIST = "/api/staff/diners?status=waiting"


def solved_calls(monkeypatch: pytest.MonkeyPatch) -> list[Callable[..., Any] | None]:
    """Each dependant FastAPI solves from now on (its call; None for the endpoint's own)."""
    solved: list[Callable[..., Any] | None] = []
    solve = utils.solve_dependencies

    async def recording(**kwargs: Any) -> Any:
        solved.append(kwargs["dependant"].call)
        return await solve(**kwargs)

    monkeypatch.setattr(utils, "solve_dependencies", recording)
    return solved


def test_role_check_takes_the_sign_in_itself_when_a_staff_list_is_asked(
    client: TestClient, staff: User, settings: Settings, monkeypatch: pytest.MonkeyPatch
):
    headers = auth_headers(staff, settings)
    solved = solved_calls(monkeypatch)

    assert client.get(STAFF_LIST, headers=headers).status_code == 200
    assert solved.count(get_current_auth) == 1
    assert get_current_user not in solved  # the role check is on the sign-in, not on this
    assert current_settings not in solved  # read inside the sign-in check


def test_current_user_still_answers_when_a_route_asks_for_anyone_signed_in(
    client: TestClient, staff: User, settings: Settings, monkeypatch: pytest.MonkeyPatch
):
    headers = auth_headers(staff, settings)
    solved = solved_calls(monkeypatch)

    response = client.get("/api/me", headers=headers)
    assert response.status_code == 200
    assert response.json()["email"] == staff.email
    assert get_current_user in solved and get_current_auth in solved


def _sign_in_row(session: Session, user: User) -> AuthSession:
    return session.exec(select(AuthSession).where(AuthSession.user_id == user.id)).one()


def test_staff_list_refuses_a_sign_in_on_the_next_request_when_it_is_revoked(
    client: TestClient, session: Session, staff: User, settings: Settings
):
    headers = auth_headers(staff, settings)
    assert client.get(STAFF_LIST, headers=headers).status_code == 200

    row = _sign_in_row(session, staff)
    row.revoked_at = utcnow()
    session.add(row)
    session.commit()

    assert client.get(STAFF_LIST, headers=headers).status_code == 401


def test_staff_list_refuses_a_sign_in_on_the_next_request_when_it_has_expired(
    client: TestClient, session: Session, staff: User, settings: Settings
):
    headers = auth_headers(staff, settings)
    assert client.get(STAFF_LIST, headers=headers).status_code == 200

    row = _sign_in_row(session, staff)
    row.expires_at = utcnow() - timedelta(seconds=1)
    session.add(row)
    session.commit()

    assert client.get(STAFF_LIST, headers=headers).status_code == 401


def test_staff_list_refuses_a_staff_member_when_their_account_is_deactivated(
    client: TestClient, session: Session, staff: User, settings: Settings
):
    headers = auth_headers(staff, settings)
    staff.is_active = False
    session.add(staff)
    session.commit()

    assert client.get(STAFF_LIST, headers=headers).status_code == 401


def test_staff_list_is_403_when_a_cook_asks(
    client: TestClient, session: Session, settings: Settings
):
    cook = create_user(session, role="cook", email="cook.role@example.org")

    response = client.get(STAFF_LIST, headers=auth_headers(cook, settings))
    assert response.status_code == 403
    assert "staff" in response.json()["detail"]


def test_session_cookie_write_is_403_without_its_csrf_token_when_a_role_check_guards_it(
    client: TestClient, session: Session, staff: User
):
    response = client.post(
        "/api/auth/session", json={"email": staff.email, "password": DEFAULT_PASSWORD}
    )
    assert response.status_code == 200, response.text
    csrf = response.json()["csrf_token"]

    refer = {"first_name": "x"}  # refused before its body is looked at
    assert client.post("/api/staff/diners", json=refer).status_code == 403
    wrong = client.post("/api/staff/diners", json=refer, headers={"X-CSRF-Token": csrf + "x"})
    assert wrong.status_code == 403
    assert client.get(STAFF_LIST).status_code == 200  # a safe method needs no CSRF token


# --- tokens: the signature checked once per process, the expiry on every request -----------

SECRET = "a-test-secret-" + "s" * 40


def test_token_is_refused_when_it_expires_after_being_accepted():
    issued = datetime.now(UTC).replace(microsecond=0) - timedelta(minutes=1)
    token, _ = issue_token(
        user_id=7, kind="access", secret=SECRET, lifetime=timedelta(minutes=5), now=issued
    )

    assert read_token(token, kind="access", secret=SECRET, now=issued) is not None
    just_before = issued + timedelta(minutes=5) - timedelta(seconds=1)
    assert read_token(token, kind="access", secret=SECRET, now=just_before) is not None
    at_expiry = issued + timedelta(minutes=5)
    assert read_token(token, kind="access", secret=SECRET, now=at_expiry) is None
    assert read_token(token, kind="access", secret=SECRET, now=issued) is not None


def test_accepted_token_is_refused_when_its_kind_or_secret_or_signature_differ():
    token, issued = issue_token(
        user_id=7, kind="session", secret=SECRET, lifetime=timedelta(hours=1)
    )
    claims = read_token(token, kind="session", secret=SECRET)
    assert claims is not None and (claims.sid, claims.csrf) == (issued.sid, issued.csrf)

    assert read_token(token, kind="access", secret=SECRET) is None
    assert read_token(token, kind="session", secret=SECRET + "x") is None
    header, payload, signature = token.split(".")
    other = "AA" if signature[-2:] != "AA" else "BB"
    assert (
        read_token(f"{header}.{payload}.{signature[:-2]}{other}", kind="session", secret=SECRET)
        is None
    )
    assert read_token(token, kind="session", secret=SECRET) == claims


def test_token_checks_keep_their_answers_when_more_tokens_are_seen_than_are_kept():
    tokens = [
        issue_token(user_id=n, kind="access", secret=SECRET, lifetime=timedelta(hours=1))[0]
        for n in range(tokens_module._VERIFIED_MAX + 3)
    ]
    for n, token in enumerate(tokens):
        claims = read_token(token, kind="access", secret=SECRET)
        assert claims is not None and claims.user_id == n
    assert len(tokens_module._verified_tokens) <= tokens_module._VERIFIED_MAX
    assert read_token(tokens[0], kind="access", secret=SECRET) is not None
