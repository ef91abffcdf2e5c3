"""Requests wait for a database slot on the event loop (app/db_slots.py), reads and writes
apart: more requests than connections no longer stop the process, and a read never waits
behind writers."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager
from typing import Any

import anyio.to_thread
import httpx
import pytest
from anyio import from_thread
from fastapi import FastAPI
from fastapi.routing import APIRoute
from fastapi.testclient import TestClient
from pydantic import ValidationError
from sqlalchemy import Engine, update
from sqlmodel import Session, select
from starlette.types import Message, Receive, Scope, Send

from app import db, db_slots
from app.accounts import hash_turns, service
from app.accounts.passwords import HASH_SLOTS, hash_password, hash_slots
from app.config import MAX_SLOTS, Settings, get_settings
from app.db import utcnow
from app.db_slots import DatabaseSlots
from app.deps import HASH_TURN, SessionDep
from app.errors import ServiceBusy
from app.main import app
from app.models import AuthSession, Council, Diner, User
from tests.conftest import TEST_SETTINGS
from tests.factories import (
    DEFAULT_PASSWORD,
    auth_headers,
    cook_payload,
    create_council,
    create_user,
    diner_payload,
    staff_headers,
)
from tests.test_metrics import sample


def test_a_slot_is_waited_for_in_order_and_refused_after_the_wait():
    slots = DatabaseSlots(1, wait_s=0.3)
    served: list[str] = []

    async def use(name: str, hold_s: float) -> None:
        async with slots.held():
            served.append(name)
            await asyncio.sleep(hold_s)

    async def scenario() -> None:
        first = asyncio.create_task(use("first", 0.05))
        await asyncio.sleep(0)
        waiters = [asyncio.create_task(use(f"waiter {i}", 0.01)) for i in range(3)]
        await asyncio.gather(first, *waiters)
        assert served == ["first", "waiter 0", "waiter 1", "waiter 2"]
        held = asyncio.create_task(use("long", 1.0))
        await asyncio.sleep(0)
        with pytest.raises(ServiceBusy) as busy:
            await use("too late", 0)
        assert busy.value.headers() == {"Retry-After": "2"}
        await held
        await use("after", 0)  # the refused wait took no slot with it

    asyncio.run(scenario())


def test_the_same_slots_serve_one_event_loop_after_another():
    """Each TestClient (and each test) runs the app in an event loop of its own."""
    slots = DatabaseSlots(1, wait_s=1)

    async def contended() -> int:
        async def use() -> None:
            async with slots.held():
                await asyncio.sleep(0.01)

        await asyncio.gather(use(), use(), use())
        return 3

    assert asyncio.run(contended()) == 3
    assert asyncio.run(contended()) == 3  # an asyncio.Semaphore of the first loop would raise


def test_a_lent_slot_is_taken_back_at_once_and_the_next_given_back_repays_it():
    """A lender (a sign-in, while Argon2 runs) keeps its worker thread: were it to wait for a
    slot again, lenders could hold every thread while the requests they lent to waited for
    one. So it takes its slot back at once, one over the size if none is free, and the next
    slot given back repays it rather than going to a waiting request."""
    slots = DatabaseSlots(1, wait_s=0.2)

    async def scenario() -> None:
        borrower_in, borrower_done = asyncio.Event(), asyncio.Event()

        async def borrower() -> None:
            async with slots.held():
                borrower_in.set()
                await borrower_done.wait()

        async with slots.held() as lender:
            borrowing = asyncio.create_task(borrower())
            await asyncio.sleep(0.01)
            assert not borrower_in.is_set()  # the only slot is the lender's

            def lend() -> None:
                with lender.lent():
                    from_thread.run(borrower_in.wait)  # the borrower has it meanwhile

            await asyncio.wait_for(anyio.to_thread.run_sync(lend), 1)  # back, though taken
            newcomer = asyncio.create_task(borrower_after(slots))
            borrower_done.set()
            await borrowing
            await asyncio.sleep(0.05)
            assert not newcomer.done()  # the borrower's slot repaid the lender's
        await newcomer  # the lender's own, given back

    asyncio.run(scenario())


async def borrower_after(slots: DatabaseSlots) -> None:
    async with slots.held():
        pass


def test_a_request_first_in_line_takes_a_slot_at_once_and_the_next_given_back_repays_it():
    """A sign-in holding its turn to hash (one of two) must not hold it while it waits for the
    database: it takes its slot ahead of those waiting, one over the size when none is free."""
    slots = DatabaseSlots(1, wait_s=0.5)
    turns = DatabaseSlots(1, wait_s=0.1, lets_ahead=False)

    async def scenario() -> None:
        async with slots.held():
            waiting = asyncio.create_task(borrower_after(slots))
            await asyncio.sleep(0.01)
            with db_slots.first_in_line():
                async with turns.held():
                    with pytest.raises(ServiceBusy):  # the turns themselves: no one ahead
                        await borrower_after(turns)
                ahead = slots.held()
                await asyncio.wait_for(ahead.__aenter__(), 0.1)
            assert not waiting.done()
        await asyncio.sleep(0.01)
        assert not waiting.done()  # the slot given back repaid the one taken ahead
        await ahead.__aexit__(None, None, None)
        await asyncio.wait_for(waiting, 0.2)

    asyncio.run(scenario())


def test_a_lender_whose_step_fails_leaves_the_slots_whole():
    slots = DatabaseSlots(1, wait_s=0.1)

    async def scenario() -> None:
        async with slots.held() as lender:

            def fail() -> None:
                with lender.lent():
                    raise RuntimeError("the hash failed")

            with pytest.raises(RuntimeError):
                await anyio.to_thread.run_sync(fail)
        async with slots.held():  # one slot, as before
            with pytest.raises(ServiceBusy):
                await borrower_after(slots)

    asyncio.run(scenario())


@pytest.fixture
def small_pool(real_engine: Engine, monkeypatch: pytest.MonkeyPatch) -> Iterator[Engine]:
    """The app (`real_engine`) with one slot for reads and one for writes, on an engine whose
    pool holds two connections and gives up on a wait for one after 3 s."""
    monkeypatch.setenv("PORTION_DATABASE_READ_SLOTS", "1")
    monkeypatch.setenv("PORTION_DATABASE_WRITE_SLOTS", "1")
    get_settings.cache_clear()
    db.database_slots.cache_clear()
    url = real_engine.url.render_as_string(hide_password=False)
    engine = db.make_engine(url, pool_size=2, max_overflow=0, pool_timeout=3)
    try:
        with pytest.MonkeyPatch.context() as patch:  # undone before real_engine's teardown
            patch.setattr(db, "get_engine", lambda: engine)
            yield engine
    finally:
        engine.dispose()
        db.database_slots.cache_clear()


def test_more_requests_than_connections_and_threads_are_all_answered(small_pool: Engine):
    """Before the slots, a request waited for a pooled connection in a worker thread: with
    four threads, four such waiters left none for the requests holding the two connections,
    and every request failed when the pool's wait ran out."""
    headers = staff_headers(small_pool, TEST_SETTINGS)

    async def many() -> list[int]:
        anyio.to_thread.current_default_thread_limiter().total_tokens = 4
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
            answers = await asyncio.gather(
                *(client.get("/api/staff/diners", headers=headers) for _ in range(16))
            )
        return [answer.status_code for answer in answers]

    assert asyncio.run(many()) == [200] * 16


