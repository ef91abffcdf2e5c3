"""A form sent after the sign-in ended keeps its answers, in Chromium with JavaScript on and
off, at 1280 and 360 px, axe on each page: staff type a referral, the browser drops the session
cookie (as at its Max-Age), the form is sent; the sign-in page says the answers were kept and
nothing sent; once signed in again the form shows them with the notice, and sending it then
refers the diner."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import expect

from tests.e2e.conftest import Server
from tests.e2e.test_pages_public import check, page_for

pytestmark = pytest.mark.e2e
NOTICE = "We kept what you typed before your sign-in ended."


def _sign_in(page: Any, server: Server) -> None:
    page.get_by_label("Email address").fill(server.staff_email)
    page.get_by_label("Password", exact=True).fill(server.staff_password)
    page.get_by_role("button", name="Sign in").click()


@pytest.mark.parametrize("js", [True, False], ids=["js", "nojs"])
def test_a_referral_typed_as_the_sign_in_ended_is_kept_shown_again_and_sent(
    browser: Any, server: Server, screenshots: Path, js: bool
):
    page = page_for(browser, server.base_url, js)
    name = f"Harold Kept {'Js' if js else 'Plain'}"
    page.goto("/sign-in")
    _sign_in(page, server)
    page.goto("/staff/refer")
    page.get_by_label("Their full name").fill(name)
    page.get_by_label("First line of their address").fill("4 Quiet Close")
    page.get_by_label("Their postcode").fill("N3 1QX")
    page.get_by_label("Peanuts").check()
    page.get_by_label("Regular food").check()
    page.get_by_label("Wednesday", exact=True).check()
    page.get_by_label("Every week").check()
    page.get_by_label("How the cook gets in (optional)").fill("Ring twice, he is slow to the door")
    page.context.clear_cookies(name="portion_session")  # the browser at the cookie's Max-Age
    page.context.clear_cookies(name="portion_csrf")

    page.get_by_role("button", name="Refer this diner").click()

    expect(page).to_have_url(f"{server.base_url}/sign-in?done=kept&next=%2Fstaff%2Frefer")
    expect(page.locator("main")).to_contain_text("We have kept what you typed")
    check(page, f"kept-answers-sign-in-{'js' if js else 'nojs'}", screenshots)
    _sign_in(page, server)
    expect(page).to_have_url(f"{server.base_url}/staff/refer")
    expect(page.locator("main")).to_contain_text(NOTICE)
    expect(page.get_by_label("Their full name")).to_have_value(name)
    expect(page.get_by_label("Peanuts")).to_be_checked()
    expect(page.get_by_label("Wednesday", exact=True)).to_be_checked()
    expect(page.get_by_label("The diner agrees to be referred")).not_to_be_checked()  # asked again
    expect(page.get_by_label("How the cook gets in (optional)")).to_have_value(
        "Ring twice, he is slow to the door"
    )
    check(page, f"kept-answers-refer-{'js' if js else 'nojs'}", screenshots)

    page.get_by_label("The diner agrees to be referred").check()
    page.get_by_role("button", name="Refer this diner").click()
    expect(page.locator("h1")).to_have_text(name)
    page.goto("/staff/refer")
    expect(page.locator("main")).not_to_contain_text(NOTICE)  # shown once
