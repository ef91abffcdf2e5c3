"""Suggestions, proposals, batch matching and the cook's answer, through the API."""

from __future__ import annotations

import math
from datetime import date, timedelta

import pytest
from fastapi.testclient import TestClient
from sqlmodel import Session, select

from app.config import Settings
from app.councils.rules import council_today
from app.geo.distance import EARTH_MEAN_RADIUS_M
from app.matching.inputs import first_meal_day
from app.models import AuditEntry, Cook, Council, Diner, Notification, Pairing, User
from tests.factories import (
    approved_cook,
    auth_headers,
    cook_payload,
    create_user,
    diner_payload,
    registered_diner,
    signed_up_cook,
)


def propose(client: TestClient, staff_headers: dict, diner_id: int, cook_id: int, **over: object):
    body = {
        "diner_id": diner_id,
        "cook_id": cook_id,
        "weekday": 1,
        "start": "17:30",
        "frequency": "weekly",
    }
    return client.post("/api/staff/pairings", json=body | over, headers=staff_headers)


def test_suggestions_rank_safe_cooks_with_reasons_when_diner_waiting(
    client: TestClient, session: Session, settings: Settings, staff: User
):
    _, near = approved_cook(
        client, session, settings, staff, display_name="Near", postcode="N3 1QX"
    )
    _, far = approved_cook(client, session, settings, staff, display_name="Far", postcode="N3 1HT")
    approved_cook(client, session, settings, staff, display_name="Unsafe", allergen_free=[])
    signed_up_cook(client, session, settings, display_name="Pending")
    _, diner_id = registered_diner(client, session, settings)
    response = client.get(
        f"/api/staff/diners/{diner_id}/suggestions", headers=auth_headers(staff, settings)
    )
    assert response.status_code == 200, response.text
    body = response.json()
    assert [i["cook_id"] for i in body["items"]] == [near, far]
    assert body["unmatched_reason"] is None
    first = body["items"][0]
    assert any("m away" in r for r in first["reasons"]) and any(
        "Tuesday" in r for r in first["reasons"]
    )
    assert first["slots"] == [{"weekday": 1, "start": "17:30", "end": "19:00"}]
    assert first["distance_m"] % 10 == 0


def test_suggestions_say_why_when_no_cook_in_reach(
    client: TestClient, session: Session, settings: Settings, staff: User
):
    _, diner_id = registered_diner(client, session, settings)
    body = client.get(
        f"/api/staff/diners/{diner_id}/suggestions", headers=auth_headers(staff, settings)
    ).json()
    assert body == {"items": [], "unmatched_reason": "no_cook_in_reach"}


def test_proposal_breaking_allergen_rule_gets_422_when_cook_not_free_from_it(
    client: TestClient, session: Session, settings: Settings, staff: User
):
    _, cook_id = approved_cook(client, session, settings, staff, allergen_free=["milk"])
    _, diner_id = registered_diner(client, session, settings, allergies=["peanuts"])
    response = propose(client, auth_headers(staff, settings), diner_id, cook_id)
    assert response.status_code == 422
    # At the field sent that is at fault (the choice of cook), naming the cook: a review read
    # loc "allergies", no field of the request, and "cook 363".
    assert response.json()["detail"] == [
        {
            "loc": ["body", "cook_id"],
            "msg": "Priya cannot cook free from peanuts",
            "type": "allergen_unsafe",
        }
    ]


def test_proposal_gets_422_when_time_or_reach_rule_broken(
    client: TestClient, session: Session, settings: Settings, staff: User
):
    headers = auth_headers(staff, settings)
    _, cook_id = approved_cook(client, session, settings, staff)
    _, diner_id = registered_diner(client, session, settings)
    assert (
        propose(client, headers, diner_id, cook_id, weekday=3).json()["detail"][0]["type"]
        == "no_shared_time"
    )
    # A frequency the cook does not offer is blamed on `frequency` (before: on `weekday`).
    monthly = propose(client, headers, diner_id, cook_id, frequency="monthly").json()["detail"]
    assert [(e["loc"], e["type"]) for e in monthly] == [(["body", "frequency"], "no_shared_time")]
    _, far_cook = approved_cook(
        client, session, settings, staff, postcode="EN5 1AA", walk_radius_m=500
    )
    assert (
        propose(client, headers, diner_id, far_cook).json()["detail"][0]["type"] == "out_of_reach"
    )


