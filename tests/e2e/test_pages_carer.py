"""The carer's server-rendered pages in Chromium, with JavaScript on and off, at 1280 and 360 px:
signing up and registering a relative step by step (with the errors each step catches), "My
relatives", changing a relative's needs, raising a concern and following it, the carer's own
details; axe finds nothing on any page; a keyboard-only run of the sign-up."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import httpx
import pytest
from playwright.sync_api import expect

from tests.e2e.conftest import Server
from tests.e2e.helpers import a_month_ago, new_page
from tests.e2e.test_journeys_care import _account, _token
from tests.e2e.test_keyboard_zoom import focused, tab_to, type_into
from tests.e2e.test_pages_public import check, page_for

pytestmark = pytest.mark.e2e
WEDNESDAY = 2
PASSWORD = "copper-harbour-27-zebra"


@pytest.fixture(scope="module")
def cook(server: Server) -> int:
    """Rosa cooks on Wednesdays near N3, with no allergen kept out and regular food only."""
    rosa = {"name": "Rosa Lane", "email": "rosa.pages@example.org", "password": PASSWORD}
    with httpx.Client(base_url=server.base_url, timeout=30) as client:
        staff = _token(client, server.staff_email, server.staff_password)
        client.post(
            "/api/auth/register", json={**_account(rosa), "role": "cook"}
        ).raise_for_status()
        auth = _token(client, rosa["email"], rosa["password"])
        profile = client.put(
            "/api/cooks/me",
            headers=auth,
            json={"display_name": "Rosa", "phone": "020 7946 0018", "address_line": "3 Hendon Lane",
                  "postcode": "N3 1HT", "walk_radius_m": 1500, "max_diners": 5,
                  "frequencies": ["weekly"], "diets": [], "allergen_free": [],
                  "textures": ["regular"],
                  "availability": [{"weekday": WEDNESDAY, "start": "17:00", "end": "21:00"}]},
        )  # fmt: skip
        profile.raise_for_status()
        cook_id = int(profile.json()["id"])
        client.post(
            f"/api/staff/cooks/{cook_id}/approve",
            headers=staff,
            json={"dbs_checked_on": a_month_ago(), "dbs_level": "enhanced", "id_checked": True,
                  "hygiene_ack": True},
        ).raise_for_status()  # fmt: skip
    return cook_id


def paired_carer(
    server: Server, cook_id: int, email: str, relative: str, start: str = "17:30"
) -> int:
    """A carer (email, PASSWORD) whose relative Rosa cooks for on Wednesdays at `start` (each
    relative at another hour: Rosa is not at two homes at once); the diner's id."""
    end = f"{int(start[:2]) + 1}:30"
    with httpx.Client(base_url=server.base_url, timeout=30) as client:
        staff = _token(client, server.staff_email, server.staff_password)
        person = {"name": "Alan Brown", "email": email, "password": PASSWORD}
        client.post(
            "/api/auth/register", json={**_account(person), "role": "carer"}
        ).raise_for_status()
        carer = _token(client, email, PASSWORD)
        diner = client.post(
            "/api/diners",
            headers=carer,
            json={"full_name": relative, "address_line": "14 Gravel Hill", "postcode": "N3 1QX",
                  "diets": [], "allergies": [], "texture": "regular",
                  "availability": [{"weekday": WEDNESDAY, "start": start, "end": end}],
                  "frequency": "weekly", "consent": True},
        )  # fmt: skip
        diner.raise_for_status()
        pairing = client.post(
            "/api/staff/pairings",
            headers=staff,
            json={"diner_id": diner.json()["id"], "cook_id": cook_id, "weekday": WEDNESDAY,
                  "start": start, "frequency": "weekly"},
        )  # fmt: skip
        pairing.raise_for_status()
        rosa = _token(client, "rosa.pages@example.org", PASSWORD)
        client.post(f"/api/pairings/{pairing.json()['id']}/accept", headers=rosa).raise_for_status()
    return int(diner.json()["id"])


def continue_(page: Any) -> None:
    page.get_by_role("button", name="Continue").click()


