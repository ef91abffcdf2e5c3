from __future__ import annotations

from datetime import date, timedelta

import pytest
from fastapi.testclient import TestClient
from sqlmodel import Session, col, select

from app.accounts.email_change import confirm_email_change, request_email_change
from app.accounts.passwords import UNUSABLE_PASSWORD, verify_password
from app.config import Settings
from app.councils.service import add_neighbourhood
from app.models import (
    AuditEntry,
    AuditReason,
    AuthSession,
    Cook,
    CookAway,
    Council,
    Diner,
    EmailChange,
    FormDraft,
    LoginFailure,
    Meal,
    MealFeedback,
    Notification,
    Pairing,
    ResetRequest,
    User,
)
from app.models.draft import user_owner
from app.notifications.outbox import enqueue
from app.pages import drafts
from app.privacy.erasure_requests import request_erasure
from app.privacy.service import ERASED_SUBJECT
from tests.factories import (
    DEFAULT_PASSWORD,
    active_pairing,
    approved_cook,
    auth_headers,
    cook_payload,
    create_council,
    create_user,
    diner_payload,
    proposed_pairing,
    registered_diner,
)


def test_carer_downloads_own_and_relatives_data_when_exporting(
    client: TestClient, session: Session, settings: Settings, staff: User
):
    carer, diner_id = registered_diner(client, session, settings)
    exported = client.get("/api/me/export", headers=auth_headers(carer, settings))
    # A file to keep, not a page of raw JSON in the browser's tab (a browser walk).
    assert exported.headers["content-disposition"] == (
        'attachment; filename="extra-portion-my-data.json"'
    )
    data = exported.json()
    assert data["account"]["email"] == carer.email and "password_hash" not in data["account"]
    assert [d["id"] for d in data["diners"]] == [diner_id]
    assert data["diners"][0]["postcode"] == "N3 1QX"
    assert not {"latitude", "longitude", "geo_precision"} & set(data["diners"][0])


def test_erasing_diner_anonymises_but_keeps_history_when_staff_erases(
    client: TestClient, session: Session, settings: Settings, staff: User
):
    world = active_pairing(client, session, settings, staff)
    diner_id, pairing_id = world.diner_id, world.pairing_id
    response = client.post(
        f"/api/staff/diners/{diner_id}/erase",
        json={"confirm": True},
        headers=auth_headers(staff, settings),
    )
    assert response.status_code == 200
    diner = session.get(Diner, diner_id)
    assert diner is not None and diner.full_name == "Erased" and diner.address_line == "Erased"
    assert diner.postcode == "N3" and diner.access_notes is None and diner.status == "left"
    # Needs (health data) and times go too, as the staff page's warning says.
    assert (diner.diets, diner.allergies, diner.availability) == ([], [], [])
    pairing = session.get(Pairing, pairing_id)
    assert pairing is not None and pairing.status == "ended"  # history kept, anonymous
    assert session.exec(select(Meal).where(Meal.pairing_id == pairing_id)).first() is not None
    assert (
        client.post(
            f"/api/staff/diners/{diner_id}/erase",
            json={"confirm": True},
            headers=auth_headers(staff, settings),
        ).status_code
        == 409
    )


def test_erased_cook_can_no_longer_sign_in_when_erased(
    client: TestClient, session: Session, settings: Settings, staff: User
):
    cook_user, cook_id = approved_cook(client, session, settings, staff)
    email = cook_user.email
    assert (
        client.post(
            f"/api/staff/cooks/{cook_id}/erase",
            json={"confirm": True},
            headers=auth_headers(staff, settings),
        ).status_code
        == 200
    )
    token = client.post("/api/auth/token", data={"username": email, "password": DEFAULT_PASSWORD})
    assert token.status_code == 401
    session.refresh(cook_user)
    assert cook_user.password_hash == UNUSABLE_PASSWORD  # no Argon2 in the erasure's transaction
    assert not verify_password(cook_user.password_hash, DEFAULT_PASSWORD)
    profile = client.get(
        f"/api/staff/cooks/{cook_id}", headers=auth_headers(staff, settings)
    ).json()
    assert profile["display_name"] == "Erased" and profile["status"] == "left"