def test_proposal_conflicts_when_diner_already_has_open_pairing_or_cook_full(
    client: TestClient, session: Session, settings: Settings, staff: User
):
    headers = auth_headers(staff, settings)
    _, cook_id = approved_cook(client, session, settings, staff, max_diners=1)
    _, other_cook = approved_cook(client, session, settings, staff)
    _, diner_a = registered_diner(client, session, settings)
    _, diner_b = registered_diner(client, session, settings)
    created = propose(client, headers, diner_a, cook_id)
    assert created.status_code == 201, created.text
    pairing = created.json()
    assert pairing["status"] == "proposed" and pairing["diner"]["address_line"] is None
    assert pairing["cook"]["display_name"] == "Priya" and pairing["diner"]["first_name"] == "Edna"
    full = propose(client, headers, diner_b, cook_id)
    assert full.status_code == 409  # cook full, saying what counts (a paused pairing too)
    assert full.json()["detail"] == (
        "The cook has no place left (proposed, active and paused pairings count: a pause "
        "keeps the place for its diner)"
    )
    assert propose(client, headers, diner_a, other_cook).status_code == 409  # diner taken


def test_cook_sees_address_only_after_accepting_when_invited(
    client: TestClient, session: Session, settings: Settings, staff: User
):
    cook_user, cook_id = approved_cook(client, session, settings, staff)
    carer, diner_id = registered_diner(client, session, settings)
    pairing_id = propose(client, auth_headers(staff, settings), diner_id, cook_id).json()["id"]
    cook_headers = auth_headers(cook_user, settings)
    [invite] = client.get("/api/cooks/me/pairings", headers=cook_headers).json()["items"]
    assert invite["diner"]["address_line"] is None and invite["diner"]["access_notes"] is None
    assert invite["diner"]["distance_m"] % 100 == 0
    accepted = client.post(f"/api/pairings/{pairing_id}/accept", headers=cook_headers)
    assert accepted.status_code == 200, accepted.text
    assert accepted.json()["status"] == "active"
    assert accepted.json()["diner"]["address_line"] == "3 Quiet Close"
    diner = client.get(f"/api/diners/{diner_id}", headers=auth_headers(carer, settings)).json()
    assert diner["status"] == "matched"
    assert (
        client.post(f"/api/pairings/{pairing_id}/accept", headers=cook_headers).status_code == 409
    )
    viewed = session.exec(
        select(AuditEntry).where(AuditEntry.action == "diner.address_viewed")
    ).all()
    assert viewed and all(v.actor_id == cook_user.id for v in viewed)
    # The acceptance is the cook's act, in the audit log too (an outside check found no actor).
    [accepted_entry] = session.exec(
        select(AuditEntry).where(AuditEntry.action == "pairing.accepted")
    ).all()
    assert accepted_entry.actor_id == cook_user.id


def test_another_cook_gets_404_when_accepting_someone_elses_invitation(
    client: TestClient, session: Session, settings: Settings, staff: User
):
    _, cook_id = approved_cook(client, session, settings, staff)
    intruder, _ = approved_cook(client, session, settings, staff)
    _, diner_id = registered_diner(client, session, settings)
    pairing_id = propose(client, auth_headers(staff, settings), diner_id, cook_id).json()["id"]
    assert (
        client.post(
            f"/api/pairings/{pairing_id}/accept", headers=auth_headers(intruder, settings)
        ).status_code
        == 404
    )