def test_a_read_is_answered_while_writers_wait_for_their_slot(small_pool: Engine):
    headers = staff_headers(small_pool, TEST_SETTINGS)
    db.database_slots(False).wait_s = 0.5

    async def scenario() -> tuple[int, int]:
        transport = httpx.ASGITransport(app=app)
        async with (
            httpx.AsyncClient(transport=transport, base_url="http://test") as client,
            db.database_slots(False).held(),  # a long write holds the only write slot
        ):
            read = await client.get("/api/staff/diners", headers=headers)
            write = await client.post("/api/staff/diners", json={}, headers=headers)
        return read.status_code, write.status_code

    read, write = asyncio.run(scenario())
    assert read == 200
    assert write == 503  # the write waited its turn, then was told to retry


def test_waits_for_a_slot_and_refusals_are_in_the_metrics(small_pool: Engine):
    """An operator sees when the slots are too few: every wait (reads and writes apart) and
    every request refused after its wait."""
    headers = staff_headers(small_pool, TEST_SETTINGS)
    db.database_slots(False).wait_s = 0.3

    async def scenario() -> tuple[str, int, int, str]:
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
            before = (await client.get("/metrics")).text
            async with db.database_slots(False).held():  # counted: a write slot, no wait
                refused = await client.post("/api/staff/diners", json={}, headers=headers)
            read = await client.get("/api/staff/diners", headers=headers)
            after = (await client.get("/metrics")).text
        return before, refused.status_code, read.status_code, after

    before, refused, read, after = asyncio.run(scenario())
    assert (refused, read) == (503, 200)

    def change(name: str, kind: str) -> float:
        return sample(after, name, kind=kind) - sample(before, name, kind=kind)

    assert change("portion_database_slot_refusals_total", "write") == 1
    assert change("portion_database_slot_refusals_total", "read") == 0
    assert change("portion_database_slot_wait_seconds_count", "write") == 2
    assert change("portion_database_slot_wait_seconds_sum", "write") >= 0.3  # the refused wait
    assert change("portion_database_slot_wait_seconds_count", "read") == 2  # list, 2nd scrape


