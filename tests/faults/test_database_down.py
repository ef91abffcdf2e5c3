"""PostgreSQL stopped and started under a running app: 503s with a clear body while it is down,
/healthz says so, and the app recovers by itself."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from sqlalchemy.exc import OperationalError
from sqlmodel import Session

from app.db import make_engine
from app.errors import DATABASE_UNAVAILABLE
from tests.conftest import migrate
from tests.factories import create_council, create_user
from tests.faults.support import AppServer, StoppablePostgres, app_env, bearer, tokens_for
from tests.support.postgres import find_pg_bin

WAIT_S = 60.0  # only so that a stuck step fails instead of hanging


@pytest.fixture
def postgres(request: pytest.FixtureRequest) -> Iterator[StoppablePostgres]:
    """A PostgreSQL server of this test's own, which it stops and starts."""
    if request.config.getoption("--db") != "postgresql":
        pytest.skip("stopping the database server: PostgreSQL only")
    pg_bin = find_pg_bin()
    if pg_bin is None:
        pytest.skip("PostgreSQL binaries not installed")
    server = StoppablePostgres(pg_bin)
    try:
        yield server
    finally:
        server.remove()


def until(api: httpx.Client, path: str, status: int) -> httpx.Response:
    """Ask `path` until it answers `status` (/healthz may cache its probe for a second)."""
    deadline = time.monotonic() + WAIT_S
    while True:
        answer = api.get(path)
        if answer.status_code == status or time.monotonic() > deadline:
            return answer
        time.sleep(0.05)


def assert_unavailable(answer: httpx.Response) -> None:
    assert answer.status_code == 503, answer.text
    assert answer.json() == {"detail": DATABASE_UNAVAILABLE}
    assert int(answer.headers["Retry-After"]) > 0


def test_requests_answer_503_and_recover_without_restart_when_database_stops(
    postgres: StoppablePostgres, tmp_path: Path
):
    engine = make_engine(postgres.url)
    migrate(engine)
    with Session(engine, expire_on_commit=False) as s:
        staff = create_user(s, role="staff", council=create_council(s, slug="barnet"))
        s.commit()
    env = app_env(postgres.url)
    [token] = tokens_for(engine, env, [staff])
    engine.dispose()
    server = AppServer(env, tmp_path).start()
    try:
        with httpx.Client(base_url=server.url, timeout=WAIT_S, headers=bearer(token)) as api:
            assert api.get("/api/staff/reports/summary").status_code == 200

            postgres.stop()
            assert_unavailable(until(api, "/healthz", 503))
            assert_unavailable(api.get("/api/staff/reports/summary"))
            assert_unavailable(api.get("/api/staff/diners"))
            page = api.get("/", headers={"Accept": "text/html"})  # a person's browser
            assert page.status_code == 503
            assert "Sorry, the service is unavailable" in page.text and "busy" not in page.text
            proposal = {"diner_id": 1, "cook_id": 1, "weekday": 1, "start": "17:30"}
            assert_unavailable(
                api.post("/api/staff/pairings", json=proposal | {"frequency": "weekly"})
            )

            postgres.start()
            assert until(api, "/healthz", 200).json() == {"status": "ok"}
            summary = api.get("/api/staff/reports/summary")
            assert summary.status_code == 200, summary.text
        assert server.process is not None and server.process.poll() is None
        assert server.starts == 1
    finally:
        server.stop()
    assert "Traceback" not in server.stderr()


def test_healthz_and_new_connections_give_up_when_the_database_server_stops_answering(
    postgres: StoppablePostgres, tmp_path: Path
):
    """A server that takes connections and never answers (its processes stopped while its host
    still acknowledges for them) hung every request and /healthz for the whole outage (an
    outside check: 90 s). Now /healthz answers 503 after its probe's wait, a new connection
    gives up after libpq's connect_timeout, and all is well once the server answers again."""
    engine = make_engine(postgres.url)
    migrate(engine)
    engine.dispose()
    server = AppServer(app_env(postgres.url), tmp_path).start()
    try:
        with httpx.Client(base_url=server.url, timeout=WAIT_S) as api:
            assert until(api, "/healthz", 200).status_code == 200
            postgres.freeze()
            try:
                time.sleep(1.5)  # past the cached answer
                # Without the probe's wait, these would hang until the server answered again.
                for _ in range(3):
                    assert_unavailable(api.get("/healthz", timeout=20))
                connecting = make_engine(postgres.url)
                with pytest.raises(OperationalError), connecting.connect():
                    pass
                connecting.dispose()
            finally:
                postgres.thaw()
            assert until(api, "/healthz", 200).json() == {"status": "ok"}
        assert server.process is not None and server.process.poll() is None
    finally:
        server.stop()
    assert "Traceback" not in server.stderr()
