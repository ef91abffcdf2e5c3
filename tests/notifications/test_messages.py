"""The catalogue of notification messages: each renders with a first name and a date, names
the right people, and the services queue its words (bulk proposals too)."""

from __future__ import annotations

import inspect
from datetime import date
from types import SimpleNamespace

import pytest
from sqlmodel import Session, col, select

from app.config import get_settings
from app.geo.distance import public_distance_text
from app.models import Diner, Meal, Notification, Pairing, User
from app.notifications import messages
from app.notifications.messages import day_month
from app.notifications.outbox import enqueue
from app.notifications.texts import TEXT_EVENTS, sms_text
from app.vocab import EndReason
from tests.factories import active_pairing, diner_payload

THURSDAY = date(2026, 12, 3)
FRIDAY = date(2026, 12, 4)
DINER, COOK = "Edna", "Priya"

# Each message with facts that name the diner (Edna), the cook (Priya) and a date.
RENDERED = {
    "cook_approved": messages.cook_approved(),
    "cook_rejected": messages.cook_rejected(),
    "cook_suspended": messages.cook_suspended(),
    "cook_reinstated": messages.cook_reinstated(status="approved"),
    "proposal": messages.proposal(
        diner_name=DINER,
        distance="about 300 m",
        weekday=1,
        start="17:30",
        frequency="fortnightly",
        needs="Vegetarian; free from peanuts.",
        page="http://127.0.0.1:8000/cook/",
    ),
    "pairing_accepted": messages.pairing_accepted(
        cook_name=COOK,
        diner_name=DINER,
        weekday=1,
        start="17:30",
        frequency="monthly",
        first=THURSDAY,
    ),
    "referred_diner_matched": messages.referred_diner_matched(
        diner_name=DINER, cook_name=COOK, letter=True
    ),
    "pairing_moved": messages.pairing_moved(
        diner_name=DINER, when="Thursdays at 12:30, every week", first=THURSDAY
    ),
    "cover_moved": messages.cover_moved(
        diner_name=DINER, day=THURSDAY, when="Fridays at 12:30 (weekly)"
    ),
    "pairing_declined": messages.pairing_declined(
        cook_name=COOK, diner_name=DINER, reason="I am away in May"
    ),
    "pairing_ended_to_carer": messages.pairing_ended_to_carer(
        cook_name=COOK, diner_name=DINER, reason=EndReason.cook_stopped
    ),
    "pairing_ended_to_cook": messages.pairing_ended_to_cook(
        diner_name=DINER, reason=EndReason.cook_stopped
    ),
    "meal_reminder": messages.meal_reminder(diner_name=DINER, start="17:30"),
    "meal_missed": messages.meal_missed(diner_name=DINER, day=THURSDAY, start="17:30"),
    "diner_paused": messages.diner_paused(
        diner_name=DINER, day=THURSDAY, away_from=THURSDAY, away_to=FRIDAY
    ),
    "pause_ending": messages.pause_ending(
        diner_name=DINER,
        last_day=THURSDAY,
        first_meal=date(2026, 12, 8),
        start="17:30",
        page="http://127.0.0.1:8000/carer/relatives/7/pause",
        to_staff=False,
        needs_cover=False,
    ),
    "pairing_ended_to_staff": messages.pairing_ended_to_staff(
        cook_name=COOK, diner_name=DINER, reason=EndReason.cook_stopped
    ),
    "cover_stopped": messages.cover_stopped(diner_name=DINER, day=THURSDAY),
    "meal_back_on": messages.meal_back_on(diner_name=DINER, day=THURSDAY, start="17:30"),
    "cover_request": messages.cover_request(
        diner_name=DINER, day=THURSDAY, start="17:30", needs="vegetarian; free from peanuts."
    ),
    "cover_confirmed": messages.cover_confirmed(
        diner_name=DINER, day=THURSDAY, start="17:30", needs="vegetarian; free from peanuts."
    ),
    "cover_arranged": messages.cover_arranged(
        cook_name=COOK, diner_name=DINER, day=THURSDAY, start="17:30"
    ),
    "cover_cancelled": messages.cover_cancelled(diner_name=DINER, day=THURSDAY),
    "cover_missing": messages.cover_missing(
        diner_name=DINER, day=THURSDAY, start="17:30", cook_name=COOK
    ),
    "cover_missing_to_carer": messages.cover_missing_to_carer(
        diner_name=DINER, day=THURSDAY, start="17:30"
    ),
    "cover_not_sought": messages.cover_not_sought(
        diner_name=DINER, day=THURSDAY, start="17:30", erase_by=FRIDAY
    ),
    "contact_lapsed": messages.contact_lapsed(diner_name=DINER, days=14),
    "outcome_question": messages.outcome_question(diner_name=DINER, cook_name=COOK),
    "diner_changed_to_coordinator": messages.diner_changed_to_coordinator(
        diner_name=DINER, what="food needs", when="Tuesdays at 17:30"
    ),
    "diner_changed_to_cook": messages.diner_changed_to_cook(
        diner_name=DINER, what="food needs", when="Tuesdays at 17:30"
    ),
    "invitation_withdrawn_to_cook": messages.invitation_withdrawn_to_cook(diner_name=DINER),
    "other_foods_changed_to_invited_cook": messages.other_foods_changed_to_invited_cook(
        diner_name=DINER, other_allergies="Kiwi fruit"
    ),
    "invitation_withdrawn_by_staff": messages.invitation_withdrawn_by_staff(diner_name=DINER),
    "invitation_withdrawn_diner_left": messages.invitation_withdrawn_diner_left(diner_name=DINER),
    "invitation_withdrawn_to_staff": messages.invitation_withdrawn_to_staff(
        diner_name=DINER, cook_name=COOK, what="food needs", why="peanuts"
    ),
    "needs_pause_to_cook": messages.needs_pause_to_cook(diner_name=DINER),
    "needs_pause_to_staff": messages.needs_pause_to_staff(
        diner_name=DINER, cook_name=COOK, what="food needs", why="peanuts"
    ),
    "needs_pause_to_carer": messages.needs_pause_to_carer(
        diner_name=DINER, what="food needs", cook_name=COOK
    ),
    "offer_withdrawn_to_cook": messages.offer_withdrawn_to_cook(diner_name=DINER, why="peanuts"),
    "invitation_withdrawn_cook_moved": messages.invitation_withdrawn_cook_moved(diner_name=DINER),
    "proposal_withdrawn_cook_moved": messages.proposal_withdrawn_cook_moved(
        diner_name=DINER, cook_name=COOK
    ),
    "offer_withdrawn_to_staff": messages.offer_withdrawn_to_staff(
        diner_name=DINER, cook_name=COOK, why="peanuts"
    ),
    "offer_pause_to_cook": messages.offer_pause_to_cook(diner_name=DINER, why="peanuts"),
    "cook_times_changed": messages.cook_times_changed(
        diner_name=DINER, cook_name=COOK, when="Tuesdays at 17:30, weekly"
    ),
    "offer_pause_to_staff": messages.offer_pause_to_staff(
        diner_name=DINER, cook_name=COOK, why="peanuts"
    ),
    "meals_stopped_unnamed": messages.meals_stopped_unnamed(weekday=1, start="17:30"),
    "cover_stopped_unnamed": messages.cover_stopped_unnamed(day=THURSDAY, start="17:30"),
    "cover_fell_through": messages.cover_fell_through(
        diner_name=DINER, day=THURSDAY, start="17:30", asked=3
    ),
    "cover_handed_back": messages.cover_handed_back(diner_name=DINER, day=THURSDAY),
    "diner_changed_to_cover": messages.diner_changed_to_cover(
        diner_name=DINER, what="allergies", day=THURSDAY, needs="free from peanuts."
    ),
    "meal_missed_after_all": messages.meal_missed_after_all(
        diner_name=DINER, day=THURSDAY, start="17:30"
    ),
    "meal_delivered_after_all": messages.meal_delivered_after_all(
        diner_name=DINER, day=THURSDAY, start="17:30"
    ),
    "offer_pause_to_carer": messages.offer_pause_to_carer(diner_name=DINER, cook_name=COOK),
    "offer_pause_to_cover": messages.offer_pause_to_cover(diner_name=DINER),
    "concern_pause_to_cook": messages.concern_pause_to_cook(diner_name=DINER),
    "concern_pause_to_carer": messages.concern_pause_to_carer(
        diner_name=DINER, cook_name=COOK, raised_it=True
    ),
    "concern_resumed": messages.concern_resumed(diner_name=DINER),
    "pairing_resumed": messages.pairing_resumed(diner_name=DINER, cook_name=COOK),
    "needs_resumed_to_cook": messages.needs_resumed_to_cook(diner_name=DINER),
    "concern_raised": messages.concern_raised(
        reference="EP-7KQ3MD",
        category_name="Missed meal",
        serious=True,
        diner_name=DINER,
        page="http://127.0.0.1:8000/staff/concerns/7",
    ),
    "concern_received": messages.concern_received(reference="EP-7KQ3MD", paused=True),
    "concern_status": messages.concern_status(
        reference="EP-7KQ3MD", status_words="Being looked into", next_step="We will call."
    ),
    "password_changed": messages.password_changed(full_name="Alan Brown", day=THURSDAY),
    "erasure_asked": messages.erasure_asked(full_name="Alan Brown", due=THURSDAY),
    "email_changed": messages.email_changed(
        full_name="Alan Brown", new_email="alan.new@example.org", day=THURSDAY
    ),
    "confirm_new_email": messages.confirm_new_email(
        link="https://portion.invalid/account/email/confirm?token=x"
    ),
    "password_reset": messages.password_reset(
        full_name="Edna Smith", link="https://portion.invalid/reset-password?token=x"
    ),
    "erasure_requested": messages.erasure_requested(
        account_id=42, due=date(2027, 1, 2), records=["https://portion.invalid/staff/diners/7"]
    ),
    "erasure_taken_back": messages.erasure_taken_back(full_name="Alan Brown"),
    "erasure_withdrawn": messages.erasure_withdrawn(
        account_id=42, records=["https://portion.invalid/staff/diners/7"]
    ),
}
# Who each message names: the diner, the cook, and whether it carries the day.
NAMES_DINER = set(RENDERED) - {"cook_approved", "cook_rejected", "cook_suspended",
                                "cook_reinstated", "meals_stopped_unnamed", "concern_received",
                                "cover_stopped_unnamed",
                                "concern_status", "erasure_requested", "email_changed",
                                "password_changed", "confirm_new_email",
                                "erasure_asked", "erasure_taken_back",
                                "erasure_withdrawn"}  # fmt: skip