def test_an_observer_that_fails_changes_no_answer(monkeypatch: pytest.MonkeyPatch):
    """Metrics must never turn a request into a 500, nor a refusal into anything but its 503
    with Retry-After; the slot is given back."""
    told: list[tuple[str, bool]] = []

    def failing(kind: str, _waited_s: float, refused: bool) -> None:
        told.append((kind, refused))
        raise RuntimeError("the metrics' folder is gone")

    monkeypatch.setattr(db_slots, "_observers", [failing])
    monkeypatch.setattr(db_slots, "_failed", set())
    slots = DatabaseSlots(1, wait_s=0.1, kind="write")

    async def scenario() -> None:
        async with slots.held():
            with pytest.raises(ServiceBusy):
                async with slots.held():
                    pass
        async with slots.held():  # given back despite the observer
            pass

    asyncio.run(scenario())
    assert told == [("write", False), ("write", True), ("write", False)]


def test_slots_by_database_and_a_pooled_connection_for_each(monkeypatch: pytest.MonkeyPatch):
    sqlite = Settings(database_url="sqlite:///var/x.db")
    postgres = Settings(database_url="postgresql+psycopg://u@127.0.0.1/x")
    defaults = [s.database_slots(read_only=r) for s in (sqlite, postgres) for r in (True, False)]
    assert defaults == [2, 8, 6, 6]
    with pytest.raises(ValidationError, match="database_write_slots"):
        Settings(database_write_slots=MAX_SLOTS + 1)  # would leave too few worker threads
    chosen = Settings(database_read_slots=3, database_write_slots=5)
    assert (chosen.database_slots(read_only=True), chosen.database_slots(read_only=False)) == (3, 5)

    monkeypatch.setenv("PORTION_DATABASE_WRITE_SLOTS", "12")
    get_settings.cache_clear()
    db.get_engine.cache_clear()
    try:
        reads = get_settings().database_slots(read_only=True)
        assert db.get_engine().pool.size() == reads + 12 + db.SPARE_CONNECTIONS  # type: ignore[attr-defined]
    finally:
        db.get_engine.cache_clear()
        get_settings.cache_clear()


def test_a_slow_client_holds_no_slot_while_its_answer_is_sent(small_pool: Engine):
    """The session closes, and its slot is free, once the answer is made, not once a client
    has read it: two slow readers would otherwise hold both of SQLite's read slots."""
    headers = staff_headers(small_pool, TEST_SETTINGS)
    db.database_slots(True).wait_s = 0.5
    sending, read_on = asyncio.Event(), asyncio.Event()

    async def slow_client(scope: Scope, receive: Receive, send: Send) -> None:
        async def send_slowly(message: Message) -> None:
            if message["type"] == "http.response.body":
                sending.set()
                await read_on.wait()  # the client has not read the body yet
            await send(message)

        await app(scope, receive, send_slowly)

    async def scenario() -> tuple[int, int]:
        slow = httpx.AsyncClient(
            transport=httpx.ASGITransport(app=slow_client), base_url="http://t"
        )
        other = httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://t")
        async with slow, other:
            first = asyncio.create_task(slow.get("/api/staff/diners", headers=headers))
            await sending.wait()
            second = await other.get("/api/staff/diners", headers=headers)
            read_on.set()
            return (await first).status_code, second.status_code

    assert asyncio.run(scenario()) == (200, 200)


