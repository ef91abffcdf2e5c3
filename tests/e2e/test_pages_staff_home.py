"""The staff home and the audit log in Chromium, with JavaScript on and off, at 1280 and 360 px,
axe on each: staff sign in, see what needs doing today, follow a count to its list and come
back, and read the audit log with names and links."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import httpx
import pytest
from playwright.sync_api import expect

from tests.e2e.conftest import Server
from tests.e2e.helpers import PHONE, WIDE, a_month_ago
from tests.e2e.test_journeys_care import _token
from tests.e2e.test_pages_public import check, page_for

pytestmark = pytest.mark.e2e
WAIT_MS = 30_000  # a wait limit, not a timing check: the machine is shared
PASSWORD = "lantern-biscuit-harbour-3"
PROFILE = {
    "phone": "020 7946 0018",
    "address_line": "3 Hendon Lane",
    "postcode": "N3 1HT",
    "walk_radius_m": 1500,
    "max_diners": 2,
    "frequencies": ["weekly"],
    "diets": [],
    "allergen_free": [],
    "textures": ["regular"],
    "availability": [{"weekday": 2, "start": "17:00", "end": "19:00"}],
}


def _things_to_do(server: Server, tag: str) -> dict[str, Any]:
    """A cook waiting for checks, one approved, a diner waiting whose address staff viewed."""
    with httpx.Client(base_url=server.base_url, timeout=30) as client:
        staff = _token(client, server.staff_email, server.staff_password)
        cooks = []
        for who in ("Nadia Waiting", "Omar Approved"):
            email = f"{who.split()[0].lower()}.{tag}@example.org"
            account = {"email": email, "password": PASSWORD, "full_name": f"{who} {tag}"}
            client.post("/api/auth/register", json={**account, "role": "cook"}).raise_for_status()
            profile = client.put(
                "/api/cooks/me",
                headers=_token(client, email, PASSWORD),
                json={**PROFILE, "display_name": who.split()[0]},
            )
            profile.raise_for_status()
            cooks.append(profile.json()["id"])
        client.post(
            f"/api/staff/cooks/{cooks[1]}/approve",
            headers=staff,
            json={"dbs_checked_on": a_month_ago(), "dbs_level": "enhanced", "id_checked": True,
                  "hygiene_ack": True},
        ).raise_for_status()  # fmt: skip
        carer = {"email": f"carer.home.{tag}@example.org", "password": PASSWORD,
                 "full_name": f"Carer {tag}"}  # fmt: skip
        client.post("/api/auth/register", json={**carer, "role": "carer"}).raise_for_status()
        diner = client.post(
            "/api/diners",
            headers=_token(client, carer["email"], PASSWORD),
            json={"full_name": f"Winifred Hale {tag}", "address_line": "8 Gravel Hill",
                  "postcode": "N3 1QX", "diets": [], "allergies": [], "texture": "regular",
                  "availability": [{"weekday": 2, "start": "17:30", "end": "19:00"}],
                  "frequency": "weekly", "consent": True},
        )  # fmt: skip
        diner.raise_for_status()
        client.get(f"/api/staff/diners/{diner.json()['id']}", headers=staff).raise_for_status()
        return {"cook_id": cooks[1], "diner_id": diner.json()["id"]}


@pytest.mark.parametrize("js", [True, False], ids=["js", "no-js"])
def test_staff_home_and_audit_log_with_and_without_scripts(
    server: Server, browser: Any, screenshots: Path, js: bool
) -> None:
    tag = "js" if js else "nojs"
    made = _things_to_do(server, tag)
    page = page_for(browser, server.base_url, js)
    page.set_default_timeout(WAIT_MS)

    page.goto("/staff/")
    expect(page).to_have_url(re.compile(r"/sign-in\?next=%2Fstaff%2F$"))
    page.get_by_label("Email address").fill(server.staff_email)
    page.get_by_label("Password", exact=True).fill(server.staff_password)
    page.get_by_role("button", name="Sign in").click()
    expect(page).to_have_url(re.compile(r"/staff/$"))
    expect(page.get_by_role("heading", level=1)).to_have_text("What needs doing today")
    expect(page.get_by_text("Signed in as Pat Coordinator for Barnet.")).to_be_visible()
    waiting = page.get_by_role("link", name=re.compile(r"^\d+ cooks? waiting for checks$"))
    expect(waiting).to_be_visible()
    diners = page.get_by_role("link", name=re.compile(r"^\d+ diners? waiting for a cook$"))
    expect(diners).to_be_visible()
    for name in ("Refer a diner", "Audit log", "Change password"):
        expect(page.get_by_role("link", name=name, exact=True)).to_be_visible()
    check(page, f"staff-home-{tag}", screenshots)

    # The staff navigation takes at most two lines on a phone (it took four).
    page.set_viewport_size(PHONE)
    tops = page.locator(".ep-nav--staff li").evaluate_all(
        "items => items.map(item => Math.round(item.getBoundingClientRect().top))"
    )
    assert len(tops) == 7 and len(set(tops)) <= 2, f"the staff navigation is tall: {tops}"
    page.set_viewport_size(WIDE)

    waiting.click()
    expect(page).to_have_url(re.compile(r"/staff/cooks\?status=pending&sort=oldest$"))
    page.go_back()
    expect(page).to_have_url(re.compile(r"/staff/$"))

    page.get_by_role("link", name="Audit log", exact=True).click()
    expect(page).to_have_url(re.compile(r"/staff/audit$"))
    expect(page.get_by_role("heading", level=1)).to_have_text("Audit log")
    table = page.get_by_role("table")
    viewed = table.locator("tr", has_text=f"Winifred Hale {tag}").first
    expect(viewed).to_contain_text("Pat Coordinator")
    expect(viewed).to_contain_text("Viewed the diner’s address")
    expect(viewed.get_by_role("link", name=f"Winifred Hale {tag}")).to_have_attribute(
        "href", f"/staff/diners/{made['diner_id']}"
    )
    approved = table.locator("tr", has_text="Approved the cook").first
    expect(approved.get_by_role("link", name=f"Omar Approved {tag}")).to_have_attribute(
        "href", f"/staff/cooks/{made['cook_id']}"
    )
    check(page, f"staff-audit-{tag}", screenshots)
    page.context.close()


def test_staff_home_on_the_demo_lists_what_needs_doing_with_names(
    demo_server: Server, browser: Any, screenshots: Path
) -> None:
    """The seeded demo (a year of history): the counts and the page's own lists are filled, and
    still fit a phone."""
    page = page_for(browser, demo_server.base_url, True)
    page.set_default_timeout(WAIT_MS)
    page.goto("/sign-in")
    page.get_by_label("Email address").fill(demo_server.staff_email)
    page.get_by_label("Password", exact=True).fill(demo_server.staff_password)
    page.get_by_role("button", name="Sign in").click()
    expect(page).to_have_url(re.compile(r"/staff/$"))
    waiting = page.get_by_role("link", name=re.compile(r"^\d+ diners? waiting for a cook$"))
    expect(waiting).to_be_visible()
    lists = page.locator("table")
    expect(lists.first).to_be_visible()
    first_row = lists.first.locator("tbody tr").first
    expect(first_row.locator("a[href^='/staff/diners/']")).to_be_visible()
    check(page, "staff-home-demo", screenshots)
    waiting.click()
    expect(page).to_have_url(re.compile(r"/staff/diners\?status=waiting&sort=longest$"))
    page.context.close()


def test_the_demo_admin_lands_on_the_councils_page(
    demo_server: Server, browser: Any, screenshots: Path
) -> None:
    """The administrator signed in to the public home page, with "Sign up to cook" and nothing
    of theirs (a browser walk)."""
    from app.demo import DEMO_ADMIN_EMAIL

    page = page_for(browser, demo_server.base_url, False)
    page.set_default_timeout(WAIT_MS)
    page.goto("/sign-in")
    page.get_by_label("Email address").fill(DEMO_ADMIN_EMAIL)
    page.get_by_label("Password", exact=True).fill(demo_server.staff_password)
    page.get_by_role("button", name="Sign in").click()
    expect(page).to_have_url(re.compile(r"/admin/$"))
    expect(page.locator("#councils tbody tr")).to_have_count(3)
    check(page, "admin-home-demo", screenshots)
    page.context.close()
