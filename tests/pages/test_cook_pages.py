"""The cook's pages with JavaScript off (TestClient posts the forms as a browser does): the
postcode check before any account, the waiting list, sign-up, the profile step by step with
each step's errors caught on that step and every other answer kept, Back, check your answers,
then the pending and approved pages: invitations, decline, meals, away periods."""

from __future__ import annotations

import html as html_lib
import re
from datetime import UTC, date, datetime, timedelta

import pytest
from fastapi.testclient import TestClient
from sqlmodel import Session, col, select

from app.config import Settings
from app.councils.rules import council_today
from app.models import (
    AreaDemand,
    AuditEntry,
    Cook,
    CookAway,
    Council,
    Meal,
    Neighbourhood,
    Notification,
    Pairing,
    User,
)
from tests.factories import (
    DEFAULT_PASSWORD,
    active_pairing,
    approve_payload,
    approved_cook,
    auth_headers,
    cook_payload,
    covering_helper,
    create_user,
    registered_diner,
    signed_up_cook,
)
from tests.pages.helpers import form_answers, form_token, marked_boxes, title

PASSWORD = "walnut lantern meadow 88"


@pytest.fixture
def barnet_named(session: Session, barnet: Council) -> Council:
    """The root's Barnet with its real name (the factory names councils "Council N"), for the
    pages that print the council's name."""
    barnet.name = "Barnet"
    session.add(barnet)
    session.flush()
    return barnet


def post(client: TestClient, path: str, data: dict[str, object], page: str | None = None):
    """Post a form with the token of the page that shows it (as a browser does)."""
    token = form_token(client, page or path)
    return client.post(path, data={**data, "csrf_token": token}, follow_redirects=False)


def summary(html: str) -> list[tuple[str, str]]:
    found = re.search(r'class="govuk-error-summary.*?</ul>', html, re.DOTALL)
    assert found, "no error summary"
    links = re.findall(r'<a href="(#[^"]+)">([^<]+)</a>', found.group())
    return [(href, html_lib.unescape(text)) for href, text in links]


def field_value(html: str, name: str) -> str | None:
    found = re.search(rf'name="{re.escape(name)}"[^>]*value="([^"]*)"', html) or re.search(
        rf'value="([^"]*)"[^>]*name="{re.escape(name)}"', html
    )
    return found.group(1) if found else None


def start_and_sign_up(client: TestClient, postcode: str = "N3 1HT") -> None:
    """Postcode check, then an account: the browser is signed in as a new cook."""
    assert (
        post(client, "/cook/start", {"postcode": postcode}).headers["location"] == "/cook/sign-up"
    )
    response = post(
        client,
        "/cook/sign-up",
        {"full_name": "Priya Shah", "email": "priya@example.org", "password": PASSWORD},
    )
    assert response.status_code == 303, response.text
    assert response.headers["location"] == "/cook/profile/name"


GOOD = {
    "name": {"display_name": "Priya", "phone": "020 7946 0018"},
    "address": {"address_line": "12 Example Road", "postcode": "n3 1ht"},
    "reach": {"walk_radius_m": "1500", "max_diners": "2", "frequencies": ["weekly", "fortnightly"]},
    "food": {"diets": ["vegetarian"], "allergen_free": ["peanuts"], "textures": ["regular"]},
    "times": {
        "days": ["1", "3"],
        "start-1": "17:00",
        "end-1": "19:00",
        "start-3": "18:00",
        "end-3": "19:30",
    },
}


def step(client: TestClient, name: str, answers: dict[str, object] | None = None):
    path = f"/cook/profile/{name}"
    return post(client, path, answers if answers is not None else GOOD[name])


def fill_profile(client: TestClient) -> None:
    for name, following in [
        ("name", "address"),
        ("address", "reach"),
        ("reach", "food"),
        ("food", "times"),
        ("times", "check"),
    ]:
        response = step(client, name)
        assert response.status_code == 303, response.text
        assert response.headers["location"] == f"/cook/profile/{following}"


# --- before any account --------------------------------------------------------------------


def test_postcode_check_leads_to_sign_up_when_we_run_in_the_area(
    client: TestClient, barnet_named: Council
):
    response = post(client, "/cook/start", {"postcode": "n3 1ht"})
    assert response.headers["location"] == "/cook/sign-up"
    page = client.get("/cook/sign-up")
    assert "Barnet runs Extra Portion for" in page.text and "N3 1HT" in page.text


def test_postcode_check_offers_the_waiting_list_when_we_do_not_run_there(
    client: TestClient, session: Session, barnet
):
    assert (
        post(client, "/cook/start", {"postcode": "M1 1AE"}).headers["location"] == "/cook/not-yet"
    )
    page = client.get("/cook/not-yet")
    assert "We do not run in your area yet" in title(page)
    assert client.get("/cook/sign-up", follow_redirects=False).headers["location"] == "/cook/start"
    refused = post(client, "/cook/not-yet", {"email": "sam@example.org"})
    assert refused.status_code == 422 and title(refused).startswith("Error: ")
    assert [href for href, _ in summary(refused.text)] == ["#consent"]
    assert field_value(refused.text, "email") == "sam@example.org"
    done = post(
        client, "/cook/not-yet", {"email": "Sam@Example.org", "consent": "yes"}, "/cook/not-yet"
    )
    assert done.headers["location"] == "/cook/not-yet/done"
    kept = session.exec(select(AreaDemand).where(AreaDemand.email.is_not(None))).one()  # type: ignore[union-attr]
    assert (kept.district, kept.email, kept.role) == ("M1", "sam@example.org", "cook")
    assert kept.consented_at is not None
    assert "We will email you when we start in M1" in client.get("/cook/not-yet/done").text


def test_postcode_check_shows_the_error_on_its_page_when_the_postcode_is_not_real(
    client: TestClient, barnet
):
    response = post(client, "/cook/start", {"postcode": "ZZ9 9ZZ"})
    assert response.status_code == 422 and title(response).startswith("Error: ")
    assert summary(response.text)[0][0] == "#postcode"
    assert field_value(response.text, "postcode") == "ZZ9 9ZZ"


def test_sign_up_lists_every_error_at_once_and_keeps_the_answers_when_they_are_wrong(
    client: TestClient, session: Session, barnet
):
    post(client, "/cook/start", {"postcode": "N3 1HT"})
    create_user(session, email="taken@example.org")
    response = post(
        client, "/cook/sign-up", {"full_name": "", "email": "nope", "password": "password"}
    )
    assert response.status_code == 422
    assert [href for href, _ in summary(response.text)] == ["#full_name", "#email", "#password"]
    assert field_value(response.text, "email") == "nope"
    taken = post(
        client,
        "/cook/sign-up",
        {"full_name": "Sam", "email": "TAKEN@example.org", "password": PASSWORD},
    )
    assert summary(taken.text) == [
        (
            "#email",
            "An account with this email address already exists: sign in, or use another "
            "email address",
        )
    ]


