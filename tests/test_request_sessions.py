"""A safe request's session only reads, through the app's real get_session (the `client` fixture
replaces it with one shared session): a GET cannot write by accident, and the GET routes that
record a view of an address do it in a writing transaction of their own, also under
concurrency."""

from __future__ import annotations

import asyncio
import logging
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from contextlib import asynccontextmanager
from datetime import timedelta

import httpx
import pytest
from fastapi import APIRouter, FastAPI, Request
from fastapi.testclient import TestClient
from sqlalchemy import Connection, Engine, event, text, update
from sqlalchemy.exc import DBAPIError
from sqlmodel import Session, col, func, select

from app import db
from app.accounts.service import start_session
from app.accounts.tokens import read_token
from app.audit import VIEW_WINDOW
from app.db import ReadOnlySessionError, make_engine, utcnow
from app.deps import SESSION_COOKIE, SessionDep, auth_for_claims
from app.main import app
from app.models import AuditEntry
from app.routing import DeferredRoute, include_deferred
from tests.conftest import TEST_SETTINGS
from tests.factories import (
    auth_headers,
    committed_active_pairing,
    create_council,
    create_user,
    diner_payload,
)

READERS = 8


# A tiny app on the real request session: what a careless route would do.
careless = FastAPI()


@careless.api_route("/note", methods=["GET", "POST"])
def add_note(session: SessionDep) -> dict[str, str]:
    session.add(AuditEntry(action="test.note", subject_type="test", data={}))
    session.commit()
    return {"status": "noted"}


@careless.get("/bulk-update")
def bulk_update(session: SessionDep) -> dict[str, str]:
    session.exec(update(AuditEntry).values(action="test.changed"))
    return {"status": "changed"}


@careless.get("/raw-delete")
def raw_delete(session: SessionDep) -> dict[str, str]:
    session.connection().exec_driver_sql(f"DELETE FROM {AuditEntry.__tablename__}")
    return {"status": "deleted"}


# The same on a router of the app's kind (its sync routes run as the app's do).
careless_router = APIRouter(route_class=DeferredRoute)


@careless_router.get("/rename")
def rename_in_a_read(session: SessionDep) -> dict[str, str]:
    entry = session.exec(select(AuditEntry).where(AuditEntry.action == "test.note")).one()
    entry.action = "test.renamed"  # changed in memory, never flushed: a read writes nothing
    return {"status": entry.action}


include_deferred(careless.router, careless_router)


def notes(engine: Engine) -> int:
    with Session(engine) as check:
        return check.exec(
            select(func.count()).select_from(AuditEntry).where(AuditEntry.action == "test.note")
        ).one()


def test_get_cannot_write_when_it_uses_the_request_session(real_engine: Engine):
    with TestClient(careless) as client:
        assert client.post("/note").status_code == 200
        with pytest.raises(ReadOnlySessionError):
            client.get("/note")
        with pytest.raises(ReadOnlySessionError):
            client.get("/bulk-update")
        with pytest.raises(DBAPIError, match=r"(?i)read-?only"):  # the database refuses too
            client.get("/raw-delete")
    assert notes(real_engine) == 1


def test_a_read_that_leaves_a_change_in_memory_answers_and_writes_nothing(real_engine: Engine):
    """A read-only request's transaction ends after its route has answered (on PostgreSQL in
    the route's own thread, db.end_reads_here): a change the route left unflushed is dropped,
    not flushed into a READ ONLY transaction (which the database would refuse)."""
    with TestClient(careless) as client:
        assert client.post("/note").status_code == 200
        response = client.get("/rename")
    assert response.status_code == 200
    assert response.json() == {"status": "test.renamed"}
    assert notes(real_engine) == 1


def test_staff_view_of_a_diner_is_audited_when_served_by_the_real_session(real_engine: Engine):
    with Session(real_engine, expire_on_commit=False) as setup:
        staff = create_user(setup, role="staff", council=create_council(setup, slug="barnet"))
        carer = create_user(setup, role="carer")
        staff_headers, carer_headers = (auth_headers(u, TEST_SETTINGS) for u in (staff, carer))
        setup.commit()
    with TestClient(app) as client:
        diner_id = client.post("/api/diners", json=diner_payload(), headers=carer_headers).json()[
            "id"
        ]
        response = client.get(f"/api/staff/diners/{diner_id}", headers=staff_headers)
        assert response.status_code == 200, response.text
        assert response.json()["address_line"] == diner_payload()["address_line"]
    assert views_of(real_engine, diner_id) == 1


