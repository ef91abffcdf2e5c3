"""The writers of one process take turns for SQLite's write lock (db.WriteQueue) in the order
they came, instead of polling in SQLite's busy handler: many writers at once all succeed even
with no busy timeout at all, the turn comes back whatever ends a transaction, and a write nested
in another never waits for itself. PostgreSQL has no such queue."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator

import pytest
from sqlalchemy import Engine, insert
from sqlalchemy.exc import IntegrityError, OperationalError
from sqlmodel import Session, col, func, select

from app import db
from app.db import READ_ONLY, WRITER, make_engine, own_transaction, reader, write_queue, writing
from app.models import AuditEntry
from tests.conftest import migrate

WRITERS = 8
WRITES_EACH = 10
HANG = 60.0  # a thread still running after this long is stuck (the queue waits an hour here)


@pytest.fixture
def sqlite_url(empty_database: str) -> str:
    if not empty_database.startswith("sqlite"):
        pytest.skip("SQLite's write lock: PostgreSQL locks rows")
    return empty_database


@pytest.fixture
def no_busy_wait(sqlite_url: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[Engine]:
    """A migrated SQLite database whose engine lets SQLite wait for no lock at all (a busy
    timeout of 0: any writer that meets the lock held fails at once with "database is
    locked"), and whose queue would wait an hour (a hang shows as a thread still running)."""
    migrate(make_engine(sqlite_url))
    monkeypatch.setattr(db, "WRITE_QUEUE_TIMEOUT_S", 3600.0)
    engine = make_engine(sqlite_url, busy_timeout_s=0, pool_size=WRITERS + 2)
    yield engine
    engine.dispose()


@pytest.fixture
def patient(sqlite_url: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[Engine]:
    """A migrated SQLite database whose engine would wait an hour for the lock, in SQLite's
    busy handler or in the queue: a writer that waits for itself shows as a thread still
    running."""
    migrate(make_engine(sqlite_url))
    monkeypatch.setattr(db, "WRITE_QUEUE_TIMEOUT_S", 3600.0)
    engine = make_engine(sqlite_url, busy_timeout_s=3600)
    yield engine
    engine.dispose()


def entries(engine: Engine, action: str) -> int:
    with Session(engine) as check:
        return check.exec(
            select(func.count(col(AuditEntry.id))).where(AuditEntry.action == action)
        ).one()


def run_bounded(work: Callable[[], None]) -> list[BaseException]:
    """Run `work` in a thread; fail if it is still running after HANG seconds (a deadlock);
    return what it raised."""
    raised: list[BaseException] = []

    def guarded() -> None:
        try:
            work()
        except BaseException as exc:  # reported to the test
            raised.append(exc)

    thread = threading.Thread(target=guarded, daemon=True)
    thread.start()
    thread.join(timeout=HANG)
    assert not thread.is_alive(), "the write is stuck"
    return raised


def test_many_writers_at_once_all_succeed_with_no_busy_timeout(no_busy_wait: Engine):
    barrier = threading.Barrier(WRITERS)
    failures: list[BaseException] = []

    def write_many() -> None:
        barrier.wait()
        for _ in range(WRITES_EACH):
            try:
                with Session(no_busy_wait) as session:
                    # Read, then write: the lock is held across a statement or two.
                    session.exec(select(func.count(col(AuditEntry.id)))).one()
                    session.add(AuditEntry(action="test.write", subject_type="test"))
                    session.commit()
            except OperationalError as exc:  # "database is locked" without the queue
                failures.append(exc)

    threads = [threading.Thread(target=write_many, daemon=True) for _ in range(WRITERS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=HANG)
    assert not any(thread.is_alive() for thread in threads), "a writer is stuck"
    assert failures == []
    assert entries(no_busy_wait, "test.write") == WRITERS * WRITES_EACH
    queue = write_queue(no_busy_wait)
    assert queue is not None and not queue.busy and queue.waiting == 0


def test_writers_get_the_turn_in_the_order_they_asked(sqlite_url: str):
    queue = write_queue(make_engine(sqlite_url))
    assert queue is not None
    first = queue.take()
    assert first is not None and queue.busy
    order: list[int] = []
    threads: list[threading.Thread] = []

    def wait_and_write(n: int) -> None:
        turn = queue.take()
        order.append(n)
        assert turn is not None
        queue.give_back(turn)

    for n in range(5):
        threads.append(threading.Thread(target=wait_and_write, args=(n,), daemon=True))
        threads[-1].start()
        while queue.waiting < n + 1:  # this one waits behind the ones before it
            threading.Event().wait(0.001)
    queue.give_back(first)
    for thread in threads:
        thread.join(timeout=HANG)
    assert order == [0, 1, 2, 3, 4]
    assert not queue.busy


def test_the_turn_comes_back_whatever_ends_the_transaction(no_busy_wait: Engine):
    queue = write_queue(no_busy_wait)
    assert queue is not None

    # A statement fails (an unknown actor: foreign key) and the session rolls back.
    with Session(no_busy_wait) as session:
        session.add(AuditEntry(action="test.write", subject_type="test", actor_id=999_999))
        with pytest.raises(IntegrityError):
            session.commit()
        session.rollback()
    assert not queue.busy

    # The caller raises mid-transaction.
    with pytest.raises(RuntimeError), no_busy_wait.begin() as conn:
        conn.execute(insert(AuditEntry).values(action="test.write", subject_type="t", data={}))
        assert queue.busy
        raise RuntimeError("something else went wrong")
    assert not queue.busy

    # The connection is invalidated (closed) mid-transaction.
    with no_busy_wait.connect() as conn:
        conn.begin()
        assert queue.busy
        conn.invalidate()
        assert not queue.busy

    # A session closed with its transaction open.
    session = Session(no_busy_wait)
    session.add(AuditEntry(action="test.write", subject_type="test"))
    session.flush()
    assert queue.busy
    session.close()
    assert not queue.busy

    # A reading transaction never takes it.
    with reader(no_busy_wait).connect() as conn:
        conn.exec_driver_sql("SELECT 1")
        assert not queue.busy

    # After all that, another thread writes without waiting for anyone.
    def write() -> None:
        with Session(no_busy_wait) as other:
            other.add(AuditEntry(action="test.after", subject_type="test"))
            other.commit()

    assert run_bounded(write) == []
    assert entries(no_busy_wait, "test.after") == 1


def test_a_write_nested_in_another_fails_rather_than_waits_for_itself(patient: Engine):
    queue = write_queue(patient)
    assert queue is not None

    def nested() -> None:
        with Session(patient) as outer:
            outer.add(AuditEntry(action="test.outer", subject_type="test"))
            outer.flush()  # holds the write lock
            with Session(patient) as inner:  # a second connection, in the same thread
                own_transaction(inner, "nested", AuditEntry(action="test.inner", subject_type="t"))

    raised = run_bounded(nested)
    # SQLite refuses the inner write at once (before the queue: after its busy timeout).
    assert len(raised) == 1 and isinstance(raised[0], OperationalError), raised
    assert "locked" in str(raised[0])
    assert not queue.busy and queue.waiting == 0
    with patient.connect() as conn:  # the connection's busy timeout is back
        assert conn.exec_driver_sql("PRAGMA busy_timeout").scalar() == 3_600_000


def test_a_writer_out_of_time_in_the_queue_is_refused_at_once(
    patient: Engine, monkeypatch: pytest.MonkeyPatch
):
    """The queue's wait bounds the whole wait: the busy timeout is not waited on top of it."""
    monkeypatch.setattr(db, "WRITE_QUEUE_TIMEOUT_S", 0.01)
    queue = write_queue(patient)
    assert queue is not None
    holding, done = threading.Event(), threading.Event()

    def hold() -> None:
        with patient.begin() as conn:
            conn.execute(insert(AuditEntry).values(action="test.held", subject_type="t", data={}))
            holding.set()
            done.wait(timeout=HANG)

    holder = threading.Thread(target=hold, daemon=True)
    holder.start()
    assert holding.wait(timeout=HANG)

    def write() -> None:
        with Session(patient) as session:
            session.add(AuditEntry(action="test.late", subject_type="test"))
            session.commit()

    try:
        raised = run_bounded(write)
    finally:
        done.set()
        holder.join(timeout=HANG)
    assert len(raised) == 1 and "locked" in str(raised[0]), raised
    assert entries(patient, "test.held") == 1
    assert not queue.busy


def test_the_audit_of_a_read_and_the_write_after_a_request_do_not_wait_for_themselves(
    no_busy_wait: Engine,
):
    def read_then_audit() -> None:
        info = {READ_ONLY: True, WRITER: no_busy_wait}
        with Session(reader(no_busy_wait), info=info) as request:  # a GET's session
            request.exec(select(func.count(col(AuditEntry.id)))).one()  # its read snapshot
            with writing(request):
                request.add(AuditEntry(action="test.viewed", subject_type="test"))
            request.exec(select(func.count(col(AuditEntry.id)))).one()

    def write_then_keep_apart() -> None:
        with Session(no_busy_wait) as request:  # a POST's session, holding the write lock
            request.add(AuditEntry(action="test.posted", subject_type="test"))
            request.flush()
            own_transaction(request, "kept", AuditEntry(action="test.kept", subject_type="t"))
            request.rollback()  # the request fails: what was kept apart stays

    assert run_bounded(read_then_audit) == []
    assert run_bounded(write_then_keep_apart) == []
    counts = [entries(no_busy_wait, a) for a in ("test.viewed", "test.posted", "test.kept")]
    assert counts == [1, 0, 1]


def test_the_tests_own_connection_writes_in_savepoints_under_its_turn(engine: Engine):
    """The fixtures' shape: one connection in a transaction for the whole test, each commit a
    savepoint of it, and the audit of a read written in a savepoint too (no second turn)."""
    queue = write_queue(engine)
    with engine.connect() as connection:
        outer = connection.begin()
        assert queue is None or queue.busy
        with Session(connection, join_transaction_mode="create_savepoint") as session:
            session.add(AuditEntry(action="test.saved", subject_type="test"))
            session.commit()
            own_transaction(session, "apart", AuditEntry(action="test.apart", subject_type="t"))
            counted = session.exec(
                select(func.count(col(AuditEntry.id))).where(
                    col(AuditEntry.action).in_(["test.saved", "test.apart"])
                )
            ).one()
            assert counted == 2
        outer.rollback()
    assert queue is None or not queue.busy


def test_postgresql_has_no_write_queue(engine: Engine):
    if engine.dialect.name == "sqlite":
        assert write_queue(engine) is not None
    else:
        assert write_queue(engine) is None
        with engine.connect() as conn:
            assert not hasattr(conn.connection.dbapi_connection, "turn")
