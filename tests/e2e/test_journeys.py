"""The four journeys end to end in a real browser (PRODUCT.md "The journey"), axe on every page.

The tests run in file order and build on each other: the cook and the relative signed up in the
first two are vetted and matched by staff in the third, and the cook accepts in the fourth.
"""

from __future__ import annotations

import re
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import expect

from tests.e2e.conftest import Server
from tests.e2e.helpers import check_page, nav, new_page, sign_in

pytestmark = pytest.mark.e2e

COOK = {"name": "Sam Baker", "email": "sam@example.org", "password": "sourdough-harbour-71"}
CARER = {"name": "Ruth Jones", "email": "ruth@example.org", "password": "lavender-canal-39x"}


def test_public_pages(server: Server, browser: Any, screenshots: Path) -> None:
    page = new_page(browser, server.base_url)
    page.goto("/")
    expect(page.get_by_role("heading", level=1)).to_contain_text("extra portion")
    check_page(page, "home", screenshots)
    page.goto("/about.html")
    attribution = "Contains OS data © Crown copyright and database right 2025."
    expect(page.get_by_text(attribution)).to_be_visible()
    check_page(page, "about", screenshots)
    page.goto("/sign-in.html")
    check_page(page, "sign-in", screenshots)
    # A wrong password is reported next to the field, and the email typed is kept.
    page.get_by_label("Email address").fill("nobody@example.org")
    page.get_by_label("Password").fill("not-the-password-1")
    page.get_by_role("button", name="Sign in").click()
    expect(page.locator(".govuk-error-summary")).to_contain_text("email address or password")
    expect(page.get_by_label("Email address")).to_have_value("nobody@example.org")
    check_page(page, "sign-in-error", screenshots)
    page.context.close()


def test_cook_signs_up_and_waits_for_checks(
    server: Server, browser: Any, screenshots: Path
) -> None:
    """The cook's server-rendered pages (each step's errors: tests/e2e/test_pages_cook.py)."""
    page = new_page(browser, server.base_url)
    page.goto("/")
    page.get_by_role("button", name="Sign up to cook").click()
    expect(page).to_have_url(re.compile(r"/cook/start$"))
    page.get_by_label("Do we run in your area?").fill("N3 1HT")
    page.get_by_role("button", name="Continue").click()
    expect(page).to_have_url(re.compile(r"/cook/sign-up$"))
    check_page(page, "sign-up-cook", screenshots)
    page.get_by_label("Full name").fill(COOK["name"])
    page.get_by_label("Email address").fill(COOK["email"])
    page.get_by_label("Create a password").fill(COOK["password"])
    page.get_by_role("button", name="Create account").click()

    expect(page).to_have_url(re.compile(r"/cook/profile/name$"))
    expect(page.get_by_label("The name diners will know you by")).to_have_value("Sam")
    page.get_by_label("Phone number").fill("020 7946 0018")
    page.get_by_role("button", name="Continue").click()
    page.get_by_label("House number and street").fill("1 Hendon Lane")
    page.get_by_role("button", name="Continue").click()
    page.get_by_label("Up to 1 kilometre").check()
    page.get_by_label("1 neighbour").check()
    page.get_by_label("Every week").check()
    page.get_by_role("button", name="Continue").click()
    page.get_by_label("Vegetarian").check()
    page.get_by_label("Peanuts").check()
    page.get_by_label("Regular food").check()
    page.get_by_label("Soft and bite-sized").check()
    page.get_by_role("button", name="Continue").click()
    page.get_by_label("Tuesday", exact=True).check()
    page.get_by_label("From (Tuesday)").select_option("17:00")
    page.get_by_label("Until (Tuesday)").select_option("19:00")
    page.get_by_role("button", name="Continue").click()
    expect(page.locator(".govuk-summary-list")).to_contain_text("Tuesday, 17:00 to 19:00")
    page.get_by_role("button", name="Send for checks").click()

    expect(page).to_have_url(re.compile(r"/cook/\?sent=1$"))
    expect(page.get_by_role("heading", level=1)).to_have_text("Waiting for checks")
    check_page(page, "cook-waiting-for-checks", screenshots)
    page.context.close()