def test_decline_proposes_next_best_cook_when_one_exists(
    client: TestClient, session: Session, settings: Settings, staff: User
):
    first_user, first = approved_cook(client, session, settings, staff, postcode="N3 1QX")
    _, second = approved_cook(client, session, settings, staff, postcode="N3 1HT")
    _, diner_id = registered_diner(client, session, settings)
    pairing_id = propose(client, auth_headers(staff, settings), diner_id, first).json()["id"]
    declined = client.post(
        f"/api/pairings/{pairing_id}/decline", headers=auth_headers(first_user, settings)
    )
    assert declined.status_code == 200 and declined.json()["status"] == "declined"
    [declined_entry] = session.exec(
        select(AuditEntry).where(AuditEntry.action == "pairing.declined")
    ).all()
    assert declined_entry.actor_id == first_user.id
    # The coordinator (here the council's staff) is told, as the cook's page tells them.
    told = session.exec(select(Notification).where(Notification.event == "pairing_declined")).all()
    assert staff.id in {m.to_user_id for m in told}
    from app.models import Pairing

    open_ = session.exec(
        select(Pairing).where(Pairing.diner_id == diner_id, Pairing.status == "proposed")
    ).all()
    assert [p.cook_id for p in open_] == [second]


def test_a_reason_given_through_the_api_reaches_the_coordinator(
    client: TestClient, session: Session, settings: Settings, staff: User
):
    """An outside check: the API took {"reason": ...} with 200 and dropped it; the coordinator
    read "They did not give a reason"."""
    headers = auth_headers(staff, settings)
    cook_user, cook_id = approved_cook(client, session, settings, staff)
    _, diner_id = registered_diner(client, session, settings)
    pairing_id = propose(client, headers, diner_id, cook_id).json()["id"]
    cook = auth_headers(cook_user, settings)
    odd = client.post(f"/api/pairings/{pairing_id}/decline", json={"why": "x"}, headers=cook)
    assert odd.status_code == 422 and odd.json()["detail"][0]["loc"] == ["body", "why"]

    declined = client.post(
        f"/api/pairings/{pairing_id}/decline", json={"reason": "Too busy"}, headers=cook
    )

    assert declined.status_code == 200, declined.text
    told = session.exec(select(Notification).where(Notification.event == "pairing_declined"))
    assert [n.body.endswith("They said:\n\nToo busy") for n in told] == [True]


def test_cook_who_declined_is_not_suggested_or_batched_again_but_may_be_asked_by_hand(
    client: TestClient, session: Session, settings: Settings, staff: User
):
    headers = auth_headers(staff, settings)
    cook_user, cook_id = approved_cook(client, session, settings, staff)
    _, diner_id = registered_diner(client, session, settings)
    pairing_id = propose(client, headers, diner_id, cook_id).json()["id"]
    declined = client.post(
        f"/api/pairings/{pairing_id}/decline", headers=auth_headers(cook_user, settings)
    )
    assert declined.status_code == 200, declined.text
    suggestions = client.get(f"/api/staff/diners/{diner_id}/suggestions", headers=headers)
    assert suggestions.status_code == 200 and suggestions.json()["items"] == []
    ran = client.post("/api/staff/matching/run", headers=headers).json()
    assert ran["proposed"] == []
    assert [u["diner_id"] for u in ran["unmatched"]] == [diner_id]
    # The cook changed their mind on the phone: the coordinator can still ask them by hand.
    again = propose(client, headers, diner_id, cook_id)
    assert again.status_code == 201, again.text


def test_batch_matching_proposes_optimal_pairs_and_explains_unmatched(
    client: TestClient, session: Session, settings: Settings, staff: User
):
    headers = auth_headers(staff, settings)
    _, cook_id = approved_cook(client, session, settings, staff, max_diners=1)
    _, diner_a = registered_diner(client, session, settings)
    _, diner_c = registered_diner(
        client, session, settings, availability=[{"weekday": 5, "start": "12:00", "end": "13:00"}]
    )
    response = client.post("/api/staff/matching/run", headers=headers)
    assert response.status_code == 200, response.text
    body = response.json()
    assert [(p["diner_id"], p["cook_id"]) for p in body["proposed"]] == [(diner_a, cook_id)]
    assert body["unmatched"] == [
        {"diner_id": diner_c, "first_name": "Edna", "reason": "no_shared_time"}
    ]
    again = client.post("/api/staff/matching/run", headers=headers).json()
    assert again["proposed"] == []  # diner_a's proposal is kept, not duplicated