# --- the profile, step by step --------------------------------------------------------------


def test_bad_phone_is_caught_on_its_step_with_the_other_answer_kept(client: TestClient, barnet):
    start_and_sign_up(client)
    response = step(client, "name", {"display_name": "Priya", "phone": "12345"})
    assert response.status_code == 422 and title(response).startswith("Error: ")
    assert summary(response.text) == [
        ("#phone", "Enter a UK phone number, like 07700 900 982 or 020 7946 0018")
    ]
    assert 'id="phone-error"' in response.text
    assert field_value(response.text, "display_name") == "Priya"
    assert field_value(response.text, "phone") == "12345"


def test_the_hints_example_phone_is_refused_saying_it_is_an_example(client: TestClient, barnet):
    """The hint shows 07700 900 982 (kept by Ofcom for examples): typed in, it was refused with
    "Enter a UK phone number, like 07700 900 982"."""
    start_and_sign_up(client)
    response = step(client, "name", {"display_name": "Priya", "phone": "07700 900 982"})
    assert response.status_code == 422
    assert summary(response.text) == [
        ("#phone", "That is an example number, not one in use: enter your own phone number")
    ]


@pytest.mark.parametrize(
    ("postcode", "message"),
    [
        ("ZZ9 9ZZ", "We cannot find this postcode: check it and enter it again"),
        (
            "M1 1AE",
            "We do not run at M1 1AE yet: enter the postcode of an address in an area we run in",
        ),
    ],
)
def test_bad_or_out_of_area_postcode_is_caught_on_the_address_step_with_answers_kept(
    client: TestClient, barnet, postcode: str, message: str
):
    start_and_sign_up(client)
    step(client, "name")
    response = step(client, "address", {"address_line": "12 Example Road", "postcode": postcode})
    assert response.status_code == 422
    assert summary(response.text) == [("#postcode", message)]
    assert field_value(response.text, "address_line") == "12 Example Road"
    # the earlier step's answers are still there
    assert field_value(client.get("/cook/profile/name").text, "phone") == "020 7946 0018"


def test_reversed_time_is_caught_on_the_times_step_naming_the_day_with_answers_kept(
    client: TestClient, barnet
):
    start_and_sign_up(client)
    for name in ("name", "address", "reach", "food"):
        step(client, name)
    answers = {
        "days": ["1", "3"],
        "start-1": "17:00",
        "end-1": "19:00",
        "start-3": "19:00",
        "end-3": "18:00",
    }
    response = step(client, "times", answers)
    assert response.status_code == 422
    assert summary(response.text) == [
        ("#end-3", "Thursday's latest time must be after its earliest time")
    ]
    page = response.text
    assert re.search(r'id="days-1"[^>]*checked', page) and re.search(
        r'id="days-3"[^>]*checked', page
    )
    assert re.search(r'<option value="19:00" selected>', page)


def test_every_error_of_a_step_shows_at_once_when_nothing_is_chosen(client: TestClient, barnet):
    start_and_sign_up(client)
    response = step(client, "reach", {})
    assert [href for href, _ in summary(response.text)] == [
        "#walk_radius_m",
        "#max_diners",
        "#frequencies",
    ]


def test_back_shows_the_answers_already_given_when_the_cook_goes_back(client: TestClient, barnet):
    start_and_sign_up(client)
    step(client, "name")
    step(client, "address")
    back = client.get("/cook/profile/address")
    assert 'href="/cook/profile/name"' in back.text  # the Back link
    assert field_value(back.text, "address_line") == "12 Example Road"
    # One line of an address: address-line1 autofills it ("street-address" is a whole
    # address, for a box of several lines: an accessibility walk).
    assert re.search(r'name="address_line"[^>]*autocomplete="address-line1"', back.text)
    assert field_value(back.text, "postcode") == "N3 1HT"
    assert field_value(client.get("/cook/profile/name").text, "display_name") == "Priya"


def test_check_your_answers_part_way_says_what_is_not_answered_yet(
    client: TestClient, session: Session, barnet
):
    # It read "How far you could walk: Up to metres" with blank rows (a newcomer's walk).
    start_and_sign_up(client)
    assert step(client, "name").status_code == 303
    check = client.get("/cook/profile/check").text
    assert "Up to  metres" not in check and "Up to metres" not in check
    assert "Not answered yet" in check


def test_check_your_answers_sends_the_profile_for_checks_when_every_step_is_done(
    client: TestClient, session: Session, barnet
):
    start_and_sign_up(client)
    fill_profile(client)
    check = client.get("/cook/profile/check")
    assert title(check) == "Check your answers – Extra Portion"
    for shown in (
        "Priya",
        "020 7946 0018",
        "12 Example Road",
        "Tuesday, 17:00 to 19:00",
        "Thursday, 18:00 to 19:30",
    ):
        assert shown in check.text
    response = post(client, "/cook/profile/check", {})
    assert response.headers["location"] == "/cook/?sent=1"
    cook = session.exec(select(Cook)).one()
    assert (cook.status, cook.phone, cook.postcode) == ("pending", "+442079460018", "N3 1HT")
    assert cook.availability == [
        {"weekday": 1, "start": "17:00", "end": "19:00"},
        {"weekday": 3, "start": "18:00", "end": "19:30"},
    ]
    pending = client.get(response.headers["location"])
    assert title(pending) == "Waiting for checks – Extra Portion"
    for shown in (
        "Your profile has been sent for checks",
        "What to bring",
        "DBS check",
        "Who to contact",
    ):
        assert shown in pending.text


def test_cook_chooses_texts_on_the_name_step_and_the_account_keeps_it_when_sent(
    client: TestClient, session: Session, barnet
):
    start_and_sign_up(client)
    landline = step(client, "name", {**GOOD["name"], "contact_preference": "sms"})
    assert landline.status_code == 422
    assert summary(landline.text) == [
        ("#phone", "Enter a mobile phone number to get text messages, like 07700 900 982")
    ]
    mobile = {"display_name": "Priya", "phone": "07911 123456", "contact_preference": "sms"}
    assert step(client, "name", mobile).headers["location"] == "/cook/profile/address"
    for name in ("address", "reach", "food", "times"):
        assert step(client, name).status_code == 303
    assert "Text message" in client.get("/cook/profile/check").text
    assert post(client, "/cook/profile/check", {}).headers["location"] == "/cook/?sent=1"
    user = session.exec(select(User).where(User.email == "priya@example.org")).one()
    session.refresh(user)
    assert (user.contact_preference, user.phone) == ("sms", "+447911123456")


