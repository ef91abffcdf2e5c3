"""Schema fuzzing: schemathesis drives every operation of the app's OpenAPI schema in-process.

Records to act on are made once per module through the API: an approved cook, a carer with two
diners (one in an active pairing with scheduled meals, one with a proposed pairing) and a staff
member of the same council. Each example runs in a savepoint that is rolled back afterwards, so
every example sees that same database whatever the one before it changed (which also keeps
Hypothesis's replay meaningful).

Each example is sent with the bearer token of the role its path is for (`/api/staff/...` staff,
`/api/diners...` a carer or staff, `/api/cooks|pairings|meals/...` the cook), and one in eight
as someone else or nobody, so that 401 and 403 are exercised too; about half the examples have
their ids (in the path, or at the top of a JSON body) replaced by those of the records above, so
that handlers run past "not found". Both choices are a function of the generated request, so a
failure replays as it was found (the role is in the failure's notes): schemathesis runs its
coverage phase only for tests that take no extra Hypothesis strategies, hence no `data.draw`.

Checks: schemathesis's defaults (no 5xx, every status documented for its operation, responses
match the documented schemas and content types, schema-violating requests are rejected, ...)
except the one explained at EXCLUDED_CHECKS, plus the error bodies of API.md "Errors".

Bounded to about half a minute: the coverage phase generates valid boundary cases only (its
negative half is about 1,300 more requests), fuzzing draws PORTION_FUZZ_EXAMPLES examples per
operation (default 10, both valid and invalid data) from a fixed seed, and failures are not
shrunk. For a deeper run: `PORTION_FUZZ_EXAMPLES=200 pytest tests/test_api_fuzz.py`.
"""

from __future__ import annotations

import os
import zlib
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any
from unittest.mock import patch

import pytest
import schemathesis
from fastapi.testclient import TestClient
from hypothesis import Phase, note
from hypothesis import settings as hypothesis_settings
from schemathesis.core.parameters import ParameterLocation
from schemathesis.specs.openapi.checks import positive_data_acceptance
from sqlalchemy import Connection, Engine
from sqlmodel import Session

from app.config import get_settings
from app.db import DatabaseProbe, get_database_probe, get_session
from app.main import app
from tests.conftest import TEST_SETTINGS
from tests.factories import auth_headers, cook_payload, create_council, create_user, diner_payload

CONFIG = schemathesis.Config.from_dict(
    {
        "phases": {"coverage": {"generation": {"mode": "positive"}}},
        "dictionaries": {
            "postcodes": {"values": ["N3 1HT", "N3 1QX", "n31ht"]},
            "phones": {"values": ["020 7946 0018", "07911 123456", "+44 7700 900123"]},
            "nul": {"values": ["\u0000", "Edna\u0000Smith"]},
        },
        # PostgreSQL refuses NUL in text: any string may carry one, and must be turned away
        # with a 422 before it reaches the database.
        "generation": {"dictionaries": {"string": {"dictionary": "nul", "probability": 0.05}}},
        # Postcodes in the seeded council and real phone numbers, drawn often enough that
        # generated sign-ups and referrals get past the geocoder and reach the database.
        "parameters": {
            "body.postcode": {"dictionary": "postcodes", "probability": 0.7},
            "body.phone": {"dictionary": "phones", "probability": 0.7},
        },
    }
)
# Schemathesis starts the app's lifespan once per process, with its first request (loading the
# schema); the lifespan reads the settings directly and, in development, would start a
# notification sender on the configured database for the rest of the test session.
_NO_SENDER = TEST_SETTINGS.model_copy(update={"notifications_in_process": False})
with patch("app.main.get_settings", return_value=_NO_SENDER):
    schema = schemathesis.openapi.from_asgi("/openapi.json", app, config=CONFIG)

ROLES = ("cook", "carer", "staff")
# The role(s) a path is for, by prefix; other paths (accounts, health) are for anyone.
ROLE_BY_PREFIX = (
    ("/api/staff/", ("staff",)),
    ("/api/diners", ("carer", "staff")),
    ("/api/cooks/", ("cook",)),
    ("/api/pairings/", ("cook",)),
    ("/api/meals/", ("cook",)),
)
ANYONE: tuple[str | None, ...] = (*ROLES, None)


@dataclass(frozen=True)
class World:
    connection: Connection
    headers: dict[str, dict[str, str]]
    ids: dict[str, list[int]]  # id parameter name -> ids of records that exist


