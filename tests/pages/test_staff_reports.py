"""The staff reports page with JavaScript off (what TestClient sees is what such a browser
shows): every figure on the page is the reports service's (and the API's) value, one number of
waiting diners everywhere, the last 12 weeks as a table, the waiting diners by district adding
up to that number, words (never "None" or "NaN") where there is nothing to compute from, the
CSV downloads, and nothing of another council's."""

from __future__ import annotations

import html as html_lib
import json
import re
from datetime import UTC, date, datetime, time, timedelta

import pytest
from fastapi.testclient import TestClient
from httpx import Response
from sqlmodel import Session, select

from app.config import Settings
from app.councils.rules import council_today
from app.db import utcnow
from app.demo import DEMO_PASSWORD, seed_demo, staff_email
from app.main import app
from app.models import Council, Diner, Meal, OutcomeAnswer, Pairing, User
from app.reports import service
from app.reports.router import report_time
from tests.factories import (
    DEFAULT_PASSWORD,
    approved_cook,
    auth_headers,
    create_council,
    create_user,
    registered_diner,
)
from tests.pages.helpers import form_token, inline_scripts_without_the_nonce, title

PAGE = "/staff/reports"
NOW = datetime(2025, 1, 22, 12, 0, tzinfo=UTC)  # a Wednesday; London is on GMT
EMPTY_WORDS = {
    "continuity_rate": "No meals yet",
    "main_cook_share": "No meals in the last 12 weeks",
    "median_same_cook_run": "No meals in the last 12 weeks",
    "median_pairing_days": "No pairings started yet",
    "regular_cooks_per_diner": "No pairings started yet",
    "friend_share": "No answers in the last 12 months",
}


def sign_in(client: TestClient, email: str, password: str = DEFAULT_PASSWORD) -> None:
    token = form_token(client, "/sign-in")
    response = client.post(
        "/sign-in",
        data={"email": email, "password": password, "csrf_token": token},
        follow_redirects=False,
    )
    assert response.status_code == 303, response.text


def text(fragment: str) -> str:
    """What a reader sees of some HTML: tags gone, entities read, spaces squeezed."""
    return " ".join(html_lib.unescape(re.sub(r"<[^>]+>", " ", fragment)).split())


def main(response: Response) -> str:
    page = response.text
    body = page[page.index("<main") : page.index("</main>")]
    return re.sub(r"<script\b[^>]*>.*?</script>", "", body, flags=re.DOTALL)


def shown_figures(response: Response) -> dict[str, str]:
    """Each card's value by its summary field (data-figure)."""
    found = re.findall(r'data-figure="([a-z_]+)">(.*?)</dd>', response.text, re.DOTALL)
    return {key: text(value) for key, value in found}


def week_rows(response: Response) -> list[list[str]]:
    table = re.search(r'<table[^>]*id="weekly-table".*?</table>', response.text, re.DOTALL)
    assert table, "no weekly table"
    rows = re.findall(r"<tr[^>]*data-week[^>]*>(.*?)</tr>", table.group(0), re.DOTALL)
    return [[text(c) for c in re.findall(r"<t[hd][^>]*>(.*?)</t[hd]>", r, re.DOTALL)] for r in rows]


def district_rows(response: Response) -> dict[str, int]:
    table = re.search(r'<table[^>]*id="districts".*?</table>', response.text, re.DOTALL)
    assert table, "no districts table"
    rows = re.findall(r'data-district="([^"]+)">(.*?)</tr>', table.group(0), re.DOTALL)
    counts = {}
    for name, row in rows:
        cells = re.findall(r'<td[^>]*data-label="Diners waiting"[^>]*>(.*?)</td>', row, re.DOTALL)
        counts[name] = int(text(cells[0]))
    return counts


def island(response: Response) -> dict:
    found = re.search(
        r'<script type="application/json" id="report-data"[^>]*>(.*?)</script>',
        response.text,
        re.DOTALL,
    )
    assert found, "no JSON island"
    return json.loads(found.group(1))


def expected_value(key: str, value: float | int | None) -> str:
    """The page's wording of a summary value, written out here independently of the page."""
    if value is None:
        return EMPTY_WORDS[key]
    if key in {"continuity_rate", "main_cook_share", "friend_share"}:
        return f"{round(value * 100)}%"
    if key == "regular_cooks_per_diner":
        return f"{value:.2f}"
    if key == "median_same_cook_run":
        return f"{value:g} meal{'' if value == 1 else 's'}"
    if key == "median_pairing_days":
        return f"{value:g} day{'' if value == 1 else 's'}"
    return str(value)


