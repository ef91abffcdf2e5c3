"""The carer's pages with JavaScript off (TestClient): sign-up, registering a relative step by
step, "My relatives", changing a relative's needs, the friendship question, own details."""

from __future__ import annotations

import re
from datetime import date, timedelta
from html import unescape

import pytest
from fastapi.testclient import TestClient
from sqlmodel import Session, col, func, select

from app.config import Settings
from app.councils.rules import council_today
from app.councils.service import add_neighbourhood
from app.demo import DEMO_PASSWORD, carer_email
from app.models import (
    AuditEntry,
    Council,
    Diner,
    LoginFailure,
    Meal,
    MealFeedback,
    Notification,
    Pairing,
    User,
)
from tests.conftest import TEST_SETTINGS
from tests.factories import (
    DEFAULT_PASSWORD,
    approved_cook,
    auth_headers,
    covering_helper,
    create_user,
    diner_payload,
)
from tests.pages.helpers import form_token, marked_boxes, text_of, textarea, title
from tests.test_demo import demo_client, demo_url, seeded  # noqa: F401 (the seeded demo)

ABOUT = {"full_name": "Edith Brown", "address_line": "14 Gravel Hill", "postcode": "N3 1QX"}
TIMES = {"days": ["1"], "start-1": "17:30", "end-1": "19:00", "frequency": "weekly"}


@pytest.fixture
def barnet_named(session: Session, barnet: Council) -> Council:
    """The root's Barnet with its real name (the factory names councils "Council N"), for the
    pages that print the council's name."""
    barnet.name = "Barnet"
    session.add(barnet)
    session.flush()
    return barnet


def post(client: TestClient, path: str, data: dict, page: str | None = None):
    """Post a form the way a browser does: with the token of the page that shows it."""
    token = form_token(client, page or path)
    return client.post(path, data={**data, "csrf_token": token}, follow_redirects=False)


def summary(html: str) -> list[tuple[str, str]]:
    box = re.search(r'class="govuk-error-summary.*?</ul>', html, re.DOTALL)
    assert box, "no error summary"
    links = re.findall(r'<a href="(#[^"]+)">([^<]+)</a>', box.group())
    return [(href, unescape(text)) for href, text in links]


def value_of(html: str, name: str) -> str | None:
    found = re.search(rf'name="{name}"[^>]*value="([^"]*)"', html) or re.search(
        rf'value="([^"]*)"[^>]*name="{name}"', html
    )
    return unescape(found.group(1)) if found else None


def signed_in_carer(client: TestClient, session: Session, **fields: object) -> User:
    carer = create_user(session, role="carer", **fields)  # type: ignore[arg-type]
    done = post(client, "/sign-in", {"email": carer.email, "password": DEFAULT_PASSWORD})
    assert done.status_code == 303, done.text
    return carer


def test_a_carer_with_no_relative_yet_is_not_told_of_their_relatives_neighbourhood(
    client: TestClient, session: Session, barnet: Council
):
    signed_in_carer(client, session)

    page = client.get("/carer/").text

    assert "does not have a coordinator yet" not in page
    assert "When you register a relative, the coordinator for where they live" in page


def test_a_relatives_page_with_an_id_past_any_id_is_not_found_rather_than_an_error(
    client: TestClient, session: Session
):
    """The number went to the database, which cannot take it: a 500 before."""
    signed_in_carer(client, session)
    huge = 99999999999999999999
    for address in (
        f"/carer/relatives/{huge}",
        f"/carer/relatives/{huge}/friendship",
        f"/carer/relatives/{huge}/change/diets",
        f"/carer/relatives/{huge}/pause",
        f"/carer/relatives/1/meals/{huge}/rating",
    ):
        page = client.get(address)
        assert page.status_code == 404 and "Page not found" in page.text, address
    sent = client.post(f"/carer/relatives/{huge}/friendship", data={"csrf_token": "x"})
    assert sent.status_code == 404 and "Page not found" in sent.text


# --- before the account: do we run where the relative lives? ------------------------------------


def test_start_goes_to_the_account_when_a_council_runs_where_the_relative_lives(
    client: TestClient, barnet_named: Council
):
    assert client.get("/sign-up-carer.html", follow_redirects=False).headers["location"] == (
        "/carer/start"
    )
    done = post(client, "/carer/start", {"postcode": "n31qx"})
    assert done.status_code == 303 and done.headers["location"] == "/carer/sign-up"
    page = client.get("/carer/sign-up")
    assert "Barnet runs Extra Portion for" in page.text and "N3 1QX" in page.text


def test_start_offers_the_waiting_list_when_no_council_runs_there(
    client: TestClient, barnet: Council
):
    done = post(client, "/carer/start", {"postcode": "M1 1AE"})
    assert done.headers["location"] == "/carer/not-yet"
    page = client.get("/carer/not-yet")
    assert "We do not run in your relative" in page.text and "M1" in page.text
    assert client.get("/carer/sign-up", follow_redirects=False).headers["location"] == (
        "/carer/start"
    )


def test_the_waiting_list_keeps_the_agreement_ticked_when_the_email_is_wrong(
    client: TestClient, barnet: Council
):
    post(client, "/carer/start", {"postcode": "M1 1AE"})
    page = post(client, "/carer/not-yet", {"email": "not an email", "consent": "yes"})
    assert page.status_code == 422 and [h for h, _ in summary(page.text)] == ["#email"]
    assert value_of(page.text, "email") == "not an email"
    assert re.search(r'id="consent"[^>]*value="yes" checked', page.text)


# --- the carer's account ----------------------------------------------------------------------


def test_sign_up_lists_every_error_at_once_and_keeps_the_answers_when_they_are_wrong(
    client: TestClient, barnet: Council
):
    post(client, "/carer/start", {"postcode": "N3 1QX"})
    answers = {
        "full_name": "Alan Brown",
        "email": "alan.example.org",
        "password": "short",
        "phone": "12345",
    }
    page = post(client, "/carer/sign-up", answers)
    assert page.status_code == 422
    assert title(page) == "Error: Create your account – Extra Portion"
    assert [href for href, _ in summary(page.text)] == [
        "#email",
        "#password",
        "#phone",
        "#contact_preference",
    ]
    assert "Select how you would like us to contact you" in page.text
    assert value_of(page.text, "full_name") == "Alan Brown"
    assert value_of(page.text, "phone") == "12345"
    assert "short" not in page.text  # never a password


def test_sign_up_says_the_hints_example_phone_is_an_example_when_it_is_typed(
    client: TestClient, barnet: Council
):
    post(client, "/carer/start", {"postcode": "N3 1QX"})
    answers = {
        "full_name": "Alan Brown",
        "email": "alan@example.org",
        "password": "a long walk to the shops 42",
        "phone": "07700 900 982",
        "contact_preference": "email",
    }
    page = post(client, "/carer/sign-up", answers)
    assert page.status_code == 422
    assert summary(page.text) == [
        ("#phone", "That is an example number, not one in use: enter your own phone number")
    ]