NAMES_COOK = {"pairing_accepted", "pairing_declined", "pairing_ended_to_carer", "cover_arranged",
              "outcome_question", "invitation_withdrawn_to_staff",
              "needs_pause_to_staff", "offer_withdrawn_to_staff", "offer_pause_to_staff",
              "offer_pause_to_carer", "pairing_resumed", "concern_pause_to_carer",
              "pairing_ended_to_staff", "referred_diner_matched", "cover_missing",
              "cook_times_changed", "proposal_withdrawn_cook_moved"}  # fmt: skip
DATED = {"meal_missed", "meal_missed_after_all", "meal_delivered_after_all",
         "diner_changed_to_cover", "diner_paused", "pause_ending",
         "cover_fell_through", "cover_handed_back", "cover_stopped_unnamed",
         "cover_request", "cover_confirmed", "cover_arranged", "cover_cancelled",
         "cover_missing", "email_changed", "password_changed", "meal_back_on", "cover_stopped",
         "pairing_accepted", "erasure_asked",
         "cover_missing_to_carer", "cover_moved", "pairing_moved", "cover_not_sought"}  # fmt: skip


# Functions of the catalogue that give a sentence for a page, not a message.
SENTENCES = {
    "day_month",
    "why_ended_to_carer",
    "why_ended_to_cook",
    "needs_in_words",
    "_and_list",
    "how_often",
    "_days",
}