def test_coordinator_is_the_contact_when_cook_or_carer_asks(
    client: TestClient, session: Session, settings: Settings, staff: User, barnet: Council
):
    add_neighbourhood(session, council=barnet, name="Finchley", sectors=["N3 1"], coordinator=staff)
    cook_user, _ = approved_cook(client, session, settings, staff)
    carer, _ = registered_diner(client, session, settings)
    for person in (cook_user, carer):
        contacts = client.get("/api/me/coordinators", headers=auth_headers(person, settings)).json()
        assert contacts == [
            {
                "neighbourhood": "Finchley",
                "name": staff.full_name,
                "email": staff.email,
                "phone": None,
            }
        ]


def test_export_has_no_staff_notes_or_staff_ids_when_raiser_exports_a_concern(
    client: TestClient, session: Session, settings: Settings, staff: User
):
    carer, diner_id = registered_diner(client, session, settings)
    raised = client.post(
        "/api/concerns",
        json={"diner_id": diner_id, "kind": "welfare", "description": "She seemed unwell"},
        headers=auth_headers(carer, settings),
    )
    assert raised.status_code == 201, raised.text
    triage = client.post(
        f"/api/staff/concerns/{raised.json()['id']}/triage",
        json={"status": "investigating", "note": "Internal: spoke to the GP surgery"},
        headers=auth_headers(staff, settings),
    )
    assert triage.status_code == 200, triage.text
    export = client.get("/api/me/export", headers=auth_headers(carer, settings))
    [concern] = export.json()["concerns_raised"]
    assert concern["description"] == "She seemed unwell"
    assert concern["status"] == "investigating"
    assert "notes" not in concern and "raised_by_id" not in concern
    assert "spoke to the GP" not in export.text and "staff_id" not in export.text


def test_erasing_diner_leaves_no_name_in_messages_or_feedback_when_staff_erases(
    client: TestClient, session: Session, settings: Settings, staff: User
):
    world = active_pairing(client, session, settings, staff)  # Edna Smith
    carer, diner_id, pairing_id = world.carer, world.diner_id, world.pairing_id
    meal = session.exec(select(Meal).where(Meal.pairing_id == pairing_id)).first()
    assert meal is not None and meal.id is not None and carer.id is not None
    session.add(MealFeedback(meal_id=meal.id, carer_id=carer.id, rating=5, comment="Edna loved it"))
    messages = session.exec(select(Notification).order_by(col(Notification.id))).all()
    assert any("Edna" in m.subject + m.body for m in messages)  # the name was there
    assert {m.about_diner_id for m in messages if "Edna" in m.subject + m.body} == {diner_id}
    messages[0].status, messages[0].sent_at = "sent", messages[0].created_at  # one went out
    session.add(messages[0])
    session.commit()

    erased = client.post(
        f"/api/staff/diners/{diner_id}/erase",
        json={"confirm": True},
        headers=auth_headers(staff, settings),
    )
    assert erased.status_code == 200, erased.text
    session.expire_all()
    messages = session.exec(select(Notification).order_by(col(Notification.id))).all()
    assert messages and not [m for m in messages if "Edna" in m.subject + m.body]
    # Queued ones are not sent: "a message was removed" told nobody anything, several times.
    blank = [m for m in messages if m.subject == ERASED_SUBJECT]
    assert blank and {(m.status, m.last_error) for m in blank if m.sent_at is None} == {
        ("failed", "about an erased diner")
    }
    assert messages[0].status == "sent"
    feedback = session.exec(select(MealFeedback)).all()
    assert [(f.rating, f.comment) for f in feedback] == [(5, None)]
    # The cook is still told to stop, by day and time (the scrubbed message no longer said so).
    [stop] = [m for m in messages if m.to_user_id == world.cook.id and "have stopped" in m.subject]
    assert stop.subject == "Your Tuesday meals at 17:30 have stopped"
    assert "please do not bring any more" in stop.body and stop.status == "pending"