def test_sign_up_makes_the_carer_with_phone_and_preference_and_signs_them_in(
    client: TestClient, session: Session, barnet: Council
):
    post(client, "/carer/start", {"postcode": "N3 1QX"})
    done = post(
        client,
        "/carer/sign-up",
        {
            "full_name": "Alan Brown",
            "email": "alan@example.org",
            "password": "copper harbour 27 zebra",
            "phone": "07911 123456",
            "contact_preference": "sms",
        },
    )
    assert done.status_code == 303 and done.headers["location"] == "/carer/register/about"
    carer = session.exec(select(User).where(User.email == "alan@example.org")).one()
    assert (carer.role, carer.phone, carer.contact_preference) == ("carer", "+447911123456", "sms")
    about = client.get("/carer/register/about")
    assert about.status_code == 200
    assert value_of(about.text, "postcode") == "N3 1QX"  # the postcode checked first


def test_sign_up_asks_for_a_mobile_when_texts_are_chosen_with_a_landline(
    client: TestClient, barnet: Council
):
    post(client, "/carer/start", {"postcode": "N3 1QX"})
    page = post(
        client,
        "/carer/sign-up",
        {
            "full_name": "Alan Brown",
            "email": "alan@example.org",
            "password": "copper harbour 27 zebra",
            "phone": "020 7946 0018",
            "contact_preference": "sms",
        },
    )
    assert summary(page.text) == [
        ("#phone", "Enter a mobile phone number to get text messages, like 07700 900 982")
    ]


# --- registering a relative, step by step -------------------------------------------------------


def test_about_step_catches_a_bad_postcode_on_its_own_step_and_keeps_the_other_answers(
    client: TestClient, session: Session, barnet: Council
):
    signed_in_carer(client, session)
    page = post(client, "/carer/register/about", {**ABOUT, "postcode": "ZZ9 9ZZ", "phone": "12345"})
    assert page.status_code == 422 and title(page).startswith("Error: About your relative")
    assert [href for href, _ in summary(page.text)] == ["#postcode", "#phone"]
    assert value_of(page.text, "full_name") == "Edith Brown"
    assert value_of(page.text, "address_line") == "14 Gravel Hill"
    assert value_of(page.text, "postcode") == "ZZ9 9ZZ"


def test_about_step_refuses_an_out_of_area_postcode_before_anything_is_registered(
    client: TestClient, session: Session, barnet: Council
):
    carer = signed_in_carer(client, session)
    page = post(client, "/carer/register/about", {**ABOUT, "postcode": "M1 1AE"})
    assert summary(page.text) == [
        (
            "#postcode",
            "We do not run in this area yet: check the postcode, or contact your council "
            "about other meal services",
        )
    ]
    assert session.exec(select(Diner).where(Diner.carer_id == carer.id)).first() is None


def test_times_step_names_the_day_when_a_time_is_reversed_and_keeps_the_other_days(
    client: TestClient, session: Session, barnet: Council
):
    signed_in_carer(client, session)
    answers = {"days": ["1", "3"], "start-1": "17:30", "end-1": "19:00", "start-3": "19:00",
               "end-3": "18:00", "frequency": "weekly"}  # fmt: skip
    page = post(client, "/carer/register/times", answers)
    assert page.status_code == 422
    assert summary(page.text) == [
        ("#end-3", "Thursday's latest time must be after its earliest time")
    ]
    assert re.search(r'id="days-3"[^>]*value="3" checked', page.text)
    assert re.search(r'id="days-1"[^>]*value="1" checked', page.text)


def test_back_shows_the_answers_kept_when_the_carer_returns_to_an_earlier_step(
    client: TestClient, session: Session, barnet: Council
):
    signed_in_carer(client, session)
    done = post(client, "/carer/register/about", ABOUT)
    assert done.headers["location"] == "/carer/register/food"
    food = client.get("/carer/register/food")
    assert 'href="/carer/register/about"' in food.text  # the Back link
    post(client, "/carer/register/food", {"allergies": ["peanuts"], "texture": "pureed"})
    again = client.get("/carer/register/about")
    assert value_of(again.text, "full_name") == "Edith Brown"
    food = client.get("/carer/register/food")
    assert re.search(r'value="peanuts" checked', food.text)
    assert re.search(r'value="pureed" checked', food.text)
    assert "Puréed (IDDSI level 4)" in food.text and "iddsi" not in food.text


def _all_steps(client: TestClient) -> None:
    for step, answers in (
        ("about", ABOUT),
        ("food", {"allergies": ["peanuts"], "texture": "soft_bite_sized"}),
        ("times", TIMES),
        ("access", {"access_notes": "Key safe by the door"}),
    ):
        done = post(client, f"/carer/register/{step}", answers)
        assert done.status_code == 303, done.text


def test_access_notes_over_the_limit_come_back_whole_beside_their_error(
    client: TestClient, session: Session, barnet: Council
):
    # Text past 2,000 characters was cut without a word: the character count then said
    # "1,500 characters too many" of 2,600 typed, and the rest was lost.
    signed_in_carer(client, session)
    typed = "Key safe by the door. " * 118  # 2,596 characters
    page = post(client, "/carer/register/access", {"access_notes": typed})
    assert page.status_code == 422
    assert summary(page.text) == [
        ("#access_notes", "How the cook gets in must be 500 characters or fewer")
    ]
    assert textarea(page.text, "access_notes") == typed.strip()
    # Longer than a draft keeps: the same error, not a "too long to keep" page.
    page = post(client, "/carer/register/access", {"access_notes": "x" * 70_000})
    assert page.status_code == 422
    assert textarea(page.text, "access_notes") == "x" * 70_000


def test_access_notes_of_500_characters_over_two_lines_are_taken_as_the_count_says(
    client: TestClient, session: Session, barnet: Council
):
    # A browser sends a line break as two characters: 500 by the character count (and by the
    # API) were refused as "must be 500 characters or fewer".
    signed_in_carer(client, session)
    notes = "k" * 249 + "\r\n" + "n" * 250  # 500 as typed, 501 as sent
    done = post(client, "/carer/register/access", {"access_notes": notes})
    assert done.status_code == 303, summary(done.text)


def test_check_answers_part_way_says_what_is_not_answered_yet(
    client: TestClient, session: Session, barnet: Council
):
    # Reached after the first step, it showed "Regular food" and "Every week", never chosen,
    # and the errors on sending sat beside them (a newcomer's walk).
    signed_in_carer(client, session)
    assert post(client, "/carer/register/about", ABOUT).status_code == 303
    check = client.get("/carer/register/check").text
    assert "Regular food" not in check and "Every week" not in check
    # diet, allergies, other foods, texture, when, how often
    assert check.count("Not answered yet") == 6


