"""Two requests changing one person's standing at the same moment, on PostgreSQL (SQLite lets
one transaction write at a time): the second waits for the first and sees what it did. An
outside check found, on PostgreSQL with two workers, accepted pairings stored as withdrawn (the
cook never told), proposals left open to a cook who had stopped, and ten erasures of one diner
answered 200 eight times."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine
from sqlmodel import Session, select

from app.concerns.service import raise_concern, triage
from app.db import lock_row
from app.errors import AppError
from app.flows.cooks import stop_cooking
from app.flows.cooks import suspend_cook as suspend_flow
from app.main import app
from app.matching.service import propose_pairing
from app.models import AuditEntry, Concern, Cook, Diner, Notification, Pairing, User
from app.pairings.schemas import PairingCreate
from app.pairings.service import accept_pairing
from app.privacy.service import erase_diner
from app.vocab import ConcernCategory, ConcernStatus
from tests.conftest import TEST_SETTINGS
from tests.factories import (
    auth_headers,
    committed_proposal,
    diner_payload,
)


@dataclass(frozen=True)
class Proposed:
    staff_id: int
    cook_id: int
    cook_user_id: int
    diner_id: int
    pairing_id: int
    other_diner_id: int  # the carer's second relative, waiting


def _proposed(client: TestClient, engine: Engine) -> Proposed:
    evenings = [{"weekday": day, "start": "17:00", "end": "19:00"} for day in (1, 2)]
    made = committed_proposal(client, engine, TEST_SETTINGS, availability=evenings)
    carer_h = made.carer_headers
    other = client.post(
        "/api/diners",
        json=diner_payload(
            full_name="Ada Two", availability=[{"weekday": 2, "start": "17:30", "end": "19:00"}]
        ),
        headers=carer_h,
    )
    assert other.status_code == 201, other.text
    return Proposed(
        made.staff_id,
        made.cook_id,
        made.cook_user_id,
        made.diner_id,
        made.pairing_id,
        other.json()["id"],
    )


def _while_held(
    engine: Engine, first: Callable[[Session], None], second: Callable[[Session], None]
) -> list[BaseException]:
    """`first` done and not yet committed; `second` started in another transaction, checked to
    wait, then `first` committed. Returns what `second` raised."""
    raised: list[BaseException] = []

    def run_second() -> None:
        with Session(engine, expire_on_commit=False) as other:
            try:
                second(other)
                other.commit()
            except AppError as exc:
                raised.append(exc)

    with Session(engine, expire_on_commit=False) as holder:
        first(holder)
        holder.flush()
        waiting = threading.Thread(target=run_second)
        waiting.start()
        time.sleep(0.5)
        assert waiting.is_alive(), "the second did not wait for the first"
        holder.commit()
    waiting.join(timeout=10)
    assert not waiting.is_alive()
    return raised


def _headers_of(engine: Engine, user_id: int) -> dict[str, str]:
    with Session(engine, expire_on_commit=False) as session:
        user = session.get(User, user_id)
        assert user is not None
        headers = auth_headers(user, TEST_SETTINGS)
        session.commit()
    return headers


@pytest.fixture
def proposed(real_engine: Engine) -> Proposed:
    if real_engine.dialect.name != "postgresql":
        pytest.skip("row locks between concurrent writers: PostgreSQL only")
    with TestClient(app) as client:
        return _proposed(client, real_engine)


def test_an_erasure_waiting_for_an_accept_ends_the_pairing_and_tells_the_cook(
    real_engine: Engine, proposed: Proposed
):
    def accept(session: Session) -> None:
        pairing = session.exec(
            select(Pairing).where(Pairing.id == proposed.pairing_id).with_for_update()
        ).one()
        accept_pairing(session, pairing=pairing)

    def erase(session: Session) -> None:
        staff, diner = session.get(User, proposed.staff_id), session.get(Diner, proposed.diner_id)
        assert staff is not None and diner is not None
        erase_diner(session, staff=staff, diner=diner)

    assert _while_held(real_engine, accept, erase) == []
    with Session(real_engine) as check:
        pairing = check.get(Pairing, proposed.pairing_id)
        assert pairing is not None and pairing.status == "ended"
        told = check.exec(
            select(Notification.event).where(Notification.to_user_id == proposed.cook_user_id)
        ).all()
        assert "meals_stopped_unnamed" in told or "pairing_ended" in told, told


def test_a_cook_who_stops_while_being_proposed_to_leaves_no_proposal_open(
    real_engine: Engine, proposed: Proposed
):
    def stop(session: Session) -> None:
        cook = session.get(Cook, proposed.cook_id)
        assert cook is not None
        stop_cooking(session, cook=cook, reason="Moving away")

    def propose(session: Session) -> None:
        staff = session.get(User, proposed.staff_id)
        assert staff is not None
        body = PairingCreate(diner_id=proposed.other_diner_id, cook_id=proposed.cook_id, weekday=2,
                             start="17:30", frequency="weekly")  # fmt: skip
        propose_pairing(session, staff=staff, body=body)

    assert _while_held(real_engine, propose, stop) == []
    with Session(real_engine) as check:
        still_open = check.exec(
            select(Pairing).where(Pairing.cook_id == proposed.cook_id, Pairing.status == "proposed")
        ).all()
    assert still_open == []


def test_a_second_erasure_of_one_diner_waits_and_is_refused(
    real_engine: Engine, proposed: Proposed
):
    def erase(session: Session) -> None:
        staff, diner = session.get(User, proposed.staff_id), session.get(Diner, proposed.diner_id)
        assert staff is not None and diner is not None
        erase_diner(session, staff=staff, diner=diner)

    raised = _while_held(real_engine, erase, erase)
    assert [str(exc) for exc in raised] == ["This diner has already been erased"]


def test_an_accept_is_not_held_back_by_a_stop_that_has_locked_the_cook(
    real_engine: Engine, proposed: Proposed
):
    """An outside check: a cook's stop took FOR UPDATE on the cook's row, which holds back the
    accept's insert of meals naming the cook (a foreign key takes KEY SHARE), while the accept
    held the pairing the stop would lock next: a deadlock, and "please try again", six times in
    eight. The stop's lock now leaves such inserts be."""
    accepted: list[BaseException | None] = []

    def accept() -> None:
        try:
            with Session(real_engine, expire_on_commit=False) as session:
                pairing = session.get(Pairing, proposed.pairing_id)
                assert pairing is not None
                accept_pairing(session, pairing=pairing)
                session.commit()
            accepted.append(None)
        except BaseException as exc:
            accepted.append(exc)

    with Session(real_engine, expire_on_commit=False) as stopping:
        cook = stopping.get(Cook, proposed.cook_id)
        assert cook is not None
        lock_row(stopping, cook)  # the stop's first step
        other = threading.Thread(target=accept)
        other.start()
        other.join(timeout=5)
        assert not other.is_alive(), "the accept waited for the stop's lock on the cook"
        stop_cooking(stopping, cook=cook, reason="Moving away")
        stopping.commit()
    assert accepted == [None]
    with Session(real_engine) as check:
        pairing = check.get(Pairing, proposed.pairing_id)
        assert pairing is not None and pairing.status == "ended"