def test_a_days_second_time_is_kept_when_the_profile_is_edited_through_the_pages(
    client: TestClient, session: Session, barnet
):
    """The pages ask one time per day; a second one saved through the API must survive."""
    start_and_sign_up(client)
    fill_profile(client)
    post(client, "/cook/profile/check", {})
    cook = session.exec(select(Cook)).one()
    two_on_tuesday = [
        {"weekday": 1, "start": "12:00", "end": "13:00"},
        {"weekday": 1, "start": "17:00", "end": "19:00"},
        {"weekday": 3, "start": "18:00", "end": "19:30"},
    ]
    cook.availability = two_on_tuesday
    session.add(cook)
    session.commit()

    check = client.get("/cook/profile/check")
    assert "Tuesday, 12:00 to 13:00, and 17:00 to 19:00" in check.text
    clash = step(
        client,
        "times",
        {
            "days": ["1", "3"],
            "start-1": "11:00",
            "end-1": "17:30",
            **{"start-3": "18:00", "end-3": "19:30"},
        },
    )
    assert (
        "#end-1",
        "You also offer 17:00 to 19:00 on Tuesday: choose times that end "
        "before it starts or start after it ends",
    ) in summary(clash.text)
    times = {"days": ["1", "3"], "start-1": "12:00", "end-1": "13:30"}
    again = step(client, "times", {**times, "start-3": "18:00", "end-3": "19:30"})
    assert again.headers["location"] == "/cook/profile/check"
    assert post(client, "/cook/profile/check", {}).headers["location"] == "/cook/?saved=1"
    session.expire_all()
    kept = session.exec(select(Cook)).one().availability
    assert sorted((w["weekday"], w["start"]) for w in kept) == [
        (1, "12:00"),
        (1, "17:00"),
        (3, "18:00"),
    ]


def test_change_link_returns_to_check_your_answers_when_the_step_is_done(
    client: TestClient, barnet
):
    start_and_sign_up(client)
    fill_profile(client)
    response = post(
        client,
        "/cook/profile/name",
        {**GOOD["name"], "phone": "07911 123456", "change": "1"},
        "/cook/profile/name?change=1",
    )
    assert response.headers["location"] == "/cook/profile/check"
    assert "07911 123456" in client.get("/cook/profile/check").text


def test_a_refused_answer_leaves_the_last_good_one_on_check_your_answers_when_the_cook_leaves(
    client: TestClient, barnet
):
    """A newcomer's walk: a 300-character address, refused on its step, replaced the saved one,
    and "check your answers" showed it as the answer (its error only on sending)."""
    start_and_sign_up(client)
    fill_profile(client)
    good = {"address_line": "Flat 2, 12 Ballards Lane & Co", "postcode": "N3 1HT"}
    assert step(client, "address", good).status_code == 303
    refused = step(client, "address", {**good, "address_line": "x" * 300})
    assert refused.status_code == 422
    assert summary(refused.text) == [
        ("#address_line", "House number and street must be 200 characters or fewer")
    ]
    assert field_value(refused.text, "address_line") == "x" * 300  # nothing typed is lost
    check = client.get("/cook/profile/check")
    assert "Flat 2, 12 Ballards Lane &amp; Co" in check.text and "x" * 300 not in check.text
    assert field_value(client.get("/cook/profile/address").text, "address_line") == (
        "Flat 2, 12 Ballards Lane &amp; Co"
    )
    assert post(client, "/cook/profile/check", {}).headers["location"] == "/cook/?sent=1"


def test_profile_pages_ask_to_sign_in_when_nobody_is_signed_in(client: TestClient):
    response = client.get("/cook/profile/name", follow_redirects=False)
    assert response.headers["location"] == "/sign-in?next=%2Fcook%2Fprofile%2Fname"


def test_old_cook_urls_redirect_to_the_pages_that_replace_them(client: TestClient):
    for old, new in [
        ("/sign-up-cook.html", "/cook/start"),
        ("/cook/onboarding.html", "/cook/profile/name"),
        ("/cook/index.html", "/cook/"),
    ]:
        assert client.get(old, follow_redirects=False).headers["location"] == new


# --- approved: invitations, meals, away -----------------------------------------------------


def sign_in(client: TestClient, email: str) -> None:
    response = post(client, "/sign-in", {"email": email, "password": DEFAULT_PASSWORD})
    assert response.status_code == 303, response.text


@pytest.fixture
def invited(client: TestClient, session: Session, settings: Settings, barnet) -> dict[str, object]:
    """An approved cook with an invitation to cook for Edna (registered by her carer)."""
    staff = create_user(session, role="staff", council=barnet, full_name="Pat Coordinator")
    hood = Neighbourhood(
        council_id=barnet.id, name="Finchley", sectors=["N3 1"], coordinator_id=staff.id
    )
    session.add(hood)
    session.flush()
    cook_user = create_user(session, role="cook", full_name="Priya Shah")
    assert (
        client.put(
            "/api/cooks/me", json=cook_payload(), headers=auth_headers(cook_user, settings)
        ).status_code
        == 200
    )
    cook = session.exec(select(Cook).where(Cook.user_id == cook_user.id)).one()
    staff_headers = auth_headers(staff, settings)
    assert (
        client.post(
            f"/api/staff/cooks/{cook.id}/approve", json=approve_payload(), headers=staff_headers
        ).status_code
        == 200
    )
    carer, diner_id = registered_diner(client, session, settings)
    carer.phone = "+447911123456"
    session.add(carer)
    session.commit()
    proposal = client.post(
        "/api/staff/pairings",
        json={
            "diner_id": diner_id,
            "cook_id": cook.id,
            "weekday": 1,
            "start": "17:30",
            "frequency": "weekly",
        },
        headers=staff_headers,
    )
    assert proposal.status_code == 201, proposal.text
    client.cookies.clear()
    sign_in(client, cook_user.email)
    return {
        "cook": cook,
        "pairing_id": proposal.json()["id"],
        "diner_id": diner_id,
        "carer": carer,
        "staff": staff,
    }


def test_accepting_shows_the_next_meal_with_full_address_and_the_carers_phone(
    client: TestClient, session: Session, invited
):
    home = client.get("/cook/")
    assert "Would you like to cook for Edna?" in home.text
    # Its button says whose invitation it accepts, as the Decline link beside it does.
    assert re.search(
        r'<button[^>]*>\s*Accept<span class="govuk-visually-hidden"> cooking for Edna</span>',
        home.text,
    )
    assert "3 Quiet Close" not in home.text  # the address only once accepted
    response = post(client, f"/cook/invitations/{invited['pairing_id']}/accept", {}, "/cook/")
    assert response.headers["location"] == "/cook/?done=accepted"
    # Accepting shows the address: audited, as the API's accept does.
    viewed = session.exec(select(AuditEntry).where(AuditEntry.action == "diner.address_viewed"))
    assert [e.subject_id for e in viewed] == [invited["diner_id"]]
    # A second click lands where the first did, not on "Sorry, something went wrong" (an
    # outside check).
    token = form_token(client, "/cook/profile/check")
    again = client.post(
        f"/cook/invitations/{invited['pairing_id']}/accept",
        data={"csrf_token": token},
        follow_redirects=False,
    )
    assert (again.status_code, again.headers["location"]) == (303, "/cook/?done=accepted")
    home = client.get("/cook/")
    panel = home.text.split('id="next-heading"')[1].split("</section>")[0]
    for shown in (
        "Tuesday",
        "17:30",
        "Edna",
        "3 Quiet Close",
        "N3 1QX",
        "Key safe by the door",
        "07911 123456",
        "their carer",
    ):
        assert shown in panel, shown
    assert home.text.index('id="next-heading"') < home.text.index('id="meals"')
    # From the next meal, a concern about Edna goes to her own form, which the cook may use.
    concern_link = re.search(r'href="(/concerns/new\?diner=\d+)"', panel)
    assert concern_link, "no way to raise a concern from the next meal"
    form = client.get(html_lib.unescape(concern_link.group(1)))
    assert form.status_code == 200 and "Edna" in form.text
    # And from each neighbour's card, not only the next meal's (an outside check).
    card = home.text.split('id="neighbour-')[1].split("</section>")[0]
    assert f'href="/concerns/new?diner={invited["diner_id"]}"' in card


