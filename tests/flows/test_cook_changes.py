"""A cook changes their own profile (PUT /api/cooks/me): a diner they cook for, or are invited
to, must never get a meal the new profile no longer makes safely. Before, nothing looked at the
cook's pairings: a cook who stopped cooking peanut-free kept Edna (allergic to peanuts), her
meals and her label "Made free from: peanuts", and could accept an invitation to her."""

from __future__ import annotations

from datetime import date

import pytest
from fastapi.testclient import TestClient
from sqlmodel import Session, col, select

from app.config import Settings
from app.models import Concern, Cook, Council, Diner, Meal, Notification, Pairing, User
from tests.factories import (
    active_pairing,
    auth_headers,
    cook_payload,
    covering_helper,
    create_user,
    proposed_pairing,
)


@pytest.fixture
def coordinator(session: Session, staff: User) -> User:
    council = session.get(Council, staff.council_id)
    assert council is not None
    return create_user(session, role="staff", council=council)


def future_meals(session: Session, pairing_id: int) -> list[Meal]:
    return list(
        session.exec(
            select(Meal).where(Meal.pairing_id == pairing_id, col(Meal.date) >= date.today())
        )
    )


def stored(session: Session, pairing_id: int) -> Pairing:
    """The pairing as the database has it now."""
    pairing = session.get(Pairing, pairing_id)
    assert pairing is not None
    session.refresh(pairing)
    return pairing


def told(session: Session) -> dict[int, str]:
    """Who was told that a pairing stopped for safety, and the subject they were sent."""
    rows = session.exec(
        select(Notification).where(Notification.event == "pairing_needs_changed")
    ).all()
    return {n.to_user_id: n.subject for n in rows if n.to_user_id is not None}


def test_an_active_pairing_pauses_when_the_cook_stops_cooking_free_from_the_diners_allergen(
    client: TestClient, session: Session, settings: Settings, staff: User, coordinator: User
):
    world = active_pairing(client, session, settings, staff, coordinator=coordinator)
    assert {m.status for m in future_meals(session, world.pairing_id)} == {"scheduled"}
    saved = client.put(
        "/api/cooks/me", json=cook_payload(allergen_free=["tree_nuts"]), headers=world.cook_headers
    )
    assert saved.status_code == 200, saved.text
    pairing = stored(session, world.pairing_id)
    assert (pairing.status, pairing.pause_reason) == ("paused", "cook_changed")
    meals = future_meals(session, world.pairing_id)
    assert meals and {(m.status, m.cancel_reason) for m in meals} == {("cancelled", "cook_changed")}
    sent = told(session)
    assert set(sent) == {world.cook.id, coordinator.id, world.carer.id}
    assert sent[world.cook.id] == "Meals for Edna are paused: please don't bring the next one"
    assert "Priya's profile changed" in sent[coordinator.id]
    # What is missing, in words the cook and staff read (not the rule's "the cook cannot").
    bodies = session.exec(
        select(Notification.body).where(Notification.event == "pairing_needs_changed")
    ).all()
    assert sum("(food free from peanuts)" in body for body in bodies) == 2  # cook and staff
    # The carer's page says why, and the staff's record of the diner too.
    carer_view = client.get(f"/api/diners/{world.diner_id}", headers=world.carer_headers)
    assert carer_view.json()["pairing"]["pause_reason"] == "cook_changed"


def test_a_proposal_is_withdrawn_when_the_cook_moves_beyond_their_walk_to_the_diner(
    client: TestClient, session: Session, settings: Settings, staff: User, coordinator: User
):
    world = proposed_pairing(client, session, settings, staff, coordinator=coordinator)
    # EN5 1 (still Barnet) is 4.6 km from Edna; Priya walks 1,500 m.
    saved = client.put(
        "/api/cooks/me", json=cook_payload(postcode="EN5 1AA"), headers=world.cook_headers
    )
    assert saved.status_code == 200, saved.text
    pairing = stored(session, world.pairing_id)
    assert (pairing.status, pairing.end_reason) == (
        "withdrawn",
        "cook_moved",
    )  # any move: see below
    accepted = client.post(f"/api/pairings/{world.pairing_id}/accept", headers=world.cook_headers)
    assert accepted.status_code == 409
    assert set(told(session)) == {world.cook.id, coordinator.id}