def test_check_answers_asks_for_consent_then_registers_the_relative_when_it_is_given(
    client: TestClient, session: Session, barnet: Council
):
    carer = signed_in_carer(client, session)
    _all_steps(client)
    check = client.get("/carer/register/check")
    assert "Soft and bite-sized (IDDSI level 6)" in check.text
    assert "Tuesday, 17:30 to 19:00" in check.text and "Peanuts" in check.text
    assert 'href="/carer/register/food?change=1"' in check.text
    refused = post(client, "/carer/register/check", {}, page="/carer/register/check")
    assert refused.status_code == 422
    assert [href for href, _ in summary(refused.text)] == ["#consent"]
    done = post(client, "/carer/register/check", {"consent": "yes"})
    assert done.status_code == 303
    diner = session.exec(select(Diner).where(Diner.carer_id == carer.id)).one()
    assert done.headers["location"] == f"/carer/?registered={diner.id}"
    assert (diner.full_name, diner.postcode, diner.allergies, diner.texture) == (
        "Edith Brown",
        "N3 1QX",
        ["peanuts"],
        "soft_bite_sized",
    )
    assert diner.availability == [{"weekday": 1, "start": "17:30", "end": "19:00"}]
    assert diner.status == "waiting" and diner.consent_by_id == carer.id
    # A second click on "Register" (the answers gone with the first): the carer's page, where
    # the relative is listed, not every answer blank and refused (an outside check).
    again = post(client, "/carer/register/check", {"consent": "yes"}, page="/carer/")
    assert (again.status_code, again.headers["location"]) == (303, "/carer/")
    assert len(session.exec(select(Diner).where(Diner.carer_id == carer.id)).all()) == 1
    # The answers are gone: registering another relative starts afresh.
    assert value_of(client.get("/carer/register/about").text, "full_name") in (None, "")


def test_a_refused_answer_leaves_the_last_good_one_on_check_answers_when_the_carer_leaves(
    client: TestClient, session: Session, barnet: Council
):
    """The cook's profile kept a refused answer over the saved one (a newcomer's walk): the
    relative's steps did the same."""
    signed_in_carer(client, session)
    _all_steps(client)
    refused = post(client, "/carer/register/about", {**ABOUT, "address_line": "x" * 300})
    assert refused.status_code == 422
    assert [href for href, _ in summary(refused.text)] == ["#address_line"]
    assert value_of(refused.text, "address_line") == "x" * 300  # nothing typed is lost
    check = client.get("/carer/register/check")
    assert "14 Gravel Hill" in check.text and "x" * 300 not in check.text
    assert value_of(client.get("/carer/register/about").text, "address_line") == "14 Gravel Hill"


def test_check_answers_keeps_the_consent_ticked_when_another_answer_has_an_error(
    client: TestClient, session: Session, barnet: Council
):
    # The carer ticked it, sent the page, a step had an error, and the box came back unticked
    # (a newcomer's walk).
    carer = signed_in_carer(client, session)
    assert post(client, "/carer/register/about", ABOUT).status_code == 303
    page = post(client, "/carer/register/check", {"consent": "yes"})
    assert page.status_code == 422
    assert "#consent" not in [href for href, _ in summary(page.text)]
    assert re.search(r'id="consent"[^>]*value="yes" checked', page.text)
    unticked = post(client, "/carer/register/check", {})
    assert not re.search(r'id="consent"[^>]*value="yes" checked', unticked.text)
    assert session.exec(select(Diner).where(Diner.carer_id == carer.id)).first() is None


def test_change_link_returns_to_check_answers_when_the_step_is_saved(
    client: TestClient, session: Session, barnet: Council
):
    signed_in_carer(client, session)
    _all_steps(client)
    page = client.get("/carer/register/food?change=1")
    assert 'href="/carer/register/check"' in page.text and 'name="change" value="1"' in page.text
    done = post(
        client,
        "/carer/register/food",
        {"texture": "pureed", "change": "1"},
        page="/carer/register/food?change=1",
    )
    assert done.headers["location"] == "/carer/register/check"
    assert "Puréed (IDDSI level 4)" in client.get("/carer/register/check").text


# --- My relatives, a relative's page, changing their needs ---------------------------------------


@pytest.fixture
def paired(client: TestClient, session: Session, settings: Settings, staff: User) -> dict:
    """Priya (peanut and tree-nut free, vegetarian and halal, regular and soft bite-sized) cooks
    for Edna (vegetarian, peanuts, soft bite-sized) on Tuesdays at 17:30; Finchley (N3 1) has a
    coordinator; Edna's carer is signed in on the client."""
    coordinator = create_user(session, role="staff", council=session.get(Council, staff.council_id))
    add_neighbourhood(
        session,
        council=session.get(Council, staff.council_id),
        name="Finchley",
        sectors=["N3 1"],
        coordinator=coordinator,
    )
    cook_user, cook_id = approved_cook(client, session, settings, staff)
    carer = create_user(session, role="carer", full_name="Alan Brown")
    made = client.post("/api/diners", json=diner_payload(), headers=auth_headers(carer, settings))
    assert made.status_code == 201, made.text
    diner_id = made.json()["id"]
    body = {"diner_id": diner_id, "cook_id": cook_id, "weekday": 1, "start": "17:30",
            "frequency": "weekly"}  # fmt: skip
    pairing = client.post("/api/staff/pairings", json=body, headers=auth_headers(staff, settings))
    assert pairing.status_code == 201, pairing.text
    accepted = client.post(
        f"/api/pairings/{pairing.json()['id']}/accept", headers=auth_headers(cook_user, settings)
    )
    assert accepted.status_code == 200, accepted.text
    done = post(client, "/sign-in", {"email": carer.email, "password": DEFAULT_PASSWORD})
    assert done.status_code == 303 and done.headers["location"] == "/carer/"
    return {
        "carer": carer,
        "cook": cook_user,
        "coordinator": coordinator,
        "diner_id": diner_id,
        "pairing_id": pairing.json()["id"],
    }


def told(session: Session, event: str) -> set[int]:
    rows = session.exec(select(Notification.to_user_id).where(Notification.event == event))
    return set(rows.all())


def test_my_relatives_names_each_relative_with_their_cook_and_next_meal_when_paired(
    client: TestClient, session: Session, paired: dict
):
    page = client.get("/carer/")
    assert page.status_code == 200 and title(page) == "My relatives – Extra Portion"
    assert "Edna Smith" in page.text
    assert "Edna&#39;s cook is Priya, who brings a meal every Tuesday at 17:30." in page.text
    meal = session.exec(
        select(Meal).where(Meal.pairing_id == paired["pairing_id"]).order_by(col(Meal.date))
    ).first()
    assert meal is not None
    assert f"{meal.date.day} {meal.date:%B %Y} at 17:30" in page.text
    assert "They have a cook" not in page.text
    assert (
        'href="/carer/account/contact"' in page.text and 'href="/carer/account/erase"' in page.text
    )