def test_erasing_diner_scrubs_older_messages_that_name_no_diner_when_sent_to_their_carer(
    client: TestClient, session: Session, settings: Settings, staff: User
):
    carer, diner_id = registered_diner(client, session, settings, full_name="Edna Smith")
    assert carer.id is not None
    enqueue(
        session,
        event="legacy",
        to=carer,
        subject="A meal for Edna",
        body="Queued before notifications named their diner.",
        dedupe_key="legacy:1",
    )
    session.commit()
    erased = client.post(
        f"/api/staff/diners/{diner_id}/erase",
        json={"confirm": True},
        headers=auth_headers(staff, settings),
    )
    assert erased.status_code == 200, erased.text
    session.expire_all()
    [message] = session.exec(select(Notification).where(Notification.event == "legacy")).all()
    assert "Edna" not in message.subject + message.body and message.status == "failed"


def test_erasing_a_cook_scrubs_the_messages_naming_them_and_their_kept_answers(
    client: TestClient, session: Session, settings: Settings, staff: User
):
    """An outside check found "Priya" still in the carer's and the staff's messages after the
    cook's erasure (one queued by the erasure itself), and her draft with phone and address."""
    world = active_pairing(client, session, settings, staff)
    for to, subject in ((staff.id, "Priyanka asked a question"), (world.cook.id, "For Priya")):
        enqueue(session, event="test", to=to, subject=subject, body="Hello", dedupe_key=subject)
    drafts.save(session, user_owner(world.cook.id), "cook", {"phone": "020 7946 0018"})
    session.commit()

    erased = client.post(
        f"/api/staff/cooks/{world.cook_id}/erase",
        json={"confirm": True},
        headers=auth_headers(staff, settings),
    )

    assert erased.status_code == 200, erased.text
    messages = session.exec(select(Notification)).all()
    to_carer = [m for m in messages if m.to_user_id == world.carer.id]
    assert {m.event for m in to_carer} >= {"pairing_accepted", "pairing_ended"}
    # The erasure's own news reaches the carer, of "their cook": it was blanked before it went.
    ended = next(m for m in to_carer if m.event == "pairing_ended")
    assert ended.subject == "Their cook's meals for Edna have stopped"
    assert ended.body.startswith("Their cook has stopped cooking with Extra Portion.")
    for message in messages:
        if message.to_user_id != world.cook.id:
            assert "Priya" not in f"{message.subject} {message.body}".replace("Priyanka", "")
    assert any(m.subject == "Priyanka asked a question" for m in messages)  # another person
    to_cook = [m for m in messages if m.to_user_id == world.cook.id]
    # What had not gone to the cook never will (their invitation had gone before).
    assert to_cook and not [m for m in to_cook if m.status == "pending"]
    assert {m.status for m in to_cook} == {"failed", "sent"}
    assert session.exec(select(FormDraft)).all() == []


def test_a_carers_account_is_erased_only_after_their_relatives_and_by_their_council(
    client: TestClient, session: Session, settings: Settings, staff: User
):
    carer, diner_id = registered_diner(client, session, settings)
    carer_name = carer.full_name
    asked = request_erasure(session, user=carer, settings=settings)
    assert asked >= 1
    headers = auth_headers(staff, settings)
    path = f"/api/staff/carers/{carer.id}/erase"
    drafts.save(session, user_owner(carer.id), "carer", {"phone": "07700 900123"})
    for address in ("new.address@example.org", "never.confirmed@example.org"):
        request_email_change(
            session, user=carer, new_email=address, password=DEFAULT_PASSWORD,
            client="127.0.0.1", settings=settings,
        )  # fmt: skip
        if address.startswith("new"):  # the first confirmed, the second left waiting
            link = session.exec(select(Notification).where(Notification.recipient == address)).one()
            confirm_email_change(session, token=link.body.split("token=")[1].split()[0])
    session.commit()

    too_soon = client.post(path, json={"confirm": True}, headers=headers)
    assert too_soon.status_code == 409
    assert too_soon.json()["detail"] == (
        "Erase their relatives first: 1 here still has their details held"
    )
    elsewhere = create_user(session, role="staff", council=create_council(session, slug="other"))
    assert (
        client.post(
            path, json={"confirm": True}, headers=auth_headers(elsewhere, settings)
        ).status_code
        == 404
    )
    assert (
        client.post(
            f"/api/staff/carers/{staff.id}/erase", json={"confirm": True}, headers=headers
        ).status_code
        == 404
    )
    assert (
        client.post(
            f"/api/staff/diners/{diner_id}/erase", json={"confirm": True}, headers=headers
        ).status_code
        == 200
    )

    done = client.post(path, json={"confirm": True}, headers=headers)

    assert done.status_code == 200, done.text
    session.refresh(carer)
    assert carer.anonymised_at is not None and carer.full_name == "Erased"
    assert session.exec(select(FormDraft)).all() == []
    assert client.get("/api/me", headers=auth_headers(carer, settings)).status_code == 401
    # The note that told their old address of a change of address holds it: gone, and unsent.
    [told] = session.exec(select(Notification).where(Notification.event == "email_changed"))
    assert (told.recipient, told.status) == (None, "failed")
    assert "Hello" not in told.body
    # So do the links sent to a new address, and the address never confirmed.
    links = session.exec(select(Notification).where(Notification.event == "confirm_new_email"))
    assert [(m.recipient, m.status) for m in links] == [(None, "failed")] * 2
    assert all("token=" not in m.body for m in links)
    assert session.exec(select(EmailChange)).all() == []
    # Every message to them loses its words, sent or not: "Hello <their name>" (the new
    # address's "your password/email has changed" greetings) was kept.
    to_them = session.exec(select(Notification).where(Notification.to_user_id == carer.id))
    assert [m for m in to_them if "Hello" in m.body or carer_name in m.body] == []
    assert client.post(path, json={"confirm": True}, headers=headers).status_code == 409