def test_suspending_cook_withdraws_proposals_and_frees_diner_when_suspended(
    client: TestClient, session: Session, settings: Settings, staff: User
):
    headers = auth_headers(staff, settings)
    cook_user, cook_id = approved_cook(client, session, settings, staff)
    _, diner_id = registered_diner(client, session, settings)
    pairing_id = propose(client, headers, diner_id, cook_id).json()["id"]
    client.post(f"/api/pairings/{pairing_id}/accept", headers=auth_headers(cook_user, settings))
    client.post(f"/api/staff/cooks/{cook_id}/suspend", json={"reason": "concern"}, headers=headers)
    from app.models import Diner, Pairing

    pairing = session.get(Pairing, pairing_id)
    assert (
        pairing is not None and pairing.status == "ended" and pairing.end_reason == "cook_suspended"
    )
    diner = session.get(Diner, diner_id)
    assert diner is not None and diner.status == "waiting"


def test_staff_withdraws_proposal_when_still_proposed(
    client: TestClient, session: Session, settings: Settings, staff: User
):
    headers = auth_headers(staff, settings)
    cook_user, cook_id = approved_cook(client, session, settings, staff)
    _, diner_id = registered_diner(client, session, settings)
    pairing_id = propose(client, headers, diner_id, cook_id).json()["id"]
    invitation = session.exec(select(Notification).where(Notification.event == "proposal")).one()
    invitation.status = "sent"  # as the worker leaves it
    session.commit()
    withdrawn = client.post(f"/api/staff/pairings/{pairing_id}/withdraw", headers=headers)
    assert withdrawn.status_code == 200 and withdrawn.json()["status"] == "withdrawn"
    # The cook, who was asked "Would you cook for Edna?", is told there is nothing to answer.
    told = session.exec(select(Notification).where(Notification.event == "invitation_withdrawn"))
    assert [(n.to_user_id, n.subject) for n in told] == [
        (cook_user.id, "The invitation to cook for Edna is withdrawn")
    ]
    assert (
        client.post(f"/api/staff/pairings/{pairing_id}/withdraw", headers=headers).status_code
        == 409
    )


@pytest.mark.parametrize("by", ["staff", "diner_leaving"])
def test_an_invitation_not_sent_yet_is_taken_back_when_its_proposal_goes(
    client: TestClient, session: Session, settings: Settings, staff: User, by: str
):
    """A proposal withdrawn seconds after it was made (staff withdrew it, or the diner left)
    still sent "Would you cook for ...?" afterwards (an outside check): unsent, it never goes,
    and nothing is said of a withdrawal the cook never needed to hear of."""
    headers = auth_headers(staff, settings)
    _, cook_id = approved_cook(client, session, settings, staff)
    carer, diner_id = registered_diner(client, session, settings)
    pairing_id = propose(client, headers, diner_id, cook_id).json()["id"]
    if by == "staff":
        gone = client.post(f"/api/staff/pairings/{pairing_id}/withdraw", headers=headers)
    else:
        gone = client.post(
            f"/api/diners/{diner_id}/leave",
            json={"reason": "Moving in with family"},
            headers=auth_headers(carer, settings),
        )
    assert gone.status_code == 200, gone.text
    session.expire_all()
    invitation = session.exec(select(Notification).where(Notification.event == "proposal")).one()
    assert invitation.status == "withdrawn" and invitation.sent_at is None
    withdrawn = select(Notification).where(Notification.event == "invitation_withdrawn")
    assert session.exec(withdrawn).all() == []


def test_cook_is_told_when_the_diner_they_were_invited_to_leaves_before_they_answer(
    client: TestClient, session: Session, settings: Settings, staff: User
):
    """The diner left, the invitation went with them, and the cook heard nothing (an outside
    check): it had been sent, so they are told there is nothing to answer."""
    headers = auth_headers(staff, settings)
    cook_user, cook_id = approved_cook(client, session, settings, staff)
    carer, diner_id = registered_diner(client, session, settings)
    propose(client, headers, diner_id, cook_id)
    invitation = session.exec(select(Notification).where(Notification.event == "proposal")).one()
    invitation.status = "sent"  # as the worker leaves it
    session.commit()
    left = client.post(
        f"/api/diners/{diner_id}/leave",
        json={"reason": "Moving in with family"},
        headers=auth_headers(carer, settings),
    )
    assert left.status_code == 200, left.text
    told = session.exec(select(Notification).where(Notification.event == "invitation_withdrawn"))
    [message] = [(n.to_user_id, n.subject, n.body) for n in told]
    assert message[:2] == (cook_user.id, "The invitation to cook for Edna is withdrawn")
    assert "no longer needs meals" in message[2] and "nothing to answer" in message[2]