@pytest.mark.parametrize("js", [True, False], ids=["js", "no-js"])
def test_carer_signs_up_and_registers_a_relative_step_by_step(
    server: Server, browser: Any, screenshots: Path, js: bool
) -> None:
    page = page_for(browser, server.base_url, js)
    s = "js" if js else "nojs"
    page.goto("/sign-up-carer.html")  # the old address leads to the new start
    expect(page).to_have_url(re.compile(r"/carer/start$"))
    check(page, f"carer-start-{s}", screenshots)
    page.get_by_label("Where does your relative live?").fill("M1 1AE")
    continue_(page)
    expect(page.get_by_role("heading", level=1)).to_have_text(
        "We do not run in your relative's area yet"
    )
    check(page, f"carer-not-yet-{s}", screenshots)
    page.goto("/carer/start")
    page.get_by_label("Where does your relative live?").fill("n31qx")
    continue_(page)

    # The account: every error at once, what was typed kept (never the password).
    expect(page.get_by_role("heading", level=1)).to_have_text("Create your account")
    check(page, f"carer-sign-up-{s}", screenshots)
    page.get_by_label("Your full name").fill("Alan Brown")
    page.get_by_label("Email address").fill(f"alan.{s}@example.org")
    page.get_by_label("Create a password").fill("short")
    page.get_by_label("Your phone number").fill("12345")
    page.get_by_role("button", name="Create account").click()
    expect(page).to_have_title(re.compile(r"^Error: Create your account"))
    summary = page.locator(".govuk-error-summary")
    expect(summary).to_contain_text("Select how you would like us to contact you")
    expect(page.get_by_label("Your phone number")).to_have_value("12345")
    check(page, f"carer-sign-up-error-{s}", screenshots)
    page.get_by_label("Create a password").fill(PASSWORD)
    page.get_by_label("Your phone number").fill("07911 123456")
    page.get_by_label("Text message").check()
    page.get_by_role("button", name="Create account").click()

    # About them: a postcode we cannot find is caught here, the rest kept.
    expect(page.get_by_role("heading", level=1)).to_have_text("About your relative")
    expect(page.get_by_label("Their postcode")).to_have_value("N3 1QX")  # checked at the start
    check(page, f"carer-relative-about-{s}", screenshots)
    page.get_by_label("Their full name").fill("Mabel Reid")
    page.get_by_label("First line of their address").fill("14 Gravel Hill")
    page.get_by_label("Their postcode").fill("ZZ9 9ZZ")
    continue_(page)
    expect(page).to_have_title(re.compile(r"^Error: About your relative"))
    expect(page.get_by_label("Their full name")).to_have_value("Mabel Reid")
    check(page, f"carer-relative-about-error-{s}", screenshots)
    page.get_by_label("Their postcode").fill("N3 1QX")
    continue_(page)

    expect(page.get_by_role("heading", level=1)).to_have_text("What your relative can eat")
    expect(page.get_by_text("Puréed (IDDSI level 4)")).to_be_visible()
    check(page, f"carer-relative-food-{s}", screenshots)
    page.get_by_label("Peanuts").check()
    page.get_by_label("Regular food").check()
    continue_(page)

    # Times: a reversed time is caught on its own step, naming the day.
    expect(page.get_by_role("heading", level=1)).to_have_text(
        "When your relative could have a meal"
    )
    check(page, f"carer-relative-times-{s}", screenshots)
    page.get_by_label("Wednesday", exact=True).check()
    page.get_by_label("From (Wednesday)").select_option("19:00")
    page.get_by_label("Until (Wednesday)").select_option("18:00")
    page.get_by_label("Every week").check()
    continue_(page)
    expect(page.locator(".govuk-error-summary")).to_contain_text(
        "Wednesday's latest time must be after its earliest time"
    )
    expect(page.get_by_label("Wednesday", exact=True)).to_be_checked()
    check(page, f"carer-relative-times-error-{s}", screenshots)
    page.get_by_label("From (Wednesday)").select_option("17:30")
    page.get_by_label("Until (Wednesday)").select_option("19:00")
    continue_(page)

    expect(page.get_by_role("heading", level=1)).to_have_text("How the cook gets in")
    page.get_by_label("How the cook gets in").fill("Key safe by the door")
    check(page, f"carer-relative-access-{s}", screenshots)
    continue_(page)

    # Check your answers; Back keeps what was typed; the agreement is asked for.
    expect(page.get_by_role("heading", level=1)).to_have_text(
        "Check your answers before registering your relative"
    )
    expect(page.locator("#row-days")).to_contain_text("Wednesday, 17:30 to 19:00")
    check(page, f"carer-relative-check-{s}", screenshots)
    page.get_by_role("link", name="Back").click()
    expect(page.get_by_label("How the cook gets in")).to_have_value("Key safe by the door")
    continue_(page)
    page.get_by_role("button", name="Register my relative").click()
    expect(page.locator(".govuk-error-summary")).to_contain_text("Select that your relative agrees")
    check(page, f"carer-relative-check-error-{s}", screenshots)
    page.get_by_label("My relative agrees").check()
    page.get_by_role("button", name="Register my relative").click()

    expect(page).to_have_url(re.compile(r"/carer/\?registered=\d+$"))
    expect(page.locator(".govuk-notification-banner")).to_contain_text("Mabel Reid is registered")
    expect(page.locator("[data-diner]")).to_contain_text("We are looking for a cook")
    check(page, f"carer-home-registered-{s}", screenshots)
    page.context.close()


