"""Two writers of one meal at the same moment on PostgreSQL (SQLite lets one transaction write
at a time): a meal whose outcome the cook is recording is not cancelled under them."""

from __future__ import annotations

import threading
import time

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine
from sqlmodel import Session, col, select

from app.main import app
from app.meals.service import cancel_for_pause
from app.models import Diner, Meal
from tests.conftest import TEST_SETTINGS
from tests.factories import committed_active_pairing


def test_a_pause_does_not_cancel_a_meal_delivered_while_it_waited(real_engine: Engine):
    """Before, the pause read the meal as planned, waited for the cook's lock only to write,
    and then cancelled a meal the cook had just recorded as delivered."""
    if real_engine.dialect.name != "postgresql":
        pytest.skip("row locks between concurrent writers: PostgreSQL only")
    with TestClient(app) as client:
        world = committed_active_pairing(client, real_engine, TEST_SETTINGS)
    pairing_id, diner_id = world.pairing_id, world.diner_id
    with Session(real_engine, expire_on_commit=False) as cook_side:
        meal = cook_side.exec(
            select(Meal)
            .where(Meal.pairing_id == pairing_id)
            .order_by(col(Meal.date))
            .with_for_update()
        ).first()
        assert meal is not None and meal.status == "scheduled"
        meal.status = "delivered"
        cook_side.add(meal)
        cook_side.flush()  # the cook's transaction holds the row, not yet committed
        cancelled: list[int] = []

        def pause() -> None:
            with Session(real_engine, expire_on_commit=False) as carer_side:
                diner = carer_side.get(Diner, diner_id)
                assert diner is not None
                done = cancel_for_pause(carer_side, diner=diner, from_=meal.date, to=meal.date)
                cancelled.extend(m.id for m in done if m.id is not None)
                carer_side.commit()

        pausing = threading.Thread(target=pause)
        pausing.start()
        time.sleep(0.5)
        assert pausing.is_alive()  # waiting for the cook's row lock
        cook_side.commit()
    pausing.join(timeout=10)
    assert not pausing.is_alive()
    with Session(real_engine) as check:
        stored = check.get(Meal, meal.id)
        assert stored is not None and stored.status == "delivered"
        assert cancelled == []