def test_a_sign_in_lends_its_write_slot_to_others_while_it_hashes(
    small_pool: Engine, monkeypatch: pytest.MonkeyPatch
):
    """Argon2 takes about a tenth of a second of CPU and needs no database: a sign-in that
    kept its slot through it left fewer for the meals and proposals queueing behind it
    (bench/http_load.py's mix). Here the hash waits until another write has been answered."""
    headers = staff_headers(small_pool, TEST_SETTINGS)
    with Session(small_pool) as setup:
        create_user(setup, email="lender@example.org")
        setup.commit()
    db.database_slots(False).wait_s = 1.0
    hashing, answered = threading.Event(), threading.Event()
    verify = service.verify_password

    def verify_after_the_other_write(password_hash: str | None, password: str) -> bool:
        hashing.set()
        answered.wait(5)
        return verify(password_hash, password)

    monkeypatch.setattr(service, "verify_password", verify_after_the_other_write)

    async def scenario() -> tuple[int, int]:
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
            form = {"username": "lender@example.org", "password": DEFAULT_PASSWORD}
            sign_in = asyncio.create_task(client.post("/api/auth/token", data=form))
            assert await asyncio.to_thread(hashing.wait, 5)
            other = await client.post("/api/staff/diners", json={}, headers=headers)
            answered.set()
            return other.status_code, (await sign_in).status_code

    # The other write had the only write slot (422: its body), and the sign-in took one again.
    assert asyncio.run(scenario()) == (422, 200)


def test_a_sign_in_waits_for_its_turn_to_hash_without_a_database_slot(
    small_pool: Engine, monkeypatch: pytest.MonkeyPatch
):
    """A burst of sign-ins queueing for the two hashing turns must not hold the write slots
    meanwhile (meal outcomes and proposals waited behind them): the turn is waited for on the
    event loop, before the request takes a database slot."""
    headers = staff_headers(small_pool, TEST_SETTINGS)
    with Session(small_pool) as setup:
        create_user(setup, email="queued@example.org")
        setup.commit()
    db.database_slots(False).wait_s = 0.2
    monkeypatch.setattr(hash_turns._turns, "wait_s", 5.0)

    # The hashing slots of code outside requests are all taken: the route hashes in its turn.
    for _ in range(HASH_SLOTS):
        assert hash_slots.acquire(timeout=1)

    async def scenario() -> tuple[int, int]:
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
            form = {"username": "queued@example.org", "password": DEFAULT_PASSWORD}
            async with hash_turns._turns.held(), hash_turns._turns.held():  # every turn taken
                sign_in = asyncio.create_task(client.post("/api/auth/token", data=form))
                await asyncio.sleep(0.1)
                assert not sign_in.done()  # waiting for a turn
                other = await client.post("/api/staff/diners", json={}, headers=headers)
            return other.status_code, (await sign_in).status_code

    try:
        # The other write had the only write slot (422: its body); the sign-in then its turn.
        assert asyncio.run(scenario()) == (422, 200)
    finally:
        for _ in range(HASH_SLOTS):
            hash_slots.release()


def test_a_sign_in_holding_its_turn_takes_its_write_slot_ahead_of_other_writes(
    small_pool: Engine,
):
    """It used to wait for a write slot holding its turn to hash: under the mix's writes two
    turns then served fewer sign-ins than came, and a third of them were refused (503 after
    1.5 s). Here the only write slot stays taken throughout, and the sign-in is answered."""
    with Session(small_pool) as setup:
        create_user(setup, email="ahead@example.org")
        setup.commit()
    db.database_slots(False).wait_s = 0.5

    async def scenario() -> int:
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
            form = {"username": "ahead@example.org", "password": DEFAULT_PASSWORD}
            async with db.database_slots(False).held():
                return (await client.post("/api/auth/token", data=form)).status_code

    assert asyncio.run(scenario()) == 200


