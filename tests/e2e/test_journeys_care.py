"""Keeping relationships going, safety, and what the council sees (PRODUCT.md "The journey" 5-7,
"What the council sees"), in a real browser with axe on every page.

The people are set up through the API (a cook, a cover cook, a carer and their relative, matched
and accepted), so this module does not depend on the sign-up journeys; its tests run in order.
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
from tests.e2e.helpers import a_month_ago, check_page, nav, new_page

pytestmark = pytest.mark.e2e

PRIYA = {"name": "Priya Shah", "email": "priya@example.org", "password": "saffron-meadow-58k"}
TOM = {"name": "Tom Ellis", "email": "tom@example.org", "password": "bramble-lantern-64q"}
ALAN = {"name": "Alan Brown", "email": "alan@example.org", "password": "copper-harbour-27z"}
WEDNESDAY = 2


def _token(client: httpx.Client, email: str, password: str) -> dict[str, str]:
    response = client.post("/api/auth/token", data={"username": email, "password": password})
    response.raise_for_status()
    return {"Authorization": f"Bearer {response.json()['access_token']}"}


def _cook(client: httpx.Client, person: dict[str, str], staff: dict[str, str]) -> int:
    client.post("/api/auth/register", json={**_account(person), "role": "cook"}).raise_for_status()
    auth = _token(client, person["email"], person["password"])
    profile = client.put(
        "/api/cooks/me",
        headers=auth,
        json={
            "display_name": person["name"].split()[0],
            "phone": "020 7946 0018",
            "address_line": "3 Hendon Lane",
            "postcode": "N3 1HT",
            "walk_radius_m": 1500,
            "max_diners": 2,
            "frequencies": ["weekly", "fortnightly"],
            "diets": [],
            "allergen_free": [],
            "textures": ["regular"],
            "availability": [{"weekday": WEDNESDAY, "start": "17:00", "end": "19:00"}],
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
    return int(cook_id)


def _account(person: dict[str, str]) -> dict[str, str]:
    return {"email": person["email"], "password": person["password"], "full_name": person["name"]}


@pytest.fixture(scope="module")
def people(server: Server) -> dict[str, int]:
    """Priya cooks for Edith (Alan's mother) every Wednesday; Tom is approved and free then too."""
    with httpx.Client(base_url=server.base_url, timeout=30) as client:
        staff = _token(client, server.staff_email, server.staff_password)
        priya = _cook(client, PRIYA, staff)
        tom = _cook(client, TOM, staff)
        client.post(
            "/api/auth/register", json={**_account(ALAN), "role": "carer"}
        ).raise_for_status()
        carer = _token(client, ALAN["email"], ALAN["password"])
        diner = client.post(
            "/api/diners",
            headers=carer,
            json={
                "full_name": "Edith Brown",
                "address_line": "14 Gravel Hill",
                "postcode": "N3 1QX",
                "diets": [],
                "allergies": [],
                "texture": "regular",
                "availability": [{"weekday": WEDNESDAY, "start": "17:30", "end": "19:00"}],
                "frequency": "weekly",
                "consent": True,
            },
        )
        diner.raise_for_status()
        diner_id = diner.json()["id"]
        pairing = client.post(
            "/api/staff/pairings",
            headers=staff,
            json={
                "diner_id": diner_id,
                "cook_id": priya,
                "weekday": WEDNESDAY,
                "start": "17:30",
                "frequency": "weekly",
            },
        )
        pairing.raise_for_status()
        cook_auth = _token(client, PRIYA["email"], PRIYA["password"])
        client.post(
            f"/api/pairings/{pairing.json()['id']}/accept", headers=cook_auth
        ).raise_for_status()
    return {"priya": priya, "tom": tom, "diner": diner_id}


def sign_in(page: Any, email: str, password: str) -> None:
    """The server's sign-in page (it works with or without scripts)."""
    page.goto("/sign-in")
    page.get_by_label("Email address").fill(email)
    page.get_by_label("Password", exact=True).fill(password)
    page.get_by_role("button", name="Sign in").click()


def _fill_date(page: Any, legend: str, day: date) -> None:
    group = page.get_by_role("group", name=legend)
    group.get_by_label("Day").fill(str(day.day))
    group.get_by_label("Month").fill(str(day.month))
    group.get_by_label("Year").fill(str(day.year))


def test_cook_goes_away_and_another_cook_covers(
    server: Server, browser: Any, screenshots: Path, people: dict[str, int]
) -> None:
    page = new_page(browser, server.base_url)
    sign_in(page, PRIYA["email"], PRIYA["password"])
    expect(page).to_have_url(re.compile(r"/cook/$"))
    expect(page.get_by_text("14 Gravel Hill").first).to_be_visible()
    check_page(page, "cook-home-active", screenshots)

    page.get_by_role("link", name="Tell us when you are away, or change your dates").click()
    today = date.today()
    _fill_date(page, "First day you are away", today)
    _fill_date(page, "Last day you are away", today + timedelta(days=20))
    page.get_by_role("button", name="Save away dates").click()
    expect(page).to_have_url(re.compile(r"/cook/"))
    check_page(page, "cook-away-done", screenshots)
    page.context.close()

    cover = new_page(browser, server.base_url)
    sign_in(cover, TOM["email"], TOM["password"])
    expect(cover).to_have_url(re.compile(r"/cook/$"))
    take = cover.get_by_role("button", name=re.compile(r"^I will bring Edith's meal on"))
    expect(take.first).to_be_visible()
    check_page(cover, "cook-cover-requests", screenshots)
    take.first.click()
    expect(cover).to_have_url(re.compile(r"done=covered"))
    expect(cover.get_by_text("Edith (cover)").first).to_be_visible()
    check_page(cover, "cook-cover-taken", screenshots)
    cover.context.close()


def test_carer_raises_a_concern_and_staff_triage_it(
    server: Server, browser: Any, screenshots: Path, people: dict[str, int]
) -> None:
    carer = new_page(browser, server.base_url)
    sign_in(carer, ALAN["email"], ALAN["password"])
    expect(carer).to_have_url(re.compile(r"/carer/$"))
    expect(carer.locator("#coordinator")).to_be_visible()
    expect(carer.get_by_role("link", name="Download my data")).to_be_visible()
    check_page(carer, "carer-home-with-contact", screenshots)
    carer.get_by_role("link", name=re.compile("^See Edith")).click()
    expect(carer).to_have_url(re.compile(rf"/carer/relatives/{people['diner']}$"))
    expect(carer.get_by_text("cook is Priya")).to_be_visible()
    carer.get_by_role("button", name="Raise a concern").click()
    # Nothing chosen: both missing answers are named.
    carer.get_by_role("button", name="Send to the council").click()
    summary = carer.locator(".govuk-error-summary")
    expect(summary).to_contain_text("Select what the concern is about")
    expect(summary).to_contain_text("Tell us what happened")
    check_page(carer, "carer-concern-error", screenshots)
    carer.get_by_label("Edith’s health or wellbeing").check()
    carer.get_by_label("What happened?").fill("She seemed very tired and had not eaten lunch.")
    carer.get_by_role("button", name="Send to the council").click()
    expect(carer.locator(".govuk-panel")).to_contain_text("Concern sent")
    expect(carer.locator(".govuk-panel")).to_contain_text(re.compile(r"EP-[A-Z2-9]{6}"))
    check_page(carer, "carer-concern-sent", screenshots)
    carer.context.close()

    staff = new_page(browser, server.base_url)
    sign_in(staff, server.staff_email, server.staff_password)
    nav(staff, "Concerns").click()
    row = staff.locator("tr", has_text="Edith Brown")
    expect(row).to_contain_text("Diner’s welfare")
    check_page(staff, "staff-concerns", screenshots)
    row.get_by_role("link", name=re.compile("^EP-")).click()
    expect(staff.get_by_text("had not eaten lunch")).to_be_visible()
    check_page(staff, "staff-concern", screenshots)
    staff.get_by_label("Looking into it").check()
    staff.get_by_role("button", name="Save").click()
    expect(staff.locator(".govuk-error-summary")).to_contain_text("Write a note")
    staff.get_by_label("Note").fill("Called Alan; visiting on Friday.")
    staff.get_by_role("button", name="Save").click()
    expect(staff.locator(".govuk-notification-banner")).to_contain_text("being looked into")
    expect(staff.locator(".ep-notes")).to_contain_text("visiting on Friday")
    check_page(staff, "staff-concern-triaged", screenshots)
    staff.goto("/staff/concerns.html?status=investigating")  # the old address, redirected
    expect(staff.locator("tr", has_text="Edith Brown")).to_be_visible()
    staff.context.close()


def test_carer_is_not_asked_about_friendship_before_any_meal_and_asks_for_a_change(
    server: Server, browser: Any, screenshots: Path, people: dict[str, int]
) -> None:
    carer = new_page(browser, server.base_url)
    sign_in(carer, ALAN["email"], ALAN["password"])
    expect(carer).to_have_url(re.compile(r"/carer/$"))
    carer.goto(f"/carer/relatives/{people['diner']}")
    expect(carer.get_by_text("cook is Priya")).to_be_visible()
    # No meal has been delivered yet: the friendship question waits (PRODUCT.md's outcome).
    expect(carer.get_by_text("consider Priya a friend")).to_have_count(0)

    carer.get_by_role("link", name="Ask for a different cook").click()
    expect(carer.get_by_role("heading", level=1)).to_have_text("Ask for a different cook for Edith")
    carer.get_by_role("button", name="Yes, ask for a different cook").click()
    expect(carer.locator(".govuk-error-summary")).to_contain_text(
        "Tell us why you would like a different cook"
    )
    check_page(carer, "carer-change-confirm", screenshots)
    carer.get_by_label("Why would you like a different cook?").fill("They do not get on.")
    carer.get_by_role("button", name="Yes, ask for a different cook").click()
    expect(carer.locator(".govuk-notification-banner")).to_contain_text("different cook")
    expect(carer.locator(".govuk-tag").first).to_have_text("Waiting for a cook")
    check_page(carer, "carer-change-done", screenshots)
    carer.context.close()


def test_staff_reports_and_audit_log(
    server: Server, browser: Any, screenshots: Path, people: dict[str, int]
) -> None:
    page = new_page(browser, server.base_url)
    sign_in(page, server.staff_email, server.staff_password)
    nav(page, "Reports").click()
    summary = page.locator("#summary")
    expect(summary).to_contain_text("Approved cooks")
    expect(summary).to_contain_text("Meals delivered")
    expect(summary.locator(".ep-stat__number").first).to_have_text(re.compile(r"^\d+$"))
    expect(page.get_by_role("img", name=re.compile("^Map of Barnet"))).to_be_visible()
    waiting = page.get_by_role("table", name="Waiting diners by postcode district")
    expect(waiting).to_contain_text("N3")
    for name, href in (
        ("At a glance (CSV)", "/api/staff/reports/summary.csv"),
        ("Figures for each week (CSV)", "/api/staff/reports/weekly.csv?weeks=12"),
        (
            "Waiting diners with no cook offered, by district (CSV)",
            "/api/staff/reports/unmatched.csv",
        ),
    ):
        expect(page.get_by_role("link", name=name)).to_have_attribute("href", href)
    expect(page.get_by_role("table", name="Figures for each week")).to_be_visible()
    check_page(page, "staff-reports-full", screenshots)
    with page.expect_download() as download:
        page.get_by_role("link", name="At a glance (CSV)").click()
    assert "approved_cooks" in Path(download.value.path()).read_text()

    # The audit log is linked from staff home (the header keeps the six daily sections).
    nav(page, "Home").click()
    page.get_by_role("link", name="Audit log", exact=True).click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Audit log")
    table = page.get_by_role("table")
    expect(table).to_contain_text("Pat Coordinator")
    expect(table.locator("tbody tr").first).to_be_visible()
    check_page(page, "staff-audit-page-1", screenshots)
    next_page = page.get_by_role("link", name="Next page")
    if next_page.count():
        next_page.click()
        expect(page).to_have_url(re.compile(r"\?page=2$"))
        expect(page.get_by_role("table").locator("tbody tr").first).to_be_visible()
        check_page(page, "staff-audit-page-2", screenshots)
    page.context.close()
