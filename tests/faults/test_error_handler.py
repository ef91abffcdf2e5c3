"""The one error handler: a database that cannot be reached is a 503 with Retry-After; a write
that lost a race to a concurrent one is a 409; any other database error is still a bug's 500."""

from __future__ import annotations

import sqlite3

import psycopg
import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy.exc import IntegrityError, OperationalError

from app.errors import DATABASE_UNAVAILABLE, SAME_MOMENT, install_error_handlers


def app_raising(exc: Exception) -> TestClient:
    app = FastAPI()
    install_error_handlers(app)

    @app.get("/api/fails")
    def fails() -> None:
        raise exc

    return TestClient(app, raise_server_exceptions=False)


@pytest.mark.parametrize(
    "orig",
    [
        psycopg.OperationalError("connection refused"),  # no server answered: no SQLSTATE
        psycopg.errors.AdminShutdown("terminating connection due to administrator command"),
        psycopg.errors.CannotConnectNow("the database system is starting up"),
    ],
)
def test_answers_503_with_retry_after_when_database_cannot_be_reached(orig: Exception):
    answer = app_raising(OperationalError("SELECT 1", {}, orig)).get("/api/fails")

    assert answer.status_code == 503
    assert answer.json() == {"detail": DATABASE_UNAVAILABLE}
    assert int(answer.headers["Retry-After"]) > 0


@pytest.mark.parametrize(
    "exc",
    [
        IntegrityError("INSERT", {}, psycopg.errors.UniqueViolation("duplicate key")),
        IntegrityError("INSERT", {}, sqlite3.IntegrityError("UNIQUE constraint failed: u.e")),
        OperationalError("UPDATE", {}, psycopg.errors.SerializationFailure("could not serialize")),
        OperationalError("UPDATE", {}, psycopg.errors.DeadlockDetected("deadlock detected")),
    ],
)
def test_answers_409_when_a_concurrent_write_got_there_first(exc: Exception):
    """A key checked free and then taken by another request, or two transactions that the
    database could not both let through: the loser is asked to try again, not told of a bug."""
    answer = app_raising(exc).get("/api/fails")

    assert answer.status_code == 409
    assert answer.json() == {"detail": SAME_MOMENT}


@pytest.mark.parametrize(
    "exc",
    [
        IntegrityError("INSERT", {}, psycopg.errors.ForeignKeyViolation("no such parent")),
        IntegrityError("INSERT", {}, psycopg.errors.NotNullViolation("null value")),
        IntegrityError("INSERT", {}, sqlite3.IntegrityError("NOT NULL constraint failed: u.e")),
        OperationalError("SELECT", {}, Exception("no such table: cook")),  # e.g. sqlite3's
    ],
)
def test_answers_500_when_database_error_is_a_bug(exc: Exception):
    answer = app_raising(exc).get("/api/fails")

    assert answer.status_code == 500
    assert answer.json() == {"detail": "Internal Server Error"}
