"""Staff's diner pages in Chromium, with JavaScript on and off, at 1280 and 360 px, axe on
every page: the waiting list (longest first), a search by the carer's name and a filter by an
allergen, the diner's record naming the carer with their email and phone, then referring a
diner: sending the empty form shows every problem at once beside its field, and the filled
form opens the new diner's record with a banner. The old addresses redirect."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import httpx
import pytest
from playwright.sync_api import expect

from tests.e2e.conftest import Server
from tests.e2e.test_journeys_care import _token
from tests.e2e.test_pages_public import check, page_for

pytestmark = pytest.mark.e2e
# A wait limit, not a timing check: test runs share two cores here.
WAIT_MS = 30_000
PASSWORD = "saffron-ladder-window-64"


def _diner(client: httpx.Client, auth: dict[str, str], name: str, **fields: object) -> int:
    body: dict[str, object] = {
        "full_name": name,
        "address_line": "8 Gravel Hill",
        "postcode": "N3 1QX",
        "diets": [],
        "allergies": [],
        "texture": "regular",
        "availability": [{"weekday": 2, "start": "17:00", "end": "19:00"}],
        "frequency": "weekly",
        "consent": True,
        **fields,
    }
    made = client.post("/api/diners", headers=auth, json=body)
    made.raise_for_status()
    return int(made.json()["id"])


@pytest.fixture(scope="module")
def diners(server: Server) -> dict[str, int]:
    """Carer Dorothy Quayle registers Mabel Quayle (sesame, puréed) and Cecil Quayle; carer
    Bernard Ashdown registers Florence Ashdown (halal)."""
    with httpx.Client(base_url=server.base_url, timeout=30) as client:
        ids: dict[str, int] = {}
        for carer, email, people in (
            (
                "Dorothy Quayle",
                "dorothy.diners@example.org",
                [
                    ("Mabel Quayle", {"allergies": ["sesame"], "texture": "pureed",
                                      "phone": "020 7946 0555"}),
                    ("Cecil Quayle", {"diets": ["vegetarian"]}),
                ],
            ),
            ("Bernard Ashdown", "bernard.diners@example.org",
             [("Florence Ashdown", {"diets": ["halal"], "postcode": "N3 1HT"})]),
        ):  # fmt: skip
            person = {"email": email, "password": PASSWORD, "full_name": carer}
            client.post("/api/auth/register", json={**person, "role": "carer"}).raise_for_status()
            auth = _token(client, email, PASSWORD)
            for name, fields in people:
                ids[name] = _diner(client, auth, name, **fields)
        return ids


@pytest.mark.parametrize("js", [True, False], ids=["js", "no-js"])
def test_staff_find_a_diner_read_their_record_and_refer_one(
    server: Server, browser: Any, screenshots: Path, diners: dict[str, int], js: bool
) -> None:
    tag = "js" if js else "nojs"
    referred = "Harold Pennington" if js else "Hilda Pennington"
    page = page_for(browser, server.base_url, js)
    page.set_default_timeout(WAIT_MS)

    def shot(name: str) -> None:
        check(page, f"staff-diners-{tag}-{name}", screenshots)

    def rows() -> Any:
        return page.locator("table.govuk-table tbody tr")

    page.goto("/sign-in")
    page.get_by_label("Email address").fill(server.staff_email)
    page.get_by_label("Password", exact=True).fill(server.staff_password)
    page.get_by_role("button", name="Sign in").click()
    expect(page).to_have_url(re.compile(r"/staff/$"))

    # The old address of the waiting list redirects, keeping the status.
    page.goto("/staff/diners.html?status=waiting")
    expect(page).to_have_url(re.compile(r"/staff/diners\?status=waiting$"))
    expect(page.get_by_role("heading", level=1)).to_have_text("Waiting diners")
    expect(page.get_by_label("Order")).to_have_value("longest")
    expect(page.get_by_role("link", name="Mabel Quayle")).to_be_visible()
    shot("waiting")

    # Search by the carer's name: both of Dorothy's relatives, nobody else.
    page.get_by_label("Search").fill("dorothy quayle")
    page.get_by_role("button", name="Search").click()
    expect(page).to_have_url(re.compile(r"q=dorothy\+quayle"))
    expect(rows()).to_have_count(2)
    expect(rows().first).to_contain_text("Dorothy Quayle")
    expect(rows().first).to_contain_text("dorothy.diners@example.org")
    # And narrow it by an allergen: Mabel only.
    page.get_by_label("Needs").select_option("sesame")
    page.get_by_role("button", name="Search").click()
    expect(page).to_have_url(re.compile(r"needs=sesame"))
    expect(rows()).to_have_count(1)
    expect(rows().first).to_contain_text("No sesame")
    expect(rows().first).to_contain_text("Puréed")
    shot("search")

    # Her record names her carer with their contact; she is waiting, so staff can find a cook.
    page.get_by_role("link", name="Mabel Quayle").click()
    expect(page).to_have_url(re.compile(rf"/staff/diners/{diners['Mabel Quayle']}$"))
    expect(page.get_by_role("heading", level=1)).to_have_text("Mabel Quayle")
    carer = page.locator("dl", has_text="dorothy.diners@example.org")
    expect(carer).to_contain_text("Dorothy Quayle")
    expect(page.get_by_role("button", name="Find a cook for Mabel Quayle")).to_be_visible()
    expect(page.get_by_text("No cook has been proposed yet.")).to_be_visible()
    shot("record")

    # Refer a diner: the empty form shows every problem at once, beside each answer.
    page.goto("/staff/diners")
    page.get_by_role("button", name="Refer a diner").click()
    expect(page).to_have_url(re.compile(r"/staff/refer$"))
    page.get_by_role("button", name="Refer this diner").click()
    expect(page).to_have_title(re.compile(r"^Error: Refer a diner"))
    summary = page.locator(".govuk-error-summary")
    for message in (
        "Enter the diner's full name",
        "Enter the diner's postcode",
        "Select the texture of food the diner needs",
        "Select at least one day the diner could have a meal",
        "Select that the diner agrees",
    ):
        expect(summary).to_contain_text(message)
    if js:
        expect(summary).to_be_focused()
    expect(page.locator("#postcode-error")).to_be_visible()
    shot("refer-errors")
    page.get_by_label("Their full name").fill(referred)
    page.get_by_label("First line of their address").fill("5 Ballards Lane")
    page.get_by_label("Their postcode").fill("n31lb")
    page.get_by_label("Vegetarian").check()
    page.get_by_label("Regular food").check()
    page.get_by_label("Wednesday", exact=True).check()
    page.get_by_label("Every week").check()
    page.get_by_label("The diner agrees").check()
    page.get_by_role("button", name="Refer this diner").click()
    expect(page).to_have_url(re.compile(r"/staff/diners/\d+\?referred=1$"))
    expect(page.get_by_role("heading", level=1)).to_have_text(referred)
    expect(page.locator(".govuk-notification-banner")).to_contain_text("The diner is referred")
    expect(page.get_by_text("Referred by Pat Coordinator")).to_be_visible()
    shot("referred")

    # The new diner is on the waiting list, found by their postcode without its space.
    page.goto("/staff/diners?status=waiting&q=n31lb")
    expect(page.get_by_role("link", name=referred)).to_be_visible()
    page.context.close()