def test_a_sign_in_reads_and_hashes_while_another_request_writes(
    real_engine: Engine, monkeypatch: pytest.MonkeyPatch
):
    """A sign-in's reads (its limits, the account) took SQLite's write lock, as a POST's
    transaction does, and so waited for any writer while holding its turn to hash. They now
    read as a GET does; only its session's row waits for the writer."""
    with Session(real_engine) as setup:
        create_user(setup, email="reader@example.org")
        setup.commit()
    hashing = threading.Event()
    verify = service.verify_password

    def verify_and_say(password_hash: str | None, password: str) -> bool:
        hashing.set()
        return verify(password_hash, password)

    monkeypatch.setattr(service, "verify_password", verify_and_say)

    async def scenario() -> int:
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
            form = {"username": "reader@example.org", "password": DEFAULT_PASSWORD}
            sign_in = asyncio.create_task(client.post("/api/auth/token", data=form))
            hashed = await asyncio.to_thread(hashing.wait, 3)
            writer_done.set()
            assert hashed, "the sign-in waited for the writer before it hashed"
            return (await sign_in).status_code

    with write_lock_held_elsewhere(real_engine) as writer_done:
        assert asyncio.run(scenario()) == 200


@pytest.mark.parametrize("change", ["password", "suspension", "address"])
def test_a_sign_in_refused_when_its_account_changes_while_it_hashes(
    real_engine: Engine, monkeypatch: pytest.MonkeyPatch, change: str
):
    """It read the account before hashing, in a transaction it then ended: a new password (a
    reset), a suspension or a new sign-in address (which ends every sign-in) committed while
    it hashed no longer lets the old password, or the old address, in. It is checked again in
    the transaction that writes the sign-in, on both databases."""
    with Session(real_engine) as setup:
        create_user(setup, email="racing@example.org")
        setup.commit()
    new_hash = hash_password("a-new-password-9")
    verify = service.verify_password
    changes: dict[str, dict[str, Any]] = {
        "password": {"password_hash": new_hash},
        "suspension": {"is_active": False},
        "address": {"email": "moved@example.org", "email_key": "moved@example.org"},
    }

    def verify_while_it_changes(password_hash: str | None, password: str) -> bool:
        with Session(real_engine) as other:  # another request, committed meanwhile
            other.execute(update(User).values(**changes[change]))
            other.commit()
        return verify(password_hash, password)

    monkeypatch.setattr(service, "verify_password", verify_while_it_changes)
    with TestClient(app) as client:
        form = {"username": "racing@example.org", "password": DEFAULT_PASSWORD}
        answer = client.post("/api/auth/token", data=form)
    assert answer.status_code == 401, answer.text
    with Session(real_engine) as check:
        assert check.exec(select(AuthSession)).all() == []


def test_a_signed_in_write_checks_its_sign_in_without_the_write_lock(real_engine: Engine):
    """A signed-in POST read its sign-in in its own transaction, which on SQLite takes the
    write lock at its first query: it then held the lock through the hop to its route's thread
    (under bench/http_load.py's mix, meal outcomes p50 about 0.5 s). Here another request holds
    the lock throughout, and a body that does not validate is answered all the same."""
    headers = staff_headers(real_engine, TEST_SETTINGS)

    async def scenario() -> int:
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
            post = client.post("/api/staff/diners", json={}, headers=headers)
            return (await asyncio.wait_for(post, 3)).status_code

    with write_lock_held_elsewhere(real_engine):
        assert asyncio.run(scenario()) == 422


def test_a_write_whose_sign_in_ends_while_it_waits_for_the_write_lock_is_refused(
    real_engine: Engine,
):
    """It read its sign-in apart (above), then waited for the lock while another request
    signed it out: its transaction checks the sign-in again, and nothing is written (it went
    ahead on what it had read, an outside review found). PostgreSQL's twin is
    `test_a_write_whose_sign_in_ends_while_it_waits_for_a_row_lock_is_refused`."""
    if real_engine.dialect.name != "sqlite":
        pytest.skip("SQLite's write lock")
    headers = staff_headers(real_engine, TEST_SETTINGS)

    async def scenario(sign_out: threading.Event) -> int:
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
            post = asyncio.create_task(
                client.post("/api/staff/diners", json=diner_payload(), headers=headers)
            )
            await asyncio.sleep(0.3)  # it has read its sign-in, and waits for the lock
            assert not post.done()
            sign_out.set()
            return (await asyncio.wait_for(post, 5)).status_code

    with write_lock_held_elsewhere(real_engine, then=sign_everyone_out) as sign_out:
        assert asyncio.run(scenario(sign_out)) == 401
    with Session(real_engine) as check:
        assert check.exec(select(Diner)).all() == []


