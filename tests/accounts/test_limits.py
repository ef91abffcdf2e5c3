"""Limits on anonymous work: registrations per client, sign-in lockout per account and client,
and the cap on concurrent Argon2 hashing (API.md "Accounts")."""

from __future__ import annotations

import subprocess
import sys
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from datetime import timedelta
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine
from sqlmodel import Session, select

from app.accounts.passwords import HASH_SLOTS, SLOT_WAIT_S, hash_slots
from app.accounts.service import authenticate
from app.config import Settings, get_settings
from app.db import utcnow
from app.errors import ServiceBusy
from app.main import app
from app.models import LoginFailure, RegistrationAttempt, User
from tests.factories import DEFAULT_PASSWORD, auth_headers, create_user
from tests.support.hash_turns import every_hashing_turn_taken
from tests.support.statements import beyond_sign_in, selects_run
from tests.test_metrics import sample

OTHER_ADDRESS = ("203.0.113.7", 50000)
ROOT = Path(__file__).resolve().parents[2]


def registration(n: int) -> dict[str, str]:
    return {
        "email": f"new{n}@example.org",
        "password": "a kettle of soup on thursdays",
        "full_name": "Ada Cook",
        "role": "cook",
    }


def sign_in(client: TestClient, email: str, password: str):
    return client.post("/api/auth/token", data={"username": email, "password": password})


def fail_from(
    session: Session, email: str, *, count: int, ago: timedelta, client: str = "testclient"
) -> None:
    at = utcnow() - ago
    for _ in range(count):
        session.add(LoginFailure(email_key=email, client=client, at=at))
    session.commit()


@contextmanager
def from_address(client: TestClient) -> Iterator[TestClient]:
    """A second client, from another address, on the same app (and the same test database)."""
    assert client.app is app
    with TestClient(app, client=OTHER_ADDRESS) as other:
        yield other


# --- registrations --------------------------------------------------------------------------


def test_registration_is_429_with_retry_after_when_client_registered_20_this_hour(
    client: TestClient, session: Session, settings: Settings
):
    assert settings.registrations_per_client_hour == 20
    for _ in range(19):
        session.add(RegistrationAttempt(client="testclient", at=utcnow() - timedelta(minutes=5)))
    session.commit()
    assert client.post("/api/auth/register", json=registration(20)).status_code == 201
    limited = client.post("/api/auth/register", json=registration(21))
    assert limited.status_code == 429
    assert 0 < int(limited.headers["Retry-After"]) <= 3600 - 5 * 60 + 1
    assert session.exec(select(User).where(User.email_key == "new21@example.org")).first() is None


def test_registration_counts_when_the_request_fails(client: TestClient, session: Session):
    create_user(session, email="new1@example.org")
    assert client.post("/api/auth/register", json=registration(1)).status_code == 409
    weak = client.post("/api/auth/register", json={**registration(2), "password": "password1234"})
    assert weak.status_code == 422
    attempts = session.exec(select(RegistrationAttempt.client)).all()
    assert attempts == ["testclient"]  # the taken email counted; the weak password did not


def test_registration_is_allowed_when_the_limit_was_reached_by_another_address(
    client: TestClient, session: Session
):
    for _ in range(20):
        session.add(RegistrationAttempt(client="testclient"))
    session.commit()
    assert client.post("/api/auth/register", json=registration(1)).status_code == 429
    with from_address(client) as other:
        assert other.post("/api/auth/register", json=registration(2)).status_code == 201


def test_registration_window_forgets_attempts_when_older_than_an_hour(
    client: TestClient, session: Session
):
    for _ in range(20):
        session.add(RegistrationAttempt(client="testclient", at=utcnow() - timedelta(minutes=61)))
    session.commit()
    assert client.post("/api/auth/register", json=registration(1)).status_code == 201


# --- sign-in lockout ------------------------------------------------------------------------


def test_sign_in_is_429_for_about_a_minute_when_pair_failed_five_times(
    client: TestClient, session: Session
):
    create_user(session, email="target@example.org")
    for _ in range(5):
        assert sign_in(client, "target@example.org", "wrong password!!").status_code == 401
    limited = sign_in(client, "target@example.org", DEFAULT_PASSWORD)
    assert limited.status_code == 429
    assert 0 < int(limited.headers["Retry-After"]) <= 60


def test_sign_in_delay_doubles_when_pair_fails_again_after_the_delay(
    client: TestClient, session: Session
):
    create_user(session, email="target@example.org")
    # Five failures 100 s ago: the 60 s delay has passed, so one more try is allowed...
    fail_from(session, "target@example.org", count=5, ago=timedelta(seconds=100))
    assert sign_in(client, "target@example.org", "wrong again!!").status_code == 401
    # ...and the sixth failure doubles the delay to 120 s from now.
    limited = sign_in(client, "target@example.org", DEFAULT_PASSWORD)
    assert limited.status_code == 429
    assert 60 < int(limited.headers["Retry-After"]) <= 120


