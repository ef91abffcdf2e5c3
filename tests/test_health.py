import logging
import re
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, create_engine, event

from app import db
from app.db import SCHEMA_VERSION_QUERY, DatabaseProbe, get_database_probe, make_engine
from app.errors import DATABASE_NOT_MIGRATED, DATABASE_UNAVAILABLE
from app.main import app
from tests.conftest import app_engine, migrate


def test_healthz_is_ok_when_database_reachable(client: TestClient):
    response = client.get("/healthz")
    assert response.status_code == 200 and response.json() == {"status": "ok"}


@pytest.mark.parametrize("revision", [None, "0015"], ids=["never-migrated", "behind"])
def test_healthz_reports_not_migrated_when_schema_is_not_at_head(
    client: TestClient, empty_database: str, revision: str | None
):
    engine = make_engine(empty_database)
    if revision is not None:
        migrate(engine, revision)
    app.dependency_overrides[get_database_probe] = lambda: DatabaseProbe(engine)
    try:
        response = client.get("/healthz")
    finally:
        engine.dispose()
    assert response.status_code == 503
    assert response.json() == {"detail": DATABASE_NOT_MIGRATED}
    assert "portion migrate" in DATABASE_NOT_MIGRATED


def test_docs_list_the_endpoints_when_served(client: TestClient):
    spec = client.get("/openapi.json").json()
    assert "/api/auth/register" in spec["paths"] and "/api/me" in spec["paths"]
    assert client.get("/docs").status_code == 200


def test_home_page_is_served_when_frontend_present(client: TestClient):
    response = client.get("/")
    assert response.status_code == 200 and "Extra Portion" in response.text


def test_about_page_shows_data_attribution_when_served(client: TestClient):
    response = client.get("/about.html")
    assert response.status_code == 200
    assert "Contains OS data © Crown copyright" in response.text
    assert "Royal Mail data" in response.text and "Open Government Licence" in response.text
    # Its navigation is in the page, not added by a script (a browser walk found none without).
    assert re.search(
        r'<nav class="ep-nav[^"]*" aria-label="Main">.*?href="/sign-in"', response.text, re.S
    )


def test_undecodable_body_gets_422_naming_the_body_when_posted(client: TestClient):
    response = client.post(
        "/api/auth/register",
        content=b"\x0bE\xdd\x86\xff\x03\xffk^",
        headers={"Content-Type": "application/json"},
    )
    assert response.status_code == 422
    assert response.json()["detail"][0]["loc"] == ["body"]


def test_unknown_path_is_still_404_when_requested(client: TestClient):
    assert client.get("/api/nothing-here").status_code == 404


def test_wrong_method_on_api_path_is_405_with_allow_when_called(client: TestClient):
    response = client.patch("/api/diners")
    assert response.status_code == 405
    assert set(response.headers["allow"].replace(" ", "").split(",")) == {"GET", "HEAD", "POST"}
    assert client.get("/api/auth/register").status_code == 405


@contextmanager
def counting(engine: Engine, event_name: str, match: Callable[..., bool]) -> Iterator[list[int]]:
    """Counts the `event_name` events of `engine` that `match` accepts (a one-element list)."""
    seen = [0]

    def listener(*args: Any) -> None:
        seen[0] += match(*args)

    event.listen(engine, event_name, listener)
    try:
        yield seen
    finally:
        event.remove(engine, event_name, listener)


def is_probe(_conn: Any, _cursor: Any, statement: str, *_: Any) -> bool:
    return statement == SCHEMA_VERSION_QUERY


def test_healthz_queries_database_once_when_asked_again_within_its_cache(
    client: TestClient, engine: Engine
):
    probe = DatabaseProbe(engine, max_age_s=3600)
    app.dependency_overrides[get_database_probe] = lambda: probe
    with counting(engine, "before_cursor_execute", is_probe) as probes:
        answers = [client.get("/healthz") for _ in range(3)]
        assert [a.json() for a in answers] == [{"status": "ok"}] * 3
        assert probes == [1]

        probe = DatabaseProbe(engine, max_age_s=0)  # no cache: every check asks
        assert [client.get("/healthz").status_code for _ in range(2)] == [200, 200]
        assert probes == [3]


def test_healthz_reports_unavailable_when_database_cannot_be_reached(
    client: TestClient, tmp_path: Path
):
    unreachable = create_engine(f"sqlite:///{tmp_path}/no-such-folder/portion.db")
    app.dependency_overrides[get_database_probe] = lambda: probe
    probe = DatabaseProbe(unreachable, max_age_s=3600)
    with counting(unreachable, "do_connect", lambda *_: True) as attempts:
        answers = [client.get("/healthz") for _ in range(2)]
    for answer in answers:
        assert answer.status_code == 503
        assert answer.json() == {"detail": DATABASE_UNAVAILABLE}
        assert int(answer.headers["Retry-After"]) > 0
    assert attempts == [1]  # the failure is cached like a success


@pytest.fixture
def unmigrated_app(empty_database: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[Engine]:
    """The app's own engine, sessions and probe, on a database that has no tables yet (a
    server that started while it could not be reached, so never refused it)."""
    yield from app_engine(empty_database, monkeypatch, migrated=False)


def test_requests_answer_503_not_migrated_until_the_database_is_migrated(
    unmigrated_app: Engine, caplog: pytest.LogCaptureFixture
):
    # An operator's walk: `portion serve` started while PostgreSQL was down; once it was up,
    # a sign-in and a registration answered 500 with tracebacks ("relation loginfailure
    # does not exist").
    sign_in = {"username": "someone@example.org", "password": "not-the-password"}
    with TestClient(app, raise_server_exceptions=False) as client:
        answers = [
            client.post("/api/auth/token", data=sign_in),
            client.post("/api/auth/register", json={"email": "a@example.org"}),
            client.get("/api/me"),
        ]
        for answer in answers:
            assert answer.status_code == 503, answer.text
            assert answer.json() == {"detail": DATABASE_NOT_MIGRATED}
        assert not [r for r in caplog.records if r.levelno >= logging.ERROR]

        migrate(unmigrated_app)
        db._probe_of.cache_clear()  # its answer is cached for a second: not waited for here
        assert client.post("/api/auth/token", data=sign_in).status_code == 401


def test_probe_says_once_why_the_database_is_unavailable_and_once_that_it_is_back(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
):
    folder = tmp_path / "not-yet"
    engine = create_engine(f"sqlite:///{folder}/portion.db")
    probe = DatabaseProbe(engine, max_age_s=0)  # no cache: every check asks
    caplog.set_level(logging.INFO, logger="portion")

    assert [probe.check() for _ in range(3)] == ["unavailable"] * 3
    folder.mkdir()
    assert [probe.check() for _ in range(2)] == ["not_migrated"] * 2
    engine.dispose()

    said = [r.getMessage() for r in caplog.records if r.levelno >= logging.INFO]
    assert said == [
        "the database is unavailable: unable to open database file",
        "the database answers again",
    ]


@pytest.mark.parametrize(
    ("url", "described"),
    [
        (
            "postgresql+psycopg://app:s3cret@db.internal:5433/portion",
            "PostgreSQL database portion at db.internal:5433 as app",
        ),
        ("sqlite:///var/portion.db", f"SQLite file {Path.cwd() / 'var' / 'portion.db'}"),
    ],
)
def test_start_up_names_the_database_without_its_password(url: str, described: str):
    assert db.describe_database(url) == described