def test_a_carers_relative_in_another_council_is_not_counted_as_this_councils(
    client: TestClient, session: Session, settings: Settings, staff: User
):
    """Staff were told "1 other relative... erase them first, from their records" of a record
    in another council they can neither see nor erase (a review)."""
    create_council(session, slug="tower-hamlets-test", lad_codes=["E09000030"])
    carer, diner_id = registered_diner(client, session, settings)
    elsewhere = client.post(
        "/api/diners", json=diner_payload(full_name="Ada East", postcode="E1 6AA"),
        headers=auth_headers(carer, settings),
    )  # fmt: skip
    assert elsewhere.status_code == 201, elsewhere.text
    headers = auth_headers(staff, settings)
    assert (
        client.post(
            f"/api/staff/diners/{diner_id}/erase", json={"confirm": True}, headers=headers
        ).status_code
        == 200
    )

    refused = client.post(
        f"/api/staff/carers/{carer.id}/erase", json={"confirm": True}, headers=headers
    )

    assert refused.status_code == 409
    assert refused.json()["detail"] == (
        "Another council still holds a relative of theirs: that council erases them first"
    )
    assert "Ada" not in refused.text


def test_export_holds_what_the_service_keeps_about_a_cook_and_a_carer(
    client: TestClient, session: Session, settings: Settings, staff: User
):
    """A data protection review: a cook's download left out their messages, the carers'
    ratings of their meals, their dates away, their sign-ins and the reason staff gave for a
    suspension; a carer's left out their relative's cooks, their messages and who had looked
    at their relative's address."""
    world = active_pairing(client, session, settings, staff)
    staff_headers = auth_headers(staff, settings)
    for action in ("suspend", "reinstate"):
        said = client.post(
            f"/api/staff/cooks/{world.cook_id}/{action}",
            json={"reason": f"{action}: said he was unwell"},
            headers=staff_headers,
        )
        assert said.status_code == 200, said.text
    meal = session.exec(select(Meal).where(Meal.pairing_id == world.pairing_id)).first()
    assert meal is not None
    meal.date, meal.status = meal.date - timedelta(days=28), "delivered"
    session.add(meal)
    session.commit()
    rated = client.post(
        f"/api/meals/{meal.id}/feedback",
        json={"rating": 4, "comment": "Lovely stew"},
        headers=world.carer_headers,
    )
    assert rated.status_code == 201, rated.text
    away_from = date.today() + timedelta(days=60)
    went = client.post(
        "/api/cooks/me/away",
        json={"from": away_from.isoformat(), "to": (away_from + timedelta(days=2)).isoformat()},
        headers=world.cook_headers,
    )
    assert went.status_code == 200, went.text
    client.get(f"/api/staff/diners/{world.diner_id}", headers=staff_headers)  # an address view
    asked = client.post("/api/auth/password-reset", json={"email": world.carer.email})
    assert asked.status_code == 202
    session.commit()

    cook = client.get("/api/me/export", headers=world.cook_headers).json()
    assert [r["rating"] for r in cook["meal_ratings"]] == [4]
    assert "Lovely stew" not in str(cook)  # the carer's own words
    assert [a["from_date"] for a in cook["away"]] == [away_from.isoformat()]
    said = [(r["action"], r.get("reason")) for r in cook["records_about_you"]]
    assert ("cook.suspended", "suspend: said he was unwell") in said
    assert ("cook.reinstated", "reinstate: said he was unwell") in said
    assert any(m["event"] == "proposal" for m in cook["messages"]), cook["messages"]
    assert cook["sign_ins"] and not {"id", "user_id"} & set(cook["sign_ins"][0])

    carer = client.get("/api/me/export", headers=world.carer_headers).json()
    [pairing] = carer["diner_pairings"]
    assert (pairing["cook"], pairing["status"]) == ("Priya", "ended")  # the suspension ended it
    assert "cook_id" not in pairing
    # Why it ended in the words the carer was told: the suspension is the cook's own record.
    assert "end_reason" not in pairing and "cook_suspended" not in str(carer)
    assert pairing["ended_because"] == "Priya is not cooking with Extra Portion for now."
    assert all("cook_id" not in meal for meal in carer["diner_meals"])
    assert "diner.address_viewed" in [r["action"] for r in carer["records_about_your_relatives"]]
    [reset] = [m for m in carer["messages"] if m["event"] == "password_reset"]
    assert "token=" not in reset["body"] and "not kept" in reset["body"]
    assert carer["email_changes"] == []