def test_catalogue_has_one_rendering_here_when_a_message_is_added():
    functions = {
        name
        for name, fn in inspect.getmembers(messages, inspect.isfunction)
        if fn.__module__ == messages.__name__ and name not in SENTENCES
    }
    assert functions == set(RENDERED)


@pytest.mark.parametrize("name", sorted(RENDERED))
def test_message_renders_subject_and_body_when_given_names_and_dates(name):
    message = RENDERED[name]
    assert message.event and message.subject and message.body
    assert "{" not in message.subject + message.body  # nothing left unformatted
    assert len(message.subject) <= 200  # Notification.subject's column
    text = message.subject + " " + message.body
    assert (DINER in text) == (name in NAMES_DINER)
    assert (COOK in text) == (name in NAMES_COOK)
    if name in DATED:
        assert "Thursday 3 December" in text


def test_message_names_each_person_in_place_when_the_cook_accepts():
    message = RENDERED["pairing_accepted"]
    assert message.subject == "Priya will cook for Edna"
    # When the first comes, and "once a month" in words (an outside check read "(monthly)").
    assert message.body == (
        "Good news: Priya will bring Edna a meal on Tuesdays at 17:30, once a month. "
        "The first is on Thursday 3 December."
    )


def test_message_gives_the_away_dates_when_the_diner_pauses():
    message = RENDERED["diner_paused"]
    assert message.subject == "No meal needed for Edna on Thursday 3 December"
    assert "away from 3 December to 4 December" in message.body


