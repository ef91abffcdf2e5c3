"""The cook's whole journey on the server-rendered pages in Chromium, with JavaScript on and off,
at 1280 and 360 px, axe on every page, and the sign-up by keyboard alone.

Each run is its own cook: the postcode check (out of area first: the waiting list), the account,
the profile step by step (a bad phone, an out-of-area postcode and a reversed time each caught on
their own step), Back, check your answers, waiting for checks; then (staff approve and invite
through the API) the invitation, decline's confirmation, accept, the next meal, and away dates.
"""

from __future__ import annotations

import re
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from playwright.sync_api import expect

from tests.e2e.conftest import Server
from tests.e2e.helpers import a_month_ago, new_page
from tests.e2e.test_journeys_care import _token
from tests.e2e.test_keyboard_zoom import expect_focus_ring, focused, tab_to, type_into
from tests.e2e.test_pages_public import check, page_for

pytestmark = pytest.mark.e2e
THURSDAY = 3
# A wait limit, not a timing check: eight test runs share two cores here.
WAIT_MS = 30_000


def _approve_and_invite(server: Server, person: dict[str, str], tag: str) -> None:
    """Staff approve the cook; a carer registers a relative near them; staff invite the cook."""
    with httpx.Client(base_url=server.base_url, timeout=30) as client:
        staff = _token(client, server.staff_email, server.staff_password)
        cook = client.get(
            "/api/cooks/me", headers=_token(client, person["email"], person["password"])
        )
        cook.raise_for_status()
        cook_id = cook.json()["id"]
        client.post(
            f"/api/staff/cooks/{cook_id}/approve",
            headers=staff,
            json={
                "dbs_checked_on": a_month_ago(),
                "dbs_level": "enhanced",
                "id_checked": True,
                "hygiene_ack": True,
            },
        ).raise_for_status()
        carer = {
            # Unique in the run: the browser tests share one server (test_pages_carer has carer.js).
            "email": f"invites.asha.{tag}@example.org",
            "password": "pepper-orchard-launch-7",
            "full_name": f"Carer {tag}",
        }
        client.post("/api/auth/register", json={**carer, "role": "carer"}).raise_for_status()
        diner = client.post(
            "/api/diners",
            headers=_token(client, carer["email"], carer["password"]),
            json={
                "full_name": "Winifred Hale",
                "address_line": "8 Gravel Hill",
                "postcode": "N3 1QX",
                "diets": ["vegetarian"],
                "allergies": ["peanuts"],
                "texture": "regular",
                "availability": [{"weekday": THURSDAY, "start": "18:30", "end": "20:00"}],
                "frequency": "weekly",
                "access_notes": "Ring twice, she is a little deaf",
                "consent": True,
            },
        )
        diner.raise_for_status()
        client.post(
            "/api/staff/pairings",
            headers=staff,
            json={
                "diner_id": diner.json()["id"],
                "cook_id": cook_id,
                "weekday": THURSDAY,
                "start": "19:00",
                "frequency": "weekly",
            },
        ).raise_for_status()


def _fill_date(page: Any, legend: str, day: date) -> None:
    group = page.get_by_role("group", name=legend)
    group.get_by_label("Day").fill(str(day.day))
    group.get_by_label("Month").fill(str(day.month))
    group.get_by_label("Year").fill(str(day.year))


