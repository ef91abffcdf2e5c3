"""The one error handler: a database that cannot be reached is a 503 with Retry-After; any other
database error is still a bug's 500."""

from __future__ import annotations

import psycopg
import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy.exc import IntegrityError, OperationalError

from app.errors import DATABASE_UNAVAILABLE, install_error_handlers


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
        OperationalError("UPDATE", {}, psycopg.errors.SerializationFailure("could not serialize")),
        OperationalError("SELECT", {}, Exception("no such table: cook")),  # e.g. sqlite3's
    ],
)
def test_answers_500_when_database_error_is_a_bug(exc: Exception):
    answer = app_raising(exc).get("/api/fails")

    assert answer.status_code == 500
    assert answer.json() == {"detail": "Internal Server Error"}