def test_a_write_sees_the_person_as_they_are_when_its_transaction_begins(real_engine: Engine):
    """A password changed while a request waited for the lock (its sign-in kept): the route
    checks the current password against the new hash, not the one read before the wait."""
    if real_engine.dialect.name != "sqlite":
        pytest.skip("SQLite's write lock")
    headers = staff_headers(real_engine, TEST_SETTINGS)
    new_hash = hash_password("a-new-password-9")

    def change_password(other: Session) -> None:
        other.execute(update(User).values(password_hash=new_hash))

    async def scenario(change: threading.Event) -> int:
        transport = httpx.ASGITransport(app=app)
        body = {"current_password": DEFAULT_PASSWORD, "new_password": "another-one-2026"}
        async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
            post = asyncio.create_task(client.post("/api/me/password", json=body, headers=headers))
            await asyncio.sleep(0.3)
            change.set()
            return (await asyncio.wait_for(post, 10)).status_code

    with write_lock_held_elsewhere(real_engine, then=change_password) as change:
        assert asyncio.run(scenario(change)) == 422  # the old password is no longer it
    with Session(real_engine) as check:
        assert {u.password_hash for u in check.exec(select(User))} == {new_hash}


def test_a_write_whose_person_changes_role_while_it_waits_for_the_write_lock_is_refused(
    real_engine: Engine,
):
    """Its role was checked against the one it read apart: a staff member made a carer while
    the request waited (sign-in kept) does not go on as staff."""
    if real_engine.dialect.name != "sqlite":
        pytest.skip("SQLite's write lock")
    headers = staff_headers(real_engine, TEST_SETTINGS)

    def made_a_carer(other: Session) -> None:
        other.execute(update(User).values(role="carer", council_id=None))

    async def scenario(change: threading.Event) -> int:
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
            post = asyncio.create_task(
                client.post("/api/staff/diners", json=diner_payload(), headers=headers)
            )
            await asyncio.sleep(0.3)
            change.set()
            return (await asyncio.wait_for(post, 5)).status_code

    with write_lock_held_elsewhere(real_engine, then=made_a_carer) as change:
        assert asyncio.run(scenario(change)) == 401
    with Session(real_engine) as check:
        assert check.exec(select(Diner)).all() == []


@pytest.mark.parametrize("change", ["signed_out_everywhere", "made_a_carer"])
def test_a_write_whose_sign_in_ends_while_it_waits_for_a_row_lock_is_refused(
    real_engine: Engine, change: str
):
    """PostgreSQL reads the sign-in in the request's own transaction, unlocked: at READ
    COMMITTED that read holds nothing, and a write that waited on a row lock (here the
    council's, for the diner's foreign key) went on and committed after every sign-in of the
    account was revoked, or as staff after the person was made a carer (a security review).
    Its commit checks the sign-in again (app.deps._still_signed_in_as_it_commits)."""
    if real_engine.dialect.name != "postgresql":
        pytest.skip("PostgreSQL's row locks (SQLite's twins are above)")
    headers = staff_headers(real_engine, TEST_SETTINGS)

    async def scenario(release: threading.Event) -> int:
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
            post = asyncio.create_task(
                client.post("/api/staff/diners", json=diner_payload(), headers=headers)
            )
            await asyncio.sleep(0.5)  # it has read its sign-in and waits for the row lock
            assert not post.done()
            with Session(real_engine) as other:  # committed meanwhile
                if change == "signed_out_everywhere":
                    sign_everyone_out(other)
                else:
                    other.execute(update(User).values(role="carer", council_id=None))
                other.commit()
            release.set()
            return (await asyncio.wait_for(post, 10)).status_code

    # Another transaction holds the council's row: an INSERT whose foreign key names the council
    # (a diner) waits for it on PostgreSQL.
    council_held = held_elsewhere(
        real_engine, lambda other: other.exec(select(Council).with_for_update()).all()
    )
    with council_held as release:
        status = asyncio.run(scenario(release))
    with Session(real_engine) as check:
        written = check.exec(select(Diner)).all()
    assert (status, written) == (401, [])