def test_a_pairing_the_cooks_own_change_paused_shows_on_their_page_with_why(
    client: TestClient, session: Session, settings: Settings, invited
):
    """Before, a paused pairing was simply gone from the cook's page."""
    post(client, f"/cook/invitations/{invited['pairing_id']}/accept", {}, "/cook/")
    cook = invited["cook"]
    user = session.get(User, cook.user_id)
    assert user is not None
    saved = client.put(
        "/api/cooks/me",
        json=cook_payload(allergen_free=["tree_nuts"]),
        headers=auth_headers(user, settings),
    )
    assert saved.status_code == 200, saved.text
    home = client.get("/cook/?saved=1")
    assert (
        "Meals with Edna are paused because your profile no longer meets Edna&#39;s needs "
        "safely" in home.text
    )
    assert "3 Quiet Close" not in home.text  # not a running pairing: no address
    # What Edna needs, so the cook can see what to offer again; no green "Success".
    paused = home.text.split(">Paused</h2>")[1].split('id="meals"')[0]
    assert re.search(r"Must not contain</dt><dd[^>]*>Peanuts</dd>", paused), paused
    assert "change your profile</a> to say so and the meals start again" in paused
    assert "Success" not in home.text
    assert "Meals with Edna are paused: your profile no longer meets their needs" in home.text
    assert "You have no meals planned while your meals are paused" in home.text


def test_a_cooks_move_beyond_their_walk_is_put_down_to_the_distance_not_to_their_cooking(
    client: TestClient, session: Session, settings: Settings, invited
):
    """A newcomer's walk: a cook who moved too far from Edna read "your profile no longer meets
    Edna's needs safely", with Edna's needs and "If you can cook what Edna needs, change your
    profile", though they cook all of it."""
    post(client, f"/cook/invitations/{invited['pairing_id']}/accept", {}, "/cook/")
    user = session.get(User, invited["cook"].user_id)
    assert user is not None
    saved = client.put(
        "/api/cooks/me", json=cook_payload(postcode="EN5 1AA"), headers=auth_headers(user, settings)
    )
    assert saved.status_code == 200, saved.text
    pairing = session.get(Pairing, invited["pairing_id"])
    session.refresh(pairing)
    assert (pairing.status, pairing.pause_reason) == ("paused", "cook_changed")
    paused = html_lib.unescape(client.get("/cook/").text).split(">Paused</h2>")[1]
    paused = paused.split('id="meals"')[0]
    assert (
        "Meals with Edna are paused because you and Edna now live too far apart for you to walk "
        "the meals round." in paused
    )
    assert "no longer meets" not in paused and "change your profile" not in paused
    notice = html_lib.unescape(client.get("/cook/?saved=1").text)
    assert "Meals with Edna are paused: you now live too far apart to walk the meals round." in (
        notice
    )
    assert "no longer meets" not in notice


def test_a_pairing_paused_for_a_concern_shows_on_the_cooks_page_without_saying_why(
    client: TestClient, session: Session, invited
):
    """The concern may be about the cook (safeguarding): the page must not tell them of it."""
    post(client, f"/cook/invitations/{invited['pairing_id']}/accept", {}, "/cook/")
    pairing = session.get(Pairing, invited["pairing_id"])
    assert pairing is not None
    pairing.status, pairing.pause_reason = "paused", "concern"
    session.add(pairing)
    session.commit()
    home = client.get("/cook/")
    said = re.findall(r'<div class="govuk-inset-text">([^<]*)</div>', home.text)
    assert said == [
        "Meals with Edna are paused for now. Please don't bring the next one: the "
        "coordinator will be in touch."
    ]


def test_a_pairing_staff_ended_shows_on_the_cooks_page_with_when_and_why(
    client: TestClient, session: Session, settings: Settings, invited
):
    """Before, an ended pairing was simply gone from the cook's page: only a message said why."""
    post(client, f"/cook/invitations/{invited['pairing_id']}/accept", {}, "/cook/")
    ended = client.post(
        f"/api/staff/pairings/{invited['pairing_id']}/end",
        headers=auth_headers(invited["staff"], settings),
    )
    assert ended.status_code == 200, ended.text
    council = session.get(Council, invited["cook"].council_id)
    assert council is not None
    today = council_today(council)

    home = client.get("/cook/")

    stopped = home.text.split(">Stopped</h2>")[1].split('id="meals"')[0]
    said = [html_lib.unescape(p) for p in re.findall(r'<p class="govuk-body">([^<]*)</p>', stopped)]
    assert said == [
        f"Your meals for Edna stopped on {today:%A} {today.day} {today:%B %Y}. "
        "The council's coordinator has ended the meals."
    ]
    assert "3 Quiet Close" not in home.text  # no longer theirs to visit: no address


def test_a_cook_asked_to_cover_and_then_covering_sees_what_the_meal_must_be(
    client: TestClient, session: Session, settings: Settings, staff: User
):
    """A cover cook saw only "Edna, Tuesday at 17:30": no diet, allergy or texture anywhere
    but the printed label, which had no diet (an outside check)."""
    world = active_pairing(client, session, settings, staff)
    spare, _ = approved_cook(
        client, session, settings, staff, postcode="N3 1BU", display_name="Spare"
    )
    meals = client.get("/api/cooks/me/meals", headers=world.cook_headers).json()["items"]
    day = next(m["date"] for m in meals if date.fromisoformat(m["date"]) > date.today())
    away = client.post(
        "/api/cooks/me/away", json={"from": day, "to": day}, headers=world.cook_headers
    )
    assert away.status_code == 200, away.text
    client.cookies.clear()
    sign_in(client, spare.email)
    when = date.fromisoformat(day)
    day_words = f"{when:%A} {when.day} {when:%B %Y}"

    asked = client.get("/cook/").text.split("Meals that need a cook</h2>")[1].split("</ul>")[0]

    assert re.search(r"Diet</dt><dd[^>]*>Vegetarian</dd>", asked), asked
    assert re.search(r"Must not contain</dt><dd[^>]*>Peanuts</dd>", asked), asked
    assert re.search(r"Texture</dt><dd[^>]*>Soft and bite-sized", asked), asked
    # How far, to 100 m (N3 1BU to N3 1QX): a newcomer's walk found cover requests gave none.
    assert "Edna, " + day_words + " at 17:30, about 500 m from you</p>" in asked, asked