@pytest.mark.parametrize("js", [True, False], ids=["js", "no-js"])
def test_carer_changes_needs_and_raises_a_concern_with_and_without_scripts(
    server: Server, browser: Any, screenshots: Path, cook: int, js: bool
) -> None:
    s = "js" if js else "nojs"
    relative = "Ivy Green" if js else "June Black"
    first = relative.split()[0]
    start = "17:30" if js else "19:00"
    diner_id = paired_carer(server, cook, f"carer.{s}@example.org", relative, start)
    page = page_for(browser, server.base_url, js)
    page.goto("/sign-in")
    page.get_by_label("Email address").fill(f"carer.{s}@example.org")
    page.get_by_label("Password", exact=True).fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    expect(page).to_have_url(re.compile(r"/carer/$"))
    card = page.locator(f"[data-diner='{diner_id}']")
    expect(card).to_contain_text(f"{first}'s cook is Rosa, who brings a meal every Wednesday")
    expect(card).to_contain_text("Next meal: Wednesday")
    check(page, f"carer-home-{s}", screenshots)

    card.get_by_role("link", name=re.compile(f"^See {first}")).click()
    expect(page.get_by_role("heading", level=1)).to_have_text(relative)
    check(page, f"carer-relative-{s}", screenshots)

    # A new allergy Rosa cannot keep out: the meals stop at once, and the page says so.
    page.get_by_role("link", name="Change allergies").click()
    expect(page.get_by_role("heading", level=1)).to_have_text(f"Change what {first} can eat")
    check(page, f"carer-change-food-{s}", screenshots)
    page.get_by_label("Peanuts").check()
    page.get_by_role("button", name="Save changes").click()
    banner = page.locator(".govuk-notification-banner")
    expect(banner).to_contain_text(f"{first}'s meals are paused")
    expect(banner).to_contain_text(f"Rosa cannot cook safely for {first}'s new needs")
    expect(page.locator("#cook-line")).to_contain_text("paused because")
    check(page, f"carer-change-food-done-{s}", screenshots)

    # A concern: both missing answers named, then a reference and a status to follow.
    page.get_by_role("button", name="Raise a concern").click()
    expect(page.get_by_role("heading", level=1)).to_have_text(f"Raise a concern about {first}")
    check(page, f"concern-new-{s}", screenshots)
    page.get_by_role("button", name="Send to the council").click()
    summary = page.locator(".govuk-error-summary")
    expect(summary).to_contain_text("Select what the concern is about")
    expect(summary).to_contain_text("Tell us what happened")
    check(page, f"concern-new-error-{s}", screenshots)
    page.get_by_label("A meal did not arrive").check()
    page.get_by_label("What happened?").fill("No meal came last Wednesday and nobody rang.")
    page.get_by_role("button", name="Send to the council").click()
    panel = page.locator(".govuk-panel")
    expect(panel).to_contain_text("Concern sent")
    reference = re.search(r"EP-[A-Z2-9]{6}", panel.inner_text())
    assert reference, panel.inner_text()
    check(page, f"concern-sent-{s}", screenshots)
    page.get_by_role("link", name="Concerns you raised").click()
    row = page.locator("tr", has_text=reference.group())
    expect(row).to_contain_text("Received")
    check(page, f"concern-list-{s}", screenshots)

    mine = f"/carer/relatives/{diner_id}"
    for path, heading, name in (
        ("/carer/account/contact", "Your phone number and how we contact you", "contact"),
        ("/carer/account/email", "Change your email address", "email"),
        ("/carer/account/erase", "Ask us to erase your data", "erase"),
        (f"{mine}/pause", f"Pause {first}'s meals for a while", "pause"),
        (f"{mine}/change-cook", f"Ask for a different cook for {first}", "change-cook"),
        (f"{mine}/change/times", f"Change when {first} could have a meal", "change-times"),
    ):
        page.goto(path)
        expect(page.get_by_role("heading", level=1)).to_have_text(heading)
        check(page, f"carer-{name}-{s}", screenshots)

    # Guessing the password to move the account elsewhere stops after five tries, as at sign-in.
    page.goto("/carer/account/email")
    for _ in range(6):
        page.get_by_label("New email address").fill(f"taken.over.{s}@example.org")
        page.get_by_label("Your password", exact=True).fill("a guess 1234")
        page.get_by_role("button", name="Change email address").click()
    summary = page.locator(".govuk-error-summary")
    expect(summary).to_contain_text("You have tried too many times")
    expect(page.locator("#password-error")).to_contain_text("You have tried too many times")
    check(page, f"carer-email-limited-{s}", screenshots)
    page.context.close()