def test_erasure_leaves_no_routine_vetting_sign_in_or_exact_distance_behind(
    client: TestClient, session: Session, settings: Settings, staff: User
):
    """A data protection review, after erasing a cook and a diner: the failed sign-ins kept
    the address typed; the cook's weekly times, diets, DBS check and dates away stayed; the
    diner's texture (a swallowing difficulty) stayed; and the pairing's distance, to the
    metre, with the cook's place, said where the diner had lived."""
    world = active_pairing(client, session, settings, staff)
    staff_headers = auth_headers(staff, settings)
    wrong = {"username": world.cook.email, "password": "not the password"}
    assert client.post("/api/auth/token", data=wrong).status_code == 401
    typed = world.cook.email_key
    assert session.exec(select(LoginFailure).where(LoginFailure.email_key == typed)).all()
    assert client.post("/api/auth/password-reset", json={"email": typed}).status_code == 202
    away_from = date.today() + timedelta(days=60)
    went = client.post(
        "/api/cooks/me/away",
        json={"from": away_from.isoformat(), "to": away_from.isoformat()},
        headers=world.cook_headers,
    )
    assert went.status_code == 200, went.text
    pairing = session.get(Pairing, world.pairing_id)
    assert pairing is not None and pairing.distance_m % 100 != 0

    erased = client.post(
        f"/api/staff/cooks/{world.cook_id}/erase", json={"confirm": True}, headers=staff_headers
    )
    assert erased.status_code == 200, erased.text
    session.expire_all()
    cook = session.get(Cook, world.cook_id)
    assert cook is not None
    assert (cook.availability, cook.diets, cook.allergen_free, cook.textures) == ([], [], [], [])
    assert (cook.dbs_checked_on, cook.dbs_level) == (None, None)
    assert not session.exec(select(CookAway).where(CookAway.cook_id == world.cook_id)).all()
    assert not session.exec(select(LoginFailure).where(LoginFailure.email_key == typed)).all()
    assert not session.exec(select(ResetRequest).where(ResetRequest.email_key == typed)).all()
    sessions = session.exec(select(AuthSession).where(AuthSession.user_id == world.cook.id)).all()
    assert sessions and all(s.revoked_at is not None for s in sessions)
    session.refresh(pairing)
    assert pairing.distance_m % 100 == 0

    diner = session.get(Diner, world.diner_id)
    assert diner is not None and diner.texture == "soft_bite_sized"
    erased = client.post(
        f"/api/staff/diners/{world.diner_id}/erase", json={"confirm": True}, headers=staff_headers
    )
    assert erased.status_code == 200, erased.text
    session.refresh(diner)
    assert diner.texture == "regular"


