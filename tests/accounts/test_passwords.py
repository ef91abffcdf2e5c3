"""Changing a password and the forgotten-password link (API.md "Accounts")."""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterator
from datetime import timedelta

import pytest
from argon2 import PasswordHasher, extract_parameters
from argon2.profiles import RFC_9106_LOW_MEMORY
from fastapi.testclient import TestClient
from sqlalchemy import Engine
from sqlmodel import Session, select

from app.accounts import service
from app.accounts.email_change import confirm_email_change, request_email_change
from app.accounts.passwords import hash_password, verify_password
from app.accounts.service import keep_renewed_hash, request_password_reset, reset_password
from app.config import Settings, get_settings
from app.db import utcnow
from app.errors import RuleBroken
from app.models import AuditEntry, Notification, PasswordReset, ResetRequest, User
from tests.conftest import TEST_SETTINGS
from tests.factories import DEFAULT_PASSWORD, create_user

NEW_PASSWORD = "a brand new kettle of soup"


def bearer(client: TestClient, email: str, password: str = DEFAULT_PASSWORD) -> dict[str, str]:
    response = client.post("/api/auth/token", data={"username": email, "password": password})
    assert response.status_code == 200, response.text
    return {"Authorization": f"Bearer {response.json()['access_token']}"}


def signs_in(client: TestClient, email: str, password: str) -> bool:
    response = client.post("/api/auth/token", data={"username": email, "password": password})
    return response.status_code == 200


def reset_token(session: Session, user: User) -> str:
    """The token of the link in the latest reset message queued for the user."""
    messages = session.exec(
        select(Notification)
        .where(Notification.to_user_id == user.id, Notification.event == "password_reset")
        .order_by(Notification.id)  # type: ignore[arg-type]
    ).all()
    assert messages, "no reset message queued"
    found = re.search(r"/reset-password\?token=([A-Za-z0-9_-]+)", messages[-1].body)
    assert found, messages[-1].body
    return found.group(1)


# --- change ---------------------------------------------------------------------------------


def test_password_change_ends_other_sessions_but_not_the_current_when_successful(
    client: TestClient, session: Session
):
    create_user(session, email="mover@example.org")
    current, other = bearer(client, "mover@example.org"), bearer(client, "mover@example.org")
    response = client.post(
        "/api/me/password",
        json={"current_password": DEFAULT_PASSWORD, "new_password": NEW_PASSWORD},
        headers=current,
    )
    assert response.status_code == 204, response.text
    assert client.get("/api/me", headers=current).status_code == 200
    assert client.get("/api/me", headers=other).status_code == 401
    assert signs_in(client, "mover@example.org", NEW_PASSWORD)
    assert not signs_in(client, "mover@example.org", DEFAULT_PASSWORD)


def test_password_change_is_audited_when_successful(client: TestClient, session: Session):
    user = create_user(session, email="audited@example.org")
    client.post(
        "/api/me/password",
        json={"current_password": DEFAULT_PASSWORD, "new_password": NEW_PASSWORD},
        headers=bearer(client, "audited@example.org"),
    )
    entry = session.exec(select(AuditEntry).where(AuditEntry.action == "password_changed")).one()
    assert (entry.actor_id, entry.subject_type, entry.subject_id) == (user.id, "user", user.id)
    assert _told_of_a_new_password(session, user) == 1


def test_password_change_is_422_naming_current_password_when_it_is_wrong(
    client: TestClient, session: Session
):
    create_user(session, email="wrong@example.org")
    headers = bearer(client, "wrong@example.org")
    response = client.post(
        "/api/me/password",
        json={"current_password": "not my password at all", "new_password": NEW_PASSWORD},
        headers=headers,
    )
    assert response.status_code == 422
    assert [e["loc"] for e in response.json()["detail"]] == [["body", "current_password"]]
    assert signs_in(client, "wrong@example.org", DEFAULT_PASSWORD)