def test_needs_change_pauses_the_pairing_and_says_so_when_the_cook_cannot_avoid_a_new_allergen(
    client: TestClient, session: Session, paired: dict
):
    path = f"/carer/relatives/{paired['diner_id']}/change/food"
    form = client.get(path)
    assert re.search(r'value="peanuts" checked', form.text)  # today's answers to start from
    done = post(
        client,
        path,
        {"diets": ["vegetarian"], "allergies": ["peanuts", "sesame"], "texture": "soft_bite_sized"},
    )
    assert done.status_code == 303
    assert done.headers["location"] == f"/carer/relatives/{paired['diner_id']}?done=paused"
    pairing = session.get(Pairing, paired["pairing_id"])
    session.refresh(pairing)
    assert (pairing.status, pairing.pause_reason) == ("paused", "needs_changed")
    assert told(session, "pairing_needs_changed") == {paired["cook"].id, paired["coordinator"].id}
    page = client.get(done.headers["location"])
    assert "Edna&#39;s meals are paused" in page.text
    # The outcome of their own change: announced and focused, as a success is (a keyboard walk
    # found it silent, the focus left on the page).
    banner = page.text.split('class="govuk-notification-banner')[1].split(">")[0]
    assert 'role="alert"' in banner and "--success" not in banner
    assert "Priya cannot cook safely for Edna&#39;s new needs" in page.text
    assert "Meals paused" in page.text and "Has a cook" not in page.text
    assert "Cancelled" not in page.text and "No meals are planned while" in page.text


def test_a_change_while_meals_are_paused_says_whether_they_stay_paused_or_start_again(
    client: TestClient, session: Session, paired: dict
):
    """Paused for Edna's new allergy, her carer adds another the cook cannot avoid either: the
    page said "Priya can still cook safely for Edna". Then the carer puts both right, and the
    meals come back: said so, not that nothing had changed for the meals."""
    path = f"/carer/relatives/{paired['diner_id']}/change/food"
    food = {"diets": ["vegetarian"], "texture": "soft_bite_sized"}
    paused = post(client, path, {**food, "allergies": ["peanuts", "sesame"]})
    assert paused.headers["location"].endswith("?done=paused")

    again = post(client, path, {**food, "allergies": ["peanuts", "sesame", "milk"]})

    assert again.status_code == 303
    assert again.headers["location"] == f"/carer/relatives/{paired['diner_id']}?done=still-paused"
    shown = text_of(client.get(again.headers["location"]).text)
    assert "can still cook safely" not in shown
    assert "Edna's meals with Priya are still paused." in shown
    assert "Meals paused" in shown

    put_right = post(client, path, {**food, "allergies": ["peanuts"]})

    assert put_right.headers["location"].endswith("?done=resumed")
    pairing = session.get(Pairing, paired["pairing_id"])
    session.refresh(pairing)
    assert pairing.status == "active"
    shown = text_of(client.get(put_right.headers["location"]).text)
    assert "Edna's meals start again" in shown
    assert "Priya can bring Edna's meals safely again" in shown


def test_relative_page_says_how_the_last_cooks_meals_stopped_while_a_new_cook_is_sought(
    client: TestClient, session: Session, settings: Settings, staff: User, paired: dict
):
    """After staff ended the pairing the page said only "We are looking for a cook": the
    carer could not tell a cook who stopped from one never found."""
    ended = client.post(
        f"/api/staff/pairings/{paired['pairing_id']}/end", headers=auth_headers(staff, settings)
    )
    assert ended.status_code == 200, ended.text
    council = session.get(Council, staff.council_id)
    assert council is not None
    today = council_today(council)

    page = client.get(f"/carer/relatives/{paired['diner_id']}")

    line = re.search(r'<p class="govuk-body" id="cook-line">(.*?)</p>', page.text, re.DOTALL)
    assert line
    assert unescape(line.group(1)) == (
        f"Priya's meals stopped on {today:%A} {today.day} {today:%B %Y}. "
        "The council's coordinator has ended the meals. The coordinator can tell you more. "
        "We are looking for a cook who lives nearby and is free at the right times."
    )
    assert "Waiting for a cook" in page.text
    # Weeks later the relative is simply waiting, as the cook's page has it too.
    pairing = session.get(Pairing, paired["pairing_id"])
    assert pairing is not None and pairing.ended_at is not None
    pairing.ended_at -= timedelta(days=40)
    session.add(pairing)
    session.commit()
    later = client.get(f"/carer/relatives/{paired['diner_id']}").text
    assert "meals stopped on" not in later and "We are looking for a cook" in later


def test_times_change_only_tells_the_coordinator_when_the_cook_can_still_come(
    client: TestClient, session: Session, paired: dict
):
    path = f"/carer/relatives/{paired['diner_id']}/change/times"
    answers = {"days": ["1", "4"], "start-1": "17:30", "end-1": "19:00", "start-4": "12:00",
               "end-4": "13:00", "frequency": "weekly"}  # fmt: skip
    done = post(client, path, answers)
    assert done.headers["location"].endswith("?done=told-coordinator")
    pairing = session.get(Pairing, paired["pairing_id"])
    session.refresh(pairing)
    assert pairing.status == "active"
    assert told(session, "diner_changed") == {paired["coordinator"].id}
    assert told(session, "pairing_needs_changed") == set()
    diner = session.get(Diner, paired["diner_id"])
    session.refresh(diner)
    assert [w["weekday"] for w in diner.availability] == [1, 4]
    page = client.get(done.headers["location"])
    assert "We have told the coordinator" in page.text


def test_change_page_shows_the_error_beside_the_day_and_keeps_the_answers_when_times_reverse(
    client: TestClient, session: Session, paired: dict
):
    path = f"/carer/relatives/{paired['diner_id']}/change/times"
    answers = {"days": ["1", "4"], "start-1": "17:30", "end-1": "19:00", "start-4": "14:00",
               "end-4": "13:00", "frequency": "fortnightly"}  # fmt: skip
    page = post(client, path, answers)
    assert page.status_code == 422 and title(page).startswith("Error: Change when Edna")
    assert summary(page.text) == [
        ("#end-4", "Friday's latest time must be after its earliest time")
    ]
    assert 'id="end-4-error"' in page.text
    assert re.search(r'value="fortnightly" checked', page.text)
    diner = session.get(Diner, paired["diner_id"])
    session.refresh(diner)
    assert [w["weekday"] for w in diner.availability] == [1]  # nothing saved


