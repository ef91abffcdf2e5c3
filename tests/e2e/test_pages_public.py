"""The server-rendered public and account pages in Chromium, with JavaScript on and off, at
1280 and 360 px: axe finds nothing, and the forms work without scripts."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import httpx
import pytest
from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import expect

from tests.e2e.conftest import Server
from tests.e2e.helpers import PHONE, WIDE, check_page, new_page

pytestmark = pytest.mark.e2e
_axe = Axe()

PAGES = [
    ("/", "home"),
    ("/privacy", "privacy"),
    ("/accessibility", "accessibility"),
    ("/cookies", "cookies"),
    ("/contact", "contact"),
    ("/sign-in", "sign-in"),
    ("/forgotten-password", "forgotten-password"),
    ("/reset-password?token=not-a-real-token", "reset-password"),
    ("/no-such-page", "not-found"),
]


def page_for(browser: Any, base_url: str, js: bool) -> Any:
    """new_page's page, or one in a context with JavaScript off that records its requests."""
    if js:
        return new_page(browser, base_url)
    context = browser.new_context(
        base_url=base_url, viewport=WIDE, locale="en-GB", java_script_enabled=False
    )
    page = context.new_page()
    page.set_default_timeout(10_000)
    page.stray_requests = []
    page.on(
        "request",
        lambda r: None if r.url.startswith(base_url) else page.stray_requests.append(r.url),
    )
    page.browser_ = browser
    return page


def check(page: Any, name: str, shots: Path) -> None:
    """check_page, or for a page with scripts off: screenshots at both widths of what it shows,
    nothing sideways at 360 px, nothing from elsewhere, and axe on the very same HTML (axe needs
    scripts itself: it runs in a second page that shows this HTML without its <script>s)."""
    if not hasattr(page, "browser_"):
        check_page(page, name, shots)
        return
    page.wait_for_load_state("networkidle")
    page.screenshot(path=str(shots / f"{name}-1280.png"), full_page=True)
    page.set_viewport_size(PHONE)
    width = page.evaluate("document.documentElement.scrollWidth")
    page.screenshot(path=str(shots / f"{name}-360.png"), full_page=True)
    page.set_viewport_size(WIDE)
    assert width <= PHONE["width"], f"{name} scrolls sideways at 360 px ({width} px wide)"
    assert page.stray_requests == [], page.stray_requests
    html = re.sub(r"<script\b[^>]*>.*?</script>", "", page.content(), flags=re.DOTALL)
    context = page.browser_.new_context(viewport=WIDE, locale="en-GB")
    try:
        shown = context.new_page()
        shown.route(page.url, lambda route: route.fulfill(body=html, content_type="text/html"))
        shown.goto(page.url)
        shown.wait_for_load_state("networkidle")
        assert shown.evaluate("document.body.className").find("js-enabled") == -1
        results = _axe.run(shown)
        assert results.violations_count == 0, f"axe on {name}:\n{results.generate_report()}"
    finally:
        context.close()


@pytest.mark.parametrize("js", [True, False], ids=["js", "no-js"])
def test_public_pages_pass_axe_at_both_widths(
    server: Server, browser: Any, screenshots: Path, js: bool
) -> None:
    page = page_for(browser, server.base_url, js)
    suffix = "js" if js else "nojs"
    for path, name in PAGES:
        page.goto(path)
        expect(page.get_by_role("heading", level=1)).to_be_visible()
        check(page, f"pages-{name}-{suffix}", screenshots)
    page.context.close()


@pytest.mark.parametrize("js", [True, False], ids=["js", "no-js"])
def test_area_check_answers_and_shows_errors_with_and_without_scripts(
    server: Server, browser: Any, screenshots: Path, js: bool
) -> None:
    page = page_for(browser, server.base_url, js)
    suffix = "js" if js else "nojs"
    page.goto("/")
    expect(page.get_by_text("Extra Portion is run by Barnet")).to_be_visible()
    page.get_by_label("Your postcode").fill("12345")
    page.get_by_role("button", name="Check your area").click()
    expect(page).to_have_title(re.compile(r"^Error: "))
    summary = page.locator(".govuk-error-summary")
    expect(summary).to_contain_text("Enter a real postcode, like N3 1HT")
    if js:
        expect(summary).to_be_focused()  # GOV.UK Frontend's script moves focus to the summary
    expect(page.get_by_label("Your postcode")).to_have_value("12345")
    check(page, f"pages-home-error-{suffix}", screenshots)
    page.get_by_label("Your postcode").fill("N3 1HT")
    page.get_by_role("button", name="Check your area").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("We run in your area")
    check(page, f"pages-area-yes-{suffix}", screenshots)
    page.goto("/")
    page.get_by_label("Your postcode").fill("M1 1AE")
    page.get_by_role("button", name="Check your area").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("We do not run in your area yet")
    check(page, f"pages-area-no-{suffix}", screenshots)
    page.context.close()