def test_carer_registers_a_relative(server: Server, browser: Any, screenshots: Path) -> None:
    """The carer's server-rendered pages (each step's errors: tests/e2e/test_pages_carer.py)."""
    page = new_page(browser, server.base_url)
    page.goto("/")
    page.get_by_role("button", name="Register a relative").click()
    expect(page).to_have_url(re.compile(r"/carer/start$"))
    check_page(page, "carer-start", screenshots)
    page.get_by_label("Where does your relative live?").fill("N3 1QX")
    page.get_by_role("button", name="Continue").click()
    expect(page).to_have_url(re.compile(r"/carer/sign-up$"))
    check_page(page, "sign-up-carer", screenshots)
    page.get_by_label("Your full name").fill(CARER["name"])
    page.get_by_label("Email address").fill(CARER["email"])
    page.get_by_label("Create a password").fill(CARER["password"])
    page.get_by_label("Your phone number").fill("07911 123456")
    page.get_by_label("Text message").check()
    page.get_by_role("button", name="Create account").click()

    expect(page).to_have_url(re.compile(r"/carer/register/about$"))
    check_page(page, "carer-register-1", screenshots)
    page.get_by_label("Their full name").fill("Margaret Jones")
    page.get_by_label("First line of their address").fill("22 Gravel Hill")
    expect(page.get_by_label("Their postcode")).to_have_value("N3 1QX")
    page.get_by_role("button", name="Continue").click()
    page.get_by_label("Vegetarian").check()
    page.get_by_label("Peanuts").check()
    page.get_by_label("Soft and bite-sized").check()
    check_page(page, "carer-register-2", screenshots)
    page.get_by_role("button", name="Continue").click()
    page.get_by_label("Tuesday", exact=True).check()
    page.get_by_label("From (Tuesday)").select_option("17:30")
    page.get_by_label("Until (Tuesday)").select_option("19:00")
    page.get_by_label("Every week").check()
    check_page(page, "carer-register-3", screenshots)
    page.get_by_role("button", name="Continue").click()
    page.get_by_label("How the cook gets in").fill("Key safe by the front door")
    check_page(page, "carer-register-4", screenshots)
    page.get_by_role("button", name="Continue").click()
    expect(page.get_by_role("heading", level=1)).to_have_text(
        "Check your answers before registering your relative"
    )
    expect(page.locator("#row-days")).to_contain_text("Tuesday, 17:30 to 19:00")
    check_page(page, "carer-register-check", screenshots)
    # No consent yet: the form says so, and nothing is sent.
    page.get_by_role("button", name="Register my relative").click()
    expect(page.locator(".govuk-error-summary")).to_contain_text("agrees")
    check_page(page, "carer-register-consent-error", screenshots)
    page.get_by_label("My relative agrees").check()
    page.get_by_role("button", name="Register my relative").click()

    expect(page).to_have_url(re.compile(r"/carer/\?registered=\d+$"))
    card = page.locator(".ep-card", has_text="Margaret Jones")
    expect(card).to_contain_text("Waiting for a cook")
    check_page(page, "carer-relatives", screenshots)
    card.get_by_role("link").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Margaret Jones")
    check_page(page, "carer-relative-waiting", screenshots)
    page.context.close()