def test_a_move_beyond_the_cooks_walk_is_put_down_to_the_distance_on_both_sides(
    client: TestClient, session: Session, paired: dict
):
    """A newcomer's walk: Edna moved within the council but beyond Priya's walk, and her page
    said "Priya cannot cook safely for Edna's new needs" and "Edna's needs changed", while the
    emails of the move said she had moved. Priya's page said the same, and asked her to change
    what she cooks to restart meals no change of cooking could restart."""
    path = f"/carer/relatives/{paired['diner_id']}/change/address"
    done = post(client, path, {"address_line": "1 Wood Street", "postcode": "EN5 1AA"})
    assert done.status_code == 303, done.text
    assert done.headers["location"] == f"/carer/relatives/{paired['diner_id']}?done=paused"
    pairing = session.get(Pairing, paired["pairing_id"])
    session.refresh(pairing)
    assert (pairing.status, pairing.pause_reason) == ("paused", "needs_changed")  # API.md's
    page = unescape(client.get(done.headers["location"]).text)
    assert "Edna now lives too far from Priya for Priya to walk the meals round, so the meals" in (
        page
    )
    line = re.search(r'<p class="govuk-body" id="cook-line">(.*?)</p>', page, re.DOTALL)
    assert line and line.group(1).strip() == (
        "Meals with Priya are paused because Edna and Priya now live too far apart for Priya "
        "to walk the meals round. The coordinator will contact you."
    )
    assert "new needs" not in page and "cook safely" not in page
    listed = unescape(client.get("/carer/").text)
    assert "Edna and Priya now live too far apart" in listed and "needs changed" not in listed

    signed_in = post(
        client, "/sign-in", {"email": paired["cook"].email, "password": DEFAULT_PASSWORD}
    )
    assert signed_in.status_code == 303, signed_in.text
    home = unescape(client.get("/cook/").text)
    paused = home.split(">Paused</h2>")[1].split('id="meals"')[0]
    assert (
        "Meals with Edna are paused because you and Edna now live too far apart for you to walk "
        "the meals round." in paused
    )
    assert "needs changed" not in paused and "change your profile" not in paused


def test_address_change_refuses_an_out_of_area_postcode_naming_the_field(
    client: TestClient, session: Session, paired: dict
):
    path = f"/carer/relatives/{paired['diner_id']}/change/address"
    page = post(client, path, {"address_line": "1 Piccadilly", "postcode": "M1 1AE"})
    assert page.status_code == 422
    assert [href for href, _ in summary(page.text)] == ["#postcode"]
    assert value_of(page.text, "address_line") == "1 Piccadilly"


def test_a_carer_corrects_their_relatives_name_and_phone_number(
    client: TestClient, session: Session, paired: dict
):
    """A newcomer's walk: a name or a number typed wrong at registration could be neither seen
    nor corrected. The cook and the coordinator are not asked to do anything about it."""
    relative = f"/carer/relatives/{paired['diner_id']}"
    shown = unescape(client.get(relative).text)
    assert f'href="{relative}/change/details"' in shown
    form = client.get(f"{relative}/change/details")
    assert form.status_code == 200
    assert unescape(title(form)).startswith("Change Edna's name or phone number")
    assert 'name="address_line"' not in form.text  # only what this change is about
    before = session.exec(select(func.count()).select_from(Notification)).one()

    wrong = post(client, f"{relative}/change/details", {"full_name": "Edna Smyth", "phone": "12"})
    assert wrong.status_code == 422
    assert [href for href, _ in summary(wrong.text)] == ["#phone"]
    assert value_of(wrong.text, "full_name") == "Edna Smyth"  # kept as typed, nothing saved
    diner = session.get(Diner, paired["diner_id"])
    session.refresh(diner)
    assert diner.full_name != "Edna Smyth"

    done = post(
        client, f"{relative}/change/details", {"full_name": "Edna Smyth", "phone": "020 7946 0991"}
    )
    assert done.status_code == 303, done.text
    session.refresh(diner)
    assert (diner.full_name, diner.phone) == ("Edna Smyth", "+442079460991")
    page = unescape(client.get(done.headers["location"]).text)
    assert "Edna Smyth" in page and "020 7946 0991" in page
    entry = session.exec(
        select(AuditEntry)
        .where(AuditEntry.action == "diner.changed")
        .order_by(col(AuditEntry.id).desc())
    ).first()
    assert entry is not None and entry.data == {"fields": ["full_name", "phone"]}
    assert session.exec(select(func.count()).select_from(Notification)).one() == before

    # The API's PATCH keeps API.md's fields: the name and number are the pages' own change.
    carer_headers = auth_headers(paired["carer"], TEST_SETTINGS)
    patched = client.patch(
        f"/api/diners/{diner.id}", json={"full_name": "Someone Else"}, headers=carer_headers
    )
    assert patched.status_code == 422

    cleared = post(client, f"{relative}/change/details", {"full_name": "Edna Smyth", "phone": ""})
    assert cleared.status_code == 303
    session.refresh(diner)
    assert diner.phone is None


def test_a_phone_number_change_does_not_say_the_cook_was_told_when_nobody_was(
    client: TestClient, session: Session, paired: dict
):
    """It said "We have told Priya and the coordinator about the change", and nothing was sent
    (a newcomer's walk)."""
    relative = f"/carer/relatives/{paired['diner_id']}"
    before = session.exec(select(func.count()).select_from(Notification)).one()
    done = post(
        client, f"{relative}/change/details", {"full_name": "Edna Smith", "phone": "020 7946 0991"}
    )
    assert done.status_code == 303, done.text
    entry = session.exec(
        select(AuditEntry)
        .where(AuditEntry.action == "diner.changed")
        .order_by(col(AuditEntry.id).desc())
    ).first()
    assert entry is not None and entry.data == {"fields": ["phone"]}  # only the number changed
    assert session.exec(select(func.count()).select_from(Notification)).one() == before
    page = unescape(client.get(done.headers["location"]).text)
    assert "Your changes are saved" in page
    assert "We have told" not in page
    assert "we have not sent Priya or the coordinator a message" in page


def test_an_example_phone_number_for_a_relative_asks_for_the_relatives_number(
    client: TestClient, session: Session, paired: dict
):
    """It said "enter your own phone number" on the page of the relative's number (a
    newcomer's walk)."""
    relative = f"/carer/relatives/{paired['diner_id']}"
    page = post(
        client, f"{relative}/change/details", {"full_name": "Edna Smith", "phone": "07700 900 982"}
    )
    assert page.status_code == 422
    assert summary(page.text) == [
        (
            "#phone",
            "That is an example number, not one in use: enter your relative's phone number, "
            "or leave it empty",
        )
    ]
    assert value_of(page.text, "phone") == "07700 900 982"


