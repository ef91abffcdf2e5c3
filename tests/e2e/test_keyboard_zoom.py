"""Keyboard only, and 200% zoom (WCAG 2.2 AA: 2.1.1, 2.4.3, 2.4.7, 1.4.4, 1.4.10).

The keyboard tests (the cook's sign-up is in tests/e2e/test_pages_cook.py) never click: they
press Tab, type and press Enter, Space or the arrow keys, and check that every element that takes
focus shows a visible focus indicator. The zoom test shows the pages at 640 x 800 CSS pixels with
a device scale factor of 2 (a 1280 px wide screen at 200%), with no sideways scrolling, nothing
cut off in the header, and axe clean.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import httpx
import pytest
from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import expect

from tests.e2e.conftest import Server
from tests.e2e.helpers import expect_no_loading, nav, new_page, sign_in
from tests.e2e.test_journeys_care import _account, _cook, _token

pytestmark = pytest.mark.e2e

PENDING = {"name": "Nadia Kerr", "email": "nadia.kb@example.org", "password": "spacebar-fennel-19"}
ZOOM_COOK = {"name": "Zoe Large", "email": "zoe.zoom@example.org", "password": "magnify-quince-47"}
ZOOM_CARER = {"name": "Omar Wide", "email": "omar.zoom@example.org", "password": "enlarge-hazel-52"}
ZOOM = {"width": 640, "height": 800}
_axe = Axe()

# What has focus, what it is called, and whether it shows a focus indicator: an outline that is
# not transparent, a box-shadow, or (for GOV.UK's styled checkboxes and radios, whose input is
# invisible) a box-shadow on the label's ::before box.
FOCUSED = """() => {
  const el = document.activeElement;
  if (!el || el === document.body) return null;
  const s = getComputedStyle(el);
  const clear = (c) => c === 'transparent' || /rgba\\(.*,\\s*0\\)$/.test(c);
  let ring = (s.outlineStyle !== 'none' && parseFloat(s.outlineWidth) > 0 && !clear(s.outlineColor))
    || s.boxShadow !== 'none';
  const label = el.labels && el.labels[0];
  if (!ring && label && (el.type === 'checkbox' || el.type === 'radio')) {
    ring = getComputedStyle(label, '::before').boxShadow !== 'none';
  }
  const name = el.getAttribute('aria-label') || (label && label.innerText) || el.innerText || '';
  const box = (label && (el.type === 'checkbox' || el.type === 'radio') ? label : el)
    .getBoundingClientRect();
  // The contrast of the focused text against the first background behind it that is not clear.
  const rgb = (c) => (c.match(/[\\d.]+/g) || []).map(Number);
  let back = el;
  while (back && rgb(getComputedStyle(back).backgroundColor)[3] === 0) back = back.parentElement;
  const lum = (c) => {
    const [r, g, b] = rgb(c).slice(0, 3).map((v) => {
      const x = v / 255;
      return x <= 0.03928 ? x / 12.92 : ((x + 0.055) / 1.055) ** 2.4;
    });
    return 0.2126 * r + 0.7152 * g + 0.0722 * b;
  };
  const behind = back ? getComputedStyle(back).backgroundColor : 'rgb(255, 255, 255)';
  const [a, b] = [lum(s.color), lum(behind)];
  const contrast = (Math.max(a, b) + 0.05) / (Math.min(a, b) + 0.05);
  return {
    tag: el.tagName.toLowerCase(), type: el.type || '', name: name.replace(/\\s+/g, ' ').trim(),
    ring, shown: box.width > 0 && box.height > 0, checked: !!el.checked, contrast,
    outline: `${s.outlineStyle} ${s.outlineWidth} ${s.outlineColor}`, shadow: s.boxShadow,
  };
}"""


def focused(page: Any) -> dict[str, Any]:
    info = page.evaluate(FOCUSED)
    assert info is not None, "nothing has focus"
    return info


def expect_focus_ring(page: Any) -> dict[str, Any]:
    info = focused(page)
    assert info["shown"], f"the focused element is not shown: {info}"
    if info["tag"] not in ("main", "h1", "h2", "div"):  # headings and boxes moved to in code
        assert info["ring"], f"no visible focus indicator on {info}"
    if info["type"] not in ("checkbox", "radio"):
        assert info["contrast"] >= 4.5, f"focused text is hard to read: {info}"
    return info


def tab_to(page: Any, name: str, within: int = 40) -> dict[str, Any]:
    """Press Tab until the element whose accessible name starts with `name` has focus.

    Every element passed on the way must show a focus indicator; `within=1` means the very next
    Tab must land there (the focus order is the reading order).
    """
    seen = []
    for _ in range(within):
        page.keyboard.press("Tab")
        info = expect_focus_ring(page)
        seen.append(info["name"])
        if info["name"].startswith(name):
            return info
    raise AssertionError(f"{name!r} not reached in {within} Tab presses; focus went to {seen}")


def type_into(page: Any, name: str, text: str, within: int = 1) -> None:
    info = tab_to(page, name, within)
    assert info["tag"] in ("input", "textarea"), info
    page.keyboard.type(text)


@pytest.fixture(scope="module")
def data(server: Server) -> dict[str, int]:
    """A cook waiting for checks; an approved cook; a carer with a relative waiting for a cook."""
    with httpx.Client(base_url=server.base_url, timeout=30) as client:
        staff = _token(client, server.staff_email, server.staff_password)
        client.post(
            "/api/auth/register", json={**_account(PENDING), "role": "cook"}
        ).raise_for_status()
        client.put(
            "/api/cooks/me",
            headers=_token(client, PENDING["email"], PENDING["password"]),
            json={
                "display_name": "Nadia",
                "phone": "020 7946 0019",
                "address_line": "5 Hendon Lane",
                "postcode": "N3 1HT",
                "walk_radius_m": 1000,
                "max_diners": 1,
                "frequencies": ["weekly"],
                "diets": [],
                "allergen_free": [],
                "textures": ["regular"],
                "availability": [{"weekday": 1, "start": "17:00", "end": "19:00"}],
            },
        ).raise_for_status()
        cook = _cook(client, ZOOM_COOK, staff)
        client.post(
            "/api/auth/register", json={**_account(ZOOM_CARER), "role": "carer"}
        ).raise_for_status()
        diner = client.post(
            "/api/diners",
            headers=_token(client, ZOOM_CARER["email"], ZOOM_CARER["password"]),
            json={
                "full_name": "Hilda Wide",
                "address_line": "30 Gravel Hill",
                "postcode": "N3 1QX",
                "diets": ["vegetarian"],
                "allergies": ["peanuts"],
                "texture": "soft_bite_sized",
                "availability": [{"weekday": 4, "start": "12:00", "end": "14:00"}],
                "frequency": "fortnightly",
                "consent": True,
            },
        )
        diner.raise_for_status()
    return {"cook": cook, "diner": diner.json()["id"]}


def test_staff_signs_in_by_keyboard(server: Server, browser: Any, data: dict[str, int]) -> None:
    page = new_page(browser, server.base_url)
    page.goto("/sign-in.html")
    expect(page.get_by_label("Email address")).to_be_attached()
    type_into(page, "Email address", server.staff_email, within=15)
    type_into(page, "Password", server.staff_password)
    info = tab_to(page, "Sign in", within=1)
    assert info["tag"] == "button"
    page.keyboard.press("Enter")
    expect(page).to_have_url(re.compile(r"/staff/$"))
    expect(nav(page, "Cooks")).to_be_visible()

    # The header's "Cooks" (before home's counts, whose numbers depend on the other tests).
    tab_to(page, "Cooks", within=6)
    page.keyboard.press("Enter")
    expect(page).to_have_url(re.compile(r"/staff/cooks$"))
    # Search by keyboard: the search box, typed into, sent with Enter.
    type_into(page, "Search", "Kerr", within=15)
    page.keyboard.press("Enter")
    expect(page).to_have_url(re.compile(r"/staff/cooks\?q=Kerr"))
    info = tab_to(page, "Nadia Kerr", within=30)
    assert info["tag"] == "a"
    page.keyboard.press("Enter")
    expect(page.get_by_role("heading", level=1)).to_have_text("Nadia Kerr")
    # Sign out is a button in the header, reachable and working by keyboard.
    expect_no_loading(page)
    tab_to(page, "Sign out", within=12)
    page.keyboard.press("Enter")
    expect(page).to_have_url(re.compile(r"/sign-in\?done=signed-out$"))
    assert page.js_errors == [], page.js_errors
    page.context.close()


def zoom_page(browser: Any, base_url: str) -> Any:
    """Like helpers.new_page, but 640 x 800 CSS px at a device scale factor of 2 (200% zoom)."""
    context = browser.new_context(
        base_url=base_url, viewport=ZOOM, device_scale_factor=2, locale="en-GB"
    )
    page = context.new_page()
    page.set_default_timeout(10_000)
    page.js_errors = []  # type: ignore[attr-defined]
    page.on("pageerror", lambda exc: page.js_errors.append(str(exc)))
    return page


# Each link or button in the header: inside the viewport, not cut off by its box, not overlapping.
HEADER = """() => {
  const problems = [];
  const items = [...document.querySelectorAll('.ep-header a, .ep-header button')];
  const boxes = items.map((el) => el.getBoundingClientRect());
  items.forEach((el, i) => {
    const r = boxes[i];
    const what = el.textContent.trim();
    if (r.width === 0 || r.height === 0) problems.push(`${what}: not shown`);
    if (r.left < 0 || r.right > window.innerWidth + 0.5) problems.push(`${what}: off the window`);
    for (let p = el; p && p !== document.body; p = p.parentElement) {
      if (p.scrollWidth > p.clientWidth + 1 && getComputedStyle(p).overflowX !== 'visible') {
        problems.push(`${what}: clipped by ${p.tagName}`);
      }
    }
    boxes.slice(0, i).forEach((o, j) => {
      const across = r.left < o.right - 1 && o.left < r.right - 1;
      if (across && r.top < o.bottom - 1 && o.top < r.bottom - 1) {
        problems.push(`${what}: overlaps ${items[j].textContent.trim()}`);
      }
    });
  });
  return problems;
}"""


def check_zoomed(page: Any, name: str, shots: Path) -> None:
    page.wait_for_load_state("networkidle")
    expect_no_loading(page)
    widths = page.evaluate("[document.documentElement.scrollWidth, window.innerWidth]")
    assert widths[0] <= widths[1], f"{name} scrolls sideways at 200% zoom: {widths}"
    assert page.evaluate(HEADER) == [], f"{name}: the header at 200% zoom"
    results = _axe.run(page)
    assert results.violations_count == 0, f"axe on {name}:\n{results.generate_report()}"
    page.screenshot(path=str(shots / f"{name}-zoom200.png"), full_page=True)
    assert page.js_errors == [], page.js_errors


def test_pages_at_200_percent_zoom(
    server: Server, browser: Any, screenshots: Path, data: dict[str, int]
) -> None:
    page = zoom_page(browser, server.base_url)
    for path, name in (
        ("/", "home"),
        ("/about.html", "about"),
        ("/sign-in.html", "sign-in"),
        ("/cook/start", "cook-start"),
        ("/carer/start", "carer-start"),
    ):
        page.goto(path)
        check_zoomed(page, name, screenshots)
    # The carer's account form comes after their relative's postcode is checked.
    page.get_by_label("Where does your relative live?").fill("N3 1QX")
    page.get_by_role("button", name="Continue").click()
    expect(page).to_have_url(re.compile(r"/carer/sign-up$"))
    check_zoomed(page, "sign-up-carer", screenshots)
    page.context.close()

    cook = zoom_page(browser, server.base_url)
    sign_in(cook, ZOOM_COOK["email"], ZOOM_COOK["password"])
    expect(cook).to_have_url(re.compile(r"/cook/$"))
    check_zoomed(cook, "cook-home", screenshots)
    cook.goto("/cook/profile/name")
    expect(cook.get_by_text("step 1 of 5")).to_be_visible()
    check_zoomed(cook, "cook-profile-name", screenshots)
    cook.context.close()

    carer = zoom_page(browser, server.base_url)
    sign_in(carer, ZOOM_CARER["email"], ZOOM_CARER["password"])
    expect(carer).to_have_url(re.compile(r"/carer/$"))
    check_zoomed(carer, "carer-home", screenshots)
    carer.goto(f"/carer/relatives/{data['diner']}")
    expect(carer.get_by_role("heading", level=1)).to_have_text("Hilda Wide")
    check_zoomed(carer, "carer-relative", screenshots)
    carer.context.close()

    staff = zoom_page(browser, server.base_url)
    sign_in(staff, server.staff_email, server.staff_password)
    expect(staff).to_have_url(re.compile(r"/staff/$"))
    check_zoomed(staff, "staff-home", screenshots)
    for path, name in (
        ("/staff/cooks", "staff-cooks"),
        (f"/staff/cooks/{data['cook']}", "staff-cook"),
        ("/staff/diners", "staff-diners"),
        (f"/staff/diners/{data['diner']}", "staff-diner"),
        (f"/staff/diners/{data['diner']}/match", "staff-match"),
        ("/staff/matching", "staff-matching"),
        ("/staff/concerns", "staff-concerns"),
        ("/staff/reports", "staff-reports"),
        ("/staff/audit", "staff-audit"),
    ):
        staff.goto(path)
        check_zoomed(staff, name, screenshots)
    staff.context.close()
