"""Staff's cook pages in Chromium, with JavaScript on and off, at 1280 and 360 px, axe on every
page: search and filter the list, open a cook waiting for checks, send the approval empty (every
error at once), then approve (only the success banner, no form), and find them among the
approved cooks."""

from __future__ import annotations

import re
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from playwright.sync_api import expect

from tests.e2e.conftest import Server
from tests.e2e.test_journeys_care import _token
from tests.e2e.test_pages_public import check, page_for

pytestmark = pytest.mark.e2e
# A wait limit, not a timing check: several test runs share two cores here.
WAIT_MS = 30_000
COOKS = {
    "js": {"name": "Philippa Marchbank", "phone": "07911 123431"},
    "nojs": {"name": "Rosalind Featherstone", "phone": "07911 123432"},
}


def _pending_cook(server: Server, tag: str) -> None:
    """A cook who has sent their profile and waits for checks."""
    person = COOKS[tag]
    email = f"staffcooks.{tag}@example.org"
    password = "lantern-barley-quiet-31"
    with httpx.Client(base_url=server.base_url, timeout=30) as client:
        account = {"email": email, "password": password, "full_name": person["name"]}
        client.post("/api/auth/register", json={**account, "role": "cook"}).raise_for_status()
        client.put(
            "/api/cooks/me",
            headers=_token(client, email, password),
            json={
                "display_name": person["name"].split()[0],
                "phone": person["phone"],
                "address_line": "9 Ballards Lane",
                "postcode": "N3 1HT",
                "walk_radius_m": 1500,
                "max_diners": 2,
                "frequencies": ["weekly"],
                "diets": ["vegetarian"],
                "allergen_free": ["peanuts"],
                "textures": ["regular"],
                "availability": [{"weekday": 2, "start": "17:00", "end": "19:00"}],
            },
        ).raise_for_status()


@pytest.mark.parametrize("js", [True, False], ids=["js", "no-js"])
def test_staff_find_and_vet_a_cook_with_and_without_scripts(
    server: Server, browser: Any, screenshots: Path, js: bool
) -> None:
    tag = "js" if js else "nojs"
    person = COOKS[tag]
    _pending_cook(server, tag)
    page = page_for(browser, server.base_url, js)
    page.set_default_timeout(WAIT_MS)

    def shot(name: str) -> None:
        check(page, f"staff-cooks-{tag}-{name}", screenshots)

    page.goto("/sign-in")
    page.get_by_label("Email address").fill(server.staff_email)
    page.get_by_label("Password", exact=True).fill(server.staff_password)
    page.get_by_role("button", name="Sign in").click()
    expect(page).to_have_url(re.compile(r"/staff/$"))

    # The list, then a search (by name with scripts, by phone without) and a status filter.
    page.goto("/staff/cooks")
    expect(page.get_by_role("heading", level=1)).to_have_text("Cooks")
    shot("list")
    search = person["name"].split()[1].lower() if js else person["phone"]
    page.get_by_label("Search").fill(search)
    page.get_by_label("Status").select_option(label="Waiting for checks")
    page.get_by_role("button", name="Search").click()
    expect(page).to_have_url(re.compile(r"/staff/cooks\?q=.+&status=pending"))
    expect(page.get_by_role("heading", level=1)).to_have_text("Cooks waiting for checks")
    expect(page.locator("#count")).to_have_text("1 cook (waiting for checks)")
    row = page.get_by_role("row", name=re.compile(person["name"]))
    expect(row).to_contain_text(f"staffcooks.{tag}@example.org")
    expect(row).to_contain_text(person["phone"])
    expect(row).to_contain_text("Waiting for checks")
    shot("search")

    # The record: contact and checks, then the approval sent empty: every error at once.
    row.get_by_role("link", name=person["name"]).click()
    expect(page.get_by_role("heading", level=1)).to_have_text(person["name"])
    expect(page.get_by_text("9 Ballards Lane")).to_be_visible()
    shot("record")
    page.get_by_role("button", name="Approve this cook", exact=True).click()
    expect(page).to_have_title(re.compile(r"^Error: "))
    summary = page.locator(".govuk-error-summary")
    for message in (
        "Enter the date on the DBS certificate",
        "Select the level of the DBS check",
        "Select that you have seen proof of their identity",
        "Select that they have read the food hygiene guidance",
    ):
        expect(summary).to_contain_text(message)
    if js:
        expect(summary).to_be_focused()
    expect(page.locator("#dbs_checked_on-error")).to_be_visible()
    expect(page.locator("#hygiene_ack-error")).to_be_visible()
    shot("approve-errors")

    # The checks recorded: approved, a green banner only, and no approval form any more.
    checked = date.today() - timedelta(days=40)
    group = page.get_by_role("group", name="Date on the DBS certificate")
    group.get_by_label("Day").fill(str(checked.day))
    group.get_by_label("Month").fill(str(checked.month))
    group.get_by_label("Year").fill(str(checked.year))
    page.get_by_label("Enhanced", exact=True).check()
    page.get_by_label("I have seen proof of their identity").check()
    page.get_by_label("They have read the food hygiene guidance").check()
    page.get_by_role("button", name="Approve this cook", exact=True).click()
    expect(page).to_have_url(re.compile(r"/staff/cooks/\d+\?done=approved$"))
    expect(page.locator(".govuk-notification-banner--success")).to_contain_text(
        "The cook is approved"
    )
    expect(page.locator(".govuk-error-summary")).to_have_count(0)
    expect(page.get_by_role("button", name="Approve this cook", exact=True)).to_have_count(0)
    expect(page.locator("#status")).to_have_text("Approved")
    shot("approved")

    # Back to the list: among the approved cooks now, by name.
    page.get_by_role("link", name="Back to cooks").click()
    page.get_by_label("Status").select_option(label="Approved")
    page.get_by_label("Order").select_option(label="Name, A to Z")
    page.get_by_role("button", name="Search").click()
    expect(page).to_have_url(re.compile(r"status=approved"))
    expect(page.get_by_role("link", name=person["name"])).to_be_visible()
    shot("approved-list")
    page.context.close()