def test_password_change_is_422_naming_new_password_when_it_is_weak(
    client: TestClient, session: Session
):
    create_user(session, email="weak@example.org")
    response = client.post(
        "/api/me/password",
        json={"current_password": DEFAULT_PASSWORD, "new_password": "password1234"},
        headers=bearer(client, "weak@example.org"),
    )
    assert response.status_code == 422
    assert response.json()["detail"][0]["loc"] == ["body", "new_password"]
    assert response.json()["detail"][0]["type"] == "weak_password"


def test_password_change_is_422_naming_new_password_when_it_is_the_current_one(
    client: TestClient, session: Session
):
    """A browser walk: the form took the password in use as the new one (and ended the
    person's other sign-ins for nothing)."""
    create_user(session, email="same@example.org")
    headers = bearer(client, "same@example.org")
    response = client.post(
        "/api/me/password",
        json={"current_password": DEFAULT_PASSWORD, "new_password": DEFAULT_PASSWORD},
        headers=headers,
    )
    assert response.status_code == 422
    assert response.json()["detail"][0]["loc"] == ["body", "new_password"]
    assert response.json()["detail"][0]["type"] == "same_password"
    assert client.get("/api/me", headers=headers).status_code == 200  # nothing ended
    # A wrong current password is named first, and counted (a review), whatever the new one.
    wrong = client.post(
        "/api/me/password",
        json={
            "current_password": "not my password at all",
            "new_password": "not my password at all",
        },
        headers=headers,
    )
    assert [e["loc"] for e in wrong.json()["detail"]] == [["body", "current_password"]]


def test_the_password_bodies_refuse_a_key_they_do_not_know_and_change_nothing(
    client: TestClient, session: Session
):
    """Every other body refuses an unknown key; these three took one silently (an outside
    check): a misspelt key beside the right one is the client's mistake to hear about."""
    user = create_user(session, email="strict@example.org")
    headers = bearer(client, "strict@example.org")
    asked = client.post("/api/auth/password-reset", json={"email": user.email})
    assert asked.status_code == 202
    token = reset_token(session, user)
    for path, body, extra in (
        (
            "/api/me/password",
            {"current_password": DEFAULT_PASSWORD, "new_password": NEW_PASSWORD},
            "new_Password",
        ),
        ("/api/auth/password-reset", {"email": user.email}, "emails"),
        ("/api/auth/password-reset/confirm", {"token": token, "new_password": NEW_PASSWORD}, "tok"),
    ):
        refused = client.post(path, json={**body, extra: "x"}, headers=headers)
        assert refused.status_code == 422, (path, refused.text)
        assert [(e["loc"], e["type"]) for e in refused.json()["detail"]] == [
            (["body", extra], "extra_forbidden")
        ], path
    assert signs_in(client, "strict@example.org", DEFAULT_PASSWORD)
    sent = session.exec(
        select(Notification).where(
            Notification.to_user_id == user.id, Notification.event == "password_reset"
        )
    ).all()
    assert len(sent) == 1  # the refused request sent no second link


def test_password_change_is_401_when_signed_out(client: TestClient):
    response = client.post(
        "/api/me/password",
        json={"current_password": DEFAULT_PASSWORD, "new_password": NEW_PASSWORD},
    )
    assert response.status_code == 401


# --- forgotten ------------------------------------------------------------------------------


def test_password_reset_link_sets_a_new_password_and_ends_every_session_when_followed(
    client: TestClient, session: Session
):
    user = create_user(session, email="forgot@example.org")
    signed_in = bearer(client, "forgot@example.org")
    asked = client.post("/api/auth/password-reset", json={"email": "Forgot@Example.org"})
    assert asked.status_code == 202
    token = reset_token(session, user)
    stored = session.exec(select(PasswordReset).where(PasswordReset.user_id == user.id)).one()
    assert stored.token_hash == hashlib.sha256(token.encode()).hexdigest()
    assert stored.expires_at - stored.created_at <= timedelta(hours=1)
    confirmed = client.post(
        "/api/auth/password-reset/confirm", json={"token": token, "new_password": NEW_PASSWORD}
    )
    assert confirmed.status_code == 204, confirmed.text
    assert client.get("/api/me", headers=signed_in).status_code == 401
    assert signs_in(client, "forgot@example.org", NEW_PASSWORD)
    assert not signs_in(client, "forgot@example.org", DEFAULT_PASSWORD)
    assert _told_of_a_new_password(session, user) == 1