@contextmanager
def _app_using(db: Session) -> Iterator[None]:
    app.dependency_overrides[get_session] = lambda: db
    app.dependency_overrides[get_settings] = lambda: TEST_SETTINGS
    # /healthz checks the schema of the test's database, not of the settings' file.
    probe = DatabaseProbe(db.get_bind().engine)
    app.dependency_overrides[get_database_probe] = lambda: probe
    try:
        yield
    finally:
        app.dependency_overrides.pop(get_session, None)
        app.dependency_overrides.pop(get_settings, None)
        app.dependency_overrides.pop(get_database_probe, None)


def _seed(db: Session) -> tuple[dict[str, dict[str, str]], dict[str, list[int]]]:
    council = create_council(db)  # Barnet's LAD: the factory payloads' postcodes are in it
    headers = {
        role: auth_headers(create_user(db, role=role, council=council), TEST_SETTINGS)
        for role in ROLES
    }
    db.commit()
    client = TestClient(app)  # no `with`: the lifespan (and its notification sender) stays off
    with _app_using(db):

        def call(method: str, url: str, role: str, body: Any, status: int) -> Any:
            r = client.request(method, url, json=body, headers=headers[role])
            assert r.status_code == status, (method, url, r.status_code, r.text)
            return r.json()

        # Free on Tuesdays and Thursdays: two diners, on two days (never two homes at once).
        days = [{"weekday": d, "start": "17:00", "end": "19:00"} for d in (1, 3)]
        cook = call("PUT", "/api/cooks/me", "cook", cook_payload(availability=days), 200)["id"]
        approval = {
            "dbs_checked_on": (date.today() - timedelta(days=30)).isoformat(),
            "dbs_level": "enhanced",
            "id_checked": True,
            "hygiene_ack": True,
        }
        call("POST", f"/api/staff/cooks/{cook}/approve", "staff", approval, 200)
        diners, pairings = [], []
        for name, day in (("Edna Smith", 1), ("Arthur Jones", 3)):  # the cook takes two diners
            free = [{"weekday": day, "start": "17:30", "end": "19:00"}]
            body = diner_payload(full_name=name, availability=free)
            diner = call("POST", "/api/diners", "carer", body, 201)["id"]
            pairing = {"diner_id": diner, "cook_id": cook, "weekday": day, "start": "17:30"}
            pairing |= {"frequency": "weekly"}
            diners.append(diner)
            pairings.append(call("POST", "/api/staff/pairings", "staff", pairing, 201)["id"])
        call("POST", f"/api/pairings/{pairings[0]}/accept", "cook", None, 200)
        meals = [m["id"] for m in call("GET", "/api/cooks/me/meals", "cook", None, 200)["items"]]
        assert meals, "accepting a weekly pairing schedules meals"
    ids = {"cook_id": [cook], "diner_id": diners, "pairing_id": pairings, "meal_id": meals[:2]}
    return headers, ids


@pytest.fixture(scope="module")
def world(engine: Engine) -> Iterator[World]:
    """The seeded records, in a transaction that stays open for the module, then rolled back."""
    connection = engine.connect()
    outer = connection.begin()
    db = Session(bind=connection, join_transaction_mode="create_savepoint", expire_on_commit=False)
    try:
        headers, ids = _seed(db)
        db.close()
        yield World(connection, headers, ids)
    finally:
        db.close()
        outer.rollback()
        connection.close()


@contextmanager
def example_session(world: World) -> Iterator[None]:
    """The app's session for one example: its commits are savepoints, all undone afterwards."""
    nested = world.connection.begin_nested()
    db = Session(
        bind=world.connection, join_transaction_mode="create_savepoint", expire_on_commit=False
    )
    try:
        with _app_using(db):
            yield
    finally:
        db.close()
        nested.rollback()


def _case_hash(case: schemathesis.Case) -> int:
    """A number drawn from the generated request, the same in every process (a missing body is
    an object whose repr holds its address, so only plain values are hashed)."""
    body = case.body if isinstance(case.body, str | bytes | int | float | list | dict) else None
    seen = (case.method, case.path, case.path_parameters, case.query, body)
    return zlib.crc32(repr(seen).encode())


def choose_role(case: schemathesis.Case) -> str | None:
    h = _case_hash(case)
    meant: tuple[str | None, ...] = next(
        (roles for prefix, roles in ROLE_BY_PREFIX if case.operation.path.startswith(prefix)),
        ANYONE,
    )
    pool = ANYONE if h % 8 == 0 else meant  # one in eight: anyone at all, or nobody
    return pool[(h >> 3) % len(pool)]