def test_a_carers_download_names_only_a_cook_who_accepted(
    client: TestClient, session: Session, settings: Settings, staff: User
):
    """A review: straight after a proposal, and after a decline, the carer's download named
    the cook, whom the carer's pages do not show until they accept."""
    world = proposed_pairing(client, session, settings, staff)
    before = client.get("/api/me/export", headers=world.carer_headers).json()
    assert [p["cook"] for p in before["diner_pairings"]] == [None]
    declined = client.post(f"/api/pairings/{world.pairing_id}/decline", headers=world.cook_headers)
    assert declined.status_code == 200, declined.text
    after = client.get("/api/me/export", headers=world.carer_headers).json()
    assert "Priya" not in str(after["diner_pairings"])
    assert [p["ended_because"] for p in after["diner_pairings"]] == [None]  # never told of it


def test_a_carers_download_gives_no_distance_to_the_cook(
    client: TestClient, session: Session, settings: Settings, staff: User
):
    """An outside check: moving the relative from postcode to postcode and reading the
    download's distance to the cook (re-measured after each move, to 100 m) placed the cook's
    home to about 20 m. No carer's page shows a distance."""
    world = active_pairing(client, session, settings, staff)
    readings = []
    for postcode in ("N3 2AA", "N3 1QX"):
        moved = client.patch(
            f"/api/diners/{world.diner_id}",
            json={"postcode": postcode, "address_line": "1 Test Road"},
            headers=world.carer_headers,
        )
        assert moved.status_code == 200, moved.text
        export = client.get("/api/me/export", headers=world.carer_headers).json()
        readings.append(export["diner_pairings"])
    assert all("distance" not in str(rows) for rows in readings), readings


@pytest.mark.parametrize("body", [None, {}, {"confirm": False}, {"confirm": "yes"}])
def test_an_erasure_without_confirm_true_is_refused_and_erases_nothing(
    client: TestClient, session: Session, settings: Settings, staff: User, body: object
):
    """An erasure cannot be undone: an empty POST (as a fuzzer or a mistaken client sends)
    is refused with the field named, like the pages' unticked box."""
    world = active_pairing(client, session, settings, staff)
    headers = auth_headers(staff, settings)
    for path in (
        f"/api/staff/diners/{world.diner_id}/erase",
        f"/api/staff/cooks/{world.cook_id}/erase",
    ):
        refused = client.post(path, json=body, headers=headers)
        assert refused.status_code == 422, refused.text
        [problem] = refused.json()["detail"]
        assert problem["loc"][:2] == ["body", "confirm"]  # the field named
        if body != {"confirm": "yes"}:  # that one is no boolean: pydantic's own words
            assert problem["type"] == "erasure_not_confirmed"
            assert "cannot be undone" in problem["msg"]
    session.expire_all()
    diner = session.get(Diner, world.diner_id)
    cook = session.get(Cook, world.cook_id)
    assert diner is not None and diner.anonymised_at is None and diner.full_name != "Erased"
    assert cook is not None and cook.status == "approved" and cook.address_line != "Erased"


def test_erasing_a_cook_who_moved_scrubs_what_the_council_they_left_was_told(
    client: TestClient, session: Session, settings: Settings, staff: User, tower_hamlets: Council
):
    # The council they left was told their meals stopped, by name; the new council's erasure
    # scrubbed only its own staff's messages (a security review).
    world = active_pairing(client, session, settings, staff)
    their_staff = create_user(session, role="staff", council=tower_hamlets)
    session.commit()
    moved = client.put(
        "/api/cooks/me",
        json=cook_payload(postcode="E14 5AB"),
        headers=auth_headers(world.cook, settings),
    )
    assert moved.status_code == 200 and moved.json()["council"] == "tower-hamlets"
    name = moved.json()["display_name"]
    told = select(Notification).where(Notification.to_user_id == staff.id)
    assert any(name in f"{m.subject} {m.body}" for m in session.exec(told).all())

    erased = client.post(
        f"/api/staff/cooks/{world.cook_id}/erase",
        json={"confirm": True},
        headers=auth_headers(their_staff, settings),
    )

    assert erased.status_code == 200, erased.text
    session.expire_all()
    assert not [m for m in session.exec(told).all() if name in f"{m.subject} {m.body}"]