def _told_of_a_new_password(session: Session, user: User) -> int:
    """The owner's "your password has changed" messages: an outside check found none sent,
    after a reset or a change (an email change is told to the old address)."""
    told = session.exec(
        select(Notification).where(
            Notification.to_user_id == user.id, Notification.event == "password_changed"
        )
    ).all()
    assert all(m.channel == "email" and "If you did not" in m.body for m in told)
    return len(told)


def test_password_reset_is_422_naming_token_when_link_used_twice(
    client: TestClient, session: Session
):
    user = create_user(session, email="twice@example.org")
    client.post("/api/auth/password-reset", json={"email": "twice@example.org"})
    token = reset_token(session, user)
    body = {"token": token, "new_password": NEW_PASSWORD}
    assert client.post("/api/auth/password-reset/confirm", json=body).status_code == 204
    again = client.post(
        "/api/auth/password-reset/confirm",
        json={"token": token, "new_password": "yet another new password"},
    )
    assert again.status_code == 422
    assert [e["loc"] for e in again.json()["detail"]] == [["body", "token"]]
    assert signs_in(client, "twice@example.org", NEW_PASSWORD)


def test_password_reset_is_422_naming_token_when_link_expired(client: TestClient, session: Session):
    user = create_user(session, email="late@example.org")
    client.post("/api/auth/password-reset", json={"email": "late@example.org"})
    token = reset_token(session, user)
    stored = session.exec(select(PasswordReset).where(PasswordReset.user_id == user.id)).one()
    stored.expires_at = utcnow() - timedelta(seconds=1)
    session.add(stored)
    session.commit()
    response = client.post(
        "/api/auth/password-reset/confirm", json={"token": token, "new_password": NEW_PASSWORD}
    )
    assert response.status_code == 422
    assert response.json()["detail"][0]["loc"] == ["body", "token"]
    assert signs_in(client, "late@example.org", DEFAULT_PASSWORD)


def test_password_reset_is_422_naming_token_when_token_unknown(client: TestClient):
    response = client.post(
        "/api/auth/password-reset/confirm",
        json={"token": "made-up-token-that-was-never-issued", "new_password": NEW_PASSWORD},
    )
    assert response.status_code == 422
    assert response.json()["detail"][0]["loc"] == ["body", "token"]


def test_password_reset_answers_the_same_when_email_has_no_account(
    client: TestClient, session: Session
):
    create_user(session, email="exists@example.org")
    known = client.post("/api/auth/password-reset", json={"email": "exists@example.org"})
    unknown = client.post("/api/auth/password-reset", json={"email": "nobody@example.org"})
    assert known.status_code == unknown.status_code == 202
    assert known.json() == unknown.json()
    assert known.headers.get("content-length") == unknown.headers.get("content-length")
    events = session.exec(select(Notification.event)).all()
    assert events.count("password_reset") == 1


def test_password_reset_sends_no_fourth_link_in_an_hour_and_says_when_to_ask_again(
    session: Session,
):
    user = create_user(session, email="often@example.org")
    answers = [
        request_password_reset(session, email="Often@example.org", settings=TEST_SETTINGS)
        for _ in range(4)
    ]
    assert answers[:3] == [None, None, None]
    first = session.exec(select(PasswordReset).order_by(PasswordReset.id)).first()  # type: ignore[arg-type]
    assert first is not None
    assert answers[3] is not None and answers[3] - first.created_at == timedelta(hours=1)
    queued = session.exec(
        select(Notification).where(
            Notification.to_user_id == user.id, Notification.event == "password_reset"
        )
    ).all()
    assert len(queued) == 3