def test_sign_in_delay_counts_from_the_latest_failure_when_six_failed(
    client: TestClient, session: Session
):
    create_user(session, email="target@example.org")
    fail_from(session, "target@example.org", count=6, ago=timedelta(seconds=100))
    limited = sign_in(client, "target@example.org", DEFAULT_PASSWORD)
    assert limited.status_code == 429  # 120 s after the latest failure, 100 s ago
    assert 0 < int(limited.headers["Retry-After"]) <= 20


def test_sign_in_succeeds_when_the_delay_after_five_failures_has_passed(
    client: TestClient, session: Session
):
    create_user(session, email="target@example.org")
    fail_from(session, "target@example.org", count=5, ago=timedelta(seconds=61))
    assert sign_in(client, "target@example.org", DEFAULT_PASSWORD).status_code == 200


def test_account_is_not_locked_for_another_address_when_one_address_failed(
    client: TestClient, session: Session
):
    create_user(session, email="victim@example.org")
    for _ in range(5):
        assert sign_in(client, "victim@example.org", "attacker guess!!").status_code == 401
    assert sign_in(client, "victim@example.org", DEFAULT_PASSWORD).status_code == 429
    with from_address(client) as owner:
        assert sign_in(owner, "victim@example.org", DEFAULT_PASSWORD).status_code == 200


# --- hashing cap ----------------------------------------------------------------------------


@contextmanager
def every_hashing_slot_taken() -> Iterator[None]:
    """The hashing slots of code outside requests (passwords.hashing_slot) all taken."""
    taken = 0
    try:
        for _ in range(HASH_SLOTS):
            assert hash_slots.acquire(blocking=False)
            taken += 1
        yield
    finally:
        for _ in range(taken):
            hash_slots.release()


def test_sign_in_is_503_with_retry_after_when_every_hashing_turn_is_taken(
    client: TestClient, session: Session
):
    create_user(session, email="busy@example.org")
    with every_hashing_turn_taken(client):  # a wrong password: refused before it is checked
        response = sign_in(client, "busy@example.org", "not the password")
    assert response.status_code == 503
    assert int(response.headers["Retry-After"]) >= 1
    assert session.exec(select(LoginFailure)).first() is None  # the refusal is no failure
    assert sign_in(client, "busy@example.org", DEFAULT_PASSWORD).status_code == 200


def test_a_sign_in_waits_a_second_for_a_turn_rather_than_being_refused(
    client: TestClient, session: Session
):
    """Staff signing in at the start of a shift, all at once: a sign-in whose turn frees up
    within a second or two is answered, not told to try again (with half a second's wait, two
    of four sign-ins at once were refused on a busy server, an outside check)."""
    create_user(session, email="shift@example.org")
    with ThreadPoolExecutor(1) as pool, every_hashing_turn_taken(client):
        waiting = pool.submit(sign_in, client, "shift@example.org", DEFAULT_PASSWORD)
        time.sleep(1.0)  # the turns free up a second later (leaving the block)
    assert waiting.result(timeout=30).status_code == 200


def test_waits_for_a_turn_to_hash_and_refusals_are_in_the_metrics(
    client: TestClient, session: Session
):
    """An operator sees when sign-ins outrun Argon2: every wait for a turn, and every request
    refused after it (kind "hash" beside the database slots' "read" and "write")."""
    create_user(session, email="counted@example.org")
    before = client.get("/metrics").text
    with every_hashing_turn_taken(client):  # HASH_SLOTS waits, none refused
        assert sign_in(client, "counted@example.org", DEFAULT_PASSWORD).status_code == 503
    assert sign_in(client, "counted@example.org", DEFAULT_PASSWORD).status_code == 200
    after = client.get("/metrics").text

    def change(name: str) -> float:
        return sample(after, name, kind="hash") - sample(before, name, kind="hash")

    assert change("portion_database_slot_refusals_total") == 1
    assert change("portion_database_slot_wait_seconds_count") == HASH_SLOTS + 2
    assert change("portion_database_slot_wait_seconds_sum") >= SLOT_WAIT_S  # the refused wait


def test_registration_is_503_and_creates_nothing_when_every_hashing_turn_is_taken(
    client: TestClient, session: Session
):
    with every_hashing_turn_taken(client):
        response = client.post("/api/auth/register", json=registration(1))
    assert response.status_code == 503
    assert "Retry-After" in response.headers
    assert not session.in_transaction()
    assert session.exec(select(User).where(User.email_key == "new1@example.org")).first() is None
    # Nor is it counted among the client's registrations this hour.
    assert session.exec(select(RegistrationAttempt)).first() is None


def test_a_request_that_needs_no_hash_is_answered_as_usual_when_every_turn_is_taken(
    client: TestClient, session: Session
):
    """Refused a turn to hash, a request goes on and is answered 503 only if it comes to
    hash: a body that does not validate, or a weak password, gets its 422 (hash_turns.py)."""
    create_user(session, email="known@example.org")
    with every_hashing_turn_taken(client):
        no_password = client.post("/api/auth/token", data={"username": "known@example.org"})
        no_email = client.post("/api/auth/register", json=registration(2) | {"email": ""})
        weak = client.post("/api/auth/register", json=registration(3) | {"password": "soup"})
        signing_in = sign_in(client, "known@example.org", DEFAULT_PASSWORD)
    assert no_password.status_code == 422, no_password.text
    assert no_password.json()["detail"][0]["loc"] == ["body", "password"]
    assert no_email.status_code == 422, no_email.text
    assert weak.status_code == 422 and weak.json()["detail"][0]["type"] == "weak_password"
    assert signing_in.status_code == 503  # it needs a hash
    assert session.exec(select(RegistrationAttempt)).first() is None


