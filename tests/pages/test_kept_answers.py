"""A signed-in form posted after its sign-in ended keeps what was typed: once the same person
has signed in again in the same browser, the form shows it, with a notice that nothing has been
sent (app/pages/kept_answers.py). Nobody else gets it, and a forged post plants nothing."""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import timedelta
from typing import Any
from urllib.parse import quote

import pytest
from fastapi.testclient import TestClient
from httpx import Response
from sqlmodel import Session, col, select

from app.config import Settings
from app.db import utcnow
from app.deps import CSRF_COOKIE, SESSION_COOKIE
from app.models import Concern, Cook, Diner, FormDraft, Pairing, User
from app.pages.forms import KEPT_COOKIE
from app.privacy.retention import forget_old_records
from app.privacy.service import erase_cook
from tests.factories import (
    DEFAULT_PASSWORD,
    PairingWorld,
    active_pairing,
    auth_headers,
    diner_payload,
    proposed_pairing,
)
from tests.pages.helpers import textarea
from tests.pages.test_carer_pages import post, value_of
from tests.pages.test_staff_concerns import raise_concern

KEPT_NOTICE = "We kept what you typed before your sign-in ended."
WRITTEN = "Edna said the cook shouted at her.\nShe was upset all evening."


@pytest.fixture
def world(client: TestClient, session: Session, settings: Settings, staff: User) -> dict:
    """Edna, her carer and her cook, who cooks for her (tests/factories.py)."""
    pairing: PairingWorld = active_pairing(client, session, settings, staff)
    return {"carer": pairing.carer, "cook": pairing.cook, "diner_id": pairing.diner_id,
            "pairing_id": pairing.pairing_id, "staff": staff}  # fmt: skip


def sign_in(client: TestClient, user: User, next_: str = "") -> Response:
    done = post(
        client, "/sign-in", {"email": user.email, "password": DEFAULT_PASSWORD, "next": next_}
    )
    assert done.status_code == 303, done.text
    return done


def hidden_fields(client: TestClient, page: str) -> dict[str, str]:
    """The form's token and whom it was rendered for, as a browser holds them."""
    shown = client.get(page)
    assert shown.status_code == 200, shown.text
    fields = {name: value_of(shown.text, name) or "" for name in ("csrf_token", "rendered_for")}
    assert fields["rendered_for"], f"no rendered_for on {page}"
    return fields


def end_sign_in(client: TestClient) -> None:
    """What the browser does at the session cookie's Max-Age: drops it (and its CSRF value)."""
    for name in (SESSION_COOKIE, CSRF_COOKIE):
        client.cookies.delete(name)


def send_after_the_end(
    client: TestClient, path: str, page: str, data: Mapping[str, Any], **headers: str
) -> Response:
    return client.post(
        path,
        data=data,
        headers={"Referer": f"http://testserver{page}", **headers},
        follow_redirects=False,
    )


def concern_answers(world: dict, fields: dict[str, str]) -> dict[str, str]:
    return {
        **fields,
        "diner": str(world["diner_id"]),
        "kind": "cook_behaviour",
        "serious": "yes",
        "description": WRITTEN,
    }


def kept_rows(session: Session) -> list[FormDraft]:
    return list(session.exec(select(FormDraft).where(col(FormDraft.journey).startswith("kept:"))))


def test_a_concern_sent_after_the_sign_in_ended_comes_back_filled_in_when_signed_in_again(
    client: TestClient, session: Session, world: dict
):
    page = f"/concerns/new?diner={world['diner_id']}"
    sign_in(client, world["carer"])
    fields = hidden_fields(client, page)
    end_sign_in(client)

    sent = send_after_the_end(client, "/concerns/new", page, concern_answers(world, fields))

    assert sent.status_code == 303
    assert sent.headers["location"] == f"/sign-in?done=kept&next={quote(page, safe='')}"
    assert KEPT_COOKIE in client.cookies
    told = client.get(sent.headers["location"]).text
    assert "so nothing was sent. We have kept what you typed" in told
    back = sign_in(client, world["carer"], next_=page)
    assert back.headers["location"] == page
    shown = client.get(page)
    assert KEPT_NOTICE in shown.text and "Nothing has been sent yet" in shown.text
    assert textarea(shown.text, "description") == WRITTEN
    assert re.search(r'value="cook_behaviour" checked', shown.text)
    assert re.search(r'name="serious" type="checkbox" value="yes" checked', shown.text)
    assert session.exec(select(Concern)).first() is None  # nothing was acted on
    # Shown once: the browser's key is forgotten with it.
    assert KEPT_COOKIE not in client.cookies
    again = client.get(page).text
    assert KEPT_NOTICE not in again and textarea(again, "description") == ""