def test_password_reset_limit_reads_the_same_when_email_has_no_account(session: Session):
    """The page says when the address can ask again: an address without an account reaches
    the limit as one with an account does, or the answer would tell them apart."""
    create_user(session, email="exists@example.org")
    known = [
        request_password_reset(session, email="exists@example.org", settings=TEST_SETTINGS)
        for _ in range(4)
    ]
    unknown = [
        request_password_reset(session, email="nobody@example.org", settings=TEST_SETTINGS)
        for _ in range(4)
    ]
    assert [when is None for when in known] == [when is None for when in unknown]
    assert [when is None for when in unknown] == [True, True, True, False]


def test_password_reset_sends_a_link_again_when_the_hour_of_the_first_is_over(
    session: Session,
):
    user = create_user(session, email="later@example.org")
    for _ in range(3):
        request_password_reset(session, email=user.email, settings=TEST_SETTINGS)
    for asked in session.exec(select(ResetRequest)).all():
        asked.at -= timedelta(hours=1, seconds=1)
        session.add(asked)
    session.flush()

    assert request_password_reset(session, email=user.email, settings=TEST_SETTINGS) is None
    events = session.exec(select(Notification.event)).all()
    assert events.count("password_reset") == 4


def test_the_wait_after_the_limit_counts_from_the_last_three_requests(session: Session):
    """Two requests at once can both pass the limit (each sees two before it): the address can
    ask again when fewer than three are left in the hour, not when the first is an hour old (a
    diff review)."""
    now = utcnow()
    for minutes in (50, 40, 30, 20):  # four in the hour, one more than the limit lets through
        session.add(
            ResetRequest(email_key="raced@example.org", at=now - timedelta(minutes=minutes))
        )
    session.flush()

    again = request_password_reset(session, email="raced@example.org", settings=TEST_SETTINGS)

    assert again is not None
    assert timedelta(minutes=19) < again - now <= timedelta(minutes=20)


def test_password_reset_link_uses_the_public_url_when_host_header_is_forged(
    client: TestClient, session: Session
):
    user = create_user(session, email="host@example.org")
    client.post(
        "/api/auth/password-reset",
        json={"email": "host@example.org"},
        headers={"Host": "evil.example", "X-Forwarded-Host": "evil.example"},
    )
    body = session.exec(select(Notification).where(Notification.to_user_id == user.id)).one().body
    assert "evil.example" not in body
    assert "http://127.0.0.1:8000/reset-password?token=" in body


def test_password_reset_is_audited_by_id_without_email_when_asked_and_used(
    client: TestClient, session: Session
):
    user = create_user(session, email="trail@example.org")
    client.post("/api/auth/password-reset", json={"email": "trail@example.org"})
    client.post(
        "/api/auth/password-reset/confirm",
        json={"token": reset_token(session, user), "new_password": NEW_PASSWORD},
    )
    about_user = (AuditEntry.subject_type == "user", AuditEntry.subject_id == user.id)
    entries = session.exec(select(AuditEntry).where(*about_user)).all()
    assert {e.action for e in entries} == {"password_reset_requested", "password_reset"}
    assert all("@" not in str(e.data) for e in entries)


def test_earlier_reset_links_stop_working_when_one_is_used(client: TestClient, session: Session):
    user = create_user(session, email="many@example.org")
    client.post("/api/auth/password-reset", json={"email": "many@example.org"})
    first = reset_token(session, user)
    client.post("/api/auth/password-reset", json={"email": "many@example.org"})
    second = reset_token(session, user)
    assert first != second
    body = {"token": second, "new_password": NEW_PASSWORD}
    assert client.post("/api/auth/password-reset/confirm", json=body).status_code == 204
    stale = client.post(
        "/api/auth/password-reset/confirm",
        json={"token": first, "new_password": "yet another new password"},
    )
    assert stale.status_code == 422


