"""Staff recording a cover a cook agreed to by phone (app.meals.staff_cover.arrange_cover): the
same checks and steps as the cook taking it from their own page (cover.take_cover)."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient
from sqlmodel import Session, select

from app.config import Settings
from app.errors import Conflict, NotFound, RuleBroken
from app.meals.staff_cover import arrange_cover, cover_plan
from app.models import Council, Diner, Meal, Notification, User
from app.vocab import MealStatus
from tests.factories import (
    PairingWorld,
    active_pairing,
    approved_cook,
    auth_headers,
    create_user,
)


@pytest.fixture
def coordinator(session: Session, barnet: Council) -> User:
    return create_user(session, role="staff", council=barnet, full_name="Cora Coordinator")


@pytest.fixture
def world(
    client: TestClient, session: Session, settings: Settings, staff: User, coordinator: User
) -> PairingWorld:
    """Edna's next meal needs cover (Priya is away); Finchley has a coordinator."""
    world = active_pairing(client, session, settings, staff, coordinator=coordinator)
    meal = client.get("/api/cooks/me/meals", headers=world.cook_headers).json()["items"][0]
    away = {"from": meal["date"], "to": meal["date"]}
    assert client.post("/api/cooks/me/away", json=away, headers=world.cook_headers).is_success
    return world


@pytest.fixture
def helper_cook(
    client: TestClient, session: Session, settings: Settings, staff: User, world: PairingWorld
) -> tuple[User, int]:
    """An approved cook near Edna (N3 1BU) who could cover her meal: their user and cook id."""
    return approved_cook(client, session, settings, staff, postcode="N3 1BU", display_name="Helper")


def next_meal(session: Session, world: PairingWorld) -> Meal:
    meal = session.exec(
        select(Meal).where(Meal.pairing_id == world.pairing_id, Meal.status == "needs_cover")
    ).first()
    assert meal is not None and meal.id is not None
    return meal


def told(session: Session, event: str) -> dict[int, str]:
    rows = session.exec(select(Notification).where(Notification.event == event))
    return {n.to_user_id: n.body for n in rows if n.to_user_id is not None}


def test_the_coordinator_is_told_unless_they_arranged_it_themselves(
    client: TestClient,
    session: Session,
    settings: Settings,
    staff: User,
    coordinator: User,
    world: PairingWorld,
    helper_cook: tuple[User, int],
):
    helper, helper_id = helper_cook
    meal = next_meal(session, world)
    assert meal.id is not None
    arrange_cover(session, staff=staff, meal_id=meal.id, cook_id=helper_id)
    assert (meal.status, meal.cook_id, meal.is_cover) == (MealStatus.scheduled, helper_id, True)
    said = told(session, "cover_arranged")
    assert set(said) == {world.carer.id, world.cook.id, coordinator.id, helper.id}
    assert said[coordinator.id] == said[world.carer.id]  # as when the cook takes it


def test_a_diner_without_a_carer_leaves_the_call_to_whoever_arranged_it(
    client: TestClient,
    session: Session,
    settings: Settings,
    staff: User,
    coordinator: User,
    world: PairingWorld,
    helper_cook: tuple[User, int],
):
    diner = session.get(Diner, world.diner_id)
    assert diner is not None
    diner.carer_id = None  # as a diner staff referred
    session.add(diner)
    _, helper_id = helper_cook
    meal = next_meal(session, world)
    assert meal.id is not None
    arrange_cover(session, staff=coordinator, meal_id=meal.id, cook_id=helper_id)
    said = told(session, "cover_arranged")
    assert coordinator.id not in said  # they arranged it: the page asks them to tell Edna
    assert "no carer" not in said[world.cook.id]