def use_existing_ids(case: schemathesis.Case, world: World) -> None:
    """Swap about half the generated ids (in the path or at the top of a JSON body) for real
    ones."""
    h = _case_hash(case) >> 6
    body = case.body if isinstance(case.body, dict) else {}
    # A path made invalid on purpose stays invalid (a real id there would be "accepted").
    bad_path = case.meta is not None and case.meta.is_negative_at(ParameterLocation.PATH)
    for container in (case.path_parameters, body):
        if bad_path and container is case.path_parameters:
            continue
        for name, value in list(container.items()):
            known = world.ids.get(name)
            if known and type(value) is int and h % 2:
                container[name] = known[(h >> 1) % len(known)]
            h >>= 3


def error_body_shape(ctx: Any, response: Any, case: schemathesis.Case) -> bool | None:
    """API.md "Errors": `{"detail": ...}`; a 422 has `detail: [{loc, msg, type}]`; a 429 says
    when to retry."""
    status = response.status_code
    if status < 400 or status == 405:
        return None
    body = response.json()
    assert isinstance(body, dict) and "detail" in body, f"{status} body is not {{detail}}: {body}"
    if status == 422:
        detail = body["detail"]
        assert isinstance(detail, list) and detail, f"422 detail is not a list: {body}"
        for item in detail:
            assert isinstance(item, dict), f"422 detail item is not an object: {body}"
            assert isinstance(item.get("loc"), list), f"422 item without a loc list: {body}"
            assert isinstance(item.get("msg"), str), f"422 item without a msg: {body}"
            assert isinstance(item.get("type"), str), f"422 item without a type: {body}"
    if status == 429:
        assert response.headers.get("retry-after"), "429 without Retry-After"
    return None


# `status_code_conformance` is on: every status an operation answers is declared in the schema
# (app/openapi.py), so an undocumented one is a failure.
EXCLUDED_CHECKS = [
    # "Schema-valid data must be accepted" cannot hold here: API.md answers 422 for payloads
    # that are well-formed but break a product rule the schema cannot express (a postcode
    # outside every council, a phone number that does not exist, overlapping windows, a common
    # password), and 403/404/409 for the wrong role, someone else's record or the current state.
    positive_data_acceptance,
]
ADDITIONAL_CHECKS = [error_body_shape]


@schema.parametrize()
@hypothesis_settings(
    max_examples=int(os.environ.get("PORTION_FUZZ_EXAMPLES", "10")),
    deadline=None,  # sign-up and sign-in hash passwords with Argon2: slow by design
    derandomize=True,  # the same examples on every run: a red build is not luck
    database=None,
    # No shrinking: minimising a failure costs up to half a minute per operation, and the
    # report's curl line already reproduces it.
    phases=[Phase.explicit, Phase.reuse, Phase.generate, Phase.target],
)
def test_api_conforms_to_its_schema(case: schemathesis.Case, world: World) -> None:
    role = choose_role(case)
    use_existing_ids(case, world)
    note(f"sent as: {role or 'nobody'}")
    with example_session(world):
        case.call_and_validate(
            headers=world.headers[role] if role else {},
            excluded_checks=EXCLUDED_CHECKS,
            additional_checks=ADDITIONAL_CHECKS,
        )


def test_a_method_a_path_lacks_answers_405_naming_the_ones_it_has(world: World) -> None:
    """What schemathesis's negative coverage phase (left out above for time) would check with
    its method probes: 405 and an `Allow` header listing the path's own methods (RFC 9110)."""
    client = TestClient(app)
    wrong = []
    with example_session(world):
        for path, operations in schema.raw_schema["paths"].items():
            methods = {method.upper() for method in operations}
            absent = next(m for m in ("PATCH", "DELETE", "PUT", "POST") if m not in methods)
            url = path.replace("{", "").replace("}", "")  # `{diner_id}` -> `diner_id`: any id
            url = "/".join("1" if part.endswith("_id") else part for part in url.split("/"))
            r = client.request(absent, url, headers=world.headers["staff"])
            allowed = {m.strip() for m in r.headers.get("allow", "").split(",") if m.strip()}
            if r.status_code != 405 or allowed - {"HEAD"} != methods:
                wrong.append(f"{absent} {url} -> {r.status_code}, Allow: {sorted(allowed)}")
    assert not wrong, "\n".join(wrong)