def test_reset_links_already_sent_stop_working_when_the_password_is_changed(
    client: TestClient, session: Session
):
    """Someone who read the link in a mailbox must not reset a password its owner has since
    changed. Before, the old link still set a password of their choosing (204)."""
    user = create_user(session, email="changed@example.org")
    client.post("/api/auth/password-reset", json={"email": "changed@example.org"})
    token = reset_token(session, user)
    changed = client.post(
        "/api/me/password",
        json={"current_password": DEFAULT_PASSWORD, "new_password": NEW_PASSWORD},
        headers=bearer(client, "changed@example.org"),
    )
    assert changed.status_code == 204, changed.text
    stale = client.post(
        "/api/auth/password-reset/confirm",
        json={"token": token, "new_password": "yet another new password"},
    )
    assert stale.status_code == 422
    assert [e["loc"] for e in stale.json()["detail"]] == [["body", "token"]]
    assert signs_in(client, "changed@example.org", NEW_PASSWORD)


def test_reset_links_sent_to_the_old_address_stop_working_when_the_address_changes(
    client: TestClient, session: Session, settings: Settings
):
    user = create_user(session, email="moved@example.org")
    client.post("/api/auth/password-reset", json={"email": "moved@example.org"})
    token = reset_token(session, user)
    request_email_change(
        session,
        user=user,
        new_email="new-home@example.org",
        password=DEFAULT_PASSWORD,
        client="testclient",
        settings=settings,
    )
    link = session.exec(
        select(Notification).where(Notification.recipient == "new-home@example.org")
    ).one()
    confirm_email_change(session, token=link.body.split("token=")[1].split()[0])
    stale = client.post(
        "/api/auth/password-reset/confirm", json={"token": token, "new_password": NEW_PASSWORD}
    )
    assert stale.status_code == 422
    assert signs_in(client, "new-home@example.org", DEFAULT_PASSWORD)


def test_one_reset_link_confirmed_twice_at_once_sets_one_password(
    real_engine: Engine, monkeypatch: pytest.MonkeyPatch
):
    """The second confirmation arrives while the first hashes (outside any transaction): the
    first then finds the link used. Before, the check after the hash read the session's own
    stale copy of the link, and both set a password."""
    with Session(real_engine, expire_on_commit=False) as setup:
        user = create_user(setup, email="race@example.org")
        request_password_reset(setup, email="race@example.org", settings=TEST_SETTINGS)
        setup.commit()
        token = reset_token(setup, user)
    hash_for_real = service._hash

    def second_confirms_meanwhile(session: Session, password: str) -> str:
        monkeypatch.setattr(service, "_hash", hash_for_real)
        with Session(real_engine, expire_on_commit=False) as other:
            reset_password(other, token=token, new_password="the second new password")
            other.commit()
        return hash_for_real(session, password)

    monkeypatch.setattr(service, "_hash", second_confirms_meanwhile)
    with Session(real_engine, expire_on_commit=False) as first, pytest.raises(RuleBroken):
        reset_password(first, token=token, new_password="the first new password")
    with Session(real_engine) as check:
        used = check.exec(select(AuditEntry).where(AuditEntry.action == "password_reset")).all()
        assert len(used) == 1
        stored = check.get(User, user.id)
        assert stored is not None and verify_password(
            stored.password_hash, "the second new password"
        )


def test_password_change_is_429_when_current_password_was_wrong_five_times(
    client: TestClient, session: Session
):
    create_user(session, email="guessed@example.org")
    headers = bearer(client, "guessed@example.org")

    def change(current: str) -> int:
        body = {"current_password": current, "new_password": NEW_PASSWORD}
        return client.post("/api/me/password", json=body, headers=headers).status_code

    assert [change(f"guess number {n}") for n in range(5)] == [422] * 5
    assert change(DEFAULT_PASSWORD) == 429


# --- Argon2's parameters (PORTION_PASSWORD_*) -----------------------------------------------

OWASP_MINIMUM = {"memory_cost": 19456, "time_cost": 2, "parallelism": 1}