def test_the_next_meal_says_what_it_must_be_when_the_cook_covers_it(
    client: TestClient, session: Session, settings: Settings, staff: User
):
    world = active_pairing(client, session, settings, staff)
    helper, _ = covering_helper(client, session, settings, staff, pairing_id=world.pairing_id)
    client.cookies.clear()
    sign_in(client, helper.email)

    panel = client.get("/cook/").text.split('id="next-heading"')[1].split("</section>")[0]

    assert "covering for another cook" in panel
    assert re.search(r"Must not contain</dt><dd[^>]*>Peanuts</dd>", panel), panel
    assert re.search(r"Diet</dt><dd[^>]*>Vegetarian</dd>", panel), panel


def test_a_meal_later_today_offers_delivered_but_not_missed(
    client: TestClient, session: Session, settings: Settings, staff: User
):
    world = active_pairing(client, session, settings, staff)
    meal = session.exec(select(Meal).where(Meal.pairing_id == world.pairing_id)).first()
    assert meal is not None
    later = datetime.now(UTC) + timedelta(hours=2)
    meal.date, meal.at, meal.start = date.today(), later, f"{later:%H:%M}"
    session.add(meal)
    session.commit()
    client.cookies.clear()
    sign_in(client, world.cook.email)

    page = client.get("/cook/").text

    assert f'action="/cook/meals/{meal.id}/delivered"' in page
    assert f"/cook/meals/{meal.id}/missed" not in page
    assert f'href="/api/meals/{meal.id}/label"' in page  # it was lost beside the outcome
    # Nor is its confirmation page there to reach by hand: back to the list.
    asked = client.get(f"/cook/meals/{meal.id}/missed", follow_redirects=False)
    assert (asked.status_code, asked.headers["location"]) == (303, "/cook/")


def test_missed_is_asked_first_on_a_page_that_says_who_is_told_then_recorded(
    client: TestClient, session: Session, settings: Settings, staff: User, barnet: Council
):
    """A newcomer's walk: "Missed" sat beside "Delivered", one tap on a phone, and told the
    carer and the coordinator at once, with no way back for the cook."""
    world = active_pairing(client, session, settings, staff)
    meal = session.exec(
        select(Meal).where(Meal.pairing_id == world.pairing_id).order_by(col(Meal.date))
    ).first()
    assert meal is not None
    meal.date = council_today(barnet) - timedelta(days=1)
    meal.at = datetime.now(UTC) - timedelta(days=1)
    session.add(meal)
    session.commit()
    client.cookies.clear()
    sign_in(client, world.cook.email)

    home = client.get("/cook/").text
    assert f'href="/cook/meals/{meal.id}/missed"' in home
    assert f'action="/cook/meals/{meal.id}/missed"' not in home  # no longer one tap
    asked = client.get(f"/cook/meals/{meal.id}/missed")

    assert asked.status_code == 200
    words = " ".join(re.sub(r"<[^>]+>", " ", html_lib.unescape(asked.text)).split())
    assert "Record the meal for Edna as missed?" in words
    assert "We tell Edna's carer and the coordinator straight away" in words
    assert f'action="/cook/meals/{meal.id}/missed"' in asked.text
    assert session.exec(select(Notification).where(Notification.event == "meal_missed")).all() == []

    done = post(client, f"/cook/meals/{meal.id}/missed", {}, f"/cook/meals/{meal.id}/missed")

    assert done.headers["location"] == "/cook/?done=missed"
    session.refresh(meal)
    assert meal.status == "missed"
    told = session.exec(
        select(Notification.to_user_id).where(Notification.event == "meal_missed")
    ).all()
    assert world.carer.id in told
    # Asked again for it (the page kept open in another tab): it says it was recorded.
    again = client.get(f"/cook/meals/{meal.id}/missed", follow_redirects=False)
    assert again.headers["location"] == "/cook/?done=already-missed"


def test_a_cook_gets_turns_over_and_turns_off_their_calendar_address_on_their_page(
    client: TestClient, session: Session, settings: Settings, staff: User
):
    """The feed existed in the API only: a cook using the pages had no way to it."""
    world = active_pairing(client, session, settings, staff)
    client.cookies.clear()
    sign_in(client, world.cook.email)
    assert "Get a calendar address" in client.get("/cook/").text

    def address() -> str | None:
        found = re.search(r'<code class="ep-break-all" id="calendar-url">([^<]+)</code>',
                          client.get("/cook/").text)  # fmt: skip
        return found.group(1) if found else None

    made = post(client, "/cook/calendar", {}, page="/cook/")
    assert made.headers["location"] == "/cook/?done=calendar"
    first = address()
    assert first and first.startswith(settings.public_url.rstrip("/") + "/api/calendar/")
    path = first.removeprefix(settings.public_url.rstrip("/"))
    assert client.get(path).status_code == 200
    post(client, "/cook/calendar", {}, page="/cook/")
    assert address() not in (None, first) and client.get(path).status_code == 404
    post(client, "/cook/calendar/off", {}, page="/cook/")
    assert address() is None


def test_a_cook_changes_their_email_address_as_a_carer_can(
    client: TestClient, session: Session, settings: Settings, staff: User
):
    """Only carers had the page: a cook (or staff member) could not change their address."""
    world = active_pairing(client, session, settings, staff)
    client.cookies.clear()
    sign_in(client, world.cook.email)
    assert 'href="/account/email"' in client.get("/cook/").text
    old = world.cook.email

    done = post(
        client, "/account/email", {"email": "priya.new@example.org", "password": DEFAULT_PASSWORD}
    )

    assert done.headers["location"] == "/account/email/sent"
    page = client.get(done.headers["location"]).text
    assert "priya.new@example.org" in page and 'href="/cook/"' in page
    sent = session.exec(select(Notification).where(Notification.event == "confirm_new_email"))
    link = re.search(r"https?://[^/\s]+(/account/email/confirm\?token=\S+)", sent.one().body)[1]
    confirm = client.get(link)
    done = client.post(
        "/account/email/confirm",
        data={
            "token": link.split("token=")[1],
            "csrf_token": re.search(r'name="csrf_token" value="([^"]+)"', confirm.text)[1],
        },
        follow_redirects=False,
    )
    assert done.headers["location"] == "/account/email/changed"
    page = client.get(done.headers["location"]).text
    assert "Your email address has been changed" in page and 'href="/cook/"' in page
    told = session.exec(select(Notification).where(Notification.event == "email_changed")).one()
    assert told.recipient == old
    session.refresh(world.cook)
    assert world.cook.email == "priya.new@example.org"