# Every reason an active pairing can end with (`lifecycle.end_pairing` on a running one).
ENDS_ACTIVE = [
    EndReason.change_requested,
    EndReason.cook_stopped,
    EndReason.cook_moved,
    EndReason.cook_suspended,
    EndReason.concern_upheld,
    EndReason.ended_by_staff,
    EndReason.diner_left,
]


@pytest.mark.parametrize("reason", ENDS_ACTIVE)
def test_message_gives_each_reason_in_words_of_its_own_when_a_pairing_ends(reason: EndReason):
    """It said "(cook suspended)", "(ended by staff)": the vocabulary's words, to a carer."""
    to_carer = messages.pairing_ended_to_carer(cook_name=COOK, diner_name=DINER, reason=reason)
    to_cook = messages.pairing_ended_to_cook(diner_name=DINER, reason=reason)
    for message in (to_carer, to_cook):
        assert message.event == "pairing_ended"
        assert str(reason).replace("_", " ") not in message.body
        assert "The meals have stopped." not in message.body  # the fallback
    others = [r for r in ENDS_ACTIVE if r != reason]
    assert to_carer.body not in {
        messages.pairing_ended_to_carer(cook_name=COOK, diner_name=DINER, reason=r).body
        for r in others
    }
    assert to_cook.body not in {
        messages.pairing_ended_to_cook(diner_name=DINER, reason=r).body for r in others
    }


def test_message_tells_the_carer_a_new_cook_is_sought_unless_the_relative_left():
    sought = messages.pairing_ended_to_carer(
        cook_name=COOK, diner_name=DINER, reason=EndReason.ended_by_staff
    )
    left = messages.pairing_ended_to_carer(
        cook_name=COOK, diner_name=DINER, reason=EndReason.diner_left
    )
    assert sought.subject == "Priya's meals for Edna have stopped"
    assert sought.body == (
        "The council's coordinator has ended the meals. We are looking for another cook near "
        "Edna, and will tell you when one says yes. The coordinator can tell you more."
    )
    assert "another cook" not in left.body and left.body.startswith("Edna has left")


def test_message_keeps_a_suspensions_reason_from_the_carer():
    to_carer = messages.pairing_ended_to_carer(
        cook_name=COOK, diner_name=DINER, reason=EndReason.cook_suspended
    )
    assert "suspend" not in to_carer.body.lower()
    assert (
        messages.pairing_ended_to_cook(diner_name=DINER, reason=EndReason.cook_suspended).body
        == "Your account is suspended. The coordinator will be in touch."
    )


def test_message_text_joins_subject_and_body_when_it_has_no_text_of_its_own():
    message = RENDERED["meal_missed"]
    assert message.event in TEXT_EVENTS
    assert message.text() == sms_text(message.event, message.subject, message.body)
    own = messages.Message("meal_reminder", "Tomorrow", "A reminder.", sms="Meal for Edna 17:30")
    assert own.text() == "Meal for Edna 17:30"


def test_message_uses_the_first_name_when_the_diner_has_a_title(
    client, session: Session, settings, staff
):
    """The cook's invitation and the carer's news say "Edna" for "Mrs Edna Smith"."""
    from tests.factories import approved_cook, auth_headers, registered_diner

    cook, cook_id = approved_cook(client, session, settings, staff)
    carer, diner_id = registered_diner(
        client, session, settings, **diner_payload(full_name="Mrs Edna Smith")
    )
    body = {"diner_id": diner_id, "cook_id": cook_id, "weekday": 1, "start": "17:30",
            "frequency": "weekly"}  # fmt: skip
    proposed = client.post("/api/staff/pairings", json=body, headers=auth_headers(staff, settings))
    assert proposed.status_code == 201, proposed.text
    accepted = client.post(
        f"/api/pairings/{proposed.json()['id']}/accept", headers=auth_headers(cook, settings)
    )
    assert accepted.status_code == 200, accepted.text
    invitation = session.exec(select(Notification).where(Notification.event == "proposal")).one()
    assert invitation.to_user_id == cook.id
    assert invitation.subject == "Would you cook for Edna?"
    news = session.exec(select(Notification).where(Notification.event == "pairing_accepted")).one()
    assert news.to_user_id == carer.id
    assert news.subject == "Priya will cook for Edna"


