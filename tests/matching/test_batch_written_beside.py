"""A large batch's rows are written on PostgreSQL by a thread beside the one that words their
invitations and makes the answer (app.matching.beside). Made to do so from one
proposal, on either database: a failure on either side leaves nothing of the batch written and
no thread of it running."""

from __future__ import annotations

import threading
import time
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func
from sqlmodel import Session, col, select

from app.config import Settings
from app.matching import service
from app.models import AuditEntry, Notification, Pairing, User
from tests.factories import approved_cook, registered_diner


class Refused(Exception):
    pass


@pytest.fixture
def waiting_pair(client: TestClient, session: Session, settings: Settings, staff: User) -> None:
    """A cook and a diner the batch pairs, committed as a request finds them."""
    approved_cook(client, session, settings, staff)
    registered_diner(client, session, settings, full_name="Mrs Edna Smith")
    session.commit()


@pytest.fixture(autouse=True)
def beside_from_one_proposal(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(service, "_BESIDE_FROM", 1)
    monkeypatch.setattr(service, "_BESIDE_ON", {"sqlite", "postgresql"})


def _written(session: Session) -> tuple[int, int, int]:
    return (
        session.exec(select(func.count()).select_from(Pairing)).one(),
        session.exec(
            select(func.count())
            .select_from(Notification)
            .where(col(Notification.dedupe_key).startswith("pairing:"))
        ).one(),
        session.exec(
            select(func.count())
            .select_from(AuditEntry)
            .where(col(AuditEntry.action).in_(["pairing.proposed", "matching.run"]))
        ).one(),
    )


def _batch_threads() -> list[threading.Thread]:
    return [t for t in threading.enumerate() if t.name.startswith("batch-write")]


def _refused_and_nothing_left(session: Session, staff: User) -> None:
    with pytest.raises(Refused):
        service.run_matching(session, staff=staff)
    assert _batch_threads() == []  # the writes beside ended before the error came out
    session.rollback()  # as the request's unit of work does when the route raises
    assert _written(session) == (0, 0, 0)


@pytest.mark.usefixtures("waiting_pair")
def test_the_batch_writes_beside_in_a_thread_that_ends_with_it(
    session: Session, staff: User, monkeypatch: pytest.MonkeyPatch
):
    writers: list[str] = []
    insert_rows = service.insert_rows

    def noting(session: Session, table: Any, *args: Any, **kwargs: Any) -> None:
        writers.append(threading.current_thread().name)
        insert_rows(session, table, *args, **kwargs)

    monkeypatch.setattr(service, "insert_rows", noting)
    service.run_matching(session, staff=staff)
    # pairings, audit entries and invitations, all three by the thread beside
    assert len(writers) == 3 and all(w.startswith("batch-write") for w in writers)
    assert _batch_threads() == []
    assert _written(session) == (1, 1, 2)


@pytest.mark.usefixtures("waiting_pair")
def test_a_write_that_fails_beside_fails_the_batch_and_leaves_nothing(
    session: Session, staff: User, monkeypatch: pytest.MonkeyPatch
):
    insert_rows = service.insert_rows

    def refusing_invitations(session: Session, table: Any, *args: Any, **kwargs: Any) -> None:
        if table.name == "notification":
            raise Refused
        insert_rows(session, table, *args, **kwargs)

    monkeypatch.setattr(service, "insert_rows", refusing_invitations)
    _refused_and_nothing_left(session, staff)


@pytest.mark.usefixtures("waiting_pair")
def test_a_failure_here_waits_for_the_writes_beside_and_leaves_nothing(
    session: Session, staff: User, monkeypatch: pytest.MonkeyPatch
):

    def refusing(*args: Any, **kwargs: Any) -> Any:
        raise Refused

    monkeypatch.setattr(service, "_invitation_rows", refusing)
    _refused_and_nothing_left(session, staff)


@pytest.mark.usefixtures("waiting_pair")
def test_this_thread_leaves_the_session_alone_while_the_rows_are_written_beside(
    session: Session, staff: User, monkeypatch: pytest.MonkeyPatch
):
    """The session is not thread-safe: while the thread beside writes on its connection,
    this thread (wording the invitations, making the answer) must not touch it."""
    writing = threading.Event()
    insert_rows = service.insert_rows

    def slowly(session: Session, table: Any, *args: Any, **kwargs: Any) -> None:
        writing.set()
        try:
            time.sleep(0.1)  # long enough for this thread to go on meanwhile
            insert_rows(session, table, *args, **kwargs)
        finally:
            writing.clear()

    monkeypatch.setattr(service, "insert_rows", slowly)
    here = threading.current_thread()
    touched: list[str] = []
    for name in ("execute", "exec", "connection", "flush", "get", "add", "scalar", "scalars"):
        method = getattr(Session, name)

        def noting(self: Session, *args: Any, _method: Any = method, _name: str = name, **kw: Any):
            if writing.is_set() and threading.current_thread() is here:
                touched.append(_name)
            return _method(self, *args, **kw)

        monkeypatch.setattr(Session, name, noting)
    service.run_matching(session, staff=staff)
    assert touched == []