def test_each_council_logs_a_carers_erasure_request_with_only_its_own_relatives(
    client: TestClient, session: Session, settings: Settings, staff: User, tower_hamlets: Council
):
    # One entry, in the first relative's council, listed the other council's diner too (a
    # security review); the other council's log had none.
    carer, ours = registered_diner(client, session, settings)
    added = client.post(
        "/api/diners",
        json=diner_payload(postcode="E14 5AB"),
        headers=auth_headers(carer, settings),
    )
    assert added.status_code == 201, added.text
    theirs = added.json()["id"]

    request_erasure(session, user=carer, settings=settings)
    session.commit()

    logged = session.exec(
        select(AuditEntry.council_id, AuditEntry.data).where(
            AuditEntry.action == "erasure.requested"
        )
    ).all()
    assert sorted((council, data["diner_ids"]) for council, data in logged) == [
        (staff.council_id, [ours]),
        (tower_hamlets.id, [theirs]),
    ]


def _end_with_reason(client: TestClient, settings: Settings, staff: User, pairing_id: int) -> None:
    """Staff end the pairing in their own words."""
    ended = client.post(
        f"/api/staff/pairings/{pairing_id}/end",
        json={"reason": "Edna told us Priya shouted at her"},
        headers=auth_headers(staff, settings),
    )
    assert ended.status_code == 200, ended.text


def _ended_reasons(session: Session, pairing_id: int) -> list[str]:
    session.expire_all()
    return list(
        session.exec(
            select(AuditReason.text)
            .join(AuditEntry, col(AuditEntry.id) == AuditReason.audit_entry_id)
            .where(
                AuditEntry.subject_type == "pairing",
                AuditEntry.action == "pairing.ended",
                AuditEntry.subject_id == pairing_id,
            )
        ).all()
    )


def test_erasing_diner_removes_staffs_words_on_why_a_pairing_ended_when_staff_erases(
    client: TestClient, session: Session, settings: Settings, staff: User
):
    world = active_pairing(client, session, settings, staff)
    _end_with_reason(client, settings, staff, world.pairing_id)
    suspended = client.post(
        f"/api/staff/cooks/{world.cook_id}/suspend",
        json={"reason": "Her DBS certificate is under review"},
        headers=auth_headers(staff, settings),
    )
    assert suspended.status_code == 200, suspended.text
    assert _ended_reasons(session, world.pairing_id) == ["Edna told us Priya shouted at her"]

    erased = client.post(
        f"/api/staff/diners/{world.diner_id}/erase",
        json={"confirm": True},
        headers=auth_headers(staff, settings),
    )

    assert erased.status_code == 200, erased.text
    pairing = session.get(Pairing, world.pairing_id)
    assert pairing is not None
    assert (pairing.end_reason, pairing.end_note) == ("ended_by_staff", None)
    assert _ended_reasons(session, world.pairing_id) == []
    # The log keeps that it ended; the reason about the cook, not the diner, stays.
    kept = session.exec(
        select(AuditEntry.action).where(
            AuditEntry.subject_type == "pairing", AuditEntry.subject_id == world.pairing_id
        )
    ).all()
    assert "pairing.ended" in kept
    assert session.exec(select(AuditReason.text)).all() == ["Her DBS certificate is under review"]


def test_erasing_cook_removes_staffs_words_on_why_their_pairing_ended_when_staff_erases(
    client: TestClient, session: Session, settings: Settings, staff: User
):
    world = active_pairing(client, session, settings, staff)
    _end_with_reason(client, settings, staff, world.pairing_id)

    erased = client.post(
        f"/api/staff/cooks/{world.cook_id}/erase",
        json={"confirm": True},
        headers=auth_headers(staff, settings),
    )

    assert erased.status_code == 200, erased.text
    pairing = session.get(Pairing, world.pairing_id)
    assert pairing is not None and pairing.end_note is None
    assert _ended_reasons(session, world.pairing_id) == []