def test_another_person_signing_in_on_the_same_browser_sees_nothing_kept(
    client: TestClient, session: Session, world: dict
):
    """A shared computer: the carer's sign-in ended and they left; the cook signs in there."""
    page = f"/concerns/new?diner={world['diner_id']}"
    sign_in(client, world["carer"])
    fields = hidden_fields(client, page)
    end_sign_in(client)
    send_after_the_end(client, "/concerns/new", page, concern_answers(world, fields))

    sign_in(client, world["cook"], next_=page)
    shown = client.get(page)

    assert shown.status_code == 200
    assert KEPT_NOTICE not in shown.text and textarea(shown.text, "description") == ""
    assert WRITTEN.split("\n")[0] not in shown.text


@pytest.mark.parametrize(
    ("forged", "headers"),
    [
        ({"rendered_for": ""}, {}),  # another site's form: it cannot know whom ours was for
        ({"csrf_token": "guessed"}, {}),  # the signature is of the session's CSRF value too
        ({}, {"Origin": "https://evil.example"}),  # a page the browser says is another site's
        ({}, {"Sec-Fetch-Site": "cross-site"}),
    ],
)
def test_a_post_without_the_forms_own_tokens_plants_no_answers(
    client: TestClient, session: Session, world: dict, forged: dict, headers: dict
):
    page = f"/concerns/new?diner={world['diner_id']}"
    sign_in(client, world["carer"])
    fields = hidden_fields(client, page)
    end_sign_in(client)

    sent = send_after_the_end(
        client, "/concerns/new", page, {**concern_answers(world, fields), **forged}, **headers
    )

    assert sent.status_code == 303 and "done=ended" in sent.headers["location"]
    assert "set-cookie" not in sent.headers
    assert kept_rows(session) == []
    sign_in(client, world["carer"], next_=page)
    assert KEPT_NOTICE not in client.get(page).text


def test_a_cooks_reason_for_stopping_is_kept_when_the_sign_in_ended(
    client: TestClient, session: Session, world: dict
):
    sign_in(client, world["cook"])
    fields = hidden_fields(client, "/cook/stop")
    end_sign_in(client)

    sent = send_after_the_end(
        client, "/cook/stop", "/cook/stop", {**fields, "reason": "Moving to Leeds in May"}
    )
    sign_in(client, world["cook"], next_="/cook/stop")
    shown = client.get("/cook/stop").text

    assert "done=kept" in sent.headers["location"]
    assert KEPT_NOTICE in shown and textarea(shown, "reason") == "Moving to Leeds in May"
    cook = session.get(User, world["cook"].id)
    assert cook is not None
    # The kept row holds the answers only: no token, no CSRF value.
    (row,) = kept_rows(session)
    assert row.owner == f"user:{cook.id}"
    assert row.data == {"action": "/cook/stop", "answers": [["reason", "Moving to Leeds in May"]]}


def test_answers_kept_longer_than_two_hours_are_neither_shown_nor_kept(
    client: TestClient, session: Session, world: dict
):
    """They wait for a sign-in (or a password reset first), not for days."""
    sign_in(client, world["cook"])
    fields = hidden_fields(client, "/cook/stop")
    end_sign_in(client)
    send_after_the_end(client, "/cook/stop", "/cook/stop", {**fields, "reason": "Moving"})
    (row,) = kept_rows(session)
    row.updated_at = utcnow() - timedelta(hours=2, minutes=1)
    journey_draft = FormDraft(owner=row.owner, journey="register", data={}, updated_at=utcnow())
    session.add_all([row, journey_draft])
    session.commit()

    sign_in(client, world["cook"], next_="/cook/stop")
    shown = client.get("/cook/stop").text
    forget_old_records(session, now=utcnow())
    session.commit()

    assert KEPT_NOTICE not in shown and textarea(shown, "reason") == ""
    assert kept_rows(session) == []
    assert session.get(FormDraft, journey_draft.id) is not None  # a journey's draft: 7 days