def test_carer_signs_up_by_keyboard(server: Server, browser: Any) -> None:
    """Only Tab, typing, Space and Enter: every step reached and answered, focus always shown."""
    page = new_page(browser, server.base_url)
    page.goto("/carer/start")
    type_into(page, "Where does your relative live?", "N3 1QX", within=20)
    page.keyboard.press("Enter")
    expect(page.get_by_role("heading", level=1)).to_have_text("Create your account")
    type_into(page, "Your full name", "Kay Board", within=20)
    type_into(page, "Email address", "kay.keys@example.org")
    type_into(page, "Create a password", PASSWORD)
    type_into(page, "Your phone number", "07911 123456", within=3)  # past "Show" password
    tab_to(page, "Email", within=1)
    page.keyboard.press("Space")
    tab_to(page, "Create account", within=3)
    page.keyboard.press("Enter")

    expect(page.get_by_role("heading", level=1)).to_have_text("About your relative")
    type_into(page, "Their full name", "Nell Keys", within=20)
    type_into(page, "First line of their address", "14 Gravel Hill")
    tab_to(page, "Continue", within=3)
    page.keyboard.press("Enter")

    expect(page.get_by_role("heading", level=1)).to_have_text("What your relative can eat")
    tab_to(page, "Regular food", within=40)
    page.keyboard.press("Space")
    tab_to(page, "Continue", within=3)
    page.keyboard.press("Enter")

    expect(page.get_by_role("heading", level=1)).to_have_text(
        "When your relative could have a meal"
    )
    tab_to(page, "Wednesday", within=20)
    page.keyboard.press("Space")
    assert focused(page)["checked"]
    tab_to(page, "Every week", within=40)
    page.keyboard.press("Space")
    tab_to(page, "Continue", within=3)
    page.keyboard.press("Enter")

    expect(page.get_by_role("heading", level=1)).to_have_text("How the cook gets in")
    tab_to(page, "Continue", within=20)
    page.keyboard.press("Enter")

    expect(page.get_by_role("heading", level=1)).to_have_text(
        "Check your answers before registering your relative"
    )
    tab_to(page, "My relative agrees", within=40)
    page.keyboard.press("Space")
    tab_to(page, "Register my relative", within=1)
    page.keyboard.press("Enter")
    expect(page.locator(".govuk-notification-banner")).to_contain_text("Nell Keys is registered")
    page.context.close()
