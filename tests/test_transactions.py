"""One transaction per request (db.unit_of_work): committed when the route returns, rolled back
when it raises; the few writes that must stay when a request fails go through
db.own_transaction and never commit the caller's pending work; a savepoint that fails keeps the
work around it."""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import Engine, event, update
from sqlalchemy.orm import ORMExecuteState
from sqlmodel import Session, col, func, select

from app.accounts.service import authenticate, register_user
from app.audit import record_audit
from app.config import Settings
from app.db import READ_ONLY, WRITER, get_session, own_transaction, reader, writing
from app.deps import SessionDep
from app.errors import SAME_MOMENT, Conflict, Unauthorized, install_error_handlers
from app.models import AreaDemand, AuditEntry, Council, LoginFailure, User
from app.places import note_demand
from tests.conftest import handed_to_request
from tests.factories import create_council, create_user

# A route that writes, flushes and then refuses, through the real request session dependency
# and the real error handlers (the failure after a flush that a route of the service can meet).
refusing = FastAPI()
install_error_handlers(refusing)


@refusing.post("/councils/{slug}")
def add_council_then_refuse(slug: str, session: SessionDep) -> None:
    session.add(Council(slug=slug, name="Refused", lad_codes=[]))
    session.flush()
    raise Conflict("Refused after the council was flushed")


@refusing.post("/councils/{slug}/kept")
def add_council(slug: str, session: SessionDep) -> dict[str, str]:
    session.add(Council(slug=slug, name="Kept", lad_codes=[]))
    session.flush()
    return {"slug": slug}


@pytest.fixture
def refusing_client(session: Session) -> Iterator[TestClient]:
    refusing.dependency_overrides[get_session] = lambda: handed_to_request(session)
    with TestClient(refusing) as test_client:
        yield test_client
    refusing.dependency_overrides.clear()


def councils(session: Session, slug: str) -> int:
    return session.exec(select(func.count()).where(Council.slug == slug)).one()


def test_nothing_is_written_when_a_route_raises_after_a_flush(
    refusing_client: TestClient, session: Session
):
    response = refusing_client.post("/councils/refused")
    assert response.status_code == 409, response.text
    assert councils(session, "refused") == 0


def test_work_is_committed_when_the_route_returns(refusing_client: TestClient, session: Session):
    assert refusing_client.post("/councils/kept/kept").status_code == 200
    assert not session.in_transaction()  # the request's transaction ended with the request
    assert councils(session, "kept") == 1


def failures(session: Session, key: str) -> int:
    return session.exec(select(func.count()).where(LoginFailure.email_key == key)).one()


def test_failed_sign_in_is_counted_when_the_response_is_401(client: TestClient, session: Session):
    user = create_user(session, email="edna@example.org")
    response = client.post(
        "/api/auth/token", data={"username": user.email, "password": "not the password"}
    )
    assert response.status_code == 401
    assert failures(session, "edna@example.org") == 1


def test_failed_sign_in_commits_nothing_else_when_the_caller_has_pending_work(
    session: Session, settings: Settings
):
    user = create_user(session, email="sam@example.org")
    session.commit()
    create_council(session, slug="pending")
    with pytest.raises(Unauthorized):
        authenticate(
            session, email=user.email, password="wrong", client="127.0.0.1", settings=settings
        )
    session.rollback()  # what the request's unit of work does with the 401
    assert failures(session, "sam@example.org") == 1
    assert councils(session, "pending") == 0


def test_note_demand_commits_nothing_else_when_the_caller_has_pending_work(session: Session):
    create_council(session, slug="pending")
    note_demand(session, district="ZE2", role="cook")
    session.rollback()  # the request fails with its 422
    districts = session.exec(select(AreaDemand.district)).all()
    assert list(districts) == ["ZE2"]
    assert councils(session, "pending") == 0


def test_out_of_area_demand_is_kept_when_the_profile_is_refused(
    client: TestClient, session: Session, settings: Settings
):
    from tests.factories import auth_headers, cook_payload

    create_council(session, slug="barnet")
    cook = create_user(session, role="cook")
    headers = auth_headers(cook, settings)
    # Lerwick, Shetland: a real postcode no council on the service covers.
    response = client.put("/api/cooks/me", json=cook_payload(postcode="ZE1 0AA"), headers=headers)
    assert response.status_code == 422, response.text
    assert response.json()["detail"][0]["type"] == "outside_service_area"
    assert session.exec(select(AreaDemand.district, AreaDemand.role)).all() == [("ZE1", "cook")]


def test_own_transaction_waits_for_the_callers_transaction_when_it_is_writing(session: Session):
    create_council(session, slug="pending")
    own_transaction(session, "test", AreaDemand(district="ZE3", role="cook"))
    with Session(session.connection()) as other:  # the same connection: sees what is written
        assert other.exec(select(func.count()).select_from(AreaDemand)).one() == 0
    session.commit()
    assert session.exec(select(AreaDemand.district)).all() == ["ZE3"]


def test_outer_work_is_kept_when_a_savepointed_insert_fails(session: Session):
    create_council(session, slug="outer")
    with session.no_autoflush:  # the same email arrives unseen, as from a concurrent request
        session.add(
            User(
                email="a@example.org",
                email_key="a@example.org",
                full_name="A",
                password_hash="x",
                role="carer",
            )
        )
        with pytest.raises(Conflict):
            register_user(
                session,
                email="a@example.org",
                password="a long enough passphrase here",
                full_name="Another",
                role="carer",
                password_hash="x",
            )
    session.commit()
    assert councils(session, "outer") == 1
    names = session.exec(select(User.full_name).where(col(User.email_key) == "a@example.org"))
    assert names.all() == ["A"]