@pytest.mark.parametrize("js", [True, False], ids=["js", "no-js"])
def test_cook_journey_with_and_without_scripts(
    server: Server, browser: Any, screenshots: Path, js: bool
) -> None:
    tag = "js" if js else "nojs"
    person = {
        "name": "Asha Patel",
        "email": f"asha.{tag}@example.org",
        "password": "marigold-tunnel-quiet-5",
    }
    page = page_for(browser, server.base_url, js)
    page.set_default_timeout(WAIT_MS)

    def shot(name: str) -> None:
        check(page, f"cook-{tag}-{name}", screenshots)

    def title_is(text: str) -> None:
        expect(page).to_have_title(re.compile(rf"^{re.escape(text)} – Extra Portion$"))

    def error(message: str) -> None:
        expect(page).to_have_title(re.compile(r"^Error: "))
        summary = page.locator(".govuk-error-summary")
        expect(summary).to_contain_text(message)
        if js:
            expect(summary).to_be_focused()

    def go_on() -> None:
        page.get_by_role("button", name="Continue").click()

    # The postcode first, before any account: out of area → the waiting list.
    page.goto("/")
    page.get_by_role("button", name="Sign up to cook").click()
    expect(page).to_have_url(re.compile(r"/cook/start$"))
    shot("start")
    page.get_by_label("Do we run in your area?").fill("M1 1AE")
    go_on()
    title_is("We do not run in your area yet")
    shot("not-yet")
    page.get_by_label("Email address", exact=True).fill(f"wait.{tag}@example.org")
    page.get_by_role("button", name="Tell me when you start").click()
    error("Select that you agree")
    expect(page.get_by_label("Email address", exact=True)).to_have_value(f"wait.{tag}@example.org")
    shot("not-yet-error")
    page.get_by_role("checkbox", name=re.compile("^I agree to Extra Portion")).check()
    page.get_by_role("button", name="Tell me when you start").click()
    expect(page.get_by_text("We will email you when we start in M1")).to_be_visible()
    shot("not-yet-done")

    # In the area: the account.
    page.goto("/cook/start")
    page.get_by_label("Do we run in your area?").fill("n3 1ht")
    go_on()
    expect(page).to_have_url(re.compile(r"/cook/sign-up$"))
    expect(page.get_by_text("Barnet runs Extra Portion for N3 1HT")).to_be_visible()
    shot("sign-up")
    page.get_by_role("button", name="Create account").click()
    error("Enter your full name")
    expect(page.locator(".govuk-error-summary li")).to_have_count(3)
    shot("sign-up-error")
    page.get_by_label("Full name").fill(person["name"])
    page.get_by_label("Email address").fill(person["email"])
    page.get_by_label("Create a password").fill(person["password"])
    page.get_by_role("button", name="Create account").click()

    # Step 1: a bad phone is caught here, the name kept.
    expect(page).to_have_url(re.compile(r"/cook/profile/name$"))
    expect(page.get_by_text("step 1 of 5")).to_be_visible()
    expect(page.get_by_label("The name diners will know you by")).to_have_value("Asha")
    shot("profile-name")
    page.get_by_label("Phone number").fill("12345")
    go_on()
    error("Enter a UK phone number, like 07700 900 982 or 020 7946 0018")
    expect(page.locator("#phone-error")).to_be_visible()
    expect(page.get_by_label("The name diners will know you by")).to_have_value("Asha")
    expect(page.get_by_label("Phone number")).to_have_value("12345")
    shot("profile-name-error")
    page.get_by_label("Phone number").fill("020 7946 0018")
    go_on()

    # Step 2: an out-of-area postcode is caught here, the street kept; the checked one is offered.
    expect(page.get_by_label("Postcode")).to_have_value("N3 1HT")
    shot("profile-address")
    page.get_by_label("House number and street").fill("4 Hendon Lane")
    page.get_by_label("Postcode").fill("M1 1AE")
    go_on()
    error("We do not run at M1 1AE yet")
    expect(page.get_by_label("House number and street")).to_have_value("4 Hendon Lane")
    shot("profile-address-error")
    page.get_by_label("Postcode").fill("N3 1HT")
    go_on()

    # Step 3 and 4.
    expect(page.get_by_text("step 3 of 5")).to_be_visible()
    shot("profile-reach")
    page.get_by_label("Up to 1 kilometre").check()
    page.get_by_label("2 neighbours").check()
    page.get_by_label("Every week").check()
    go_on()
    expect(page.get_by_text("step 4 of 5")).to_be_visible()
    shot("profile-food")
    page.get_by_label("Vegetarian").check()
    page.get_by_label("Peanuts").check()
    page.get_by_label("Regular food").check()
    go_on()

    # Step 5: a reversed time is caught here, naming the day, the days ticked kept.
    expect(page.get_by_text("step 5 of 5")).to_be_visible()
    page.get_by_label("Thursday", exact=True).check()
    page.get_by_label("From (Thursday)").select_option("19:00")
    page.get_by_label("Until (Thursday)").select_option("18:00")
    shot("profile-times")
    go_on()
    error("Thursday's latest time must be after its earliest time")
    expect(page.get_by_label("Thursday", exact=True)).to_be_checked()
    expect(page.get_by_label("From (Thursday)")).to_have_value("19:00")
    shot("profile-times-error")
    page.get_by_label("Until (Thursday)").select_option("20:00")
    go_on()

    # Check your answers; Back keeps everything; then send for checks.
    title_is("Check your answers")
    expect(page.locator(".govuk-summary-list")).to_contain_text("Thursday, 19:00 to 20:00")
    expect(page.locator(".govuk-summary-list")).to_contain_text("020 7946 0018")
    shot("profile-check")
    page.get_by_role("link", name="Back").click()
    expect(page.get_by_label("Thursday", exact=True)).to_be_checked()
    expect(page.get_by_label("Until (Thursday)")).to_have_value("20:00")
    page.get_by_role("link", name="Back").click()
    expect(page.get_by_label("Peanuts")).to_be_checked()
    page.goto("/cook/profile/check")
    page.get_by_role("link", name="Change phone number").click()
    expect(page.get_by_label("Phone number")).to_have_value("020 7946 0018")
    go_on()
    title_is("Check your answers")
    page.get_by_role("button", name="Send for checks").click()

    title_is("Waiting for checks")
    expect(page.get_by_text("Your profile has been sent for checks.")).to_be_visible()
    expect(page.get_by_role("heading", name="What to bring")).to_be_visible()
    expect(page.get_by_text("Pat Coordinator")).to_be_visible()
    shot("pending")

    # Approved and invited: decline asks first; accept shows the next meal at the top.
    _approve_and_invite(server, person, tag)
    page.goto("/cook/")
    invitation = page.locator(".ep-card", has_text="Would you like to cook for Winifred?")
    expect(invitation).to_contain_text("Peanuts")
    expect(page.get_by_text("8 Gravel Hill")).to_have_count(0)
    shot("invitation")
    invitation.get_by_role("link", name="Decline cooking for Winifred").click()
    title_is("Are you sure you want to decline cooking for Winifred?")
    shot("decline")
    page.get_by_role("link", name="No, go back").click()
    page.locator(".ep-card", has_text="Would you like to cook for Winifred?").get_by_role(
        "button", name="Accept"
    ).click()
    expect(page.get_by_text("You have accepted the invitation.")).to_be_visible()
    panel = page.locator(".ep-next")
    for text in (
        "Thursday",
        "19:00",
        "Winifred",
        "8 Gravel Hill",
        "N3 1QX",
        "Ring twice",
        f"Carer {tag}",
    ):
        expect(panel).to_contain_text(text)
    top = panel.bounding_box()
    assert top is not None and top["y"] < 900, top  # on the first screen, before the rest
    assert top["y"] < page.locator("#meals").bounding_box()["y"]
    shot("home")

    # Away dates: the past refused; then added, changed and cancelled.
    page.get_by_role("link", name="Tell us when you are away, or change your dates").click()
    title_is("When you are away")
    shot("away")
    today = date.today()
    _fill_date(page, "First day you are away", today - timedelta(days=2))
    _fill_date(page, "Last day you are away", today + timedelta(days=3))
    page.get_by_role("button", name="Save away dates").click()
    error("The first day you are away must be today or in the future")
    shot("away-error")
    _fill_date(page, "First day you are away", today + timedelta(days=10))
    _fill_date(page, "Last day you are away", today + timedelta(days=12))
    save = page.get_by_role("button", name="Save away dates")
    # With scripts, a double click sends the form once (an outside check's double click saved
    # the same dates twice); without them, a browser sends what it is asked to.
    save.dblclick() if js else save.click()
    expect(page.get_by_text("Your away dates are saved.")).to_be_visible()
    expect(page.get_by_role("link", name=re.compile("^Change away dates"))).to_have_count(1)
    page.get_by_role("link", name=re.compile("^Change away dates")).click()
    title_is("Change your away dates")
    shot("away-change")
    _fill_date(page, "Last day you are away", today + timedelta(days=14))
    page.get_by_role("button", name="Save changes").click()
    expect(page.get_by_text("Your away dates have been changed.")).to_be_visible()
    page.get_by_role("link", name=re.compile("^Cancel away dates")).click()
    title_is("Are you sure you want to cancel these away dates?")
    shot("away-cancel")
    page.get_by_role("button", name="Yes, cancel these dates").click()
    expect(page.get_by_text("Your away dates have been cancelled.")).to_be_visible()
    expect(page.get_by_text("You have no away dates.")).to_be_visible()

    # Stopping: what happens is said first, and "no" keeps cooking.
    page.goto("/cook/")
    page.get_by_role("link", name="Stop cooking with Extra Portion").click()
    title_is("Stop cooking with Extra Portion")
    expect(page.get_by_text("Your meals with Winifred stop")).to_be_visible()
    shot("stop")
    page.get_by_role("link", name="No, keep cooking").click()
    expect(page.locator(".ep-next")).to_contain_text("Winifred")
    page.context.close()


