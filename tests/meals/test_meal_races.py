"""Two writers of one meal at the same moment on PostgreSQL (SQLite lets one transaction write
at a time): a meal whose outcome the cook is recording is not cancelled under them."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from datetime import date
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine
from sqlmodel import Session, col, select

from app.diners.schemas import DinerUpdate
from app.errors import Conflict, NotFound, RuleBroken
from app.flows.diner_changes import change_diner
from app.main import app
from app.meals.cover import take_cover
from app.meals.service import cancel_for_pause, mark_away
from app.meals.staff_cover import arrange_cover
from app.models import Cook, Diner, Meal, Notification, User
from tests.conftest import TEST_SETTINGS
from tests.factories import (
    approve_payload,
    auth_headers,
    committed_active_pairing,
    cook_payload,
    create_user,
)


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


def test_staff_recording_a_cover_while_the_cook_takes_it_find_it_taken(real_engine: Engine):
    """The coordinator phones a cook who, meanwhile, takes the meal from their own page: the
    two wait for each other on the cook's and the meal's rows, and the second is told the meal
    no longer needs cover (never a meal given twice, its messages sent twice)."""
    if real_engine.dialect.name != "postgresql":
        pytest.skip("row locks between concurrent writers: PostgreSQL only")
    with TestClient(app) as client:
        world = committed_active_pairing(client, real_engine, TEST_SETTINGS)
        with Session(real_engine, expire_on_commit=False) as setup:
            staff = setup.get(User, world.staff_id)
            assert staff is not None
            helper = create_user(setup, role="cook")
            staff_h, helper_h = (
                auth_headers(staff, TEST_SETTINGS),
                auth_headers(helper, TEST_SETTINGS),
            )
            setup.commit()
        profile = cook_payload(postcode="N3 1BU", display_name="Helper")
        helper_id = client.put("/api/cooks/me", json=profile, headers=helper_h).json()["id"]
        approved = client.post(
            f"/api/staff/cooks/{helper_id}/approve", json=approve_payload(), headers=staff_h
        )
        assert approved.status_code == 200, approved.text
        meal = client.get("/api/cooks/me/meals", headers=world.cook_headers).json()["items"][0]
        away = {"from": meal["date"], "to": meal["date"]}
        assert client.post("/api/cooks/me/away", json=away, headers=world.cook_headers).is_success
    refused: list[str] = []
    with Session(real_engine, expire_on_commit=False) as cook_side:
        taker = cook_side.get(User, helper.id)
        assert taker is not None
        take_cover(cook_side, user=taker, meal_id=meal["id"])  # flushed, not yet committed

        def arrange() -> None:
            with Session(real_engine, expire_on_commit=False) as staff_side:
                coordinator = staff_side.get(User, world.staff_id)
                assert coordinator is not None
                try:
                    arrange_cover(
                        staff_side, staff=coordinator, meal_id=meal["id"], cook_id=helper_id
                    )
                    staff_side.commit()
                except Conflict as conflict:
                    refused.append(conflict.message)

        arranging = threading.Thread(target=arrange)
        arranging.start()
        time.sleep(0.5)
        assert arranging.is_alive()  # waiting for the cook's locks
        cook_side.commit()
    arranging.join(timeout=10)
    assert not arranging.is_alive()
    assert refused == ["This meal no longer needs cover"]
    with Session(real_engine) as check:
        stored = check.get(Meal, meal["id"])
        assert stored is not None and (stored.status, stored.cook_id) == ("scheduled", helper_id)
        confirmed = check.exec(
            select(Notification).where(Notification.to_user_id == helper.id)
        ).all()
        assert "cover_arranged" not in {n.event for n in confirmed}  # nothing from the staff side


def _helper_cook(client: TestClient, real_engine: Engine, world: Any, **profile: Any) -> Any:
    """An approved cook near the world's diner (N3 1BU), free when the meal is: (their user,
    their cook id)."""
    with Session(real_engine, expire_on_commit=False) as setup:
        staff = setup.get(User, world.staff_id)
        assert staff is not None
        helper = create_user(setup, role="cook")
        staff_h = auth_headers(staff, TEST_SETTINGS)
        helper_h = auth_headers(helper, TEST_SETTINGS)
        setup.commit()
    body = cook_payload(postcode="N3 1BU", display_name="Helper", **profile)
    helper_id = client.put("/api/cooks/me", json=body, headers=helper_h).json()["id"]
    approved = client.post(
        f"/api/staff/cooks/{helper_id}/approve", json=approve_payload(), headers=staff_h
    )
    assert approved.status_code == 200, approved.text
    return helper, helper_id


def _meal_needing_cover(client: TestClient, world: Any) -> dict[str, Any]:
    meal = client.get("/api/cooks/me/meals", headers=world.cook_headers).json()["items"][0]
    away = {"from": meal["date"], "to": meal["date"]}
    assert client.post("/api/cooks/me/away", json=away, headers=world.cook_headers).is_success
    return dict(meal)


def _refused_once_committed(
    real_engine: Engine, side: Session, meal_id: int, take: Callable[[Session], object]
) -> list[Exception]:
    """`take` (a cover, recorded by staff or taken by the cook) in a thread of its own while
    `side` holds its change uncommitted: it waits for `side`, then is refused, the meal still
    needing cover. What it raised."""
    raised: list[Exception] = []

    def run() -> None:
        with Session(real_engine, expire_on_commit=False) as taking:
            try:
                take(taking)
                taking.commit()
            except (Conflict, NotFound, RuleBroken) as refused:
                raised.append(refused)

    taker = threading.Thread(target=run)
    taker.start()
    time.sleep(0.5)
    assert taker.is_alive()  # waiting for `side`'s row locks
    side.commit()
    taker.join(timeout=10)
    assert not taker.is_alive()
    with Session(real_engine) as check:
        stored = check.get(Meal, meal_id)
        assert stored is not None and (stored.status, stored.cook_id) == ("needs_cover", None)
    return raised


def _arranged_by(world: Any, meal_id: int, cook_id: int) -> Callable[[Session], object]:
    """The world's coordinator recording `cook_id` as the meal's cover."""

    def arrange(session: Session) -> object:
        coordinator = session.get(User, world.staff_id)
        assert coordinator is not None
        return arrange_cover(session, staff=coordinator, meal_id=meal_id, cook_id=cook_id)

    return arrange


def test_a_cover_recorded_while_the_diners_allergy_is_added_is_judged_on_the_new_needs(
    real_engine: Engine,
):
    """Staff add tree nuts to the diner's allergies while a colleague records a cover by a
    cook who avoids only peanuts: the cover waits for the change, then is refused, where it
    was given to the cook on the old allergies and nobody was told (a review, PostgreSQL)."""
    if real_engine.dialect.name != "postgresql":
        pytest.skip("row locks between concurrent writers: PostgreSQL only")
    with TestClient(app) as client:
        world = committed_active_pairing(client, real_engine, TEST_SETTINGS)
        _, helper_id = _helper_cook(client, real_engine, world, allergen_free=["peanuts"])
        meal = _meal_needing_cover(client, world)
    with Session(real_engine, expire_on_commit=False) as change_side:
        staff = change_side.get(User, world.staff_id)
        diner = change_side.get(Diner, world.diner_id)
        assert staff is not None and diner is not None
        more = DinerUpdate(allergies=[*diner.allergies, "tree_nuts"])
        change_diner(change_side, actor=staff, diner=diner, body=more, settings=TEST_SETTINGS)
        arrange = _arranged_by(world, meal["id"], helper_id)
        raised = _refused_once_committed(real_engine, change_side, meal["id"], arrange)
    assert [getattr(e, "rule", None) for e in raised] == ["not_a_cover_candidate"]


def test_a_cover_recorded_while_the_cook_marks_that_day_away_is_refused(real_engine: Engine):
    """The cook marks the meal's day away while staff record them as its cover: the cover
    waits for the cook's row, then sees the days away and is refused, where the meal went to
    a cook away that day (a review, PostgreSQL)."""
    if real_engine.dialect.name != "postgresql":
        pytest.skip("row locks between concurrent writers: PostgreSQL only")
    with TestClient(app) as client:
        world = committed_active_pairing(client, real_engine, TEST_SETTINGS)
        helper, helper_id = _helper_cook(client, real_engine, world)
        meal = _meal_needing_cover(client, world)
    day = date.fromisoformat(meal["date"])
    with Session(real_engine, expire_on_commit=False) as cook_side:
        cook = cook_side.exec(select(Cook).where(Cook.user_id == helper.id)).one()
        mark_away(cook_side, cook=cook, from_=day, to=day)
        arrange = _arranged_by(world, meal["id"], helper_id)
        raised = _refused_once_committed(real_engine, cook_side, meal["id"], arrange)
    assert [getattr(e, "rule", None) for e in raised] == ["not_a_cover_candidate"]


def test_a_cover_taken_by_a_cook_while_the_diners_allergy_is_added_is_refused(
    real_engine: Engine,
):
    """The cook's own "take this meal" waits for a change of the diner's allergies as staff's
    record of a cover does, and is judged on the new needs (the diner's row, locked between
    the cook's and the meal's)."""
    if real_engine.dialect.name != "postgresql":
        pytest.skip("row locks between concurrent writers: PostgreSQL only")
    with TestClient(app) as client:
        world = committed_active_pairing(client, real_engine, TEST_SETTINGS)
        helper, _ = _helper_cook(client, real_engine, world, allergen_free=["peanuts"])
        meal = _meal_needing_cover(client, world)
    with Session(real_engine, expire_on_commit=False) as change_side:
        staff = change_side.get(User, world.staff_id)
        diner = change_side.get(Diner, world.diner_id)
        assert staff is not None and diner is not None
        more = DinerUpdate(allergies=[*diner.allergies, "tree_nuts"])
        change_diner(change_side, actor=staff, diner=diner, body=more, settings=TEST_SETTINGS)

        def take(session: Session) -> object:
            user = session.get(User, helper.id)
            assert user is not None
            return take_cover(session, user=user, meal_id=meal["id"])

        raised = _refused_once_committed(real_engine, change_side, meal["id"], take)
    assert [type(e) for e in raised] == [NotFound]  # no longer one this cook may take