def test_staff_see_invited_cook_but_carer_does_not_when_pairing_proposed(
    client: TestClient, session: Session, settings: Settings, staff: User
):
    _, cook_id = approved_cook(client, session, settings, staff)
    carer, diner_id = registered_diner(client, session, settings)
    propose(client, auth_headers(staff, settings), diner_id, cook_id)
    as_staff = client.get(f"/api/staff/diners/{diner_id}", headers=auth_headers(staff, settings))
    assert as_staff.json()["pairing"]["cook"] == {"display_name": "Priya", "id": cook_id}
    as_carer = client.get(f"/api/diners/{diner_id}", headers=auth_headers(carer, settings))
    assert as_carer.json()["pairing"]["status"] == "proposed"
    assert as_carer.json()["pairing"]["cook"] is None


# --- distances shown, walking radii, cooks not to propose (issue 10, issue 11) -----------------


def place_diner(session: Session, diner_id: int, cook_id: int, *, metres_north: float) -> None:
    """Put the diner this many metres due north of the cook (a distance no rounding hides)."""
    cook, diner = session.get(Cook, cook_id), session.get(Diner, diner_id)
    assert cook is not None and diner is not None
    diner.latitude = cook.latitude + math.degrees(metres_north / EARTH_MEAN_RADIUS_M)
    diner.longitude = cook.longitude
    session.add(diner)
    session.flush()


def test_every_distance_outside_staff_is_rounded_to_100_m_when_pairing_proposed(
    client: TestClient, session: Session, settings: Settings, staff: User
):
    cook_user, cook_id = approved_cook(client, session, settings, staff)
    _, diner_id = registered_diner(client, session, settings)
    place_diner(session, diner_id, cook_id, metres_north=437.0)
    created = propose(client, auth_headers(staff, settings), diner_id, cook_id)
    assert created.status_code == 201, created.text
    assert created.json()["diner"]["distance_m"] == 440  # staff: 10 m
    stored = session.get(Pairing, created.json()["id"])
    assert stored is not None and stored.distance_m == pytest.approx(437.0, abs=0.01)
    cook_headers = auth_headers(cook_user, settings)
    export = client.get("/api/me/export", headers=cook_headers)
    assert export.status_code == 200, export.text
    assert [p["distance_m"] for p in export.json()["pairings"]] == [400]
    [invite] = client.get("/api/cooks/me/pairings", headers=cook_headers).json()["items"]
    assert invite["diner"]["distance_m"] == 400
    invitation = session.exec(
        select(Notification).where(
            Notification.to_user_id == cook_user.id, Notification.event == "proposal"
        )
    ).one()
    assert "about 400 m from you" in invitation.body


def test_export_distance_rounds_half_up_when_exactly_between_hundreds(
    client: TestClient, session: Session, settings: Settings, staff: User
):
    cook_user, cook_id = approved_cook(client, session, settings, staff)
    _, diner_id = registered_diner(client, session, settings)
    place_diner(session, diner_id, cook_id, metres_north=650.2)
    assert propose(client, auth_headers(staff, settings), diner_id, cook_id).status_code == 201
    export = client.get("/api/me/export", headers=auth_headers(cook_user, settings)).json()
    assert [p["distance_m"] for p in export["pairings"]] == [700]


def test_suggestion_reason_names_the_card_distance_when_not_a_round_hundred(
    client: TestClient, session: Session, settings: Settings, staff: User
):
    _, cook_id = approved_cook(client, session, settings, staff)
    _, diner_id = registered_diner(client, session, settings)
    place_diner(session, diner_id, cook_id, metres_north=461.0)
    body = client.get(
        f"/api/staff/diners/{diner_id}/suggestions", headers=auth_headers(staff, settings)
    ).json()
    [card] = body["items"]
    assert card["distance_m"] == 460
    assert "460 m away" in card["reasons"]
    assert not any("500 m" in r for r in card["reasons"])