def test_a_carers_change_to_what_their_relative_can_eat_is_kept_not_made(
    client: TestClient, session: Session, world: dict
):
    page = f"/carer/relatives/{world['diner_id']}/change/food"
    sign_in(client, world["carer"])
    fields = hidden_fields(client, page)
    end_sign_in(client)
    typed = [("diets", "vegetarian"), ("diets", "halal"), ("allergies", "peanuts"),
             ("allergies", "milk"), ("texture", "soft_bite_sized")]  # fmt: skip
    answers: dict[str, list[str]] = {}
    for name, value in typed:
        answers.setdefault(name, []).append(value)
    sent = send_after_the_end(client, page, page, {**fields, **answers})

    sign_in(client, world["carer"], next_=page)
    shown = client.get(page).text

    assert "done=kept" in sent.headers["location"]
    assert KEPT_NOTICE in shown
    for name, value in typed:
        assert re.search(rf'name="{name}" type="(checkbox|radio)" value="{value}" checked', shown)
    diner = session.get(Diner, world["diner_id"])
    assert diner is not None
    session.refresh(diner)
    assert "milk" not in diner.allergies  # nothing changed until they send it again


def test_a_carers_reason_for_stopping_their_relatives_meals_is_kept(
    client: TestClient, session: Session, world: dict
):
    page = f"/carer/relatives/{world['diner_id']}/leave"
    sign_in(client, world["carer"])
    fields = hidden_fields(client, page)
    end_sign_in(client)
    send_after_the_end(client, page, page, {**fields, "reason": "She has moved to a care home"})

    sign_in(client, world["carer"], next_=page)
    shown = client.get(page).text

    assert KEPT_NOTICE in shown
    assert textarea(shown, "reason") == "She has moved to a care home"
    pairing = session.get(Pairing, world["pairing_id"])
    assert pairing is not None
    session.refresh(pairing)
    assert pairing.status == "active"


def test_staffs_reason_for_ending_a_pairing_is_kept_and_their_confirmation_asked_again(
    client: TestClient, session: Session, world: dict
):
    record = f"/staff/diners/{world['diner_id']}"
    ending = f"{record}/pairing/{world['pairing_id']}/end"
    sign_in(client, world["staff"])
    fields = hidden_fields(client, record)
    end_sign_in(client)
    reason = "The cook's hours changed: she can no longer come on Tuesdays"
    send_after_the_end(client, ending, record, {**fields, "reason": reason, "end": "yes"})

    sign_in(client, world["staff"], next_=record)
    shown = client.get(record).text

    assert KEPT_NOTICE in shown
    assert textarea(shown, "reason") == reason
    assert '<details class="govuk-details" id="end-pairing" open>' in shown
    assert not re.search(r'name="end" type="checkbox" value="yes" checked', shown)
    pairing = session.get(Pairing, world["pairing_id"])
    assert pairing is not None
    session.refresh(pairing)
    assert pairing.status == "active"


def test_a_staff_referral_sent_after_the_sign_in_ended_comes_back_filled_in(
    client: TestClient, session: Session, world: dict
):
    sign_in(client, world["staff"])
    fields = hidden_fields(client, "/staff/refer")
    end_sign_in(client)
    typed = {
        "full_name": "Harold Green",
        "address_line": "4 Quiet Close",
        "postcode": "N3 1QX",
        "allergies": ["peanuts", "sesame"],
        "access_notes": "Ring twice, he is slow to the door",
        "consent": "yes",
    }
    send_after_the_end(client, "/staff/refer", "/staff/refer", {**fields, **typed})

    sign_in(client, world["staff"], next_="/staff/refer")
    shown = client.get("/staff/refer").text

    assert KEPT_NOTICE in shown
    assert value_of(shown, "full_name") == "Harold Green"
    assert value_of(shown, "postcode") == "N3 1QX"
    assert textarea(shown, "access_notes") == "Ring twice, he is slow to the door"
    for allergen in ("peanuts", "sesame"):
        assert re.search(rf'name="allergies" type="checkbox" value="{allergen}" checked', shown)
    assert not re.search(r'name="consent" type="checkbox" value="yes" checked', shown)
    assert session.exec(select(Diner).where(Diner.full_name == "Harold Green")).first() is None


@pytest.mark.parametrize(
    ("who", "page", "typed"),
    [
        # The earlier steps are kept between pages already (drafts): this step's answers too.
        ("carer", "/carer/register/access", {"access_notes": "Key safe by the back door"}),
        ("cook", "/cook/profile/address", {"address_line": "9 Long Lane", "postcode": "N3 2AB"}),
    ],
)
def test_a_step_of_a_journey_sent_after_the_sign_in_ended_comes_back_filled_in(
    client: TestClient, session: Session, world: dict, who: str, page: str, typed: dict[str, str]
):
    sign_in(client, world[who])
    fields = hidden_fields(client, page)
    end_sign_in(client)
    sent = send_after_the_end(client, page, page, {**fields, **typed})

    sign_in(client, world[who], next_=page)
    shown = client.get(page).text

    assert "done=kept" in sent.headers["location"]
    assert KEPT_NOTICE in shown
    for name, value in typed.items():
        assert (value_of(shown, name) or textarea(shown, name)) == value