@pytest.fixture
def fixed_now() -> datetime:
    app.dependency_overrides[report_time] = lambda: NOW
    return NOW


# --- every figure is the service's, on the seeded demo ------------------------------------------


def test_every_figure_on_the_page_is_the_services_when_the_demo_is_seeded(
    client: TestClient, session: Session, settings: Settings
):
    seed_demo(session, settings=settings)
    now = utcnow()
    app.dependency_overrides[report_time] = lambda: now
    staff = session.exec(select(User).where(User.email == staff_email("barnet"))).one()
    council = session.get(Council, staff.council_id)
    assert council is not None
    headers = auth_headers(staff, settings)
    sign_in(client, staff.email, DEMO_PASSWORD)

    page = client.get(PAGE)
    assert page.status_code == 200, page.text
    assert title(page) == "Reports – Extra Portion"
    summary = service.summarise_council(session, staff=staff, now=now)
    api = client.get("/api/staff/reports/summary", headers=headers).json()
    assert api == summary.model_dump()

    shown = shown_figures(page)
    keys = [
        "waiting_diners",
        "approved_cooks",
        "pending_cooks",
        "active_pairings",
        "meals_delivered",
        "meals_missed",
        *EMPTY_WORDS,
    ]
    assert set(shown) == set(keys)
    for key in keys:
        assert shown[key] == expected_value(key, api[key]), key
    # The demo has a year of history: every figure has something to show.
    assert all(api[key] is not None for key in EMPTY_WORDS), api
    assert api["meals_delivered"] > 0 and api["waiting_diners"] > 0

    # One number of waiting diners: the card, the sentence, the districts' total, this week's
    # row, the map's diners, the API and the service's definition.
    waiting = len(
        service.waiting_diners(session, council=council, today=council_today(council, now))
    )
    assert waiting == api["waiting_diners"] == int(shown["waiting_diners"])
    words = text(main(page))
    assert f"{waiting} diners are waiting for a cook" in words
    # Without JavaScript the map's place says so (it was simply missing: a browser walk).
    assert (
        '<div id="map-box"><noscript><p class="govuk-body">With JavaScript on, a map' in page.text
    )
    assert f"{api['waiting_diners_invited']} has been offered" in words or (
        f"{api['waiting_diners_invited']} have been offered" in words
    )
    districts = district_rows(page)
    assert sum(districts.values()) == waiting
    assert f"All districts {waiting}" in words
    unmatched = client.get("/api/staff/reports/unmatched?limit=500", headers=headers).json()
    for group in unmatched["items"]:
        assert districts[group["district"]] >= group["diners"]

    # The last 12 weeks: the table's rows are the weekly API's, oldest first.
    weekly = client.get("/api/staff/reports/weekly?weeks=12", headers=headers).json()["items"]
    rows = week_rows(page)
    assert len(rows) == 12
    for row, week in zip(rows, weekly, strict=True):
        start = date.fromisoformat(week["week_start"])
        assert row[0].startswith(f"{start.day} {start:%b %Y}")
        rate = week["continuity_rate"]
        assert row[1:6] == [
            str(week["meals_delivered"]),
            str(week["meals_missed"]),
            "No meals" if rate is None else f"{round(rate * 100)}%",
            str(week["new_cooks"]),
            str(week["waiting_diners"]) + (" (now)" if row is rows[-1] else ""),
        ]
    assert weekly[-1]["waiting_diners"] == waiting
    assert sum(w["meals_delivered"] for w in weekly) > 0  # the charts have something to draw
    delivered = sum(w["meals_delivered"] for w in weekly)
    missed = sum(w["meals_missed"] for w in weekly)
    assert f"{delivered} meals delivered and {missed} meals missed in the 12 weeks" in words

    # The charts and the map are drawn from the JSON island: the same numbers.
    data = island(page)
    assert [w["delivered"] for w in data["weeks"]] == [w["meals_delivered"] for w in weekly]
    assert [w["waiting"] for w in data["weeks"]] == [w["waiting_diners"] for w in weekly]
    places = client.get("/api/staff/reports/map", headers=headers).json()
    assert len(data["map"]["diners"]) == len(places["waiting_diners"]) == waiting
    assert len(data["map"]["cooks"]) == len(places["cooks"]) == api["approved_cooks"]
    assert data["map"]["lad_codes"] == council.lad_codes

    assert "Casserole Club publishes 70%" in words
    for bad in ("None", "null", "NaN", "undefined"):
        assert bad not in words, bad