def test_cook_signs_up_by_keyboard(server: Server, browser: Any) -> None:
    """Tab, type, Space, arrows and Enter only, each element passed showing its focus."""
    page = new_page(browser, server.base_url)
    page.set_default_timeout(WAIT_MS)
    page.goto("/cook/start")
    type_into(page, "Do we run in your area?", "N3 1HT", within=15)
    tab_to(page, "Continue", within=1)
    page.keyboard.press("Enter")

    expect(page).to_have_url(re.compile(r"/cook/sign-up$"))
    type_into(page, "Full name", "Kit Keyes", within=15)
    type_into(page, "Email address", "kit.keyes@example.org")
    type_into(page, "Create a password", "hedgerow-compass-ladle-3")
    tab_to(page, "Create account", within=2)  # after the password's Show button
    page.keyboard.press("Enter")

    expect(page).to_have_url(re.compile(r"/cook/profile/name$"))
    tab_to(page, "The name diners will know you by", within=15)
    type_into(page, "Phone number", "020 7946 0021")
    tab_to(page, "Email", within=1)  # how we send messages: Email is ticked, Tab leaves the group
    tab_to(page, "Continue", within=1)
    page.keyboard.press("Enter")

    expect(page.get_by_text("step 2 of 5")).to_be_visible()
    type_into(page, "House number and street", "9 Hendon Lane", within=15)
    tab_to(page, "Postcode", within=1)
    tab_to(page, "Continue", within=1)
    page.keyboard.press("Enter")

    expect(page.get_by_text("step 3 of 5")).to_be_visible()
    info = tab_to(page, "Up to 500 metres", within=15)
    assert info["type"] == "radio", info
    page.keyboard.press("ArrowDown")
    info = expect_focus_ring(page)
    assert info["name"].startswith("Up to 1 kilometre") and info["checked"], info
    tab_to(page, "1 neighbour", within=1)  # one Tab stop per radio group
    page.keyboard.press("Space")
    assert focused(page)["checked"]
    tab_to(page, "Every week", within=1)
    page.keyboard.press("Space")
    tab_to(page, "Continue", within=5)
    page.keyboard.press("Enter")

    expect(page.get_by_text("step 4 of 5")).to_be_visible()
    tab_to(page, "Regular food", within=40)
    page.keyboard.press("Space")
    tab_to(page, "Continue", within=10)
    page.keyboard.press("Enter")

    expect(page.get_by_text("step 5 of 5")).to_be_visible()
    info = tab_to(page, "Monday", within=15)
    assert info["type"] == "checkbox", info
    page.keyboard.press("Space")
    info = tab_to(page, "From", within=1)  # a ticked day's times come next
    assert info["tag"] == "select", info
    tab_to(page, "Continue", within=20)
    page.keyboard.press("Enter")

    expect(page).to_have_title(re.compile(r"^Check your answers"))
    tab_to(page, "Send for checks", within=40)
    page.keyboard.press("Enter")
    expect(page).to_have_title(re.compile(r"^Waiting for checks"))
    assert page.js_errors == [], page.js_errors
    page.context.close()