def test_the_carer_is_told_the_cook_moved_away_not_that_their_cooking_changed(
    client: TestClient, session: Session, settings: Settings, staff: User, coordinator: User
):
    """The carer read "What Priya can cook no longer meets Edna's needs" of a cook who had only
    moved, and the coordinator "(a home within the walk)" (an outside check)."""
    world = active_pairing(client, session, settings, staff, coordinator=coordinator)

    moved = client.put(
        "/api/cooks/me", json=cook_payload(postcode="EN5 1AA"), headers=world.cook_headers
    )

    assert moved.status_code == 200, moved.text
    paused = select(Notification).where(Notification.event == "pairing_needs_changed")
    said = {n.to_user_id: n.body for n in session.exec(paused)}
    assert said[world.carer.id].startswith(
        "Priya has moved, and now lives too far from Edna to bring the meals"
    )
    assert "(living within walking distance)" in said[coordinator.id]


def test_a_cook_who_moves_within_their_walk_sees_the_walk_from_their_new_home(
    client: TestClient, session: Session, settings: Settings, staff: User, coordinator: User
):
    """The distance a pairing shows was the one when it was proposed, whoever moved since."""
    world = active_pairing(client, session, settings, staff, coordinator=coordinator)

    moved = client.put(
        "/api/cooks/me", json=cook_payload(postcode="N3 2AA"), headers=world.cook_headers
    )

    assert moved.status_code == 200, moved.text
    pairings = client.get("/api/cooks/me/pairings", headers=world.cook_headers).json()
    assert [p["diner"]["distance_m"] for p in pairings["items"]] == [1000]  # was 200


def test_a_cook_whose_new_times_miss_the_pairings_day_keeps_it_and_the_coordinator_is_asked(
    client: TestClient, session: Session, settings: Settings, staff: User, coordinator: User
):
    """Priya stopped offering Tuesdays, her meals with Edna went on on Tuesdays, and nobody was
    told (an outside check)."""
    world = active_pairing(client, session, settings, staff, coordinator=coordinator)
    thursdays = [{"weekday": 3, "start": "17:00", "end": "19:00"}]

    saved = client.put(
        "/api/cooks/me", json=cook_payload(availability=thursdays), headers=world.cook_headers
    )

    assert saved.status_code == 200, saved.text
    assert stored(session, world.pairing_id).status == "active"  # continuity first
    asked = session.exec(select(Notification).where(Notification.event == "cook_times_changed"))
    assert [(n.to_user_id, n.subject) for n in asked] == [
        (coordinator.id, "Priya's new times no longer include Edna's meal")
    ]
    again = client.put(
        "/api/cooks/me", json=cook_payload(availability=thursdays), headers=world.cook_headers
    )
    assert again.status_code == 200  # the same times again: nothing new to tell
    assert len(session.exec(select(Notification).where(
        Notification.event == "cook_times_changed")).all()) == 1  # fmt: skip


def test_a_change_that_keeps_the_diner_safe_leaves_the_pairing_and_its_meals(
    client: TestClient, session: Session, settings: Settings, staff: User
):
    world = active_pairing(client, session, settings, staff)
    saved = client.put(
        "/api/cooks/me",
        json=cook_payload(allergen_free=["peanuts"], diets=["vegetarian"], max_diners=3),
        headers=world.cook_headers,
    )
    assert saved.status_code == 200, saved.text
    pairing = stored(session, world.pairing_id)
    assert pairing.status == "active"
    assert {m.status for m in future_meals(session, world.pairing_id)} == {"scheduled"}
    assert told(session) == {}