# --- the continuity figures worked by hand, on the page -----------------------------------------


def _meal(session: Session, pairing: Pairing, day: date, cook_id: int) -> None:
    session.add(
        Meal(
            pairing_id=pairing.id,  # type: ignore[arg-type]
            diner_id=pairing.diner_id,
            council_id=pairing.council_id,
            cook_id=cook_id,
            date=day,
            start="17:30",
            at=datetime.combine(day, time(17, 30), tzinfo=UTC),
            status="delivered",
            is_cover=cook_id != pairing.cook_id,
        )
    )


def _active(session: Session, council: Council, cook_id: int, diner_id: int) -> Pairing:
    accepted = datetime(2024, 10, 1, 12, tzinfo=UTC)
    pairing = Pairing(
        council_id=council.id,  # type: ignore[arg-type]
        cook_id=cook_id,
        diner_id=diner_id,
        status="active",
        weekday=1,
        start="17:30",
        frequency="weekly",
        distance_m=300.0,
        proposed_at=accepted - timedelta(days=1),
        accepted_at=accepted,
    )
    session.add(pairing)
    diner = session.get(Diner, diner_id)
    assert diner is not None
    diner.status = "matched"  # type: ignore[assignment]
    session.add(diner)
    session.flush()
    return pairing


def test_page_shows_the_hand_worked_continuity_when_one_diner_had_covers(
    client: TestClient,
    session: Session,
    settings: Settings,
    barnet: Council,
    staff: User,
    fixed_now,
):
    """Diner A (regular cook X, cover Y) on ten Tuesdays from 12 November 2024:
    X X X Y X X X X Y X -> main cook share 8/10 = 80%; runs 3 1 4 1 1 -> median 1 meal;
    regular cook's share of all meals 80%; pairing accepted 1 October 2024 12:00, still running
    on 22 January 2025 12:00 -> 113 days; one cook per diner -> 1.00. Carer says the cook is a
    friend (January) -> 100% of 1 diner."""
    _, x = approved_cook(client, session, settings, staff)
    _, y = approved_cook(client, session, settings, staff)
    carer, a = registered_diner(client, session, settings, full_name="Ada Lane")
    pairing = _active(session, barnet, x, a)
    cooks = [x, x, x, y, x, x, x, x, y, x]
    for k, cook in enumerate(cooks):
        _meal(session, pairing, date(2024, 11, 12) + timedelta(weeks=k), cook)
    session.add(
        OutcomeAnswer(
            diner_id=a,
            carer_id=carer.id,  # type: ignore[arg-type]
            considers_friend=True,
            answered_at=datetime(2025, 1, 2, 10, tzinfo=UTC),
        )
    )
    session.flush()
    sign_in(client, staff.email)

    page = client.get(PAGE)
    shown = shown_figures(page)
    assert shown["continuity_rate"] == "80%"
    assert shown["main_cook_share"] == "80%"
    assert shown["median_same_cook_run"] == "1 meal"
    assert shown["median_pairing_days"] == "113 days"
    assert shown["regular_cooks_per_diner"] == "1.00"
    assert shown["friend_share"] == "100%"
    assert shown["meals_delivered"] == "10"
    assert shown["waiting_diners"] == "0"
    words = text(main(page))
    assert "About 16 weeks." in words  # 113 days
    assert "On average over 1 diner, the share" in words
    assert "Of the 1 diner whose carer answered" in words


# --- nothing to compute from; another council -----------------------------------------------