def test_check_your_answers_warns_before_a_change_that_would_pause_a_neighbours_meals(
    client: TestClient, invited
):
    post(client, f"/cook/invitations/{invited['pairing_id']}/accept", {}, "/cook/")
    # From "My cooking", Back goes back there (before: to the times step).
    assert re.search(
        r'<a href="/cook/" class="govuk-back-link', client.get("/cook/profile/check").text
    )
    food = {"diets": ["vegetarian"], "textures": ["regular", "soft_bite_sized"]}
    step(client, "food", {**food, "allergen_free": ["peanuts"]})
    assert "meals with Edna are paused" not in client.get("/cook/profile/check").text
    step(client, "food", {**food, "allergen_free": ["tree_nuts"]})
    check = client.get("/cook/profile/check").text
    assert (
        "If you save this, meals with Edna are paused: Edna needs food free from peanuts."
        in html_lib.unescape(check)
    )


def test_a_cooks_unsaved_changes_are_said_to_be_unsaved_until_they_are_saved(
    client: TestClient, invited
):
    """A browser walk: answers given on a step and never saved were kept and shown on the
    steps and the check page later, with nothing saying they were not saved."""
    unsaved = "You have changed your profile but not saved the changes"
    inset = "They are not saved until you select ‘Save changes’."
    assert unsaved not in client.get("/cook/").text
    assert inset not in html_lib.unescape(client.get("/cook/profile/check").text)
    step(client, "times")
    assert unsaved in client.get("/cook/").text
    assert inset in html_lib.unescape(client.get("/cook/profile/check").text)
    assert post(client, "/cook/profile/check", {}).headers["location"] == "/cook/?saved=1"
    assert unsaved not in client.get("/cook/").text
    assert inset not in html_lib.unescape(client.get("/cook/profile/check").text)


@pytest.mark.parametrize("name", ["name", "address", "reach", "food", "times"])
def test_a_step_continued_unchanged_is_not_called_an_unsaved_change(
    client: TestClient, invited, name: str
):
    """An outside review: pressing Continue on a step without changing anything was called a
    change ("You have changed your answers since you last saved your profile")."""
    unsaved = "You have changed your profile but not saved the changes"
    inset = "You have changed your answers since you last saved your profile"
    shown = form_answers(client.get(f"/cook/profile/{name}?change=1").text)
    assert shown, f"no answers read from the {name} step"
    assert step(client, name, shown).status_code == 303
    assert inset not in html_lib.unescape(client.get("/cook/profile/check").text)
    assert unsaved not in client.get("/cook/").text
    step(client, "times")  # a real change is still one
    assert inset in html_lib.unescape(client.get("/cook/profile/check").text)


@pytest.mark.parametrize("name", ["name", "address", "times"])
def test_an_answer_retyped_in_another_form_is_not_called_an_unsaved_change(
    client: TestClient, invited, name: str
):
    """The same phone number without its spaces, the postcode in small letters, a time as
    "9.00": what the profile saves is unchanged, so it is no change (a walk's finding)."""
    inset = "You have changed your answers since you last saved your profile"
    shown = form_answers(client.get(f"/cook/profile/{name}?change=1").text)
    retyped = dict(shown)
    if name == "name":
        retyped["phone"] = "+44 " + shown["phone"].replace(" ", "")[1:]
    elif name == "address":
        retyped["postcode"] = shown["postcode"].lower().replace(" ", "")
    else:
        day = shown["days"][0] if isinstance(shown["days"], list) else shown["days"]
        hours, minutes = shown[f"start-{day}"].split(":")
        retyped[f"start-{day}"] = f"{int(hours)}.{minutes}"
    assert retyped != shown
    assert step(client, name, retyped).status_code == 303
    assert inset not in html_lib.unescape(client.get("/cook/profile/check").text)


def test_check_your_answers_says_the_council_checks_a_new_address_only_when_there_is_one(
    client: TestClient, invited
):
    """A browser walk: "If you have moved, your council checks your new address" was said to
    every cook who changed anything, their times as much as their address."""
    step(client, "times")
    assert "new address" not in client.get("/cook/profile/check").text
    step(client, "address", {"address_line": "3 Other Road", "postcode": "N3 1HT"})
    assert "new address" not in client.get("/cook/profile/check").text  # the same postcode
    step(client, "address", {"address_line": "3 Other Road", "postcode": "n3 1qx"})
    check = html_lib.unescape(client.get("/cook/profile/check").text)
    assert "You have a new address: your council checks it before you are invited again." in check


def test_check_your_answers_warns_that_saving_withdraws_an_invitation_it_no_longer_meets(
    client: TestClient, session: Session, invited
):
    """A reviewer: an invitation the change would withdraw went without a word on the page
    (the warning looked only at running pairings), and saving withdrew it."""
    food = {"diets": ["vegetarian"], "textures": ["regular", "soft_bite_sized"]}
    step(client, "food", {**food, "allergen_free": ["peanuts"]})
    assert "invitation" not in client.get("/cook/profile/check").text
    step(client, "food", {**food, "allergen_free": ["tree_nuts"]})

    check = html_lib.unescape(client.get("/cook/profile/check").text)

    assert (
        "If you save this, your invitation to cook for Edna is withdrawn: Edna needs food free "
        "from peanuts." in check
    )
    assert "meals with Edna are paused" not in check
    assert post(client, "/cook/profile/check", {}).headers["location"] == "/cook/?saved=1"
    pairing = session.get(Pairing, invited["pairing_id"])
    assert pairing is not None
    session.refresh(pairing)
    assert pairing.status == "withdrawn"  # what the warning said would happen


def test_check_your_answers_warns_of_no_pause_when_meals_are_paused_for_the_diners_new_needs(
    client: TestClient, session: Session, settings: Settings, invited
):
    """Saving leaves a pause for Edna's changed needs as it is (only making her safe again
    changes it), yet the page said "If you save this, meals with Edna are paused"."""
    post(client, f"/cook/invitations/{invited['pairing_id']}/accept", {}, "/cook/")
    changed = client.patch(
        f"/api/diners/{invited['diner_id']}",
        json={"allergies": ["peanuts", "sesame"]},
        headers=auth_headers(invited["carer"], settings),
    )
    assert changed.status_code == 200, changed.text
    pairing = session.get(Pairing, invited["pairing_id"])
    assert pairing is not None and pairing.pause_reason == "needs_changed"
    food = {"diets": ["vegetarian"], "textures": ["regular", "soft_bite_sized"]}
    step(client, "food", {**food, "allergen_free": ["tree_nuts"]})

    check = html_lib.unescape(client.get("/cook/profile/check").text)

    assert "meals with Edna are paused" not in check
    assert post(client, "/cook/profile/check", {}).headers["location"] == "/cook/?saved=1"
    session.refresh(pairing)
    assert (pairing.status, pairing.pause_reason) == ("paused", "needs_changed")