def test_staff_correct_a_diners_phone_number_from_the_record(
    client: TestClient, session: Session, settings: Settings, staff: User, paired: dict
):
    client.cookies.clear()
    signed_in = post(client, "/sign-in", {"email": staff.email, "password": DEFAULT_PASSWORD})
    assert signed_in.status_code == 303, signed_in.text
    record = f"/staff/diners/{paired['diner_id']}"
    assert f'href="{record}/change/details"' in client.get(record).text
    wrong = post(client, f"{record}/change/details", {"full_name": "", "phone": "020 7946 0991"})
    assert wrong.status_code == 422
    assert summary(wrong.text) == [("#full_name", "Enter the diner's full name")]
    done = post(
        client, f"{record}/change/details", {"full_name": "Edna Brown", "phone": "07911 123456"}
    )
    assert done.status_code == 303 and done.headers["location"] == f"{record}?changed=1"
    diner = session.get(Diner, paired["diner_id"])
    session.refresh(diner)
    assert diner.phone == "+447911123456"


def _deliver(session: Session, pairing_id: int, count: int) -> None:
    meals = session.exec(
        select(Meal).where(Meal.pairing_id == pairing_id).order_by(col(Meal.date))
    ).all()
    for meal in meals[:count]:
        meal.status = "delivered"
        session.add(meal)
    session.commit()


def test_friendship_question_appears_only_after_three_delivered_meals(
    client: TestClient, session: Session, paired: dict
):
    path = f"/carer/relatives/{paired['diner_id']}"
    _deliver(session, paired["pairing_id"], 2)
    assert "consider Priya a friend" not in client.get(path).text
    assert client.get(f"{path}/friendship", follow_redirects=False).status_code == 303
    _deliver(session, paired["pairing_id"], 3)
    assert "Does Edna consider Priya a friend?" in client.get(path).text
    refused = post(client, f"{path}/friendship", {})
    assert summary(refused.text) == [("#considers_friend", "Select yes or no")]
    done = post(client, f"{path}/friendship", {"considers_friend": "yes"})
    assert done.headers["location"] == f"{path}?done=answered"
    page = client.get(done.headers["location"])
    assert "Thank you for your answer" in page.text and "Answer the question" not in page.text


def test_relative_page_shows_iddsi_in_capitals_and_rates_a_delivered_meal(
    client: TestClient, session: Session, paired: dict
):
    path = f"/carer/relatives/{paired['diner_id']}"
    _deliver(session, paired["pairing_id"], 1)
    page = client.get(path)
    assert "Soft and bite-sized (IDDSI level 6)" in page.text and "iddsi" not in page.text
    meal = session.exec(
        select(Meal).where(Meal.pairing_id == paired["pairing_id"], Meal.status == "delivered")
    ).one()
    rating = f"{path}/meals/{meal.id}/rating"
    assert f'href="{rating}"' in page.text
    refused = post(client, rating, {"comment": "Lovely soup"})
    assert summary(refused.text) == [("#rating", "Select how much they liked the meal")]
    assert "Lovely soup" in refused.text
    # A message past 2,000 characters came back cut, the rest lost without a word.
    refused = post(client, rating, {"rating": "5", "comment": "Lovely soup. " * 200})
    assert summary(refused.text) == [
        ("#comment", "Your message to the cook must be 1,000 characters or fewer")
    ]
    assert textarea(refused.text, "comment") == ("Lovely soup. " * 200).strip()
    assert post(client, rating, {"rating": "5"}).headers["location"] == f"{path}?done=rated"


def test_rating_a_meal_that_is_not_the_relatives_is_not_found_and_writes_nothing(
    client: TestClient, session: Session, settings: Settings, paired: dict
):
    """Before, both answers were a 303 to the relative's page, as for a meal already rated."""
    _deliver(session, paired["pairing_id"], 1)
    meal = session.exec(
        select(Meal).where(Meal.pairing_id == paired["pairing_id"], Meal.status == "delivered")
    ).one()
    other = client.post(
        "/api/diners", json=diner_payload(), headers=auth_headers(paired["carer"], settings)
    )
    assert other.status_code == 201, other.text
    for path in (
        f"/carer/relatives/{other.json()['id']}/meals/{meal.id}/rating",
        f"/carer/relatives/{paired['diner_id']}/meals/2000000000/rating",
    ):
        page = client.get(path, follow_redirects=False)
        assert page.status_code == 404 and "Page not found" in page.text, path
        sent = post(client, path, {"rating": "5"}, page=f"/carer/relatives/{paired['diner_id']}")
        assert sent.status_code == 404, path
    assert session.exec(select(func.count()).select_from(MealFeedback)).one() == 0
    # The relative's own meal, once rated, still goes back to the relative's page.
    rating = f"/carer/relatives/{paired['diner_id']}/meals/{meal.id}/rating"
    assert post(client, rating, {"rating": "4"}).status_code == 303
    again = client.get(rating, follow_redirects=False)
    assert again.headers["location"] == f"/carer/relatives/{paired['diner_id']}"


def test_pause_names_each_date_problem_and_keeps_the_fields_typed(
    client: TestClient, session: Session, paired: dict
):
    path = f"/carer/relatives/{paired['diner_id']}/pause"
    page = post(
        client,
        path,
        {
            "from-day": "3",
            "from-month": "",
            "from-year": "2030",
            "to-day": "x",
            "reason": "x" * 501,
        },
    )
    assert page.status_code == 422
    # In the page's order, the reason (its last field) last: it came first (an outside check).
    assert summary(page.text) == [
        ("#from-month", "The first day without meals must include a month"),
        ("#to-month", "The last day without meals must include a month and year"),
        ("#reason", "The reason must be 500 characters or fewer"),
    ]
    assert marked_boxes(page.text) == ["from-month", "to-month", "to-year", "reason"]
    assert value_of(page.text, "from-year") == "2030"
    council = session.get(Council, session.get(Diner, paired["diner_id"]).council_id)
    start = council_today(council) + timedelta(days=7)
    end = start + timedelta(days=14)
    done = post(
        client,
        path,
        {
            "from-day": str(start.day),
            "from-month": str(start.month),
            "from-year": str(start.year),
            "to-day": str(end.day),
            "to-month": str(end.month),
            "to-year": str(end.year),
        },
    )
    assert done.headers["location"].endswith("?done=paused-dates")
    diner = session.get(Diner, paired["diner_id"])
    session.refresh(diner)
    assert (diner.paused_from, diner.paused_to) == (start, end)
    told = client.get(done.headers["location"]).text
    assert "Meals on those days are cancelled and the cook is told" in told