@pytest.mark.parametrize("radius", [250, 1_050, 101])
def test_walk_radius_gets_422_naming_it_when_not_a_multiple_of_100(
    client: TestClient, session: Session, settings: Settings, radius: int
):
    user = create_user(session, role="cook")
    response = client.put(
        "/api/cooks/me",
        json=cook_payload(walk_radius_m=radius),
        headers=auth_headers(user, settings),
    )
    assert response.status_code == 422, response.text
    [error] = response.json()["detail"]
    assert error["loc"][-1] == "walk_radius_m"


def test_cook_awaiting_location_review_is_never_proposed_when_otherwise_a_match(
    client: TestClient, session: Session, settings: Settings, staff: User
):
    headers = auth_headers(staff, settings)
    _, cook_id = approved_cook(client, session, settings, staff)
    _, diner_id = registered_diner(client, session, settings)
    url = f"/api/staff/diners/{diner_id}/suggestions"
    assert [i["cook_id"] for i in client.get(url, headers=headers).json()["items"]] == [cook_id]
    cook = session.get(Cook, cook_id)
    assert cook is not None
    cook.location_review = True  # an approved cook who moved (cooks.service sets it)
    session.add(cook)
    session.flush()
    assert client.get(url, headers=headers).json() == {
        "items": [],
        "unmatched_reason": "no_cook_in_reach",
    }
    refused = propose(client, headers, diner_id, cook_id)
    assert refused.status_code == 422, refused.text
    [error] = refused.json()["detail"]
    assert error["type"] == "location_review" and error["loc"] == ["body", "cook_id"]
    batch = client.post("/api/staff/matching/run", headers=headers).json()
    assert batch["proposed"] == [] and [u["diner_id"] for u in batch["unmatched"]] == [diner_id]


def away_on(client: TestClient, cook_user: User, settings: Settings, day: date) -> None:
    response = client.post(
        "/api/cooks/me/away",
        json={"from": str(day), "to": str(day)},
        headers=auth_headers(cook_user, settings),
    )
    assert response.status_code == 200, response.text


def test_cook_away_on_first_meal_is_not_suggested_or_batched_when_otherwise_a_match(
    client: TestClient, session: Session, settings: Settings, staff: User, barnet: Council
):
    headers = auth_headers(staff, settings)
    cook_user, cook_id = approved_cook(client, session, settings, staff)
    _, diner_id = registered_diner(client, session, settings)  # both free Tuesdays only
    url = f"/api/staff/diners/{diner_id}/suggestions"
    assert [i["cook_id"] for i in client.get(url, headers=headers).json()["items"]] == [cook_id]
    away_on(client, cook_user, settings, first_meal_day(1, council_today(barnet)))
    assert client.get(url, headers=headers).json()["items"] == []
    batch = client.post("/api/staff/matching/run", headers=headers).json()
    assert batch["proposed"] == [] and [u["diner_id"] for u in batch["unmatched"]] == [diner_id]


def test_cook_away_only_later_is_still_proposed_when_first_meal_is_free(
    client: TestClient, session: Session, settings: Settings, staff: User, barnet: Council
):
    headers = auth_headers(staff, settings)
    cook_user, cook_id = approved_cook(client, session, settings, staff)
    _, diner_id = registered_diner(client, session, settings)
    first = first_meal_day(1, council_today(barnet))
    away_on(client, cook_user, settings, first + timedelta(days=7))  # the second Tuesday
    batch = client.post("/api/staff/matching/run", headers=headers).json()
    assert [(p["diner_id"], p["cook_id"]) for p in batch["proposed"]] == [(diner_id, cook_id)]


def test_cook_away_keeps_other_weekdays_when_away_on_only_one_first_meal(
    client: TestClient, session: Session, settings: Settings, staff: User, barnet: Council
):
    both = [
        {"weekday": 1, "start": "17:00", "end": "19:00"},
        {"weekday": 3, "start": "17:00", "end": "19:00"},
    ]
    cook_user, cook_id = approved_cook(client, session, settings, staff, availability=both)
    _, diner_id = registered_diner(client, session, settings, availability=both)
    away_on(client, cook_user, settings, first_meal_day(1, council_today(barnet)))
    [card] = client.get(
        f"/api/staff/diners/{diner_id}/suggestions", headers=auth_headers(staff, settings)
    ).json()["items"]
    assert card["cook_id"] == cook_id
    assert [s["weekday"] for s in card["slots"]] == [3]