def test_staff_approves_the_cook_and_proposes_a_match(
    server: Server, browser: Any, screenshots: Path
) -> None:
    """The staff pages (each page's own cases: tests/e2e/test_pages_staff_*.py)."""
    page = new_page(browser, server.base_url)
    sign_in(page, server.staff_email, server.staff_password)
    expect(page).to_have_url(re.compile(r"/staff/$"))
    check_page(page, "staff-home", screenshots)

    nav(page, "Cooks").click()
    check_page(page, "staff-cooks", screenshots)
    page.get_by_role("link", name=COOK["name"], exact=True).click()
    expect(page.get_by_role("heading", level=1)).to_have_text(COOK["name"])
    check_page(page, "staff-cook", screenshots)
    # Without the level and the checks, every problem is shown at once beside its field.
    checked = date.today() - timedelta(days=30)
    group = page.get_by_role("group", name="Date on the DBS certificate")
    group.get_by_label("Day").fill(str(checked.day))
    group.get_by_label("Month").fill(str(checked.month))
    group.get_by_label("Year").fill(str(checked.year))
    page.get_by_role("button", name="Approve this cook", exact=True).click()
    expect(page.locator(".govuk-error-summary")).to_contain_text(
        "Select the level of the DBS check"
    )
    check_page(page, "staff-cook-error", screenshots)
    page.get_by_label("Enhanced", exact=True).check()
    page.get_by_label("I have seen proof of their identity").check()
    page.get_by_label("They have read the food hygiene guidance").check()
    page.get_by_role("button", name="Approve this cook", exact=True).click()
    expect(page.get_by_text("The cook is approved")).to_be_visible()

    nav(page, "Diners").click()
    check_page(page, "staff-diners", screenshots)
    page.get_by_role("link", name="Margaret Jones", exact=True).click()
    page.get_by_role("button", name="Find a cook for Margaret Jones").click()
    card = page.locator(".ep-suggestion").filter(
        has=page.get_by_role("link", name=COOK["name"], exact=True)
    )
    expect(card.locator(".ep-match-words")).to_contain_text("match:")
    expect(card.get_by_role("listitem").first).to_be_visible()  # the reasons
    check_page(page, "staff-diner-suggestions", screenshots)
    card.get_by_role("radio", name=re.compile(r"^Tuesday at ")).check()
    card.get_by_role("button", name="Invite Sam").click()
    expect(page.locator(".govuk-notification-banner")).to_contain_text(
        f"Invitation sent to {COOK['name']}."
    )
    check_page(page, "staff-diner-proposed", screenshots)
    # Her record's audit log: narrowed to her, the form keeping the number (GET, no scripts).
    found = re.search(r"/staff/diners/(\d+)", page.url)
    assert found, page.url
    page.goto(f"/staff/diners/{found.group(1)}")
    page.get_by_role("link", name="See the audit log for this diner").click()
    expect(page.get_by_role("textbox", name="Diner number")).not_to_have_value("")
    expect(page.locator("table")).to_contain_text("Invited a cook")
    check_page(page, "staff-audit-diner", screenshots)

    for path, name in (("/staff/reports", "staff-reports"), ("/staff/audit", "staff-audit")):
        page.goto(path)
        check_page(page, name, screenshots)
    nav(page, "Matching").click()
    page.get_by_role("button", name="Preview the pairings").click()
    expect(page.get_by_text("No invitation has been sent yet.")).to_be_visible()
    check_page(page, "staff-matching-preview", screenshots)
    page.context.close()


def test_cook_accepts_and_sees_the_address(server: Server, browser: Any, screenshots: Path) -> None:
    page = new_page(browser, server.base_url)
    sign_in(page, COOK["email"], COOK["password"])
    expect(page).to_have_url(re.compile(r"/cook/$"))
    invitation = page.locator(".ep-card", has_text="Would you like to cook for Margaret?")
    expect(invitation).to_contain_text("Peanuts")
    expect(page.get_by_text("22 Gravel Hill")).to_have_count(0)
    check_page(page, "cook-invitation", screenshots)
    invitation.get_by_role("button", name="Accept").click()
    diner = page.locator(".ep-card", has_text="Margaret").last
    expect(diner).to_contain_text("22 Gravel Hill")
    expect(diner).to_contain_text("Key safe by the front door")
    expect(page.locator(".ep-next")).to_contain_text("N3 1QX")
    check_page(page, "cook-diner-active", screenshots)
    page.context.close()

    carer = new_page(browser, server.base_url)
    sign_in(carer, CARER["email"], CARER["password"])
    expect(carer).to_have_url(re.compile(r"/carer/$"))
    card = carer.locator(".ep-card", has_text="Margaret Jones")
    expect(card).to_contain_text("cook is Sam")
    card.get_by_role("link", name=re.compile("See Margaret")).click()
    expect(carer.get_by_role("heading", level=1)).to_have_text("Margaret Jones")
    expect(carer.locator("#cook-line")).to_contain_text("cook is Sam")
    check_page(carer, "carer-relative-matched", screenshots)
    carer.context.close()
