"""The staff reports page in Chromium over the seeded demo (a year of history): with JavaScript
the weekly charts and the borough map are drawn, from the same numbers as the tables; without
it every figure and both tables are there. Axe at 1280 and 360 px, screenshots of both."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import expect

from tests.e2e.conftest import Server
from tests.e2e.helpers import PHONE, WIDE
from tests.e2e.test_pages_public import check, page_for

pytestmark = pytest.mark.e2e
CHARTS = [
    "Meals delivered and missed each week",
    "Diners waiting at the end of each week",
    "Meals brought by the regular cook each week",
]


def _signed_in(browser: Any, server: Server, js: bool) -> Any:
    page = page_for(browser, server.base_url, js)
    page.goto("/sign-in")
    page.get_by_label("Email address").fill(server.staff_email)
    page.get_by_label("Password", exact=True).fill(server.staff_password)
    page.get_by_role("button", name="Sign in").click()
    expect(page).to_have_url(re.compile(r"/staff/"))
    page.goto("/staff/reports.html")  # the old address, redirected
    expect(page).to_have_url(re.compile(r"/staff/reports$"))
    expect(page.get_by_role("heading", level=1)).to_have_text("Reports")
    return page


def _axe_at_360(page: Any, name: str) -> None:
    """Axe at 360 px too (check() runs it at 1280 px); for a page with scripts off, on the
    very same HTML without its <script>s in a page where axe itself can run."""
    if hasattr(page, "browser_"):
        html = re.sub(r"<script\b[^>]*>.*?</script>", "", page.content(), flags=re.DOTALL)
        context = page.browser_.new_context(viewport=PHONE, locale="en-GB")
        target = context.new_page()
        target.route(page.url, lambda route: route.fulfill(body=html, content_type="text/html"))
        target.goto(page.url)
        target.wait_for_load_state("networkidle")
    else:
        context, target = None, page
        page.set_viewport_size(PHONE)
    try:
        results = Axe().run(target)
        assert results.violations_count == 0, f"axe on {name}:\n{results.generate_report()}"
    finally:
        if context is not None:
            context.close()
        page.set_viewport_size(WIDE)


def _summary(page: Any) -> dict[str, Any]:
    response = page.request.get("/api/staff/reports/summary")
    assert response.ok, response.text()
    return response.json()


def _figure(page: Any, key: str) -> Any:
    return page.locator(f'[data-figure="{key}"]')


def _shows_every_figure(page: Any, summary: dict[str, Any]) -> None:
    for key in ("waiting_diners", "approved_cooks", "pending_cooks", "meals_delivered"):
        expect(_figure(page, key)).to_have_text(str(summary[key]))
    for key in ("continuity_rate", "main_cook_share", "friend_share"):
        expect(_figure(page, key)).to_have_text(f"{round(summary[key] * 100)}%")
    expect(_figure(page, "median_same_cook_run")).to_have_text(
        re.compile(rf"^{summary['median_same_cook_run']:g} meals?$")
    )
    weeks = page.get_by_role("table", name="Figures for each week")
    expect(weeks.locator("tbody tr")).to_have_count(12)
    expect(weeks.locator("tbody tr").last).to_contain_text(f"{summary['waiting_diners']} (now)")
    districts = page.get_by_role("table", name="Waiting diners by postcode district")
    expect(districts.locator("#districts-total")).to_have_text(str(summary["waiting_diners"]))
    for name in ("At a glance (CSV)", "Figures for each week (CSV)"):
        expect(page.get_by_role("link", name=name)).to_be_visible()


def test_reports_draw_charts_and_map_from_the_seeded_history_when_javascript_is_on(
    demo_server: Server, browser: Any, screenshots: Path
) -> None:
    page = _signed_in(browser, demo_server, js=True)
    summary = _summary(page)
    _shows_every_figure(page, summary)
    charts = page.locator("#weekly-charts")
    for name in CHARTS:
        expect(charts.get_by_role("img", name=name)).to_be_visible()
    meals = charts.get_by_role("img", name=CHARTS[0])
    expect(meals.locator("rect")).to_have_count(24)  # delivered and missed, 12 weeks
    waiting = charts.get_by_role("img", name=CHARTS[1])
    expect(waiting.locator("circle")).to_have_count(12)
    borough = page.get_by_role("img", name="Map of Barnet")
    expect(borough).to_be_visible()
    # Every approved cook and every waiting diner is on the map (cooks dots, diners diamonds).
    expect(borough.locator("circle")).to_have_count(summary["approved_cooks"])
    expect(borough.locator("rect")).to_have_count(summary["waiting_diners"])
    check(page, "staff-reports-demo-js", screenshots)
    _axe_at_360(page, "staff-reports-demo-js")
    page.set_viewport_size(PHONE)
    for k, name in enumerate(CHARTS):
        chart = charts.get_by_role("img", name=name)
        chart.scroll_into_view_if_needed()
        box = chart.bounding_box()
        assert box is not None and box["width"] <= PHONE["width"], name
        chart.screenshot(path=str(screenshots / f"staff-reports-demo-chart-{k}-360.png"))
    borough.screenshot(path=str(screenshots / "staff-reports-demo-map-360.png"))
    page.set_viewport_size(WIDE)
    page.context.close()


def test_reports_show_every_figure_and_the_tables_when_javascript_is_off(
    demo_server: Server, browser: Any, screenshots: Path
) -> None:
    page = _signed_in(browser, demo_server, js=False)
    summary = _summary(page)
    _shows_every_figure(page, summary)
    expect(page.locator("svg[role=img]")).to_have_count(0)
    expect(page.get_by_role("img")).to_have_count(0)
    check(page, "staff-reports-demo-nojs", screenshots)
    _axe_at_360(page, "staff-reports-demo-nojs")
    page.context.close()