def test_a_sign_in_or_password_change_refused_its_turn_runs_no_query_of_its_own(
    client: TestClient, engine: Engine, session: Session, settings: Settings
):
    """Refused a turn, a request that will hash is answered 503 before its own queries (the
    rate limit, the account): under a burst they would only load the database."""
    user = create_user(session, email="quiet@example.org")
    headers = auth_headers(user, settings)
    answers: list[int] = []
    change = {"current_password": DEFAULT_PASSWORD, "new_password": "walnut lantern meadow 88"}
    with every_hashing_turn_taken(client):
        signing_in = selects_run(
            engine,
            lambda: answers.append(
                sign_in(client, "quiet@example.org", DEFAULT_PASSWORD).status_code
            ),
        )
        changing = selects_run(
            engine,
            lambda: answers.append(
                client.post("/api/me/password", json=change, headers=headers).status_code
            ),
        )
    assert answers == [503, 503]
    assert signing_in == []
    assert beyond_sign_in(changing) == []


def test_sign_in_outside_a_request_is_refused_when_every_hashing_slot_is_taken(
    session: Session, settings: Settings
):
    """Code that hashes outside a request (no turn) waits for a hashing slot where it runs."""
    create_user(session, email="cli@example.org")
    with every_hashing_slot_taken(), pytest.raises(ServiceBusy):
        authenticate(
            session,
            email="cli@example.org",
            password=DEFAULT_PASSWORD,
            client="127.0.0.1",
            settings=settings,
        )
    user = authenticate(
        session,
        email="cli@example.org",
        password=DEFAULT_PASSWORD,
        client="127.0.0.1",
        settings=settings,
    )
    assert user.email == "cli@example.org"


def test_timing_hash_is_not_computed_when_the_module_is_imported():
    code = "import app.accounts.passwords as p; print(p._dummy_hash.cache_info().currsize)"
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=120, cwd=ROOT
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip().splitlines()[-1] == "0"


def test_a_password_change_and_a_sign_in_that_renews_its_hash_take_one_turn_each(
    client: TestClient, session: Session, monkeypatch: pytest.MonkeyPatch
):
    """Each hashes twice (the password checked, then a new hash) in the turn it waited for
    before its database slot: a second wait for a turn would hold the slot (hash_turns.py)."""
    user = create_user(session, email="twice@example.org")
    token = sign_in(client, user.email, DEFAULT_PASSWORD).json()["access_token"]
    headers = {"Authorization": f"Bearer {token}"}

    def turns_taken() -> float:
        return sample(
            client.get("/metrics").text, "portion_database_slot_wait_seconds_count", kind="hash"
        )

    before = turns_taken()
    change = {"current_password": DEFAULT_PASSWORD, "new_password": "a brand new kettle of soup"}
    assert client.post("/api/me/password", json=change, headers=headers).status_code == 204
    assert turns_taken() - before == 1

    monkeypatch.setenv("PORTION_PASSWORD_TIME_COST", "4")  # the stored hash is now an old one
    get_settings.cache_clear()
    try:
        before = turns_taken()
        assert sign_in(client, user.email, "a brand new kettle of soup").status_code == 200
        assert turns_taken() - before == 1
        session.refresh(user)
        assert "t=4" in user.password_hash  # renewed in that one turn
    finally:
        get_settings.cache_clear()


def test_a_sign_in_with_an_address_longer_than_any_is_refused_naming_the_field(
    client: TestClient,
):
    # A 321-character username answered 500 on PostgreSQL: the failure's key did not fit.
    token = client.post(
        "/api/auth/token", data={"username": "u" * 321, "password": "whatever12345"}
    )
    assert token.status_code == 422
    assert [e["loc"] for e in token.json()["detail"]] == [["body", "username"]]
    password = client.post(
        "/api/auth/token", data={"username": "a@example.org", "password": "p" * 1025}
    )
    assert password.status_code == 422
    assert [e["loc"] for e in password.json()["detail"]] == [["body", "password"]]


def test_a_failed_sign_in_is_counted_when_the_address_grows_in_lower_case(
    client: TestClient, session: Session
):
    # "İ" is two characters in lower case: a 262-character address made a 512-character key,
    # and its failure answered 500 on PostgreSQL (an outside check).
    email = "İ" * 250 + "@example.org"
    for path, body in (
        ("/api/auth/session", {"json": {"email": email, "password": "whatever12345"}}),
        ("/api/auth/token", {"data": {"username": email, "password": "whatever12345"}}),
    ):
        assert client.post(path, **body).status_code == 401, path
    keys = session.exec(select(LoginFailure.email_key)).all()
    assert len(keys) == 2 and {len(k) for k in keys} == {320}