@pytest.fixture
def owasp_minimum(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """The process's settings name OWASP's minimum for Argon2id instead of the default."""
    monkeypatch.setenv("PORTION_PASSWORD_MEMORY_KIB", str(OWASP_MINIMUM["memory_cost"]))
    monkeypatch.setenv("PORTION_PASSWORD_TIME_COST", str(OWASP_MINIMUM["time_cost"]))
    monkeypatch.setenv("PORTION_PASSWORD_PARALLELISM", str(OWASP_MINIMUM["parallelism"]))
    get_settings.cache_clear()
    yield
    get_settings.cache_clear()


def parameters_of(password_hash: str) -> dict[str, int]:
    found = extract_parameters(password_hash)
    return {name: getattr(found, name) for name in OWASP_MINIMUM}


def test_new_hashes_have_the_parameters_the_settings_name(owasp_minimum: None):
    assert parameters_of(hash_password(NEW_PASSWORD)) == OWASP_MINIMUM


def test_a_sign_in_remakes_a_hash_made_with_other_parameters_once(
    client: TestClient, session: Session, owasp_minimum: None
):
    made_before = PasswordHasher.from_parameters(RFC_9106_LOW_MEMORY).hash(DEFAULT_PASSWORD)
    user = create_user(session, email="early@example.org", password_hash=made_before)

    assert signs_in(client, "early@example.org", DEFAULT_PASSWORD)
    session.refresh(user)
    renewed = user.password_hash
    assert parameters_of(renewed) == OWASP_MINIMUM
    assert signs_in(client, "early@example.org", DEFAULT_PASSWORD)
    session.refresh(user)
    assert user.password_hash == renewed  # already the settings': not made again


def test_a_failed_sign_in_leaves_a_hash_made_with_other_parameters(
    client: TestClient, session: Session, owasp_minimum: None
):
    made_before = PasswordHasher.from_parameters(RFC_9106_LOW_MEMORY).hash(DEFAULT_PASSWORD)
    user = create_user(session, email="early@example.org", password_hash=made_before)

    assert not signs_in(client, "early@example.org", "not the password at all")
    session.refresh(user)
    assert user.password_hash == made_before


def test_a_renewed_hash_leaves_a_password_changed_since_it_was_checked(
    session: Session, owasp_minimum: None
):
    made_before = PasswordHasher.from_parameters(RFC_9106_LOW_MEMORY).hash(DEFAULT_PASSWORD)
    user = create_user(session, password_hash=made_before)
    renewed = hash_password(DEFAULT_PASSWORD)
    changed = hash_password(NEW_PASSWORD)
    user.password_hash = changed  # between the sign-in's check and its write
    session.flush()

    keep_renewed_hash(session, user=user, verified=made_before, renewed=renewed)
    session.refresh(user)
    assert user.password_hash == changed

    user.password_hash = made_before  # unchanged since the check: then it is kept
    session.flush()
    keep_renewed_hash(session, user=user, verified=made_before, renewed=renewed)
    session.refresh(user)
    assert user.password_hash == renewed


def test_a_password_reset_lifts_the_lockout_of_failed_sign_ins(
    client: TestClient, session: Session
):
    # Five wrong passwords, then a reset: the new password met "too many tries" (a newcomer's
    # walk). Following the link shows the account is theirs.
    user = create_user(session, email="locked@example.org")
    for _ in range(5):
        assert not signs_in(client, "locked@example.org", "not my password at all")
    assert (
        client.post(
            "/api/auth/token", data={"username": "locked@example.org", "password": DEFAULT_PASSWORD}
        ).status_code
        == 429
    )
    client.post("/api/auth/password-reset", json={"email": "locked@example.org"})
    confirmed = client.post(
        "/api/auth/password-reset/confirm",
        json={"token": reset_token(session, user), "new_password": NEW_PASSWORD},
    )
    assert confirmed.status_code == 204, confirmed.text
    assert signs_in(client, "locked@example.org", NEW_PASSWORD)