def test_pause_links_each_date_error_to_the_box_that_is_wrong_and_marks_only_that_box(
    client: TestClient, session: Session, paired: dict
):
    # The link went to the day box, and all three boxes were red, whatever part was wrong (a
    # newcomer's walk); GOV.UK's date input: the first wrong box, and only the wrong boxes.
    path = f"/carer/relatives/{paired['diner_id']}/pause"
    sent = {"from-day": "3", "from-month": "13", "from-year": "2030",
            "to-day": "10", "to-month": "3", "to-year": "30"}  # fmt: skip
    page = post(client, path, sent)
    assert page.status_code == 422
    assert summary(page.text) == [
        ("#from-month", "The first day without meals must be a real date"),
        ("#to-year", "The year of the last day without meals must include 4 numbers"),
    ]
    assert marked_boxes(page.text) == ["from-month", "to-year"]
    # A day the month does not have: no box is wrong alone, so the whole date is.
    page = post(client, path, {**sent, "from-day": "31", "from-month": "6", "to-year": "2030"})
    assert summary(page.text)[0] == ("#from-day", "The first day without meals must be a real date")
    assert marked_boxes(page.text) == ["from-day", "from-month", "from-year"]


def dates(prefix: str, day: date) -> dict[str, str]:
    return {f"{prefix}-day": str(day.day), f"{prefix}-month": str(day.month),
            f"{prefix}-year": str(day.year)}  # fmt: skip


def test_the_pause_is_shown_can_be_cancelled_and_is_not_replaced_by_other_dates(
    client: TestClient, session: Session, paired: dict
):
    """A pause was shown nowhere and could not be cancelled; pausing other dates replaced it,
    bringing back the meals of a hospital stay still to come (an outside check)."""
    relative = f"/carer/relatives/{paired['diner_id']}"
    council = session.get(Council, session.get(Diner, paired["diner_id"]).council_id)
    start = council_today(council) + timedelta(days=7)
    end = start + timedelta(days=14)
    paused = post(client, f"{relative}/pause", {**dates("from", start), **dates("to", end)})
    assert paused.status_code == 303
    kept = select(Meal).where(Meal.diner_id == paired["diner_id"], Meal.status == "cancelled")
    cancelled = {m.id for m in session.exec(kept)}
    assert cancelled

    later = end + timedelta(days=30)
    other = post(client, f"{relative}/pause", {**dates("from", later), **dates("to", later)})
    assert other.status_code == 422
    assert summary(other.text)[0][0] == "#from-day"
    assert "Meals are already paused from" in summary(other.text)[0][1]
    page = client.get(relative)
    shown = re.search(r'<div class="govuk-inset-text" id="pause">(.*?)</div>', page.text, re.S)
    assert shown and (
        f"meals are paused from {start:%A} {start.day} {start:%B %Y} to "
        f"{end:%A} {end.day} {end:%B %Y}, as you asked."
    ) in unescape(shown.group(1))
    assert "also stopped" not in shown.group(1)

    done = post(client, f"{relative}/pause/cancel", {}, page=relative)

    assert done.headers["location"] == f"{relative}?done=pause-cancelled"
    session.expire_all()
    assert all(session.get(Meal, i).status == "scheduled" for i in cancelled)  # type: ignore[union-attr]
    assert told(session, "meal_back_on") == {paired["cook"].id}
    after = client.get(done.headers["location"]).text
    assert "pause is cancelled" in after and 'id="pause"' not in after


def test_cancelling_a_pause_while_meals_are_stopped_for_safety_does_not_say_they_are_back(
    client: TestClient, session: Session, settings: Settings, paired: dict
):
    """A browser walk: with the meals also paused because the cook could not meet a new
    texture, the page offered "Cancel the pause" as if it were the only stop, and the banner
    after it said "Meals it had stopped are back on", which was not so."""
    relative = f"/carer/relatives/{paired['diner_id']}"
    council = session.get(Council, session.get(Diner, paired["diner_id"]).council_id)
    start = council_today(council) + timedelta(days=7)
    paused = post(client, f"{relative}/pause", {**dates("from", start), **dates("to", start)})
    assert paused.status_code == 303
    carer = session.exec(select(User).where(User.full_name == "Alan Brown")).one()
    unsafe = client.patch(
        f"/api/diners/{paired['diner_id']}",
        json={"texture": "pureed"},
        headers=auth_headers(carer, settings),
    )
    assert unsafe.json()["pairing"]["status"] == "paused", unsafe.text
    page = client.get(relative).text
    assert "also stopped for the reason under Their cook" in page

    done = post(client, f"{relative}/pause/cancel", {}, page=relative)

    after = client.get(done.headers["location"]).text
    assert "pause is cancelled" in after and "back on" not in after
    assert "Meals are still stopped for the reason under Their cook" in after


def test_pausing_a_relative_with_no_cook_yet_does_not_speak_of_their_cook(
    client: TestClient, session: Session, settings: Settings, barnet: Council
):
    """Before, the page said the cook was told, of a relative who had none."""
    carer = signed_in_carer(client, session)
    made = client.post("/api/diners", json=diner_payload(), headers=auth_headers(carer, settings))
    path = f"/carer/relatives/{made.json()['id']}/pause"
    start = council_today(barnet) + timedelta(days=7)
    end = start + timedelta(days=3)
    dates = {
        f"{edge}-{part}": str(getattr(day, part))
        for edge, day in (("from", start), ("to", end))
        for part in ("day", "month", "year")
    }
    done = post(client, path, dates)
    assert done.headers["location"].endswith("?done=paused-dates")
    page = client.get(done.headers["location"]).text
    assert "We will not plan meals on those days when we find a cook" in page
    assert "the cook is told" not in page


# --- the carer's own details --------------------------------------------------------------------


def test_contact_details_are_saved_when_the_carer_changes_them(
    client: TestClient, session: Session, paired: dict
):
    refused = post(
        client, "/carer/account/contact", {"phone": "12345", "contact_preference": "sms"}
    )
    assert [href for href, _ in summary(refused.text)] == ["#phone"]
    done = post(
        client, "/carer/account/contact", {"phone": "07911 123456", "contact_preference": "sms"}
    )
    assert done.headers["location"] == "/carer/?done=contact"
    session.refresh(paired["carer"])
    assert (paired["carer"].phone, paired["carer"].contact_preference) == ("+447911123456", "sms")


def test_email_change_needs_the_password_and_keeps_what_was_typed(
    client: TestClient, session: Session, paired: dict
):
    """The rest of the change (a link to the new address): tests/pages/test_email_change.py."""
    wrong = post(
        client, "/carer/account/email", {"email": "alan.new@example.org", "password": "nope"}
    )
    assert [href for href, _ in summary(wrong.text)] == ["#password"]
    assert value_of(wrong.text, "email") == "alan.new@example.org"
    done = post(
        client,
        "/carer/account/email",
        {"email": "alan.new@example.org", "password": DEFAULT_PASSWORD},
    )
    assert done.headers["location"] == "/account/email/sent"