def test_a_stop_waiting_for_a_diners_erasure_does_not_deadlock_with_it(
    real_engine: Engine, proposed: Proposed
):
    """An outside check: an erasure locked the diner, then the pairings; a cook's stop locked
    the pairings, then wrote the diner: each waited for the other. Both now lock the diner
    before the pairings."""
    with TestClient(app) as client:
        accepted = client.post(
            f"/api/pairings/{proposed.pairing_id}/accept",
            headers=_headers_of(real_engine, proposed.cook_user_id),
        )
        assert accepted.status_code == 200, accepted.text
    failed: list[BaseException] = []

    def stop() -> None:
        try:
            with Session(real_engine, expire_on_commit=False) as session:
                cook = session.get(Cook, proposed.cook_id)
                assert cook is not None
                stop_cooking(session, cook=cook, reason="Moving away")
                session.commit()
        except BaseException as exc:
            failed.append(exc)

    with Session(real_engine, expire_on_commit=False) as erasing:
        staff = erasing.get(User, proposed.staff_id)
        diner = erasing.get(Diner, proposed.diner_id)
        assert staff is not None and diner is not None
        lock_row(erasing, diner)  # the erasure's first step
        other = threading.Thread(target=stop)
        other.start()
        time.sleep(0.5)  # the stop has the cook and waits for the diner
        erase_diner(erasing, staff=staff, diner=diner)
        erasing.commit()
    other.join(timeout=10)
    assert not other.is_alive() and failed == []
    with Session(real_engine) as check:
        pairing = check.get(Pairing, proposed.pairing_id)
        cook = check.get(Cook, proposed.cook_id)
        assert pairing is not None and pairing.status == "ended"
        assert cook is not None and cook.status == "left"


def test_a_concerns_suspension_waiting_for_one_from_the_record_suspends_once(
    real_engine: Engine, proposed: Proposed
):
    """The diff review: a suspension from an upheld concern, beside one from the cook's
    record, suspended the cook twice (two audit entries, two messages) and overwrote the
    reason."""
    with TestClient(app) as client:
        accepted = client.post(
            f"/api/pairings/{proposed.pairing_id}/accept",
            headers=_headers_of(real_engine, proposed.cook_user_id),
        )
        assert accepted.status_code == 200, accepted.text
    with Session(real_engine, expire_on_commit=False) as setup:
        carer = setup.exec(select(User).where(User.role == "carer")).one()
        concern = raise_concern(
            setup, user=carer, diner_id=proposed.diner_id, kind=ConcernCategory.food_hygiene,
            serious=False, description="The food was cold and smelled off",
        )  # fmt: skip
        setup.commit()

    def from_the_record(session: Session) -> None:
        staff, cook = session.get(User, proposed.staff_id), session.get(Cook, proposed.cook_id)
        assert staff is not None and cook is not None
        suspend_flow(session, staff=staff, cook=cook, reason="Seen by the coordinator")

    def from_the_concern(session: Session) -> None:
        staff, held = session.get(User, proposed.staff_id), session.get(Concern, concern.id)
        assert staff is not None and held is not None
        triage(session, staff=staff, concern=held, status=ConcernStatus.upheld,
               note="Upheld", exclude=False, suspend=True)  # fmt: skip

    assert _while_held(real_engine, from_the_record, from_the_concern) == []
    with Session(real_engine) as check:
        entries = check.exec(
            select(AuditEntry).where(
                AuditEntry.action == "cook.suspended", AuditEntry.subject_id == proposed.cook_id
            )
        ).all()
        cook = check.get(Cook, proposed.cook_id)
    assert len(entries) == 1 and cook is not None
    assert cook.status_reason == "Seen by the coordinator"