def test_proposal_row_equals_what_enqueue_writes_when_written_in_bulk(
    client, session: Session, settings, staff
):
    """A proposal's invitation (the batch's multi-row INSERT) is the row enqueue() would
    queue: the same key, Message-ID, channel (the cook prefers texts and has a phone) and
    the catalogue's words."""
    from tests.factories import approved_cook, auth_headers, registered_diner

    cook, cook_id = approved_cook(client, session, settings, staff)
    cook.contact_preference, cook.phone = "sms", "+447700900982"
    session.add(cook)
    session.commit()
    _, diner_id = registered_diner(client, session, settings)
    body = {"diner_id": diner_id, "cook_id": cook_id, "weekday": 1, "start": "17:30",
            "frequency": "weekly"}  # fmt: skip
    proposed = client.post("/api/staff/pairings", json=body, headers=auth_headers(staff, settings))
    assert proposed.status_code == 201, proposed.text
    world = SimpleNamespace(pairing_id=proposed.json()["id"], diner_id=diner_id)
    row = session.exec(select(Notification).where(Notification.event == "proposal")).one()
    assert row.channel == "sms"  # the cook chose texts
    assert row.subject == "Would you cook for Edna?"
    # When, how often, what the meal must be, and where to answer (an outside check: only the
    # name and the distance, and "your invitations page", which no page is called).
    assert row.body.startswith("The council suggests you cook for Edna, about ")
    assert " from you, on Tuesdays at 17:30, every week. The meals must be: " in row.body
    assert "free from peanuts" in row.body
    assert row.body.endswith(
        f"Please accept or decline on your page: {get_settings().public_url}/cook/"
    )
    pairing = session.get(Pairing, world.pairing_id)
    diner = session.get(Diner, world.diner_id)
    assert pairing is not None and diner is not None
    words = messages.proposal(  # the catalogue's words, built apart from the bulk insert's
        diner_name="Edna",
        distance=public_distance_text(pairing.distance_m),
        weekday=pairing.weekday,
        start=pairing.start,
        frequency=pairing.frequency,
        needs=messages.needs_in_words(
            diets=diner.diets, allergies=diner.allergies, texture=diner.texture
        ),
        page=f"{get_settings().public_url.rstrip('/')}/cook/",
    )
    twin = enqueue(
        session,
        event=words.event,
        to=cook,
        subject=words.subject,
        body=words.body,
        dedupe_key=f"pairing:{world.pairing_id}:proposed",
        about_diner_id=world.diner_id,
        fresh=True,
    )
    assert twin is not None
    session.expunge(twin)  # compared, never written
    for field in ("dedupe_key", "event", "channel", "to_user_id", "about_diner_id",
                  "subject", "body", "message_id", "status"):  # fmt: skip
        assert getattr(row, field) == getattr(twin, field), field


def test_services_queue_the_catalogue_words_when_a_pairing_is_accepted(
    client, session: Session, settings, staff
):
    world = active_pairing(client, session, settings, staff)
    news = session.exec(
        select(Notification).where(
            Notification.event == "pairing_accepted", Notification.to_user_id == world.carer.id
        )
    ).one()
    first = session.exec(
        select(Meal.date).where(Meal.pairing_id == world.pairing_id).order_by(col(Meal.date))
    ).first()
    expected = messages.pairing_accepted(
        cook_name="Priya",
        diner_name="Edna",
        weekday=1,
        start="17:30",
        frequency="weekly",
        first=first,
    )
    assert first is not None and day_month(first) in news.body
    assert (news.event, news.subject, news.body) == (
        expected.event,
        expected.subject,
        expected.body,
    )


def test_a_cover_request_says_what_the_meal_must_be():
    """It named only a day and a time: a cover cook learnt the diet nowhere (an outside check)."""
    needs = messages.needs_in_words(
        diets=["vegetarian", "halal"], allergies=["peanuts", "sesame"], texture="pureed"
    )
    assert needs == "Vegetarian, Halal; free from peanuts and sesame; puréed (IDDSI level 4)."
    body = messages.cover_request(diner_name=DINER, day=THURSDAY, start="17:30", needs=needs).body
    assert "The meal must be: Vegetarian, Halal; free from peanuts and sesame;" in body
    plain = messages.needs_in_words(diets=[], allergies=[], texture="regular")
    # Read after "The meals must be:", and not "nothing special."
    assert plain == "an ordinary home-cooked meal (no special diet, allergy or texture to keep to)."