def test_email_change_counts_a_wrong_password_as_a_failed_sign_in_and_stops_guesses(
    client: TestClient, session: Session, paired: dict
):
    """A carer's session left open on a shared computer must not let someone guess the
    password and take the account over with a new address: five wrong tries, as at sign-in,
    and even the right password waits (429, the message beside the field)."""
    new_address = {"email": "alan.new@example.org"}
    for _ in range(5):
        wrong = post(client, "/carer/account/email", {**new_address, "password": "a guess 1234"})
        assert wrong.status_code == 422
    limited = post(client, "/carer/account/email", {**new_address, "password": DEFAULT_PASSWORD})
    assert limited.status_code == 429
    assert int(limited.headers["retry-after"]) > 0
    assert [href for href, _ in summary(limited.text)] == ["#password"]
    assert "You have tried too many times" in limited.text
    carer = paired["carer"]
    session.refresh(carer)
    assert carer.email != "alan.new@example.org"
    failures = select(func.count()).where(LoginFailure.email_key == carer.email_key)
    assert session.exec(failures).one() == 5


def test_erasure_request_tells_the_coordinator_when_the_carer_asks(
    client: TestClient, session: Session, paired: dict
):
    form = client.get("/carer/account/erase").text
    assert "cannot be undone" in form and "within a month" in form  # as the staff are told
    done = post(client, "/carer/account/erase", {})
    assert done.headers["location"] == "/carer/account/erase/sent"
    assert told(session, "erasure_requested") == {paired["coordinator"].id}
    # The carer too, by message (an outside check: only the page said so).
    assert told(session, "erasure_asked") == {paired["carer"].id}
    assert "We have your request" in client.get("/carer/account/erase/sent").text
    # The carer's page shows the request waiting, not the offer to ask (a browser walk).
    home = client.get("/carer/").text
    erasure = home.split('id="erasure">', 1)[1].split("</div>", 1)[0]
    assert "You asked us to erase your data, and Edna’s, on" in erasure
    assert 'href="/carer/account/erase"' not in home
    # The coordinator can find the relative: a link in the message, a banner on the record.
    record = f"/staff/diners/{paired['diner_id']}"
    [asked] = session.exec(
        select(Notification).where(Notification.event == "erasure_requested")
    ).all()
    assert f"{TEST_SETTINGS.public_url.rstrip('/')}{record}" in asked.body
    client.cookies.clear()
    signed = post(
        client, "/sign-in", {"email": paired["coordinator"].email, "password": DEFAULT_PASSWORD}
    )
    assert signed.status_code == 303
    page = client.get(record).text
    assert "Their carer asked on" in page and "for their data to be erased" in page


def test_old_carer_urls_lead_to_the_server_pages_when_followed(client: TestClient, paired: dict):
    for old, new in (
        ("/carer/index.html", "/carer/"),
        ("/carer/register.html", "/carer/register/about"),
        (f"/carer/relative.html?id={paired['diner_id']}", f"/carer/relatives/{paired['diner_id']}"),
    ):
        assert client.get(old, follow_redirects=False).headers["location"] == new


def test_another_carers_relative_is_not_found_when_asked_for(
    client: TestClient, session: Session, paired: dict
):
    other = create_user(session, role="carer")
    made = client.post(
        "/api/diners", json=diner_payload(), headers=auth_headers(other, TEST_SETTINGS)
    )
    assert client.get(f"/carer/relatives/{made.json()['id']}").status_code == 404


# --- the README's demo carer, with scripts off ----------------------------------------------------


def test_readme_demo_carer_lands_on_a_page_naming_their_relatives_when_signed_in_without_scripts(
    seeded,  # noqa: F811
    demo_client: TestClient,  # noqa: F811 (fixtures of tests/test_demo.py)
):
    with Session(seeded[0]) as db:  # closed before the app opens its own (SQLite locks)
        carer = db.exec(select(User).where(User.email == carer_email("barnet", 1))).one()
        theirs = db.exec(select(Diner.full_name).where(Diner.carer_id == carer.id)).all()
    done = post(demo_client, "/sign-in", {"email": carer.email, "password": DEMO_PASSWORD})
    assert done.status_code == 303 and done.headers["location"] == "/carer/"
    page = demo_client.get("/carer/")
    assert page.status_code == 200 and title(page) == "My relatives – Extra Portion"
    assert len(theirs) == 2 and all(unescape(name) in unescape(page.text) for name in theirs)


def test_the_carers_pages_name_the_cook_covering_the_next_meal(
    client: TestClient, session: Session, settings: Settings, staff: User, paired: dict
):
    """The carer was told "Helper will bring Edna's meal" and the page said only "Edna's cook
    is Priya" (an outside check)."""
    covering_helper(client, session, settings, staff, pairing_id=paired["pairing_id"])
    relative = client.get(f"/carer/relatives/{paired['diner_id']}").text
    next_meal = re.search(r'id="next-meal">(.*?)</div>', relative, re.DOTALL)
    assert next_meal and "Helper is bringing it while their usual cook is away" in next_meal[1]
    assert "Helper is bringing this one" in relative
    assert "(Helper is bringing it)" in client.get("/carer/").text
    api = client.get(f"/api/diners/{paired['diner_id']}").json()
    assert [m["cover_cook"] for m in api["upcoming_meals"]][:2] == ["Helper", None]


def test_the_erasure_banner_escapes_the_relatives_name(
    client: TestClient, session: Session, paired: dict
):
    """A review: the banner's name went into HTML unescaped, so a carer could put markup into
    every staff member's page."""
    diner = session.get(Diner, paired["diner_id"])
    assert diner is not None
    diner.full_name = 'Edna <b id="injected">Smith</b>'
    session.add(diner)
    session.commit()
    post(client, "/carer/account/erase", {})
    client.cookies.clear()
    signed = post(
        client, "/sign-in", {"email": paired["coordinator"].email, "password": DEFAULT_PASSWORD}
    )
    assert signed.status_code == 303
    page = client.get(f"/staff/diners/{paired['diner_id']}").text
    assert '<p class="govuk-notification-banner__heading">Their carer asked on' in page
    assert '<b id="injected">' not in page and "&lt;b id=" in page


def test_a_relative_who_left_shows_their_meals_stopped_and_how_to_start_again(
    client: TestClient, session: Session, paired: dict
):
    """A browser walk: a relative who had left read "No meals planned yet", as if meals were
    coming, and the page offered no way back."""
    relative = f"/carer/relatives/{paired['diner_id']}"
    # A reason past 2,000 characters came back cut beside its error.
    too_long = post(client, f"{relative}/leave", {"reason": "y" * 2500}, page=f"{relative}/leave")
    assert summary(too_long.text) == [("#reason", "The reason must be 500 characters or fewer")]
    assert textarea(too_long.text, "reason") == "y" * 2500
    left = post(
        client, f"{relative}/leave", {"reason": "Moved into a care home"}, page=f"{relative}/leave"
    )
    assert left.status_code == 303, left.text

    page = client.get(relative).text

    assert "No meals planned yet" not in page
    assert "meals have stopped for good" in unescape(page)
    assert 'href="/carer/register">register Edna again</a>' in page
