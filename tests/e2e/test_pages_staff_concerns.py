"""Staff's concern pages in Chromium, with JavaScript on and off, at 1280 and 360 px, axe on
every page: a carer raises a serious concern (through the API); staff find it in the list by
its reference with the diner's and the cook's full names, open it (the carer named with their
email, the cook with their phone), try to save with nothing chosen (every missing answer at
once, beside its field), then move it to "being looked into" with a note that shows signed by
their name; the cook's filtered list shows it moved on."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import httpx
import pytest
from playwright.sync_api import expect

from tests.e2e.conftest import Server
from tests.e2e.helpers import a_month_ago, nav
from tests.e2e.test_journeys_care import _token
from tests.e2e.test_pages_public import check, page_for

pytestmark = pytest.mark.e2e
TUESDAY = 1
# A wait limit, not a timing check: test runs share two cores here.
WAIT_MS = 30_000


def _register(client: httpx.Client, role: str, name: str, email: str) -> dict[str, str]:
    person = {"email": email, "password": "copper-lantern-meadow-31", "full_name": name}
    client.post("/api/auth/register", json={**person, "role": role}).raise_for_status()
    return _token(client, email, person["password"])


def _world(server: Server, tag: str) -> dict[str, Any]:
    """Rohan Mehta cooks for Mabel Hughes (whose carer is Neil Hughes); Neil raises a serious
    concern about Mabel's welfare."""
    with httpx.Client(base_url=server.base_url, timeout=30) as client:
        staff = _token(client, server.staff_email, server.staff_password)
        cook = _register(client, "cook", "Rohan Mehta", f"rohan.concerns.{tag}@example.org")
        profile = client.put(
            "/api/cooks/me",
            headers=cook,
            json={
                "display_name": "Rohan",
                "phone": "020 7946 0321",
                "address_line": "3 Hendon Lane",
                "postcode": "N3 1HT",
                "walk_radius_m": 1500,
                "max_diners": 3,
                "frequencies": ["weekly"],
                "diets": [],
                "allergen_free": [],
                "textures": ["regular"],
                "availability": [{"weekday": TUESDAY, "start": "17:00", "end": "19:00"}],
            },
        )
        profile.raise_for_status()
        cook_id = profile.json()["id"]
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
        carer_email = f"neil.concerns.{tag}@example.org"
        carer = _register(client, "carer", "Neil Hughes", carer_email)
        diner = client.post(
            "/api/diners",
            headers=carer,
            json={
                "full_name": "Mabel Hughes",
                "address_line": "8 Gravel Hill",
                "postcode": "N3 1QX",
                "phone": "020 7946 0999",
                "diets": [],
                "allergies": [],
                "texture": "regular",
                "availability": [{"weekday": TUESDAY, "start": "17:30", "end": "19:00"}],
                "frequency": "weekly",
                "consent": True,
            },
        )
        diner.raise_for_status()
        diner_id = diner.json()["id"]
        pairing = client.post(
            "/api/staff/pairings",
            headers=staff,
            json={"diner_id": diner_id, "cook_id": cook_id, "weekday": TUESDAY,
                  "start": "17:30", "frequency": "weekly"},
        )  # fmt: skip
        pairing.raise_for_status()
        client.post(f"/api/pairings/{pairing.json()['id']}/accept", headers=cook).raise_for_status()
        concern = client.post(
            "/api/concerns",
            headers=carer,
            json={"diner_id": diner_id, "kind": "welfare", "serious": True,
                  "description": "She seemed very tired and had not eaten lunch."},
        )  # fmt: skip
        concern.raise_for_status()
        return {
            "cook_id": cook_id,
            "diner_id": diner_id,
            "carer_email": carer_email,
            "id": concern.json()["id"],
            "reference": concern.json()["reference"],
        }


