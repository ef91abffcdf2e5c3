"""A meal needing a cover cook, in Chromium with JavaScript off, at 1280 and 360 px, axe on
each state: the staff home links it to its cover page, which lists the cooks who could take
it; sent with nothing chosen it says what is missing beside each field, and a cook chosen
with the tick records the cover and opens the diner's record."""

from __future__ import annotations

import re
from datetime import date
from pathlib import Path
from typing import Any

import httpx
import pytest
from playwright.sync_api import expect

from tests.e2e.conftest import Server
from tests.e2e.helpers import a_month_ago
from tests.e2e.test_journeys_care import _token
from tests.e2e.test_pages_public import check, page_for
from tests.e2e.test_pages_staff_home import PASSWORD, PROFILE

pytestmark = pytest.mark.e2e
WAIT_MS = 30_000  # a wait limit, not a timing check: the machine is shared
TAG = "cover"


def _cook(client: httpx.Client, staff: dict[str, str], name: str) -> tuple[int, dict[str, str]]:
    """An approved cook free on Wednesdays from 17:00 to 19:00 (PROFILE), and their token."""
    email = f"{name.split()[0].lower()}.{TAG}@example.org"
    account = {"email": email, "password": PASSWORD, "full_name": name}
    client.post("/api/auth/register", json={**account, "role": "cook"}).raise_for_status()
    token = _token(client, email, PASSWORD)
    made = client.put(
        "/api/cooks/me", headers=token, json={**PROFILE, "display_name": name.split()[0]}
    )
    made.raise_for_status()
    cook_id = int(made.json()["id"])
    client.post(
        f"/api/staff/cooks/{cook_id}/approve",
        headers=staff,
        json={"dbs_checked_on": a_month_ago(), "dbs_level": "enhanced", "id_checked": True,
              "hygiene_ack": True},
    ).raise_for_status()  # fmt: skip
    return cook_id, token


def _meal_needing_cover(server: Server) -> dict[str, Any]:
    """Omar cooks for Ivy on Wednesdays and is away for her first meal; Priya could cover."""
    with httpx.Client(base_url=server.base_url, timeout=30) as client:
        staff = _token(client, server.staff_email, server.staff_password)
        omar, omar_token = _cook(client, staff, f"Omar Regular {TAG}")
        priya, _ = _cook(client, staff, f"Priya Cover {TAG}")
        carer = {"email": f"carer.{TAG}@example.org", "password": PASSWORD,
                 "full_name": f"Carer {TAG}"}  # fmt: skip
        client.post("/api/auth/register", json={**carer, "role": "carer"}).raise_for_status()
        diner = client.post(
            "/api/diners",
            headers=_token(client, carer["email"], PASSWORD),
            json={"full_name": f"Ivy Clarke {TAG}", "address_line": "8 Gravel Hill",
                  "postcode": "N3 1QX", "diets": [], "allergies": [], "texture": "regular",
                  "availability": [{"weekday": 2, "start": "17:30", "end": "19:00"}],
                  "frequency": "weekly", "consent": True},
        )  # fmt: skip
        diner.raise_for_status()
        diner_id = int(diner.json()["id"])
        proposed = client.post(
            "/api/staff/pairings",
            headers=staff,
            json={"diner_id": diner_id, "cook_id": omar, "weekday": 2, "start": "17:30",
                  "frequency": "weekly"},
        )  # fmt: skip
        proposed.raise_for_status()
        accepted = client.post(f"/api/pairings/{proposed.json()['id']}/accept", headers=omar_token)
        accepted.raise_for_status()
        meals = client.get("/api/cooks/me/meals", headers=omar_token)
        meals.raise_for_status()
        first = min(date.fromisoformat(m["date"]) for m in meals.json()["items"])
        away = {"from": first.isoformat(), "to": first.isoformat()}
        client.post("/api/cooks/me/away", headers=omar_token, json=away).raise_for_status()
        return {"diner_id": diner_id, "priya": priya}


def test_staff_find_and_record_a_cover_cook_without_scripts(
    server: Server, browser: Any, screenshots: Path
) -> None:
    made = _meal_needing_cover(server)
    page = page_for(browser, server.base_url, js=False)
    page.set_default_timeout(WAIT_MS)
    page.goto("/sign-in")
    page.get_by_label("Email address").fill(server.staff_email)
    page.get_by_label("Password", exact=True).fill(server.staff_password)
    page.get_by_role("button", name="Sign in").click()
    expect(page).to_have_url(re.compile(r"/staff/$"))

    page.get_by_role("link", name=re.compile(rf"^Find a cover cook for Ivy Clarke {TAG}")).click()
    expect(page.get_by_role("heading", level=1)).to_have_text(f"Cover for Ivy Clarke {TAG}’s meal")
    expect(page.get_by_role("table")).to_contain_text(f"Priya Cover {TAG}")
    check(page, "staff-cover", screenshots)

    page.get_by_role("button", name="Record the cover").click()
    summary = page.locator(".govuk-error-summary")
    expect(summary).to_be_visible()
    expect(summary.get_by_role("link")).to_have_count(2)  # the cook and the tick, at once
    check(page, "staff-cover-errors", screenshots)

    page.get_by_role("radio", name=re.compile(f"Priya Cover {TAG}")).check()
    page.get_by_role("checkbox", name="I have spoken to them and they agreed").check()
    page.get_by_role("button", name="Record the cover").click()
    expect(page).to_have_url(re.compile(rf"/staff/diners/{made['diner_id']}"))
    expect(page.locator(".govuk-notification-banner")).to_contain_text("The cover is recorded")
    check(page, "staff-cover-recorded", screenshots)
    page.context.close()
