"""Fixtures: a database built by the real migrations, one rolled-back transaction per test.

`pytest` runs on SQLite; `pytest --db=postgresql` runs the same tests on a throwaway
PostgreSQL server (required when CI=true, skipped otherwise if the binaries are missing).
"""

from __future__ import annotations

import os
import tempfile
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from alembic import command
from alembic.config import Config
from fastapi.testclient import TestClient
from sqlalchemy import Engine
from sqlmodel import Session

from app import db
from app.accounts.service import HASHED_WITHOUT_TURN
from app.config import Settings, get_settings
from app.db import DatabaseProbe, get_database_probe, get_session, make_engine
from app.main import app
from app.models import Council, User
from tests.factories import create_council, create_user
from tests.support.postgres import find_pg_bin, throwaway_postgres

ROOT = Path(__file__).resolve().parent.parent
TEST_SETTINGS = Settings(secret_key="test-secret-key-that-is-long-enough-1234567890")


def pytest_configure(config: pytest.Config) -> None:
    # No notification sender thread in the apps the tests start (it would poll var/portion.db).
    os.environ["PORTION_NOTIFICATIONS_IN_PROCESS"] = "false"
    get_settings.cache_clear()


@pytest.fixture(autouse=True)
def every_hashing_route_takes_its_turn(caplog: pytest.LogCaptureFixture) -> Iterator[None]:
    """A route that hashes a password must declare `deps.HASH_TURN` (app/accounts/hash_turns.py).
    One that does not still works, and logs `HASHED_WITHOUT_TURN`: any test that exercises it
    fails here, so a new route cannot forget it unnoticed."""
    yield
    # Setup too: fixtures sign in through the pages and the API.
    said = [r.getMessage() for when in ("setup", "call") for r in caplog.get_records(when)]
    forgot = said.count(HASHED_WITHOUT_TURN)
    assert forgot == 0, f"{forgot} hash(es) in a route without deps.HASH_TURN"


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption("--db", choices=["sqlite", "postgresql"], default="sqlite")


def alembic_config(url: str) -> Config:
    cfg = Config(str(ROOT / "alembic.ini"))
    cfg.set_main_option("script_location", str(ROOT / "migrations"))
    cfg.attributes["configure_logger"] = False
    cfg.attributes["url"] = url
    return cfg


def migrate(engine: Engine, revision: str = "head") -> None:
    cfg = alembic_config(str(engine.url))
    with engine.begin() as conn:
        cfg.attributes["connection"] = conn
        command.upgrade(cfg, revision)


@pytest.fixture(scope="session")
def database_server(request: pytest.FixtureRequest) -> Iterator[str]:
    """The URL of an empty database for this run."""
    if request.config.getoption("--db") == "sqlite":
        with tempfile.TemporaryDirectory(prefix="portion-test-") as tmp:
            yield f"sqlite:///{tmp}/test.db"
        return
    pg_bin = find_pg_bin()
    if pg_bin is None:
        if os.environ.get("CI") == "true":
            pytest.fail("CI=true but the PostgreSQL binaries are missing")
        pytest.skip("PostgreSQL binaries not installed")
    with throwaway_postgres(pg_bin) as url:
        yield url


@pytest.fixture(scope="session")
def engine(database_server: str) -> Iterator[Engine]:
    eng = make_engine(database_server)
    migrate(eng)
    yield eng
    eng.dispose()


@pytest.fixture
def empty_database(database_server: str, tmp_path: Path) -> Iterator[str]:
    """The URL of a brand-new, unmigrated database of the run's kind (for migration and
    concurrency tests, which need committed data and several connections)."""
    if database_server.startswith("sqlite"):
        yield f"sqlite:///{tmp_path}/fresh.db"
        return
    name = f"fresh_{uuid.uuid4().hex[:12]}"
    admin = make_engine(database_server, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.exec_driver_sql(f'CREATE DATABASE "{name}"')
    try:
        yield database_server.rsplit("/", 1)[0] + f"/{name}"
    finally:
        with admin.connect() as conn:
            conn.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.dispose()


@pytest.fixture
def real_engine(empty_database: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[Engine]:
    """The app's own engine and get_session, on a fresh migrated database of the run's kind."""
    yield from app_engine(empty_database, monkeypatch, migrated=True)


def app_engine(url: str, monkeypatch: pytest.MonkeyPatch, *, migrated: bool) -> Iterator[Engine]:
    """The app's own engine on `url` (migrated, or left without tables), its settings the
    tests'; everything cached is cleared again after."""
    monkeypatch.setenv("PORTION_DATABASE_URL", url)
    monkeypatch.setenv("PORTION_SECRET_KEY", TEST_SETTINGS.secret_key)
    get_settings.cache_clear()
    db.get_engine.cache_clear()
    engine = db.get_engine()
    if migrated:
        migrate(engine)
    app.dependency_overrides[get_settings] = lambda: TEST_SETTINGS
    try:
        yield engine
    finally:
        app.dependency_overrides.clear()
        engine.dispose()
        get_settings.cache_clear()
        db.get_engine.cache_clear()


@pytest.fixture
def session(engine: Engine) -> Iterator[Session]:
    """A session whose commits become savepoints of one outer transaction, rolled back after."""
    connection = engine.connect()
    outer = connection.begin()
    db = Session(bind=connection, join_transaction_mode="create_savepoint", expire_on_commit=False)
    try:
        yield db
    finally:
        db.close()
        outer.rollback()
        connection.close()


@pytest.fixture
def settings() -> Settings:
    return TEST_SETTINGS


@pytest.fixture
def barnet(session: Session) -> Council:
    """Barnet (E09000003): the council of the factories' default cook and diner postcodes."""
    return create_council(session, slug="barnet", lad_codes=["E09000003"])


@pytest.fixture
def tower_hamlets(session: Session) -> Council:
    """Tower Hamlets (E09000030): another council, for scoping and moving checks."""
    return create_council(session, slug="tower-hamlets", lad_codes=["E09000030"])


@pytest.fixture
def staff(session: Session, barnet: Council) -> User:
    """A staff member of Barnet."""
    return create_user(session, role="staff", council=barnet)


def handed_to_request(session: Session) -> Session:
    """The test's session for a request, its setup committed first (into the test's outer
    transaction, still rolled back after), as a request finds data in production: so the
    request's own rollback, when it fails, undoes only what the request did."""
    session.commit()
    return session


@pytest.fixture
def client(session: Session, settings: Settings, engine: Engine) -> Iterator[TestClient]:
    app.dependency_overrides[get_session] = lambda: handed_to_request(session)
    app.dependency_overrides[get_settings] = lambda: settings
    # /healthz asks the test's database too (it checks its schema), not the settings' file.
    probe = DatabaseProbe(engine)
    app.dependency_overrides[get_database_probe] = lambda: probe
    with TestClient(app) as test_client:
        yield test_client
    app.dependency_overrides.clear()