def test_audit_of_a_view_commits_nothing_else_when_the_session_writes(session: Session):
    create_council(session, slug="pending")
    with writing(session):
        record_audit(
            session,
            actor_id=None,
            council_id=None,
            action="test.viewed",
            subject_type="test",
            subject_id=None,
        )
    session.rollback()  # the request fails after showing what it audited
    assert session.exec(select(AuditEntry.action)).all() == ["test.viewed"]
    assert councils(session, "pending") == 0


def test_rows_written_apart_are_kept_in_their_order_and_as_the_orm_writes_them(session: Session):
    """Writes apart are plain INSERTs (db._insert_rows): rows of different columns keep the
    order they were given, and a JSON column given None stores JSON's null, as a flush does
    (leaving it out would break the column's NOT NULL)."""
    rows = [
        AuditEntry(action="test.first", subject_type="t", subject_id=1),
        AuditEntry(action="test.second", subject_type="t"),  # no subject_id: other columns
        AuditEntry(action="test.third", subject_type="t", subject_id=3, data=None),  # type: ignore[arg-type]
    ]
    own_transaction(session, "test", *rows)
    kept = session.exec(
        select(AuditEntry.action, AuditEntry.subject_id, AuditEntry.data)
        .where(col(AuditEntry.action).startswith("test."))
        .order_by(col(AuditEntry.id))
    ).all()
    assert kept == [("test.first", 1, {}), ("test.second", None, {}), ("test.third", 3, None)]


def test_a_locking_read_gives_the_row_as_it_is_now_not_the_sessions_older_copy(
    real_engine: Engine,
):
    """Sessions keep their objects over commits; a check made after `with_for_update` must see
    what another transaction has committed since (app.db's do_orm_execute listener)."""
    with Session(real_engine, expire_on_commit=False) as setup:
        user = create_user(setup, full_name="Ada Before")
        setup.commit()
    with Session(real_engine, expire_on_commit=False) as first:
        held = first.get(User, user.id)
        assert held is not None and held.full_name == "Ada Before"
        first.commit()  # as end_reads does: the transaction ends, the object stays
        with Session(real_engine) as other:
            other.exec(update(User).where(col(User.id) == user.id).values(full_name="Ada After"))
            other.commit()
        first.exec(select(User).where(User.id == user.id)).one()
        assert held.full_name == "Ada Before"  # a plain read keeps the session's copy
        locked = first.exec(select(User).where(User.id == user.id).with_for_update()).one()
        assert locked is held and held.full_name == "Ada After"
        first.commit()
        with Session(real_engine) as other:
            other.exec(update(User).where(col(User.id) == user.id).values(full_name="Ada Again"))
            other.commit()
        assert first.get(User, user.id, with_for_update=True) is held
        assert held.full_name == "Ada Again"


def test_a_safe_requests_locking_read_reads_without_the_lock(real_engine: Engine):
    """A GET's transaction is read-only, and PostgreSQL refuses FOR UPDATE in it: a service
    that a POST and a GET share locks what it reads for the POST, and must only read for the
    GET (app.db's do_orm_execute listener; a meal's label answered 500 on PostgreSQL)."""
    with Session(real_engine) as setup:
        user_id = create_user(setup, full_name="Ada Reader").id
        setup.commit()
    sent: list[str] = []

    def note(_conn: object, _cursor: object, statement: str, *_args: object) -> None:
        sent.append(statement)

    locking: list[bool] = []

    def asked_to_lock(state: ORMExecuteState) -> None:
        if state.is_select:
            locking.append(getattr(state.statement, "_for_update_arg", None) is not None)

    event.listen(real_engine, "before_cursor_execute", note)
    try:
        info = {READ_ONLY: True, WRITER: real_engine}
        with Session(reader(real_engine), info=info) as safe:
            # What the statement asks for once app.db's hook has seen it, on either database
            # (SQLite writes no FOR UPDATE of its own, so the SQL sent shows it only on
            # PostgreSQL).
            event.listen(safe, "do_orm_execute", asked_to_lock)
            locked = select(User).where(User.id == user_id).with_for_update(key_share=True)
            assert safe.exec(locked).one().full_name == "Ada Reader"
            assert safe.exec(select(User.id).with_for_update()).all() == [user_id]
            assert safe.get(User, user_id, with_for_update=True) is not None
            safe.commit()
        with Session(real_engine) as unsafe:  # a POST's session locks as before
            unsafe.exec(select(User).where(User.id == user_id).with_for_update()).one()
            unsafe.commit()
    finally:
        event.remove(real_engine, "before_cursor_execute", note)
    assert locking == [False, False, False]
    reads = [s for s in sent if s.startswith("SELECT") and "user" in s]
    assert len(reads) == 4, sent
    locks = [bool(re.search(r"\bFOR (NO KEY )?UPDATE\b", s)) for s in reads]
    expected = real_engine.dialect.name == "postgresql"  # SQLite has no row locks to write
    assert locks == [False, False, False, expected]


def test_a_unique_key_taken_at_the_same_moment_is_409_not_a_bug_and_keeps_the_first(
    refusing_client: TestClient, session: Session, caplog: pytest.LogCaptureFixture
):
    """The route checked nothing; two requests that each found the key free would meet the
    same refusal from the database at their flush. Before, that was a 500."""
    assert refusing_client.post("/councils/twice/kept").status_code == 200
    again = refusing_client.post("/councils/twice/kept")
    assert again.status_code == 409
    assert again.json() == {"detail": SAME_MOMENT}
    assert councils(session, "twice") == 1
    refused = [r.getMessage() for r in caplog.records if "answered 409" in r.getMessage()]
    assert len(refused) == 1 and "twice" not in refused[0]  # the constraint, not the value
