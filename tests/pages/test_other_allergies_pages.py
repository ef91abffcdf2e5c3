"""Other foods a diner must not have, on the pages (JavaScript off): the carer's food step and
check answers, the change page, the cook's invitation and next meal, and staff's match, cover,
record and referral pages."""

from __future__ import annotations

from html import unescape

from fastapi.testclient import TestClient
from sqlmodel import Session, select

from app.config import Settings
from app.models import Council, Diner, User
from tests.factories import (
    DEFAULT_PASSWORD,
    active_pairing,
    approved_cook,
    auth_headers,
    create_user,
    diner_payload,
)
from tests.pages.helpers import form_token, text_of, textarea

ABOUT = {"full_name": "Edith Brown", "address_line": "14 Gravel Hill", "postcode": "N3 1QX"}
TIMES = {"days": ["1"], "start-1": "17:30", "end-1": "19:00", "frequency": "weekly"}
LABEL = "Other foods they must not have"


def post(client: TestClient, path: str, data: dict, page: str | None = None):
    token = form_token(client, page or path)
    return client.post(path, data={**data, "csrf_token": token}, follow_redirects=False)


def sign_in(client: TestClient, user: User) -> None:
    done = post(client, "/sign-in", {"email": user.email, "password": DEFAULT_PASSWORD})
    assert done.status_code == 303, done.text


def test_a_carer_registers_other_foods_on_the_food_step_and_sees_them_in_check_answers(
    client: TestClient, session: Session, barnet: Council
):
    carer = create_user(session, role="carer")
    sign_in(client, carer)
    food = client.get("/carer/register/food")
    assert LABEL in food.text and 'name="other_allergies"' in food.text
    for step, answers in (
        ("about", ABOUT),
        ("food", {"allergies": ["peanuts"], "texture": "regular",
                  "other_allergies": "Kiwi fruit\r\nStrawberries"}),
        ("times", TIMES),
        ("access", {"access_notes": "Key safe by the door"}),
    ):  # fmt: skip
        done = post(client, f"/carer/register/{step}", answers)
        assert done.status_code == 303, done.text
    check = text_of(client.get("/carer/register/check").text)
    assert f"{LABEL} Kiwi fruit Strawberries Change" in check
    assert post(client, "/carer/register/check", {"consent": "yes"}).status_code == 303
    diner = session.exec(select(Diner).where(Diner.carer_id == carer.id)).one()
    assert diner.other_allergies == "Kiwi fruit\nStrawberries"
    assert diner.access_notes == "Key safe by the door"
    shown = text_of(client.get(f"/carer/relatives/{diner.id}").text)
    assert f"{LABEL} Kiwi fruit Strawberries" in shown


def test_other_foods_with_a_hidden_character_come_back_beside_their_error_as_typed(
    client: TestClient, session: Session, barnet: Council
):
    sign_in(client, create_user(session, role="carer"))
    typed = "Kiwi\u202efruit"
    page = post(client, "/carer/register/food", {"texture": "regular", "other_allergies": typed})
    assert page.status_code == 422
    assert 'href="#other_allergies"' in page.text
    assert f"{LABEL} has a hidden character, perhaps from copying and pasting" in unescape(
        page.text
    )
    assert textarea(page.text, "other_allergies") == typed
    too_long = post(client, "/carer/register/food", {"texture": "regular",
                                                     "other_allergies": "k" * 301})  # fmt: skip
    assert f"{LABEL} must be 300 characters or fewer" in unescape(too_long.text)


def test_the_carer_changes_other_foods_on_the_change_page(
    client: TestClient, session: Session, settings: Settings, staff: User
):
    world = active_pairing(client, session, settings, staff)
    sign_in(client, world.carer)
    path = f"/carer/relatives/{world.diner_id}/change/food"
    page = client.get(path)
    assert page.status_code == 200 and textarea(page.text, "other_allergies") == ""
    answers = {"diets": ["vegetarian"], "allergies": ["peanuts"], "texture": "soft_bite_sized",
               "other_allergies": "Kiwi fruit"}  # fmt: skip
    done = post(client, path, answers)
    assert done.status_code == 303, done.text
    diner = session.get(Diner, world.diner_id)
    assert diner is not None
    session.refresh(diner)
    assert diner.other_allergies == "Kiwi fruit"
    assert textarea(client.get(path).text, "other_allergies") == "Kiwi fruit"


def test_the_invited_cook_reads_a_warning_of_the_other_foods_before_the_buttons(
    client: TestClient, session: Session, settings: Settings, staff: User
):
    cook, cook_id = approved_cook(client, session, settings, staff)
    carer = create_user(session, role="carer")
    diner = client.post(
        "/api/diners", json=diner_payload(other_allergies="Kiwi fruit"),
        headers=auth_headers(carer, settings),
    ).json()  # fmt: skip
    body = {"diner_id": diner["id"], "cook_id": cook_id, "weekday": 1, "start": "17:30",
            "frequency": "weekly"}  # fmt: skip
    proposed = client.post("/api/staff/pairings", json=body, headers=auth_headers(staff, settings))
    assert proposed.status_code == 201, proposed.text
    sign_in(client, cook)
    home = client.get("/cook/").text
    card = home[home.index("Would you like to cook for Edna?") :]
    warning = card.index("Edna must also not have: Kiwi fruit. We have not checked this")
    assert "govuk-warning-text" in card[:warning] and warning < card.index("Accept")
    assert f"{LABEL} Kiwi fruit" in text_of(card)
    # Accepted: the next meal lists them beside the 14.
    accepted = post(client, f"/cook/invitations/{proposed.json()['id']}/accept", {}, page="/cook/")
    assert accepted.status_code == 303, accepted.text
    home = client.get("/cook/").text
    next_meal = text_of(home[home.index("Your next meal") : home.index("Print a label")])
    assert f"Must not contain Peanuts {LABEL} Kiwi fruit" in next_meal


def test_staff_see_other_foods_on_match_and_record_pages_and_refer_with_them(
    client: TestClient, session: Session, settings: Settings, staff: User
):
    carer = create_user(session, role="carer")
    diner = client.post(
        "/api/diners", json=diner_payload(other_allergies="Kiwi fruit"),
        headers=auth_headers(carer, settings),
    ).json()  # fmt: skip
    sign_in(client, staff)
    match = text_of(client.get(f"/staff/diners/{diner['id']}/match").text)
    assert f"{LABEL} Kiwi fruit. Not checked in these suggestions" in match
    record = text_of(client.get(f"/staff/diners/{diner['id']}").text)
    assert f"{LABEL} Kiwi fruit Change" in record
    answers = {**ABOUT, "texture": "regular", **TIMES, "consent": "yes",
               "other_allergies": "Strawberries"}  # fmt: skip
    referred = post(client, "/staff/refer", answers)
    assert referred.status_code == 303, referred.text
    made = session.exec(select(Diner).where(Diner.full_name == "Edith Brown")).one()
    assert made.other_allergies == "Strawberries" and made.carer_id is None
