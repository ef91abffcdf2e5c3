"""Upholding a concern while the cook, or staff recording a cover, change the same pairing, on
PostgreSQL (SQLite lets one transaction write at a time): rows are locked in lock_row's order
(the cook, the diner, the meal), so neither waits for the other for ever."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine
from sqlmodel import Session, col, select

from app.concerns.service import triage
from app.db import lock_row
from app.main import app
from app.meals.service import mark_away
from app.meals.staff_cover import arrange_cover
from app.models import Concern, Cook, Diner, Meal, Pairing, User
from app.vocab import ConcernStatus, CookStatus, PairingStatus
from tests.conftest import TEST_SETTINGS
from tests.factories import CommittedPairing, committed_active_pairing
from tests.meals.test_meal_races import _helper_cook, _meal_needing_cover


def raised_concern(client: TestClient, world: CommittedPairing) -> int:
    body = {"diner_id": world.diner_id, "kind": "cook_behaviour", "description": "Rude to her"}
    raised = client.post("/api/concerns", json=body, headers=world.carer_headers)
    assert raised.status_code == 201, raised.text
    return int(raised.json()["id"])


@contextmanager
def upholding(engine: Engine, world: CommittedPairing, concern_id: int) -> Iterator[list]:
    """Staff uphold the concern (the pair kept apart, the cook suspended) in a thread of their
    own; yields what it raised, once it has finished."""
    raised: list[Exception] = []

    def uphold() -> None:
        with Session(engine, expire_on_commit=False) as staff_side:
            staff = staff_side.get(User, world.staff_id)
            concern = staff_side.get(Concern, concern_id)
            assert staff is not None and concern is not None
            try:
                triage(
                    staff_side,
                    staff=staff,
                    concern=concern,
                    status=ConcernStatus.upheld,
                    note="Upheld after a call with the carer",
                    exclude=True,
                    suspend=True,
                )
                staff_side.commit()
            except Exception as failed:  # a deadlock, say: the test reports it
                raised.append(failed)

    thread = threading.Thread(target=uphold)
    thread.start()
    time.sleep(0.5)
    assert thread.is_alive()  # waiting for the other side's lock
    yield raised
    thread.join(timeout=15)
    assert not thread.is_alive()


def assert_upheld(engine: Engine, world: CommittedPairing) -> None:
    with Session(engine) as check:
        cook = check.get(Cook, world.cook_id)
        pairing = check.get(Pairing, world.pairing_id)
        assert cook is not None and pairing is not None
        assert cook.status == CookStatus.suspended
        assert pairing.status == PairingStatus.ended


def test_upholding_waits_for_the_cook_marking_days_away_and_both_are_saved(real_engine: Engine):
    """Before, upholding locked the pairing's meals, then waited for the cook's row, which the
    cook held while waiting for those meals: PostgreSQL ended one as a deadlock."""
    if real_engine.dialect.name != "postgresql":
        pytest.skip("row locks between concurrent writers: PostgreSQL only")
    with TestClient(app) as client:
        world = committed_active_pairing(client, real_engine, TEST_SETTINGS)
        concern_id = raised_concern(client, world)
    with Session(real_engine, expire_on_commit=False) as cook_side:
        cook = cook_side.get(Cook, world.cook_id)
        meal = cook_side.exec(
            select(Meal).where(Meal.pairing_id == world.pairing_id).order_by(col(Meal.date))
        ).first()
        assert cook is not None and meal is not None
        lock_row(cook_side, cook)  # the cook's step begins: their row first (mark_away's order)
        with upholding(real_engine, world, concern_id) as raised:
            mark_away(cook_side, cook=cook, from_=meal.date, to=meal.date)
            cook_side.commit()
    assert raised == []
    assert_upheld(real_engine, world)


def test_upholding_waits_for_staff_recording_a_cover_and_both_are_saved(real_engine: Engine):
    """Before, upholding locked the pairing's meals, then wrote the diner's row (waiting
    again), which staff recording a cover held while waiting for the meal: a deadlock."""
    if real_engine.dialect.name != "postgresql":
        pytest.skip("row locks between concurrent writers: PostgreSQL only")
    with TestClient(app) as client:
        world = committed_active_pairing(client, real_engine, TEST_SETTINGS)
        _, helper_id = _helper_cook(client, real_engine, world)
        meal = _meal_needing_cover(client, world)
        concern_id = raised_concern(client, world)
    with Session(real_engine, expire_on_commit=False) as staff_side:
        coordinator = staff_side.get(User, world.staff_id)
        helper_cook = staff_side.get(Cook, helper_id)
        diner = staff_side.get(Diner, world.diner_id)
        assert coordinator is not None and helper_cook is not None and diner is not None
        # arrange_cover's first steps: the covering cook's row, then the diner's.
        lock_row(staff_side, helper_cook)
        lock_row(staff_side, diner)
        with upholding(real_engine, world, concern_id) as raised:
            arrange_cover(staff_side, staff=coordinator, meal_id=meal["id"], cook_id=helper_id)
            staff_side.commit()
    assert raised == []
    assert_upheld(real_engine, world)
    with Session(real_engine) as check:
        stored = check.get(Meal, meal["id"])
        assert stored is not None and stored.status == "cancelled"  # the pairing ended after