def test_check_your_answers_says_meals_paused_for_now_would_stay_paused_after_the_change(
    client: TestClient, session: Session, settings: Settings, invited
):
    """Paused for now (a serious concern, which the cook is not told of): the page said "If you
    save this, meals with Edna are paused", a pause that had already happened. Saving keeps
    them paused until the profile meets Edna's needs again, even once the concern is settled."""
    post(client, f"/cook/invitations/{invited['pairing_id']}/accept", {}, "/cook/")
    concern = client.post(
        "/api/concerns",
        json={"diner_id": invited["diner_id"], "kind": "missed_meal", "serious": True,
              "description": "No meal came on Tuesday"},
        headers=auth_headers(invited["carer"], settings),
    )  # fmt: skip
    assert concern.status_code == 201, concern.text
    food = {"diets": ["vegetarian"], "textures": ["regular", "soft_bite_sized"]}
    step(client, "food", {**food, "allergen_free": ["tree_nuts"]})

    check = html_lib.unescape(client.get("/cook/profile/check").text)

    assert "If you save this, meals with Edna are paused" not in check
    assert (
        "Meals with Edna are paused for now. If you save this, they will not start again until "
        "your profile meets Edna's needs: Edna needs food free from peanuts." in check
    )


def test_decline_asks_for_confirmation_and_tells_the_coordinator_the_reason(
    client: TestClient, session: Session, invited, barnet
):
    page = client.get(f"/cook/invitations/{invited['pairing_id']}/decline")
    assert title(page) == "Are you sure you want to decline cooking for Edna? – Extra Portion"
    pairing = session.get(Pairing, invited["pairing_id"])
    assert pairing is not None and pairing.status == "proposed"  # nothing declined by looking
    response = post(
        client,
        f"/cook/invitations/{invited['pairing_id']}/decline",
        {"reason": "I work late on Tuesdays"},
    )
    assert response.headers["location"] == "/cook/?done=declined"
    session.refresh(pairing)
    assert pairing.status == "declined"
    assert "You have declined the invitation" in client.get(response.headers["location"]).text
    told = session.exec(select(Notification).where(Notification.event == "pairing_declined")).one()
    assert told.to_user_id == invited["staff"].id
    assert "I work late on Tuesdays" in told.body


def test_meal_is_recorded_as_delivered_when_the_cook_says_so(
    client: TestClient, session: Session, invited, barnet
):
    post(client, f"/cook/invitations/{invited['pairing_id']}/accept", {}, "/cook/")
    meal = session.exec(select(Meal).order_by(Meal.date)).first()
    assert meal is not None
    meal.date = council_today(barnet) - timedelta(days=1)
    session.add(meal)
    session.commit()
    home = client.get("/cook/")
    assert f'action="/cook/meals/{meal.id}/delivered"' in home.text
    response = post(client, f"/cook/meals/{meal.id}/delivered", {}, "/cook/")
    assert response.headers["location"] == "/cook/?done=delivered"
    session.refresh(meal)
    assert meal.status == "delivered"
    # A second click: where the first led; the other outcome is still refused.
    again = post(client, f"/cook/meals/{meal.id}/delivered", {}, "/cook/")
    assert (again.status_code, again.headers["location"]) == (303, "/cook/?done=delivered")
    # The other outcome, pressed on a page shown before (another tab): the page says the meal
    # was recorded already, as news, and nothing changes (it was "Sorry, something went wrong",
    # with no way back: a newcomer's walk).
    other = post(client, f"/cook/meals/{meal.id}/missed", {}, "/cook/")
    assert (other.status_code, other.headers["location"]) == (
        303,
        "/cook/?done=already-delivered",
    )
    page = client.get(other.headers["location"]).text
    banner = page.split('class="govuk-notification-banner')[1].split("</div>")[0]
    assert 'role="alert"' in page.split('class="govuk-notification-banner')[1].split(">")[0]
    assert "--success" not in banner
    assert "That meal was already recorded as delivered, so nothing has changed." in page
    session.refresh(meal)
    assert meal.status == "delivered"
    assert session.exec(select(Notification).where(Notification.event == "meal_missed")).all() == []


def test_a_meal_cancelled_since_the_page_was_shown_is_said_so_and_stays_cancelled(
    client: TestClient, session: Session, invited, barnet
):
    post(client, f"/cook/invitations/{invited['pairing_id']}/accept", {}, "/cook/")
    meal = session.exec(select(Meal).order_by(Meal.date)).first()
    assert meal is not None
    meal.date, meal.status = council_today(barnet) - timedelta(days=1), "cancelled"
    session.add(meal)
    session.commit()
    pressed = post(client, f"/cook/meals/{meal.id}/delivered", {}, "/cook/")
    assert (pressed.status_code, pressed.headers["location"]) == (
        303,
        "/cook/?done=already-cancelled",
    )
    page = client.get(pressed.headers["location"]).text
    assert "That meal has been cancelled, so there is nothing to record." in page
    session.refresh(meal)
    assert meal.status == "cancelled"


def away_dates(start: date, end: date) -> dict[str, object]:
    return {
        "from-day": start.day, "from-month": start.month, "from-year": start.year,
        "to-day": end.day, "to-month": end.month, "to-year": end.year,
    }  # fmt: skip


def test_away_dates_in_the_past_are_refused_with_a_clear_message(
    client: TestClient, session: Session, invited, barnet
):
    today = council_today(barnet)
    response = post(
        client, "/cook/away", away_dates(today - timedelta(days=3), today + timedelta(days=2))
    )
    assert response.status_code == 422 and title(response).startswith("Error: ")
    assert summary(response.text) == [
        ("#from-day", "The first day you are away must be today or in the future")
    ]
    assert marked_boxes(response.text) == ["from-day", "from-month", "from-year"]  # a rule's
    assert field_value(response.text, "to-day") == str((today + timedelta(days=2)).day)
    assert session.exec(select(CookAway)).all() == []


def test_away_date_errors_link_to_the_wrong_box_and_mark_only_it_when_one_part_is_wrong(
    client: TestClient, session: Session, invited, barnet
):
    # The link went to the day box, and all three boxes were red, whatever part was wrong.
    start = council_today(barnet) + timedelta(days=7)
    sent = {**away_dates(start, start), "from-month": "Smarch", "to-year": ""}
    response = post(client, "/cook/away", sent)
    assert response.status_code == 422
    assert summary(response.text) == [
        ("#from-month", "The first day you are away must be a real date"),
        ("#to-year", "The last day you are away must include a year"),
    ]
    assert marked_boxes(response.text) == ["from-month", "to-year"]
    assert session.exec(select(CookAway)).all() == []