def test_a_write_that_ends_its_own_sign_in_or_moves_its_person_still_commits(
    real_engine: Engine,
):
    """The check as a write commits is against the person as the request left them: a
    sign-out ends its own sign-in, and a cook's profile saved at a postcode of another council
    moves the cook's account there. Both are the request's own doing, and both are kept."""
    with Session(real_engine, expire_on_commit=False) as setup:
        create_council(setup, slug="barnet", lad_codes=["E09000003"])
        create_council(setup, slug="tower-hamlets", lad_codes=["E09000030"])
        cook = create_user(setup, role="cook")
        headers = auth_headers(cook, TEST_SETTINGS)
        setup.commit()
    with TestClient(app) as client:
        first = client.put("/api/cooks/me", json=cook_payload(), headers=headers)
        assert first.status_code in (200, 201), first.text
        moved = client.put("/api/cooks/me", json=cook_payload(postcode="E14 5AB"), headers=headers)
        assert moved.status_code == 200, moved.text
        out = client.post("/api/auth/logout", headers=headers)
        assert out.status_code == 204, out.text
        assert client.get("/api/me", headers=headers).status_code == 401
    with Session(real_engine) as check:
        person = check.get(User, cook.id)
        assert (
            person is not None
            and person.council_id
            == check.exec(select(Council.id).where(Council.slug == "tower-hamlets")).one()
        )


def test_a_password_change_refused_when_a_reset_ends_its_sign_in_while_it_hashes(
    real_engine: Engine, monkeypatch: pytest.MonkeyPatch
):
    """The current password is checked with no transaction open (`confirm_password`): a reset
    that ends every sign-in, committed meanwhile, ends this request too, and the reset's
    password stays (it was overwritten). Both databases."""
    headers = staff_headers(real_engine, TEST_SETTINGS)
    reset_hash = hash_password("the-owners-reset-7")
    verify = service.verify_password

    def verify_while_reset(password_hash: str | None, password: str) -> bool:
        with Session(real_engine) as other:  # the owner's reset link, opened meanwhile
            other.execute(update(User).values(password_hash=reset_hash))
            sign_everyone_out(other)
            other.commit()
        return verify(password_hash, password)

    monkeypatch.setattr(service, "verify_password", verify_while_reset)
    body = {"current_password": DEFAULT_PASSWORD, "new_password": "the-other-one-2026"}
    with TestClient(app) as client:
        answer = client.post("/api/me/password", json=body, headers=headers)
    assert answer.status_code == 401, answer.text
    with Session(real_engine) as check:
        assert {u.password_hash for u in check.exec(select(User))} == {reset_hash}


def sign_everyone_out(other: Session) -> None:
    other.execute(update(AuthSession).values(revoked_at=utcnow()))


@contextmanager
def held_elsewhere(
    engine: Engine,
    take: Callable[[Session], object],
    then: Callable[[Session], None] | None = None,
) -> Iterator[threading.Event]:
    """Another request's open transaction, in a thread (and so a context) of its own, holding
    what `take` takes in it, for the block or until the event given is set; `then` writes in
    it before it commits."""
    writer_in, writer_done = threading.Event(), threading.Event()

    def writer() -> None:
        with Session(engine) as other:
            take(other)
            writer_in.set()
            writer_done.wait(10)
            if then is not None:
                then(other)  # written before what it holds is let go
            other.commit()

    holding = threading.Thread(target=writer)
    holding.start()
    try:
        assert writer_in.wait(5)
        yield writer_done
    finally:
        writer_done.set()
        holding.join(10)