def views_of(engine: Engine, diner_id: int) -> int:
    with Session(engine) as check:
        return check.exec(
            select(func.count())
            .select_from(AuditEntry)
            .where(
                AuditEntry.action == "diner.address_viewed",
                AuditEntry.subject_id == diner_id,
                col(AuditEntry.actor_id).is_not(None),
            )
        ).one()


@pytest.fixture
def every_view(monkeypatch: pytest.MonkeyPatch) -> None:
    """Each read writes its view (no `audit.VIEW_WINDOW`): these tests are about many views
    written at once, which the window would otherwise leave to the first read alone."""
    monkeypatch.setattr("app.audit.VIEW_WINDOW", timedelta(0))


def test_cook_pairings_are_audited_when_many_read_them_at_once(
    real_engine: Engine, every_view: None
):
    with TestClient(app) as client:
        world = committed_active_pairing(client, real_engine, TEST_SETTINGS)
    cook_h, diner_id = world.cook_headers, world.diner_id
    before = views_of(real_engine, diner_id)

    barrier = threading.Barrier(READERS)
    answers: list[tuple[int, str]] = []

    def read() -> None:
        with TestClient(app, raise_server_exceptions=False) as reader:
            barrier.wait()
            response = reader.get("/api/cooks/me/pairings", headers=cook_h)
            answers.append((response.status_code, response.text))

    threads = [threading.Thread(target=read) for _ in range(READERS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert [status for status, _ in answers] == [200] * READERS, answers
    assert all(str(diner_payload()["address_line"]) in body for _, body in answers)
    assert views_of(real_engine, diner_id) == before + READERS


def test_views_read_at_the_same_moment_are_audited_together_and_each_before_its_answer(
    real_engine: Engine, every_view: None
):
    """One event loop, many GETs of the cook's pairings while another transaction holds the
    audit table: each is answered only once its view is committed, and those that waited
    meanwhile are committed together (app/group_commit.py), not one transaction each."""
    with TestClient(app) as client:
        world = committed_active_pairing(client, real_engine, TEST_SETTINGS)
        cook_h, diner_id = world.cook_headers, world.diner_id
        before = views_of(real_engine, diner_id)
        inserts: list[int] = []

        @event.listens_for(real_engine, "before_cursor_execute")
        def count_audit_inserts(_c, _cur, statement, parameters, _ctx, executemany) -> None:  # type: ignore[no-untyped-def]
            if statement.startswith("INSERT INTO audit_entry"):
                inserts.append(len(parameters) if executemany else 1)

        async def read_at_once() -> list[tuple[int, int]]:
            transport = httpx.ASGITransport(app=app)
            async with httpx.AsyncClient(transport=transport, base_url="http://t") as api:

                async def read() -> tuple[int, int]:
                    answer = await api.get("/api/cooks/me/pairings", headers=cook_h)
                    return answer.status_code, views_of(real_engine, diner_id)

                return list(await asyncio.gather(*(read() for _ in range(READERS))))

        with Session(real_engine) as holder, ThreadPoolExecutor(1) as pool:
            if real_engine.dialect.name == "postgresql":  # reads go on, inserts wait
                holder.exec(text("LOCK TABLE audit_entry IN EXCLUSIVE MODE"))  # type: ignore[call-overload]
            else:  # the database's write lock
                holder.add(AuditEntry(action="test.holder", subject_type="test", data={}))
                holder.flush()
            inserts.clear()
            answers = pool.submit(client.portal.call, read_at_once)
            time.sleep(2)  # every GET has read its pairings and waits for its audit
            assert not answers.done()  # none is answered before its view is committed
            holder.rollback()
            answered = answers.result(timeout=60)
        event.remove(real_engine, "before_cursor_execute", count_audit_inserts)
    assert [status for status, _ in answered] == [200] * READERS
    # each answer came after its own view was committed
    assert all(views > before for _, views in answered)
    assert views_of(real_engine, diner_id) == before + READERS
    assert sum(inserts) == READERS and len(inserts) < READERS, inserts


def test_read_only_session_stays_read_only_when_its_writing_block_ends(real_engine: Engine):
    async def use_a_read_only_session() -> None:
        a_get = Request({"type": "http", "method": "GET", "headers": []})
        async with asynccontextmanager(db.get_session)(a_get) as session:
            with db.writing(session):
                session.add(AuditEntry(action="test.note", subject_type="test", data={}))
            session.add(AuditEntry(action="test.note", subject_type="test", data={}))
            with pytest.raises(ReadOnlySessionError):
                session.flush()

    asyncio.run(use_a_read_only_session())
    assert notes(real_engine) == 1


def barnet_carer(engine: Engine) -> dict[str, str]:
    """The headers of a carer signed in, in a council of Barnet, both committed."""
    with Session(engine, expire_on_commit=False) as setup:
        create_council(setup, slug="barnet")
        carer = create_user(setup, role="carer")
        headers = auth_headers(carer, TEST_SETTINGS)
        setup.commit()
    return headers


def test_a_server_keeps_its_prepared_queries_from_one_read_request_to_the_next(
    real_engine: Engine,
):
    """psycopg prepares a query a connection has run five times, and forgets them all at a
    ROLLBACK: a read-only request that answered ends with COMMIT, so a connection that serves
    reads keeps them (db.end_reads_here, in the route's thread)."""
    if real_engine.dialect.name != "postgresql":
        pytest.skip("psycopg's prepared statements: PostgreSQL only")
    headers = barnet_carer(real_engine)
    with TestClient(app) as client:
        diner_id = client.post("/api/diners", json=diner_payload(), headers=headers).json()["id"]
        for _ in range(6):  # one at a time: each finds the pool's one connection free
            response = client.get("/api/diners", headers=headers)
            assert response.status_code == 200, response.text
            assert [d["id"] for d in response.json()["items"]] == [diner_id]
    with real_engine.connect() as conn:  # that connection
        prepared = conn.exec_driver_sql("SELECT statement FROM pg_prepared_statements")
        statements = list(prepared.scalars())
    # The sign-in check, which every one of the six requests ran.
    assert any("auth_session" in statement for statement in statements), statements


def test_a_schema_change_under_prepared_queries_fails_one_request_then_the_pool_is_fresh(
    real_engine: Engine,
):
    """A migration run by another process can change a column's type under the statements
    the pool's connections have prepared: PostgreSQL refuses each of them once. The first
    refusal is taken as a lost connection (503, Retry-After) and the pool replaces every
    connection, so the next requests are answered, rather than one 500 per connection."""
    if real_engine.dialect.name != "postgresql":
        pytest.skip("psycopg's prepared statements: PostgreSQL only")
    with Session(real_engine, expire_on_commit=False) as setup:
        carer = create_user(setup, role="carer")
        headers = auth_headers(carer, TEST_SETTINGS)
        setup.commit()
    bearer = headers["Authorization"].removeprefix("Bearer ")
    claims = read_token(bearer, kind="access", secret=TEST_SETTINGS.secret_key)
    assert claims is not None
    with real_engine.connect() as first, real_engine.connect() as second:
        for conn in (first, second):  # two pooled connections with the sign-in check prepared
            for _ in range(6):
                assert auth_for_claims(Session(bind=conn), claims).user.id == carer.id
            conn.commit()  # a ROLLBACK at close would forget them
    migration = make_engine(real_engine.url.render_as_string(hide_password=False))
    with migration.begin() as conn:
        conn.exec_driver_sql('ALTER TABLE "user" ALTER COLUMN full_name TYPE varchar(300)')
    migration.dispose()
    with TestClient(app, raise_server_exceptions=False) as client:
        answers = [client.get("/api/diners", headers=headers) for _ in range(3)]
    assert [a.status_code for a in answers] == [503, 200, 200], [a.text for a in answers]
    assert answers[0].headers["Retry-After"]


def test_a_read_whose_connection_is_lost_at_its_commit_is_still_answered(
    real_engine: Engine, caplog: pytest.LogCaptureFixture
):
    """A read-only request that answered ends with COMMIT (db.end_reads_here). If the
    connection is lost at that moment, the answer, already made, stands: the failed COMMIT is
    logged, the connection is discarded, and the next request gets a new one."""
    if real_engine.dialect.name != "postgresql":
        pytest.skip("a read's COMMIT: PostgreSQL only (SQLite closes by rolling back)")
    headers = barnet_carer(real_engine)
    killer = make_engine(real_engine.url.render_as_string(hide_password=False))
    killed: list[int] = []
    armed = threading.Event()

    @event.listens_for(real_engine, "commit")
    def _lose_the_connection(conn: Connection) -> None:
        # Only the read's own COMMIT, once: its server end is ended before the COMMIT is sent.
        if armed.is_set() and conn.get_execution_options().get(db.READ_ONLY):
            armed.clear()
            pid = conn.connection.dbapi_connection.info.backend_pid  # type: ignore[union-attr]
            with killer.connect() as other:
                other.execute(text("SELECT pg_terminate_backend(:pid, 5000)"), {"pid": pid})
            killed.append(pid)

    try:
        with TestClient(app, raise_server_exceptions=False) as client:
            made = client.post("/api/diners", json=diner_payload(), headers=headers)
            assert made.status_code == 201, made.text
            caplog.set_level(logging.DEBUG, logger="portion.db")
            armed.set()
            lost = client.get("/api/diners", headers=headers)
            after = client.get("/api/diners", headers=headers)
    finally:
        event.remove(real_engine, "commit", _lose_the_connection)
        killer.dispose()
    assert len(killed) == 1
    assert lost.status_code == 200, lost.text
    assert [d["id"] for d in lost.json()["items"]] == [made.json()["id"]]
    assert "a read-only transaction did not commit" in caplog.text
    assert after.status_code == 200, after.text
    assert [d["id"] for d in after.json()["items"]] == [made.json()["id"]]


def test_staff_pages_showing_a_diners_address_are_audited_when_served_by_the_real_session(
    real_engine: Engine, monkeypatch: pytest.MonkeyPatch
):
    """An outside review: the change pages for a diner's address and access notes, and a
    concern's page, showed the address and wrote no audit entry. The shared test session kept
    the entry these pages added to it; a real GET's session only reads, and dropped it.
    Each page is read a window after the last (`audit.VIEW_WINDOW`: one view a window)."""
    with Session(real_engine, expire_on_commit=False) as setup:
        staff = create_user(setup, role="staff", council=create_council(setup, slug="barnet"))
        carer = create_user(setup, role="carer")
        cookie, _ = start_session(setup, user=staff, kind="session", settings=TEST_SETTINGS)
        carer_headers = auth_headers(carer, TEST_SETTINGS)
        setup.commit()
    with TestClient(app) as client:
        diner_id = client.post("/api/diners", json=diner_payload(), headers=carer_headers).json()[
            "id"
        ]
        concern = client.post(
            "/api/concerns",
            json={"diner_id": diner_id, "kind": "welfare", "description": "She seemed low"},
            headers=carer_headers,
        )
        assert concern.status_code == 201, concern.text
        client.cookies.set(SESSION_COOKIE, cookie)
        address = str(diner_payload()["address_line"])
        for n, page in enumerate(
            (
                f"/staff/diners/{diner_id}/change/address",
                f"/staff/diners/{diner_id}/change/access",
                f"/staff/concerns/{concern.json()['id']}",
            )
        ):
            later = utcnow() + 2 * VIEW_WINDOW * (n + 1)
            monkeypatch.setattr("app.audit.utcnow", lambda later=later: later)
            before = views_of(real_engine, diner_id)
            shown = client.get(page)
            assert shown.status_code == 200, shown.text
            assert address in shown.text or page.endswith("access")
            assert views_of(real_engine, diner_id) == before + 1, page
        # Reloaded within the window: the entry the last load kept is found, none added.
        assert client.get(page).status_code == 200
        assert views_of(real_engine, diner_id) == before + 1


def test_an_error_page_no_page_route_reached_keeps_the_signed_in_header(real_engine: Engine):
    """A browser walk: a staff member who reloaded a form's address (405) or followed a link to
    an address that does not exist (404) saw the public header, with "Sign in" and no "Sign
    out", as if signed out. No page route had read their session cookie."""
    with Session(real_engine, expire_on_commit=False) as setup:
        staff = create_user(setup, role="staff", council=create_council(setup, slug="barnet"))
        cookie, _ = start_session(setup, user=staff, kind="session", settings=TEST_SETTINGS)
        setup.commit()
    with TestClient(app) as client:
        anonymous = client.get("/staff/cooks/1/approve", headers={"Accept": "text/html"})
        assert anonymous.status_code == 405 and "Sign out" not in anonymous.text
        client.cookies.set(SESSION_COOKIE, cookie)
        for path, status in (("/staff/cooks/1/approve", 405), ("/no-such-page", 404)):
            page = client.get(path, headers={"Accept": "text/html"})
            assert page.status_code == status
            assert "Sign out" in page.text and 'href="/staff/"' in page.text, path


def test_an_error_page_takes_no_database_slot_for_a_cookie_it_did_not_sign(
    real_engine: Engine, monkeypatch: pytest.MonkeyPatch
):
    """A review: any cookie named like the session's made a 404 page wait for a database slot
    (and a worker thread) before its signature was read."""
    from app.pages import errors as error_pages

    def no_slot(read_only: bool) -> object:
        raise AssertionError("a database slot was taken for a junk cookie")

    monkeypatch.setattr(error_pages, "database_slots", no_slot)
    with TestClient(app) as client:
        client.cookies.set(SESSION_COOKIE, "not-a-token-we-signed")
        page = client.get("/no-such-page", headers={"Accept": "text/html"})
    assert page.status_code == 404 and "Sign out" not in page.text
