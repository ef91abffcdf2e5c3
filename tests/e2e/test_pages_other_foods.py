"""Other foods a diner must not have, in Chromium with JavaScript on and off, at 1280 and 360 px
with axe: the carer's food step (and its error), check your answers, the cook's invitation with
its warning, and the printed label."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import httpx
import pytest
from playwright.sync_api import expect

from tests.e2e.conftest import Server
from tests.e2e.helpers import a_month_ago
from tests.e2e.test_journeys_care import _token
from tests.e2e.test_pages_public import check, page_for

pytestmark = pytest.mark.e2e
PASSWORD = "pepper-orchard-launch-7"
FRIDAY = 4


def _invited_cook(server: Server, tag: str) -> str:
    """An approved cook invited to cook for Ivy, whose carer named kiwi fruit: the cook's email."""
    cook = f"kiwi.cook.{tag}@example.org"
    carer = f"kiwi.carer.{tag}@example.org"
    with httpx.Client(base_url=server.base_url, timeout=30) as client:
        staff = _token(client, server.staff_email, server.staff_password)
        for email, role in ((cook, "cook"), (carer, "carer")):
            client.post("/api/auth/register", json={"email": email, "password": PASSWORD,
                        "full_name": f"Sam {tag}", "role": role}).raise_for_status()  # fmt: skip
        profile = client.put(
            "/api/cooks/me",
            headers=_token(client, cook, PASSWORD),
            json={"display_name": "Sam", "phone": "020 7946 0018",
                  "address_line": "3 Hendon Lane", "postcode": "N3 1HT", "walk_radius_m": 1500,
                  "max_diners": 2, "frequencies": ["weekly"], "diets": [],
                  "allergen_free": ["peanuts"], "textures": ["regular"],
                  "availability": [{"weekday": FRIDAY, "start": "17:00", "end": "19:00"}]},
        )  # fmt: skip
        profile.raise_for_status()
        client.post(
            f"/api/staff/cooks/{profile.json()['id']}/approve", headers=staff,
            json={"dbs_checked_on": a_month_ago(), "dbs_level": "enhanced", "id_checked": True,
                  "hygiene_ack": True},
        ).raise_for_status()  # fmt: skip
        diner = client.post(
            "/api/diners",
            headers=_token(client, carer, PASSWORD),
            json={"full_name": "Ivy Lane", "address_line": "8 Gravel Hill", "postcode": "N3 1QX",
                  "diets": [], "allergies": ["peanuts"], "texture": "regular",
                  "other_allergies": "Kiwi fruit\nStrawberries",
                  "availability": [{"weekday": FRIDAY, "start": "17:30", "end": "19:00"}],
                  "frequency": "weekly", "consent": True},
        )  # fmt: skip
        diner.raise_for_status()
        client.post(
            "/api/staff/pairings", headers=staff,
            json={"diner_id": diner.json()["id"], "cook_id": profile.json()["id"],
                  "weekday": FRIDAY, "start": "17:30", "frequency": "weekly"},
        ).raise_for_status()  # fmt: skip
    return cook


def _sign_in(page: Any, email: str) -> None:
    """The sign-in page that works with scripts off too."""
    page.goto("/sign-in")
    page.get_by_label("Email address").fill(email)
    page.get_by_label("Password", exact=True).fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()


def _continue(page: Any) -> None:
    page.get_by_role("button", name="Continue").click()


@pytest.mark.parametrize("js", [True, False], ids=["js", "no-js"])
def test_a_carer_names_other_foods_and_the_cook_reads_them_before_accepting(
    server: Server, browser: Any, screenshots: Path, js: bool
):
    s = "js" if js else "nojs"
    with httpx.Client(base_url=server.base_url, timeout=30) as client:
        client.post("/api/auth/register", json={"email": f"kiwi.walk.{s}@example.org",
                    "password": PASSWORD, "full_name": "Alan Brown",
                    "role": "carer"}).raise_for_status()  # fmt: skip
    page = page_for(browser, server.base_url, js)
    _sign_in(page, f"kiwi.walk.{s}@example.org")
    expect(page).to_have_url(re.compile(r"/carer/"))
    page.goto("/carer/register/about")
    page.get_by_label("Their full name").fill("Mabel Reid")
    page.get_by_label("First line of their address").fill("14 Gravel Hill")
    page.get_by_label("Their postcode").fill("N3 1QX")
    _continue(page)

    expect(page.get_by_role("heading", level=1)).to_have_text("What your relative can eat")
    page.get_by_label("Peanuts").check()
    page.get_by_label("Regular food").check()
    other = page.get_by_label("Other foods they must not have")
    other.fill("Kiwi fruit\u202e")  # a hidden character: refused beside the field, kept
    _continue(page)
    expect(page.locator(".govuk-error-summary")).to_contain_text(
        "Other foods they must not have has a hidden character, perhaps from copying and pasting"
    )
    expect(other).to_have_value("Kiwi fruit\u202e")
    check(page, f"other-foods-food-error-{s}", screenshots)
    other.fill("Kiwi fruit\nStrawberries")
    check(page, f"other-foods-food-{s}", screenshots)
    _continue(page)
    page.get_by_label("Friday", exact=True).check()
    page.get_by_label("From (Friday)").select_option("17:30")
    page.get_by_label("Until (Friday)").select_option("19:00")
    page.get_by_label("Every week").check()
    _continue(page)
    _continue(page)  # no access notes

    expect(page.locator("#row-other_allergies")).to_contain_text("Kiwi fruit")
    expect(page.locator("#row-other_allergies")).to_contain_text("Strawberries")
    check(page, f"other-foods-check-{s}", screenshots)
    page.context.close()

    # The cook, invited to cook for another diner whose carer named them, sees the warning.
    cook = page_for(browser, server.base_url, js)
    _sign_in(cook, _invited_cook(server, s))
    expect(cook).to_have_url(re.compile(r"/cook/"))
    cook.goto("/cook/")
    card = cook.locator("section.ep-card", has_text="Would you like to cook for Ivy?")
    expect(card.locator(".govuk-warning-text")).to_contain_text(
        "Ivy must also not have: Kiwi fruit, Strawberries."
    )
    check(cook, f"other-foods-invitation-{s}", screenshots)
    card.get_by_role("button", name=re.compile("^Accept")).click()
    expect(cook.get_by_text("Print a label for the meal")).to_be_visible()
    cook.get_by_role("link", name="Print a label for the meal").click()
    expect(cook.locator(".avoid").first).to_have_text(
        "Made free from: peanuts, Kiwi fruit, Strawberries"
    )
    check(cook, f"other-foods-label-{s}", screenshots)
    cook.context.close()