@pytest.mark.parametrize("js", [True, False], ids=["js", "no-js"])
def test_staff_find_a_concern_see_everyone_involved_and_triage_it(
    server: Server, browser: Any, screenshots: Path, js: bool
) -> None:
    tag = "js" if js else "nojs"
    world = _world(server, tag)
    page = page_for(browser, server.base_url, js)
    page.set_default_timeout(WAIT_MS)

    def shot(name: str) -> None:
        check(page, f"staff-concerns-{tag}-{name}", screenshots)

    page.goto("/sign-in")
    page.get_by_label("Email address").fill(server.staff_email)
    page.get_by_label("Password", exact=True).fill(server.staff_password)
    page.get_by_role("button", name="Sign in").click()
    expect(page).to_have_url(re.compile(r"/staff/$"))

    # The list: found by its reference, with full names that link to the people's records.
    nav(page, "Concerns").click()
    expect(page).to_have_url(re.compile(r"/staff/concerns$"))
    page.get_by_label("Status").select_option("open")
    page.get_by_role("button", name="Show").click()
    expect(page).to_have_url(re.compile(r"/staff/concerns\?status=open$"))
    row = page.locator("tr", has=page.get_by_role("link", name=world["reference"]))
    expect(row).to_contain_text("Diner’s welfare")
    expect(row).to_contain_text("Serious")
    expect(row.get_by_role("link", name="Mabel Hughes")).to_have_attribute(
        "href", f"/staff/diners/{world['diner_id']}"
    )
    expect(row.get_by_role("link", name="Rohan Mehta")).to_have_attribute(
        "href", f"/staff/cooks/{world['cook_id']}"
    )
    expect(row).to_contain_text("Neil Hughes (carer)")
    shot("list")

    # One concern: everyone by name, with their contacts.
    row.get_by_role("link", name=world["reference"]).click()
    expect(page).to_have_url(re.compile(rf"/staff/concerns/{world['id']}$"))
    expect(page.get_by_role("heading", level=1)).to_have_text(f"Concern {world['reference']}")
    expect(page.get_by_text("Their carer, Neil Hughes")).to_be_visible()
    expect(page.get_by_role("link", name=world["carer_email"])).to_be_visible()
    expect(page.get_by_role("link", name="020 7946 0321")).to_be_visible()  # the cook's phone
    expect(page.get_by_text("Meals with Rohan Mehta are paused")).to_be_visible()
    # What an upheld concern can do is offered beside it, named for these two people.
    expect(page.get_by_label("Suspend Rohan Mehta (all their meals stop)")).to_be_visible()
    expect(page.get_by_label("Never match Mabel Hughes with Rohan Mehta again")).to_be_visible()
    shot("concern")

    # Nothing chosen: both missing answers at once, each beside its field.
    page.get_by_role("button", name="Save").click()
    expect(page).to_have_title(re.compile(r"^Error: "))
    summary = page.locator(".govuk-error-summary")
    expect(summary).to_contain_text("Choose what the status is now")
    expect(summary).to_contain_text("Write a note: what you did or found")
    expect(page.locator("#status-error")).to_be_visible()
    expect(page.locator("#note-error")).to_be_visible()
    if js:
        expect(summary).to_be_focused()
    shot("error")

    page.get_by_label("Looking into it").check()
    page.get_by_label("Note").fill("Called Neil; visiting on Friday.")
    page.get_by_role("button", name="Save").click()
    expect(page).to_have_url(re.compile(rf"/staff/concerns/{world['id']}\?saved=investigating$"))
    expect(page.locator(".govuk-notification-banner")).to_contain_text(
        "The concern is now being looked into"
    )
    notes = page.locator(".ep-notes")
    expect(notes).to_contain_text("Pat Coordinator")
    expect(notes).to_contain_text("Called Neil; visiting on Friday.")
    shot("triaged")

    # The cook's list shows it moved on.
    page.goto(f"/staff/concerns?cook={world['cook_id']}")
    expect(page.get_by_role("heading", level=1)).to_have_text("Concerns about Rohan Mehta")
    row = page.locator("tr", has=page.get_by_role("link", name=world["reference"]))
    expect(row).to_contain_text("Investigating")
    shot("by-cook")
    page.context.close()