def write_lock_held_elsewhere(
    engine: Engine, then: Callable[[Session], None] | None = None
) -> AbstractContextManager[threading.Event]:
    """`held_elsewhere` with SQLite's write lock (its first statement's BEGIN IMMEDIATE)."""
    return held_elsewhere(engine, lambda other: other.connection(), then)


def test_a_sign_in_gives_its_turn_back_as_soon_as_it_has_hashed(
    small_pool: Engine, monkeypatch: pytest.MonkeyPatch
):
    """Not when its route ends: sign-ins go through the two turns as fast as they hash."""
    with Session(small_pool) as setup:
        create_user(setup, email="quick@example.org")
        setup.commit()
    monkeypatch.setattr(hash_turns._turns, "wait_s", 0.2)
    hashed, finish = threading.Event(), threading.Event()
    start_session = service.start_session

    def start_session_after_the_hash(*args: Any, **kwargs: Any) -> Any:
        hashed.set()
        finish.wait(5)
        return start_session(*args, **kwargs)

    monkeypatch.setattr(service, "start_session", start_session_after_the_hash)

    async def scenario() -> int:
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
            form = {"username": "quick@example.org", "password": DEFAULT_PASSWORD}
            sign_in = asyncio.create_task(client.post("/api/auth/token", data=form))
            assert await asyncio.to_thread(hashed.wait, 5)
            try:
                async with hash_turns._turns.held(), hash_turns._turns.held():
                    pass  # both turns free while the sign-in goes on
            finally:
                finish.set()
            return (await sign_in).status_code

    assert asyncio.run(scenario()) == 200


HASHING_ROUTES = {
    ("POST", "/api/auth/register"),
    ("POST", "/api/auth/token"),
    ("POST", "/api/auth/session"),
    ("POST", "/api/me/password"),
    ("POST", "/api/auth/password-reset/confirm"),
    ("POST", "/sign-in"),
    ("POST", "/reset-password"),
    ("POST", "/account/password"),
    ("POST", "/carer/sign-up"),
    ("POST", "/cook/sign-up"),
    ("POST", "/carer/account/email"),
}


def test_every_route_that_hashes_a_password_waits_for_its_turn_first():
    """The turn first among the route's dependencies: before the database slot."""
    first = {
        (method, route.path): route.dependencies[:1]
        for route in app.routes
        if isinstance(route, APIRoute)
        for method in route.methods
    }
    missing = {key for key in HASHING_ROUTES if first.get(key) != [HASH_TURN]}
    assert missing == set()
    # And any route that declares it, named here or not, declares it first.
    late = {
        route.path
        for route in app.routes
        if isinstance(route, APIRoute) and HASH_TURN in route.dependencies[1:]
    }
    assert late == set()


def test_a_route_that_hashes_without_declaring_its_turn_is_reported(
    real_engine: Engine, caplog: pytest.LogCaptureFixture
):
    """A route that forgets `deps.HASH_TURN` still signs in (it waits for a hashing slot in its
    thread) but says so, and the autouse fixture `every_hashing_route_takes_its_turn` fails any
    test that exercises it; a route that declares it and code outside a request say nothing."""
    with Session(real_engine) as setup:
        create_user(setup, email="forgetful@example.org")
        setup.commit()
    probe = FastAPI()

    def sign_in(session: SessionDep) -> dict[str, int | None]:
        user = service.authenticate(
            session,
            email="forgetful@example.org",
            password=DEFAULT_PASSWORD,
            client="test",
            settings=TEST_SETTINGS,
        )
        return {"id": user.id}

    probe.post("/without")(sign_in)
    probe.post("/with", dependencies=[HASH_TURN])(sign_in)
    with TestClient(probe) as client:
        assert client.post("/with").status_code == 200
        assert service.HASHED_WITHOUT_TURN not in caplog.messages
        assert client.post("/without").status_code == 200
    assert caplog.messages.count(service.HASHED_WITHOUT_TURN) == 1
    caplog.clear()  # expected here: not a failure for the autouse fixture
    with Session(real_engine) as outside:  # the command line's kind of session
        service.authenticate(
            outside,
            email="forgetful@example.org",
            password=DEFAULT_PASSWORD,
            client="cli",
            settings=TEST_SETTINGS,
        )
    assert service.HASHED_WITHOUT_TURN not in caplog.messages