def test_proposal_gets_422_cook_away_when_cook_away_on_first_meal(
    client: TestClient, session: Session, settings: Settings, staff: User, barnet: Council
):
    headers = auth_headers(staff, settings)
    cook_user, cook_id = approved_cook(client, session, settings, staff)
    _, diner_id = registered_diner(client, session, settings)
    away_on(client, cook_user, settings, first_meal_day(1, council_today(barnet)))
    refused = propose(client, headers, diner_id, cook_id)
    assert refused.status_code == 422, refused.text
    [error] = refused.json()["detail"]
    assert error["type"] == "cook_away" and error["loc"] == ["body", "cook_id"]
    assert session.exec(select(Pairing).where(Pairing.diner_id == diner_id)).all() == []


def test_decline_skips_cooks_away_or_under_review_when_proposing_next_best(
    client: TestClient, session: Session, settings: Settings, staff: User, barnet: Council
):
    first_user, first = approved_cook(client, session, settings, staff, postcode="N3 1QX")
    away_user, _ = approved_cook(client, session, settings, staff, postcode="N3 1QX")
    _, moved = approved_cook(client, session, settings, staff, postcode="N3 1QX")
    _, fallback = approved_cook(client, session, settings, staff, postcode="N3 1HT")
    away_on(client, away_user, settings, first_meal_day(1, council_today(barnet)))
    cook = session.get(Cook, moved)
    assert cook is not None
    cook.location_review = True
    session.add(cook)
    session.flush()
    _, diner_id = registered_diner(client, session, settings)
    pairing_id = propose(client, auth_headers(staff, settings), diner_id, first).json()["id"]
    declined = client.post(
        f"/api/pairings/{pairing_id}/decline", headers=auth_headers(first_user, settings)
    )
    assert declined.status_code == 200, declined.text
    open_ = session.exec(
        select(Pairing).where(Pairing.diner_id == diner_id, Pairing.status == "proposed")
    ).all()
    assert [p.cook_id for p in open_] == [fallback]


def test_invitation_and_pairing_name_the_diner_by_first_name_when_name_has_a_title(
    client: TestClient, session: Session, settings: Settings, staff: User
):
    cook_user, cook_id = approved_cook(client, session, settings, staff)
    _, diner_id = registered_diner(client, session, settings, full_name="Mrs Edna Smith")
    proposed = propose(client, auth_headers(staff, settings), diner_id, cook_id)
    assert proposed.status_code == 201, proposed.text
    assert proposed.json()["diner"]["first_name"] == "Edna"
    [invitation] = session.exec(
        select(Notification).where(
            Notification.event == "proposal", Notification.to_user_id == cook_user.id
        )
    ).all()
    assert invitation.subject == "Would you cook for Edna?"


def referred_harold_proposed(
    client: TestClient, session: Session, settings: Settings, staff: User
) -> tuple[User, int, int]:
    """Harold Green, referred by staff with no carer, email or phone, and Priya invited to
    cook for him: (Priya's account, her cook id, the pairing's id)."""
    headers = auth_headers(staff, settings)
    referred = client.post(
        "/api/staff/diners", json=diner_payload(full_name="Harold Green", phone=None),
        headers=headers,
    )  # fmt: skip
    assert referred.status_code == 201, referred.text
    cook_user, cook_id = approved_cook(client, session, settings, staff)
    pairing_id = propose(client, headers, referred.json()["id"], cook_id).json()["id"]
    return cook_user, cook_id, pairing_id


def test_a_referred_diner_without_a_carer_is_posted_the_plan_and_the_coordinator_told(
    client: TestClient, session: Session, settings: Settings, staff: User
):
    """Nobody was told when a cook said yes to a diner staff referred: no carer, no letter, no
    coordinator; a stranger would knock at a vulnerable person's door (an outside check)."""
    cook_user, _, pairing_id = referred_harold_proposed(client, session, settings, staff)

    accepted = client.post(
        f"/api/pairings/{pairing_id}/accept", headers=auth_headers(cook_user, settings)
    )

    assert accepted.status_code == 200, accepted.text
    letters = session.exec(
        select(Notification).where(Notification.event == "meal_plan_letter")
    ).all()
    assert [(n.channel, n.recipient.splitlines()[0]) for n in letters] == [  # type: ignore[union-attr]
        ("letter", "Harold Green")
    ]
    told = session.exec(
        select(Notification).where(Notification.event == "referred_diner_matched")
    ).all()
    assert [(n.to_user_id, n.subject) for n in told] == [
        (staff.id, "Priya will cook for Harold Green, who has no carer")
    ]