def test_away_dates_can_be_changed_and_cancelled_and_meals_come_back(
    client: TestClient, session: Session, invited, barnet
):
    post(client, f"/cook/invitations/{invited['pairing_id']}/accept", {}, "/cook/")
    today = council_today(barnet)
    first = session.exec(select(Meal).where(Meal.date > today).order_by(Meal.date)).first()
    assert first is not None
    response = post(client, "/cook/away", away_dates(first.date, first.date + timedelta(days=1)))
    assert response.headers["location"] == "/cook/away?done=away-added"
    session.refresh(first)
    assert first.status == "needs_cover"
    away = session.exec(select(CookAway)).one()
    listed = client.get("/cook/away").text
    assert (
        f'href="/cook/away/{away.id}/change"' in listed
        and f'href="/cook/away/{away.id}/cancel"' in listed
    )
    assert "Not started yet" in listed and "Planned" not in listed
    later = first.date + timedelta(days=30)
    changed = post(
        client,
        f"/cook/away/{away.id}/change",
        away_dates(later, later),
        f"/cook/away/{away.id}/change",
    )
    assert changed.headers["location"] == "/cook/away?done=away-changed"
    session.refresh(first)
    assert first.status == "scheduled"  # outside the new dates: the cook's again
    new = session.exec(select(CookAway)).one()
    assert (new.from_date, new.to_date) == (later, later)
    confirm = client.get(f"/cook/away/{new.id}/cancel")
    assert title(confirm).startswith("Are you sure you want to cancel these away dates?")
    cancelled = post(client, f"/cook/away/{new.id}/cancel", {}, f"/cook/away/{new.id}/cancel")
    assert cancelled.headers["location"] == "/cook/away?done=away-cancelled"
    assert session.exec(select(CookAway)).all() == []


def test_demo_style_cook_lands_on_their_own_page_when_signing_in(
    client: TestClient, session: Session, invited
):
    client.cookies.clear()
    user = session.exec(select(User).where(User.role == "cook")).first()
    assert user is not None
    response = post(client, "/sign-in", {"email": user.email, "password": DEFAULT_PASSWORD})
    assert response.headers["location"] == "/cook/"
    assert title(client.get("/cook/")) == "My cooking – Extra Portion"


def test_a_suspended_cooks_page_is_titled_as_it_reads_and_ends_the_reason_once(
    client: TestClient, session: Session, settings: Settings, barnet
):
    """A browser walk: the browser's title said "My cooking" above "Your cooking is
    suspended", and the staff's reason, ending in a full stop, read "under review.."."""
    staff = create_user(session, role="staff", council=barnet)
    cook, cook_id = approved_cook(client, session, settings, staff)
    suspended = client.post(
        f"/api/staff/cooks/{cook_id}/suspend",
        json={"reason": "Reported concern under review."},
        headers=auth_headers(staff, settings),
    )
    assert suspended.status_code == 200, suspended.text
    sign_in(client, cook.email)

    page = client.get("/cook/")

    assert title(page) == "Your cooking is suspended – Extra Portion"
    assert "has suspended your cooking: Reported concern under review.</p>" in page.text
    # Stopping would not lift the suspension: the stop page is not theirs (it told them to
    # send their profile again: a review).
    assert client.get("/cook/stop", follow_redirects=False).headers["location"] == "/cook/"


def test_a_cook_stops_from_their_page_and_their_neighbours_carer_is_told(
    client: TestClient, session: Session, settings: Settings, staff: User
):
    """A browser walk: PRODUCT.md says a cook can stop, and only the API let them."""
    world = active_pairing(client, session, settings, staff)
    sign_in(client, world.cook.email)
    home = client.get("/cook/").text
    assert 'href="/cook/stop"' in home
    # A data protection review: only the carer's page offered a cook's download.
    assert 'href="/api/me/export">Download my data' in home
    form = client.get("/cook/stop")
    assert title(form) == "Stop cooking with Extra Portion – Extra Portion"
    assert "Your meals with Edna stop" in html_lib.unescape(form.text)
    too_long = post(client, "/cook/stop", {"reason": "x" * 501}, page="/cook/stop")
    assert too_long.status_code == 422
    assert "The reason must be 500 characters or fewer" in too_long.text
    assert session.get(Pairing, world.pairing_id).status == "active"  # type: ignore[union-attr]

    done = post(client, "/cook/stop", {"reason": "Moving away"}, page="/cook/stop")

    assert (done.status_code, done.headers["location"]) == (303, "/cook/?done=stopped")
    cook = session.exec(select(Cook).where(Cook.user_id == world.cook.id)).one()
    session.refresh(cook)
    assert (cook.status, cook.status_reason) == ("left", "Moving away")
    pairing = session.get(Pairing, world.pairing_id)
    assert pairing is not None
    session.refresh(pairing)
    assert (pairing.status, pairing.end_reason) == ("ended", "cook_stopped")
    to_carer = session.exec(
        select(Notification.body).where(Notification.to_user_id == world.carer.id)
    ).all()
    assert any("Priya has stopped cooking with Extra Portion" in body for body in to_carer)
    after = client.get(done.headers["location"])
    assert title(after) == "You have stopped cooking – Extra Portion"
    assert "Thank you for every meal" in after.text
    assert client.get("/cook/stop", follow_redirects=False).headers["location"] == "/cook/"


def test_a_cook_waiting_for_checks_is_sent_home_from_the_stop_page(
    client: TestClient, session: Session, settings: Settings, barnet
):
    """A browser check: a cook waiting for checks read of covers and away dates on it."""
    cook, _ = signed_up_cook(client, session, settings)
    sign_in(client, cook.email)

    assert client.get("/cook/stop", follow_redirects=False).headers["location"] == "/cook/"


def test_away_dates_take_month_names_and_say_which_year_is_short(
    client: TestClient, session: Session, invited, barnet
):
    # "Dec" and "December" were "not a real date"; two short years read "Year must include 4
    # numbers" twice, with nothing to say which (a newcomer's walk).
    start = council_today(barnet) + timedelta(days=7)
    short = away_dates(start, start) | {"from-year": start.year % 100, "to-year": start.year % 100}
    refused = post(client, "/cook/away", short)
    assert refused.status_code == 422
    assert [message for _, message in summary(refused.text)] == [
        "The year of the first day you are away must include 4 numbers",
        "The year of the last day you are away must include 4 numbers",
    ]
    named = away_dates(start, start) | {
        "from-month": start.strftime("%b"),
        "to-month": start.strftime("%B").upper(),
    }
    saved = post(client, "/cook/away", named)
    assert saved.status_code == 303, saved.text
    away = session.exec(select(CookAway)).one()
    assert (away.from_date, away.to_date) == (start, start)


def test_a_walk_not_among_the_choices_reads_as_other_distances_do(
    client: TestClient, session: Session, settings: Settings, barnet: Council
):
    """A browser walk: "Up to 1100 metres" on the cook's pages, where the rest of the service
    writes "1,100"."""
    cook = create_user(session, role="cook", full_name="Priya Shah")
    made = client.put(
        "/api/cooks/me", json=cook_payload(walk_radius_m=1100), headers=auth_headers(cook, settings)
    )
    assert made.status_code == 200, made.text
    sign_in(client, cook.email)

    check = client.get("/cook/profile/check").text
    reach = client.get("/cook/profile/reach").text

    assert "Up to 1,100 metres" in check and "1100" not in check
    assert "Up to 1,100 metres" in reach