@pytest.mark.parametrize("js", [True, False], ids=["js", "no-js"])
def test_area_answer_comes_back_on_back_and_its_button_goes_on_with_the_postcode(
    server: Server, browser: Any, screenshots: Path, js: bool
) -> None:
    """Back from the sign-up the answer led to showed "Confirm Form Resubmission"
    (ERR_CACHE_MISS), and the start page it led to asked for the postcode again (a newcomer's
    walk)."""
    page = page_for(browser, server.base_url, js)
    suffix = "js" if js else "nojs"
    page.goto("/")
    page.get_by_label("Your postcode").fill("n3 1ht")
    page.get_by_role("button", name="Check your area").click()
    expect(page).to_have_url(re.compile(r"/check-your-area\?postcode=N3\+1HT$"))
    page.get_by_role("button", name="Sign up to cook for a neighbour").click()
    expect(page).to_have_url(re.compile(r"/cook/sign-up$"))
    expect(page.get_by_role("heading", level=1)).to_have_text("Create your account")
    expect(page.locator("main")).to_contain_text("N3 1HT")
    page.go_back()
    expect(page.get_by_role("heading", level=1)).to_have_text("We run in your area")
    page.reload()
    expect(page.get_by_role("heading", level=1)).to_have_text("We run in your area")
    check(page, f"pages-area-back-{suffix}", screenshots)
    page.get_by_role("button", name="Register an older relative for meals").click()
    expect(page).to_have_url(re.compile(r"/carer/sign-up$"))
    expect(page.locator("main")).to_contain_text("N3 1HT")
    page.context.close()


@pytest.mark.parametrize("js", [True, False], ids=["js", "no-js"])
def test_staff_signs_in_and_out_with_and_without_scripts(
    server: Server, browser: Any, screenshots: Path, js: bool
) -> None:
    page = page_for(browser, server.base_url, js)
    suffix = "js" if js else "nojs"
    page.goto("/sign-in?next=//evil.example/")
    page.get_by_label("Email address").fill(server.staff_email)
    page.get_by_label("Password", exact=True).fill("not the password 123")
    page.get_by_role("button", name="Sign in").click()
    expect(page).to_have_title(re.compile(r"^Error: Sign in"))
    expect(page.get_by_label("Email address")).to_have_value(server.staff_email)
    expect(page.get_by_label("Password", exact=True)).to_have_value("")
    check(page, f"pages-sign-in-error-{suffix}", screenshots)
    page.get_by_label("Password", exact=True).fill(server.staff_password)
    page.get_by_role("button", name="Sign in").click()
    expect(page).to_have_url(re.compile(r"/staff/$"))  # not the other site in `next`
    page.goto("/account/password")
    expect(page.get_by_role("heading", level=1)).to_have_text("Change your password")
    check(page, f"pages-change-password-{suffix}", screenshots)
    page.goto("/sign-out")  # the address typed: a page with the button (the header has one too)
    expect(page.get_by_role("heading", level=1)).to_have_text("Sign out")
    check(page, f"pages-sign-out-{suffix}", screenshots)
    page.get_by_role("navigation", name="Main").get_by_role("button", name="Sign out").click()
    expect(page).to_have_url(re.compile(r"/sign-in\?done=signed-out$"))
    expect(page.get_by_text("You have signed out.")).to_be_visible()
    page.context.close()


def test_static_sign_in_goes_to_the_carers_home_when_next_is_a_staff_page(
    server: Server, browser: Any
) -> None:
    """A carer signing in on /sign-in.html?next=/staff/... was sent on to the staff page and
    read "You cannot do this" (the server's /sign-in already went home; a newcomer's walk)."""
    carer = {"email": "next.carer@example.org", "password": "harbour-lantern-52x",
             "full_name": "Nia Carer", "role": "carer"}  # fmt: skip
    httpx.post(f"{server.base_url}/api/auth/register", json=carer, timeout=30).raise_for_status()
    page = new_page(browser, server.base_url)
    page.goto("/sign-in.html?next=/staff/cooks.html")
    page.get_by_label("Email address").fill(carer["email"])
    page.get_by_label("Password").fill(carer["password"])
    page.get_by_role("button", name="Sign in").click()
    expect(page).to_have_url(re.compile(r"/carer/$"))
    expect(page.get_by_text("You cannot do this")).to_have_count(0)
    assert page.js_errors == [], page.js_errors
    page.context.close()


def test_static_sign_in_without_javascript_leads_to_the_sign_in_that_works_without_it(
    server: Server, browser: Any
) -> None:
    """A browser walk: with JavaScript off, /sign-in.html showed a heading and nothing to sign
    in with, nor anything saying where to go."""
    carer = {"email": "nojs.carer@example.org", "password": "harbour-lantern-53x",
             "full_name": "Noa Carer", "role": "carer"}  # fmt: skip
    httpx.post(f"{server.base_url}/api/auth/register", json=carer, timeout=30).raise_for_status()
    page = page_for(browser, server.base_url, js=False)
    page.goto("/sign-in.html")
    expect(page.get_by_role("link", name="I have forgotten my password")).to_be_visible()
    page.get_by_role("link", name="Sign in on the page that works without it").click()
    expect(page).to_have_url(re.compile(r"/sign-in$"))
    page.get_by_label("Email address").fill(carer["email"])
    page.get_by_label("Password", exact=True).fill(carer["password"])
    page.get_by_role("button", name="Sign in").click()
    expect(page).to_have_url(re.compile(r"/carer/$"))
    assert page.stray_requests == [], page.stray_requests
    page.context.close()