def test_what_a_meal_must_be_lists_allergens_as_a_sentence_does():
    """An outside check read "free from peanuts and sesame and milk"."""
    said = messages.needs_in_words(
        diets=["vegetarian"], allergies=["peanuts", "sesame", "milk"], texture="regular"
    )
    assert said == "Vegetarian; free from peanuts, sesame and milk."


def test_a_cover_that_fell_through_promises_other_cooks_only_when_some_were_asked():
    """An outside check: "We are asking other cooks" was sent when no cook had been asked."""
    none = messages.cover_fell_through(diner_name=DINER, day=THURSDAY, start="17:30", asked=0)
    some = messages.cover_fell_through(diner_name=DINER, day=THURSDAY, start="17:30", asked=2)
    assert "asking other cooks" not in none.body and "coordinator will be in touch" in none.body
    assert "We are asking other cooks" in some.body
    # The coordinator is one of those told: not told the coordinator will be in touch.
    staff = messages.cover_fell_through(
        diner_name=DINER, day=THURSDAY, start="17:30", asked=0, to_staff=True
    )
    assert "coordinator" not in staff.body and "please find someone" in staff.body


def test_a_declining_cooks_words_stand_on_their_own_lines():
    """An outside check read: They said: "Sorry, "Thursdays" are my night shift.\nMaybe in
    spring"."""
    said = messages.pairing_declined(
        cook_name=COOK, diner_name=DINER, reason='Sorry, "Thursdays" are my night shift.\nMaybe'
    ).body
    assert said.endswith('They said:\n\nSorry, "Thursdays" are my night shift.\nMaybe')


def test_a_concern_names_its_diner_and_page_to_staff_and_is_acknowledged_to_its_raiser(
    client, session: Session, settings, staff
):
    """An outside check: staff read "look at it in the concerns queue", with no diner and no
    link; the raiser heard nothing until staff changed its status."""
    world = active_pairing(client, session, settings, staff, coordinator=staff)
    raised = client.post(
        "/api/concerns",
        json={"diner_id": world.diner_id, "kind": "welfare", "description": "She seemed low"},
        headers=world.carer_headers,
    )
    assert raised.status_code == 201, raised.text
    to_staff = session.exec(
        select(Notification).where(Notification.event == "concern_raised")
    ).one()
    assert "A concern about Edna was raised" in to_staff.body
    assert to_staff.body.endswith(f"/staff/concerns/{raised.json()['id']}")
    [received] = session.exec(
        select(Notification).where(Notification.event == "concern_received")
    ).all()
    assert received.to_user_id == world.carer.id
    assert raised.json()["reference"] in received.subject


def test_a_one_day_pause_is_said_as_one_day():
    """An outside check read "away from 10 December to 10 December"."""
    day = date(2026, 12, 10)
    one = messages.diner_paused(diner_name=DINER, day=day, away_from=day, away_to=day).body
    assert one.startswith("Edna is away on 10 December, so that meal is cancelled.")


def test_who_will_knock_and_a_concern_received_go_by_text_to_a_carer_who_chose_texts(
    client, session: Session, settings, staff
):
    """A carer who chose texts had "Priya will cook for Edna" and "We have your concern" only
    by email (an outside check)."""
    from tests.factories import auth_headers, proposed_pairing

    world = proposed_pairing(client, session, settings, staff)
    carer = session.get(User, world.carer.id)
    assert carer is not None
    carer.contact_preference, carer.phone = "sms", "+447700900983"
    session.add(carer)
    session.commit()
    accepted = client.post(f"/api/pairings/{world.pairing_id}/accept", headers=world.cook_headers)
    assert accepted.status_code == 200, accepted.text
    raised = client.post(
        "/api/concerns",
        json={"diner_id": world.diner_id, "kind": "other", "description": "Late twice"},
        headers=auth_headers(carer, settings),
    )
    assert raised.status_code == 201, raised.text
    to_carer = session.exec(select(Notification).where(Notification.to_user_id == carer.id)).all()
    channels = {n.event: n.channel for n in to_carer}
    assert channels["pairing_accepted"] == "sms" and channels["concern_received"] == "sms"