def test_empty_council_shows_words_not_null_or_nan_when_nothing_has_happened(
    client: TestClient, session: Session, staff: User, fixed_now
):
    sign_in(client, staff.email)
    page = client.get(PAGE)
    assert page.status_code == 200
    shown = shown_figures(page)
    for key, words in EMPTY_WORDS.items():
        assert shown[key] == words, key
    for key in ("waiting_diners", "approved_cooks", "meals_delivered", "meals_missed"):
        assert shown[key] == "0", key
    words = text(main(page))
    assert "Nobody is waiting for a cook." in words
    assert "0 meals delivered and 0 meals missed in the 12 weeks" in words
    assert all(row[3] == "No meals" for row in week_rows(page))
    for bad in ("None", "null", "NaN", "undefined", "%%", " 0 diners", "0 weeks"):
        assert bad not in words, bad
    data = island(page)
    assert data["map"]["cooks"] == [] and data["map"]["diners"] == []


def test_another_councils_staff_sees_none_of_barnets_figures_when_barnet_is_busy(
    client: TestClient,
    session: Session,
    settings: Settings,
    barnet: Council,
    staff: User,
    fixed_now,
):
    """Barnet: an approved cook, two waiting diners, ten delivered meals. Tower Hamlets: nothing."""
    _, x = approved_cook(client, session, settings, staff)
    registered_diner(client, session, settings, full_name="Bea Holt")
    _, a = registered_diner(client, session, settings, full_name="Ada Lane")
    pairing = _active(session, barnet, x, a)
    for k in range(10):
        _meal(session, pairing, date(2024, 11, 12) + timedelta(weeks=k), x)
    registered_diner(client, session, settings, full_name="Cyd Ross")
    session.flush()
    hamlets = create_council(session, slug="tower-hamlets", lad_codes=["E09000030"])
    other = create_user(session, role="staff", council=hamlets)

    sign_in(client, staff.email)
    own = shown_figures(client.get(PAGE))
    assert (own["waiting_diners"], own["meals_delivered"], own["approved_cooks"]) == (
        "2",
        "10",
        "1",
    )
    client.cookies.clear()

    sign_in(client, other.email)
    page = client.get(PAGE)
    shown = shown_figures(page)
    assert (shown["waiting_diners"], shown["meals_delivered"], shown["approved_cooks"]) == (
        "0",
        "0",
        "0",
    )
    assert shown["continuity_rate"] == "No meals yet"
    assert 'id="districts"' not in page.text
    assert all(row[1] == "0" and row[5].startswith("0") for row in week_rows(page))
    data = island(page)
    assert data["map"]["diners"] == [] and data["map"]["cooks"] == []
    assert data["map"]["lad_codes"] == ["E09000030"]


# --- downloads, the old address, who may see it, the page's scripts -------------------------


def test_csv_links_are_on_the_page_and_download_when_followed(
    client: TestClient, staff: User, fixed_now
):
    sign_in(client, staff.email)
    page = client.get(PAGE)
    links = re.findall(
        r'<a class="govuk-link" href="([^"]+\.csv[^"]*)" download>([^<]+)</a>', page.text
    )
    assert [(html_lib.unescape(h), t) for h, t in links] == [
        ("/api/staff/reports/summary.csv", "At a glance (CSV)"),
        ("/api/staff/reports/weekly.csv?weeks=12", "Figures for each week (CSV)"),
        (
            "/api/staff/reports/unmatched.csv",
            "Waiting diners with no cook offered, by district (CSV)",
        ),
    ]
    for href, _ in links:
        response = client.get(html_lib.unescape(href))
        assert response.status_code == 200, href
        assert response.headers["content-type"].startswith("text/csv")


def test_old_address_redirects_to_the_page_when_bookmarked(client: TestClient):
    response = client.get("/staff/reports.html", follow_redirects=False)
    assert response.status_code == 301
    assert response.headers["location"] == PAGE


def test_page_sends_to_sign_in_when_nobody_is_signed_in_and_refuses_a_cook(
    client: TestClient, session: Session, barnet: Council
):
    response = client.get(PAGE, follow_redirects=False)
    assert response.status_code == 303
    assert response.headers["location"].startswith("/sign-in")
    cook = create_user(session, role="cook", council=barnet)
    sign_in(client, cook.email)
    assert client.get(PAGE).status_code == 403


def test_page_has_no_inline_script_without_the_nonce_and_no_style_attribute(
    client: TestClient, staff: User, fixed_now
):
    sign_in(client, staff.email)
    page = client.get(PAGE)
    assert inline_scripts_without_the_nonce(page) == []
    assert " style=" not in page.text
    assert '<script type="module" src="/js/pages/staff-reports.js"></script>' in page.text