def test_accepting_is_refused_when_the_cook_no_longer_meets_the_diners_needs(
    client: TestClient, session: Session, settings: Settings, staff: User
):
    """However the proposal came to be unsafe (here the profile is changed behind the flow's
    back), saying yes checks the safety rules again: 409, and nothing is saved."""
    world = proposed_pairing(client, session, settings, staff)
    cook = session.get(Cook, world.cook_id)
    assert cook is not None
    cook.textures = ["regular"]  # Edna eats soft and bite-sized food
    session.add(cook)
    session.commit()
    accepted = client.post(f"/api/pairings/{world.pairing_id}/accept", headers=world.cook_headers)
    assert accepted.status_code == 409, accepted.text
    assert "a texture the cook cannot make" in accepted.json()["detail"]
    pairing = stored(session, world.pairing_id)
    assert pairing.status == "proposed" and not future_meals(session, world.pairing_id)


def test_a_cover_the_cook_can_no_longer_make_safely_goes_back_to_seeking_cover(
    client: TestClient, session: Session, settings: Settings, staff: User
):
    world = active_pairing(client, session, settings, staff)
    helper, meal = covering_helper(client, session, settings, staff, pairing_id=world.pairing_id)
    saved = client.put(
        "/api/cooks/me",
        json=cook_payload(postcode="N3 1BU", display_name="Helper", allergen_free=[]),
        headers=auth_headers(helper, settings),
    )
    assert saved.status_code == 200, saved.text
    session.refresh(meal)
    assert (meal.status, meal.cook_id) == ("needs_cover", None)
    pairing = stored(session, world.pairing_id)
    assert pairing.status == "active"  # Priya's own pairing is untouched


def test_a_cook_covering_a_paused_pairings_meal_is_told_it_is_cancelled_not_blamed(
    client: TestClient, session: Session, settings: Settings, staff: User
):
    """The review found the cover cook sent "Your profile changed" for Priya's change."""
    world = active_pairing(client, session, settings, staff)
    helper, _ = covering_helper(client, session, settings, staff, pairing_id=world.pairing_id)
    saved = client.put(
        "/api/cooks/me", json=cook_payload(allergen_free=["tree_nuts"]), headers=world.cook_headers
    )
    assert saved.status_code == 200, saved.text
    sent = told(session)
    assert "Your profile" not in sent[helper.id] and "offered to cover" in sent[helper.id]


def test_a_new_allergen_dropped_pauses_even_when_another_was_already_beyond_the_cook(
    client: TestClient, session: Session, settings: Settings, staff: User
):
    """Edna is allergic to peanuts and milk; Priya never cooked milk-free. Comparing the names
    of the rules broken ("allergen_unsafe" before and after) saw nothing new."""
    world = active_pairing(client, session, settings, staff)
    diner = session.get(Diner, world.diner_id)
    assert diner is not None
    diner.allergies = ["peanuts", "milk"]
    session.add(diner)
    session.commit()
    saved = client.put(
        "/api/cooks/me", json=cook_payload(allergen_free=["tree_nuts"]), headers=world.cook_headers
    )
    assert saved.status_code == 200, saved.text
    pairing = stored(session, world.pairing_id)
    assert (pairing.status, pairing.pause_reason) == ("paused", "cook_changed")


def test_a_cook_who_walks_less_far_keeps_the_neighbours_they_have(
    client: TestClient, session: Session, settings: Settings, staff: User
):
    """Edna lives about 300 m away; Priya now walks 100 m. Continuity first: the narrower walk
    is for new matches."""
    world = active_pairing(client, session, settings, staff)
    saved = client.put(
        "/api/cooks/me", json=cook_payload(walk_radius_m=100), headers=world.cook_headers
    )
    assert saved.status_code == 200, saved.text
    pairing = stored(session, world.pairing_id)
    assert pairing.status == "active" and told(session) == {}


def test_the_cook_putting_their_profile_right_brings_the_meals_back(
    client: TestClient, session: Session, settings: Settings, staff: User, coordinator: User
):
    world = active_pairing(client, session, settings, staff, coordinator=coordinator)
    planned = {m.date for m in future_meals(session, world.pairing_id)}
    headers = world.cook_headers
    dropped = client.put("/api/cooks/me", json=cook_payload(allergen_free=[]), headers=headers)
    assert dropped.status_code == 200, dropped.text
    paused = stored(session, world.pairing_id)
    assert paused.status == "paused"
    back = client.put("/api/cooks/me", json=cook_payload(), headers=headers)
    assert back.status_code == 200, back.text
    pairing = stored(session, world.pairing_id)
    assert (pairing.status, pairing.pause_reason) == ("active", None)
    meals = future_meals(session, world.pairing_id)
    assert {m.date for m in meals if m.status == "scheduled"} == planned
    resumed = session.exec(
        select(Notification.to_user_id).where(Notification.event == "pairing_resumed")
    ).all()
    assert set(resumed) == {coordinator.id, world.carer.id}