def test_arranging_is_refused_for_another_councils_meal_or_cook_and_a_meal_taken_meanwhile(
    client: TestClient,
    session: Session,
    settings: Settings,
    staff: User,
    tower_hamlets: Council,
    world: PairingWorld,
    helper_cook: tuple[User, int],
):
    helper, helper_id = helper_cook
    spare, spare_id = approved_cook(client, session, settings, staff, postcode="N3 1QX")
    meal = next_meal(session, world)
    assert meal.id is not None
    elsewhere = create_user(session, role="staff", council=tower_hamlets)
    with pytest.raises(NotFound):
        arrange_cover(session, staff=elsewhere, meal_id=meal.id, cook_id=helper_id)
    with pytest.raises(NotFound):
        cover_plan(session, staff=elsewhere, meal_id=meal.id)
    with pytest.raises(RuleBroken) as not_ours:
        arrange_cover(session, staff=staff, meal_id=meal.id, cook_id=10**8)
    assert not_ours.value.loc == ["body", "cook_id"]
    assert [c.cook_id for c in cover_plan(session, staff=staff, meal_id=meal.id).candidates] == [
        spare_id,
        helper_id,
    ]  # nearest first: Spare lives on Edna's street
    session.commit()
    taken = client.post(f"/api/meals/{meal.id}/cover", headers=auth_headers(helper, settings))
    assert taken.status_code == 200, taken.text
    with pytest.raises(Conflict):
        arrange_cover(session, staff=staff, meal_id=meal.id, cook_id=spare_id)
    plan = cover_plan(session, staff=staff, meal_id=meal.id)
    assert not plan.needs_cover and plan.candidates == [] and plan.cook_name == helper.full_name
    assert spare.id not in told(session, "cover_arranged")


def test_the_api_records_a_cover_as_the_page_does_with_its_errors(
    client: TestClient,
    session: Session,
    settings: Settings,
    staff: User,
    tower_hamlets: Council,
    world: PairingWorld,
    helper_cook: tuple[User, int],
):
    helper, helper_id = helper_cook
    far, far_id = approved_cook(
        client, session, settings, staff, postcode="EN5 1AA", walk_radius_m=800
    )
    meal = next_meal(session, world)
    path = f"/api/staff/meals/{meal.id}/cover"
    elsewhere = create_user(session, role="staff", council=tower_hamlets)
    hidden = client.post(
        path, json={"cook_id": helper_id}, headers=auth_headers(elsewhere, settings)
    )
    assert hidden.status_code == 404
    as_staff = auth_headers(staff, settings)
    refused = client.post(path, json={"cook_id": far_id}, headers=as_staff)
    assert refused.status_code == 422
    [problem] = refused.json()["detail"]
    assert (problem["type"], problem["loc"]) == ("not_a_cover_candidate", ["body", "cook_id"])
    done = client.post(path, json={"cook_id": helper_id}, headers=as_staff)
    assert done.status_code == 200, done.text
    assert (done.json()["status"], done.json()["cook_id"]) == ("scheduled", helper_id)
    again = client.post(path, json={"cook_id": helper_id}, headers=as_staff)
    assert again.status_code == 409
    assert again.json()["detail"] == "This meal no longer needs cover"
    mine = client.get("/api/cooks/me/meals", headers=auth_headers(helper, settings)).json()
    assert meal.id in [m["id"] for m in mine["items"]]
    assert far.id not in told(session, "cover_arranged")


def test_a_diner_without_a_carer_is_left_to_whoever_recorded_it_not_the_coordinator_too(
    client: TestClient,
    session: Session,
    settings: Settings,
    staff: User,
    coordinator: User,
    world: PairingWorld,
    helper_cook: tuple[User, int],
):
    """Another staff member recorded it: the coordinator hears who will bring the meal, and
    is not asked to let Edna know as well (the page asks the one who recorded it; a review
    found both asked)."""
    diner = session.get(Diner, world.diner_id)
    assert diner is not None
    diner.carer_id = None
    session.add(diner)
    _, helper_id = helper_cook
    meal = next_meal(session, world)
    assert meal.id is not None
    arrange_cover(session, staff=staff, meal_id=meal.id, cook_id=helper_id)
    said = told(session, "cover_arranged")
    assert staff.id not in said
    assert said[coordinator.id].startswith("Helper will bring Edna's meal")
    assert "no carer" not in said[coordinator.id] and "let Edna know" not in said[coordinator.id]