@pytest.mark.parametrize("ending", ["cook_suspended", "cook_stopped", "cook_erased"])
def test_a_diner_without_carer_is_posted_word_and_coordinator_asked_to_call_when_cook_stops(
    client: TestClient, session: Session, settings: Settings, staff: User, ending: str
):
    """Harold was posted a plan of four visits, and then nobody told him they would not come
    (an outside check: a suspended cook's, a stopped cook's)."""
    headers = auth_headers(staff, settings)
    cook_user, cook_id, pairing_id = referred_harold_proposed(client, session, settings, staff)
    cook_headers = auth_headers(cook_user, settings)
    assert client.post(f"/api/pairings/{pairing_id}/accept", headers=cook_headers).is_success

    if ending == "cook_suspended":
        done = client.post(
            f"/api/staff/cooks/{cook_id}/suspend", json={"reason": "Checks lapsed"}, headers=headers
        )
    elif ending == "cook_erased":
        done = client.post(
            f"/api/staff/cooks/{cook_id}/erase", json={"confirm": True}, headers=headers
        )
    else:
        done = client.post(
            "/api/cooks/me/stop", json={"reason": "Moving away"}, headers=cook_headers
        )
    assert done.status_code == 200, done.text

    [letter] = session.exec(
        select(Notification).where(Notification.event == "meals_stopped_letter")
    ).all()
    # The plan of visits, not posted yet, is taken back: only the letter saying they stopped.
    [plan] = session.exec(select(Notification).where(Notification.event == "meal_plan_letter"))
    assert plan.status == "withdrawn"
    assert letter.channel == "letter" and letter.recipient is not None
    assert letter.recipient.splitlines()[0] == "Harold Green"
    assert letter.body.startswith("Dear Harold,")
    # An erased cook is no longer named: "Your cook", not the carers' "Their cook".
    cook_words = "Your cook" if ending == "cook_erased" else "Priya"
    assert f"{cook_words} will no longer bring your meals" in letter.body
    ended = session.exec(
        select(Notification).where(
            Notification.event == "pairing_ended", Notification.to_user_id == staff.id
        )
    ).all()
    named = "Their cook" if ending == "cook_erased" else "Priya"
    assert [n.subject for n in ended] == [f"{named}'s meals for Harold have stopped"]
    assert "has no carer to tell" in ended[0].body and "please call them" in ended[0].body


@pytest.mark.parametrize("state", ["tried once", "claimed"])
def test_an_invitation_that_may_have_gone_is_not_taken_back_and_the_cook_is_told(
    client: TestClient, session: Session, settings: Settings, staff: User, state: str
):
    """A send that was tried (a time-out after the mail server took it) or is under way may
    have reached the cook: taking it back silently left them holding the question (a review).
    It is left to the sender, and the cook is told there is nothing to answer."""
    headers = auth_headers(staff, settings)
    cook_user, cook_id = approved_cook(client, session, settings, staff)
    _, diner_id = registered_diner(client, session, settings)
    pairing_id = propose(client, headers, diner_id, cook_id).json()["id"]
    invitation = session.exec(select(Notification).where(Notification.event == "proposal")).one()
    if state == "tried once":
        invitation.attempts = 1
    else:
        invitation.claimed_by = "worker-1"
    session.commit()

    gone = client.post(f"/api/staff/pairings/{pairing_id}/withdraw", headers=headers)

    assert gone.status_code == 200, gone.text
    session.expire_all()
    invitation = session.exec(select(Notification).where(Notification.event == "proposal")).one()
    assert invitation.status == "pending"
    told = session.exec(select(Notification).where(Notification.event == "invitation_withdrawn"))
    assert [n.to_user_id for n in told] == [cook_user.id]