def test_a_cook_who_now_offers_the_diners_new_need_has_their_meals_back(
    client: TestClient, session: Session, settings: Settings, staff: User, coordinator: User
):
    """Edna's carer added sesame; Priya, paused for it, starts cooking sesame-free. The pause
    stayed: only the carer taking sesame off again, or staff ending the pairing, moved it (an
    outside check found it)."""
    world = active_pairing(client, session, settings, staff, coordinator=coordinator)
    planned = {m.date for m in future_meals(session, world.pairing_id)}
    added = client.patch(
        f"/api/diners/{world.diner_id}",
        json={"allergies": ["peanuts", "sesame"]},
        headers=world.carer_headers,
    )
    assert added.status_code == 200, added.text
    assert stored(session, world.pairing_id).pause_reason == "needs_changed"

    offered = client.put(
        "/api/cooks/me",
        json=cook_payload(allergen_free=["peanuts", "tree_nuts", "sesame"]),
        headers=world.cook_headers,
    )

    assert offered.status_code == 200, offered.text
    pairing = stored(session, world.pairing_id)
    assert (pairing.status, pairing.pause_reason) == ("active", None)
    meals = future_meals(session, world.pairing_id)
    assert {m.date for m in meals if m.status == "scheduled"} == planned
    resumed = session.exec(
        select(Notification.to_user_id).where(Notification.event == "pairing_resumed")
    ).all()
    assert set(resumed) == {coordinator.id, world.carer.id}


def test_a_cook_change_that_still_misses_the_diners_new_need_keeps_the_pause(
    client: TestClient, session: Session, settings: Settings, staff: User
):
    world = active_pairing(client, session, settings, staff)
    added = client.patch(
        f"/api/diners/{world.diner_id}",
        json={"allergies": ["peanuts", "sesame"]},
        headers=world.carer_headers,
    )
    assert added.status_code == 200, added.text

    other = client.put(
        "/api/cooks/me", json=cook_payload(display_name="Priya S"), headers=world.cook_headers
    )

    assert other.status_code == 200, other.text
    pairing = stored(session, world.pairing_id)
    assert (pairing.status, pairing.pause_reason) == ("paused", "needs_changed")


def test_a_pause_stays_while_a_serious_concern_about_the_pairing_is_open(
    client: TestClient, session: Session, settings: Settings, staff: User
):
    """Putting the profile right lifts only the cook's own pause, never a concern's."""
    world = active_pairing(client, session, settings, staff)
    headers = world.cook_headers
    dropped = client.put("/api/cooks/me", json=cook_payload(allergen_free=[]), headers=headers)
    assert dropped.status_code == 200, dropped.text
    pairing = stored(session, world.pairing_id)
    assert pairing.status == "paused"
    session.add(
        Concern(
            council_id=pairing.council_id,
            diner_id=world.diner_id,
            pairing_id=pairing.id,
            raised_by_id=world.carer.id,
            kind="safeguarding",
            serious=True,
            description="Worried about the last visit",
        )
    )
    session.commit()
    assert client.put("/api/cooks/me", json=cook_payload(), headers=headers).status_code == 200
    session.refresh(pairing)
    assert (pairing.status, pairing.pause_reason) == ("paused", "cook_changed")