def test_staffs_note_on_a_concern_is_kept_and_what_it_does_to_the_cook_asked_again(
    client: TestClient, session: Session, settings: Settings, world: dict
):
    made = raise_concern(client, auth_headers(world["carer"], settings), world["diner_id"])
    page = f"/staff/concerns/{made['id']}"
    sign_in(client, world["staff"])
    fields = hidden_fields(client, page)
    end_sign_in(client)
    note = "Spoke to the cook and to Edna's daughter: the meal came late, not missing."
    typed = {"status": "upheld", "note": note, "suspend_cook": "yes"}
    send_after_the_end(client, page, page, {**fields, **typed})

    sign_in(client, world["staff"], next_=page)
    shown = client.get(page).text

    assert KEPT_NOTICE in shown
    assert textarea(shown, "note") == note
    assert re.search(r'value="upheld" checked', shown)
    assert not re.search(r'name="suspend_cook"[^>]*value="yes" checked', shown)
    concern = session.get(Concern, made["id"])
    assert concern is not None
    session.refresh(concern)
    assert concern.status == "open"


def test_staffs_reason_for_suspending_a_cook_is_kept_and_the_cook_not_suspended(
    client: TestClient, session: Session, world: dict
):
    cook = session.exec(select(Cook).where(Cook.user_id == world["cook"].id)).one()
    record = f"/staff/cooks/{cook.id}"
    sign_in(client, world["staff"])
    fields = hidden_fields(client, record)
    end_sign_in(client)
    reason = "A carer reported food left out overnight"
    send_after_the_end(client, f"{record}/suspend", record, {**fields, "reason": reason})

    sign_in(client, world["staff"], next_=record)
    shown = client.get(record).text

    assert KEPT_NOTICE in shown
    assert textarea(shown, "reason") == reason
    assert '<details class="govuk-details" id="suspend" open>' in shown
    session.refresh(cook)
    assert cook.status == "approved"


def test_a_cooks_reason_for_declining_an_invitation_is_kept(
    client: TestClient, session: Session, settings: Settings, staff: User
):
    invited = proposed_pairing(client, session, settings, staff)
    page = f"/cook/invitations/{invited.pairing_id}/decline"
    sign_in(client, invited.cook)
    fields = hidden_fields(client, page)
    end_sign_in(client)
    send_after_the_end(client, page, page, {**fields, "reason": "I am away most Tuesdays"})

    sign_in(client, invited.cook, next_=page)
    shown = client.get(page).text

    assert KEPT_NOTICE in shown and textarea(shown, "reason") == "I am away most Tuesdays"
    pairing = session.get(Pairing, invited.pairing_id)
    assert pairing is not None
    session.refresh(pairing)
    assert pairing.status == "proposed"


def test_answers_kept_for_a_cook_go_with_the_cooks_erasure(
    client: TestClient, session: Session, world: dict
):
    """They can hold personal data (a reason, an address): an erasure leaves none behind."""
    sign_in(client, world["cook"])
    fields = hidden_fields(client, "/cook/stop")
    end_sign_in(client)
    send_after_the_end(client, "/cook/stop", "/cook/stop", {**fields, "reason": "Moving house"})
    assert len(kept_rows(session)) == 1
    cook = session.exec(select(Cook).where(Cook.user_id == world["cook"].id)).one()

    erase_cook(session, staff=world["staff"], cook=cook)
    session.commit()

    assert kept_rows(session) == []


def test_a_concern_kept_about_one_relative_is_not_shown_on_the_form_about_another(
    client: TestClient, session: Session, settings: Settings, world: dict
):
    second = client.post(
        "/api/diners",
        json=diner_payload(full_name="Albert Smith"),
        headers=auth_headers(world["carer"], settings),
    )
    assert second.status_code == 201, second.text
    page = f"/concerns/new?diner={world['diner_id']}"
    sign_in(client, world["carer"])
    fields = hidden_fields(client, page)
    end_sign_in(client)
    send_after_the_end(client, "/concerns/new", page, concern_answers(world, fields))

    sign_in(client, world["carer"])
    other = client.get(f"/concerns/new?diner={second.json()['id']}").text
    own = client.get(page).text

    assert KEPT_NOTICE not in other and textarea(other, "description") == ""
    assert KEPT_NOTICE in own and textarea(own, "description") == WRITTEN
