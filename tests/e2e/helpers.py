"""What every browser test does on every page: axe, screenshots at two widths, no stray requests."""

from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path
from typing import Any

from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import expect

_axe = Axe()
WIDE = {"width": 1280, "height": 900}
PHONE = {"width": 360, "height": 780}


def new_page(browser: Any, base_url: str) -> Any:
    """A page in a fresh context (its own cookies) that records every request and JS error."""
    context = browser.new_context(base_url=base_url, viewport=WIDE, locale="en-GB")
    page = context.new_page()
    page.set_default_timeout(10_000)
    page.stray_requests = []  # type: ignore[attr-defined]
    page.js_errors = []  # type: ignore[attr-defined]

    def on_request(request: Any) -> None:
        url = request.url
        if not (url.startswith(base_url) or url.startswith("data:")):
            page.stray_requests.append(url)
        elif "/assets/fonts/" in url or "/assets/images/" in url:
            page.stray_requests.append(url)  # the GOV.UK font and crown are not shipped

    page.on("request", on_request)
    page.on("pageerror", lambda exc: page.js_errors.append(str(exc)))
    return page


def check_page(page: Any, name: str, shots: Path) -> None:
    """Axe finds nothing; screenshots at 1280 px and 360 px; nothing fetched from elsewhere."""
    page.wait_for_load_state("networkidle")
    expect_no_loading(page)
    results = _axe.run(page)
    assert results.violations_count == 0, f"axe on {name}:\n{results.generate_report()}"
    page.screenshot(path=str(shots / f"{name}-1280.png"), full_page=True)
    page.set_viewport_size(PHONE)
    page.wait_for_timeout(100)
    width = page.evaluate("document.documentElement.scrollWidth")
    page.screenshot(path=str(shots / f"{name}-360.png"), full_page=True)
    page.set_viewport_size(WIDE)
    assert width <= PHONE["width"], f"{name} scrolls sideways at 360 px ({width} px wide)"
    assert page.stray_requests == [], page.stray_requests
    assert page.js_errors == [], page.js_errors


def expect_no_loading(page: Any) -> None:
    # A locator assertion, not wait_for_function: the pages' CSP forbids evaluating strings.
    expect(page.locator("body")).not_to_contain_text("Loading…")


def sign_in(page: Any, email: str, password: str) -> None:
    page.goto("/sign-in.html")
    page.get_by_label("Email address").fill(email)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Sign in").click()


def nav(page: Any, name: str) -> Any:
    """A link in the site's main navigation."""
    return page.get_by_role("navigation", name="Main").get_by_role("link", name=name, exact=True)


def a_month_ago() -> str:
    return (date.today() - timedelta(days=30)).isoformat()