def test_an_invited_cook_who_moves_loses_the_invitation_and_its_distance_stays(
    client: TestClient, session: Session, settings: Settings, staff: User, coordinator: User
):
    """An outside check: an invited cook saved postcode after postcode, read the diner's distance
    re-measured from each, and placed the diner's home to about 12 m before accepting."""
    world = proposed_pairing(client, session, settings, staff, coordinator=coordinator)
    before = stored(session, world.pairing_id).distance_m
    shown = client.get("/api/cooks/me/pairings", headers=world.cook_headers).json()["items"]

    moved = client.put(
        "/api/cooks/me", json=cook_payload(postcode="N3 2AA"), headers=world.cook_headers
    )

    assert moved.status_code == 200, moved.text
    pairing = stored(session, world.pairing_id)
    assert (pairing.status, pairing.end_reason) == ("withdrawn", "cook_moved")
    assert pairing.distance_m == before  # not re-measured from the new home
    everything = client.get(
        "/api/cooks/me/pairings", params={"status": "withdrawn"}, headers=world.cook_headers
    ).json()["items"]
    assert [p["diner"]["distance_m"] for p in everything] == [
        p["diner"]["distance_m"] for p in shown
    ]
    said = {
        n.to_user_id: n
        for n in session.exec(
            select(Notification).where(Notification.event == "pairing_needs_changed")
        )
    }
    assert said[world.cook.id].body.startswith("You have moved home, so the invitation to cook")
    assert "confirm Priya's new address" in said[coordinator.id].body
    diner = session.get(Diner, world.diner_id)
    assert diner is not None and diner.status == "waiting"


def test_accepting_waits_for_staff_to_confirm_a_cook_who_has_moved(
    client: TestClient, session: Session, settings: Settings, staff: User
):
    world = proposed_pairing(client, session, settings, staff)
    cook = session.get(Cook, world.cook_id)
    assert cook is not None
    cook.location_review = True  # moved within the council since the proposal
    session.add(cook)
    session.commit()
    accepted = client.post(f"/api/pairings/{world.pairing_id}/accept", headers=world.cook_headers)
    assert accepted.status_code == 409, accepted.text
    assert "the council has still to confirm your new address" in accepted.json()["detail"]


def test_a_cook_who_moves_away_and_back_has_their_meals_back(
    client: TestClient, session: Session, settings: Settings, staff: User, coordinator: User
):
    """An outside check: Sam moved out of reach (the pairing paused), then back; the carer and
    coordinator read "back on with Sam", and every coming meal went to cover, with cover
    requests saying "the usual cook is away". His new home awaits the council's review, which
    holds back new neighbours (proposals, cover), not the one he already cooks for."""
    world = active_pairing(client, session, settings, staff, coordinator=coordinator)
    for postcode in ("EN5 1AA", "N3 1HT"):
        moved = client.put(
            "/api/cooks/me", json=cook_payload(postcode=postcode), headers=world.cook_headers
        )
        assert moved.status_code == 200, moved.text
    cook = session.get(Cook, world.cook_id)
    assert cook is not None
    session.refresh(cook)
    assert cook.location_review  # two moves: the council has still to look
    pairing = stored(session, world.pairing_id)
    assert (pairing.status, pairing.pause_reason) == ("active", None)
    meals = future_meals(session, world.pairing_id)
    assert meals and {(m.status, m.cook_id) for m in meals} == {("scheduled", world.cook_id)}
    asked = session.exec(select(Notification).where(Notification.event == "cover_request"))
    assert asked.all() == []


def test_a_cook_who_chose_texts_is_told_by_text_not_to_bring_the_next_meal(
    client: TestClient, session: Session, settings: Settings, staff: User, coordinator: User
):
    """An outside check: "Meals for Edna are paused: please don't bring the next one" went
    only by email to a cook who had chosen texts, though "do not come to the door" is what
    texts are for."""
    world = active_pairing(client, session, settings, staff, coordinator=coordinator)
    world.cook.contact_preference, world.cook.phone = "sms", "+447911123456"
    session.add(world.cook)
    session.commit()
    changed = client.patch(
        f"/api/diners/{world.diner_id}",
        json={"allergies": ["peanuts", "sesame"]},
        headers=world.carer_headers,
    )
    assert changed.status_code == 200, changed.text
    to_cook = session.exec(
        select(Notification).where(
            Notification.to_user_id == world.cook.id,
            Notification.event == "pairing_needs_changed",
        )
    ).all()
    assert [n.channel for n in to_cook] == ["sms"]
