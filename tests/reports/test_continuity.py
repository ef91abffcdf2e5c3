"""Whether relationships last (the main-cook share and same-cook runs), the outcome survey's
"the cook is a friend" share, and every "waiting" figure agreeing with the others."""

from __future__ import annotations

import html
import re
from datetime import UTC, date, datetime, time, timedelta

import pytest
from fastapi.testclient import TestClient
from sqlmodel import Session, select

from app.config import Settings
from app.demo import DEMO_PASSWORD, seed_demo, staff_email
from app.main import app
from app.models import Council, Diner, Meal, OutcomeAnswer, Pairing, User
from app.reports import figures
from app.reports.router import report_time
from tests.factories import approved_cook, auth_headers, registered_diner
from tests.pages.helpers import form_token

NOW = datetime(2025, 1, 22, 12, 0, tzinfo=UTC)  # a Wednesday; London is on GMT


# --- the arithmetic, worked by hand -------------------------------------------------------------


def test_main_cook_share_and_runs_match_the_hand_worked_diner_when_covers_break_runs():
    """Diner A, 10 meals: X X X Y X X X X Y X (Y covers twice).
    Most frequent cook X brings 8 of 10 -> share 0.8.
    Runs: X X X | Y | X X X X | Y | X -> [3, 1, 4, 1, 1]; sorted 1 1 1 3 4 -> median 1."""
    x, y = 1, 2
    meals = [x, x, x, y, x, x, x, x, y, x]
    assert figures.main_cook_share(meals) == 0.8
    assert figures.same_cook_runs(meals) == [3, 1, 4, 1, 1]
    lasting = figures.continuity({10: meals})
    assert (lasting.diners, lasting.main_cook_share, lasting.median_run) == (1, 0.8, 1.0)


def test_continuity_averages_diners_and_pools_their_runs_when_two_diners_had_meals():
    """A as above (share 0.8, runs 3 1 4 1 1); B: Z Z Z Z (share 1.0, runs [4]).
    Mean share (0.8 + 1.0) / 2 = 0.9. Runs pooled: 1 1 1 3 4 4 -> median (1 + 3) / 2 = 2.0."""
    x, y, z = 1, 2, 3
    lasting = figures.continuity({10: [x, x, x, y, x, x, x, x, y, x], 11: [z, z, z, z]})
    assert lasting.diners == 2
    assert lasting.main_cook_share == pytest.approx(0.9)
    assert lasting.median_run == 2.0


def test_continuity_is_null_when_no_meal_was_delivered():
    assert figures.continuity({}) == figures.Continuity(0, None, None)


def test_main_cook_share_drops_when_a_diner_changes_cook_for_good():
    """X X X X then a new regular cook W W: share 4/6, runs [4, 2]."""
    meals = [1, 1, 1, 1, 4, 4]
    assert figures.main_cook_share(meals) == pytest.approx(4 / 6)
    assert figures.same_cook_runs(meals) == [4, 2]


def test_friend_share_counts_each_diners_latest_answer_when_a_diner_answered_twice():
    """Diner 1: no (October), then yes (January) -> yes. Diner 2: no. -> 1 of 2 = 0.5."""
    answers = [
        (1, datetime(2024, 10, 1, tzinfo=UTC), False),
        (2, datetime(2025, 1, 5, tzinfo=UTC), False),
        (1, datetime(2025, 1, 2, tzinfo=UTC), True),
    ]
    assert figures.friend_share(answers) == (0.5, 2)
    assert figures.friend_share([]) == (None, 0)


def test_continuity_window_is_the_84_days_ending_today():
    assert figures.continuity_window(date(2025, 1, 22)) == (date(2024, 10, 31), date(2025, 1, 22))


# --- the same scenario through the database and the summary -----------------------------------


def _tuesdays(first: date, count: int) -> list[date]:
    return [first + timedelta(weeks=k) for k in range(count)]


def _meal(session: Session, pairing: Pairing, day: date, status: str, cook_id: int) -> None:
    session.add(
        Meal(
            pairing_id=pairing.id,  # type: ignore[arg-type]
            diner_id=pairing.diner_id,
            council_id=pairing.council_id,
            cook_id=cook_id,
            date=day,
            start="17:30",
            at=datetime.combine(day, time(17, 30), tzinfo=UTC),
            status=status,
            is_cover=cook_id != pairing.cook_id,
        )
    )


def _active(session: Session, council: Council, cook_id: int, diner_id: int, accepted: datetime):
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


def test_summary_gives_the_hand_worked_continuity_and_friend_share_when_meals_and_answers_exist(
    client: TestClient, session: Session, settings: Settings, barnet: Council, staff: User
):
    """Now: Wednesday 22 January 2025; the 12 weeks are 31 October 2024 to 22 January 2025.

    Diner A (regular cook X, cover cook Y), delivered on the ten Tuesdays 12 November to
    14 January: X X X Y X X X X Y X; also delivered by Y on 29 October (before the 12 weeks:
    not counted) and missed on 21 January (not delivered: not counted).
        -> share 8/10 = 0.8, runs [3, 1, 4, 1, 1]
    Diner B (regular cook Z), delivered 24 and 31 December, 7 and 14 January: Z Z Z Z
        -> share 1.0, runs [4]
    main_cook_share (0.8 + 1.0) / 2 = 0.9 over 2 diners; runs 1 1 1 3 4 4 -> median 2.0.
    The continuity_rate (regular cook's share of all delivered meals, all time) is
    (8 + 4) / (11 + 4) = 0.8 (the 29 October cover counts there).

    Answers to "is the cook a friend?": A no on 1 October 2024, yes on 2 January 2025; B no on
    5 January 2025; C (waiting, no meals) yes on 1 December 2023 (more than 12 months ago, not
    counted). Latest per diner within 12 months: A yes, B no -> friend_share 0.5 of 2 diners.
    """
    app.dependency_overrides[report_time] = lambda: NOW
    _, x = approved_cook(client, session, settings, staff)
    _, y = approved_cook(client, session, settings, staff)
    _, z = approved_cook(client, session, settings, staff)
    carer_a, a = registered_diner(client, session, settings, full_name="Ada Lane")
    carer_b, b = registered_diner(client, session, settings, full_name="Bea Holt")
    carer_c, c = registered_diner(client, session, settings, full_name="Cyd Ross")
    pa = _active(session, barnet, x, a, datetime(2024, 10, 1, 12, tzinfo=UTC))
    pb = _active(session, barnet, z, b, datetime(2024, 12, 1, 12, tzinfo=UTC))
    _meal(session, pa, date(2024, 10, 29), "delivered", y)
    cooks_a = [x, x, x, y, x, x, x, x, y, x]
    for day, cook in zip(_tuesdays(date(2024, 11, 12), 10), cooks_a, strict=True):
        _meal(session, pa, day, "delivered", cook)
    _meal(session, pa, date(2025, 1, 21), "missed", x)
    for day in _tuesdays(date(2024, 12, 24), 4):
        _meal(session, pb, day, "delivered", z)
    for diner, carer, when, friend in [
        (a, carer_a, datetime(2024, 10, 1, 10, tzinfo=UTC), False),
        (a, carer_a, datetime(2025, 1, 2, 10, tzinfo=UTC), True),
        (b, carer_b, datetime(2025, 1, 5, 10, tzinfo=UTC), False),
        (c, carer_c, datetime(2023, 12, 1, 10, tzinfo=UTC), True),
    ]:
        session.add(
            OutcomeAnswer(
                diner_id=diner,
                carer_id=carer.id,  # type: ignore[arg-type]
                considers_friend=friend,
                answered_at=when,
            )
        )
    session.flush()

    response = client.get("/api/staff/reports/summary", headers=auth_headers(staff, settings))
    assert response.status_code == 200, response.text
    summary = response.json()
    assert summary["main_cook_share"] == pytest.approx(0.9)
    assert summary["median_same_cook_run"] == 2.0
    assert summary["continuity_diners"] == 2
    assert summary["continuity_rate"] == pytest.approx(0.8)
    assert (summary["friend_share"], summary["friend_answers"]) == (0.5, 2)


# --- one meaning of "waiting" ----------------------------------------------------------------


def _waiting_figures(client: TestClient, headers: dict[str, str]) -> dict[str, int]:
    def get(path: str) -> dict:
        response = client.get(path, headers=headers)
        assert response.status_code == 200, response.text
        return response.json()

    summary = get("/api/staff/reports/summary")
    weekly = get("/api/staff/reports/weekly?weeks=1")["items"]
    unmatched = get("/api/staff/reports/unmatched?limit=500")
    assert unmatched["total"] == len(unmatched["items"])  # every group on the one page
    return {
        "summary": summary["waiting_diners"],
        "summary: invited + unproposed": summary["waiting_diners_invited"]
        + summary["waiting_diners_unproposed"],
        "this week": weekly[-1]["waiting_diners"],
        "map": len(get("/api/staff/reports/map")["waiting_diners"]),
        "staff home (diners?status=waiting)": get("/api/staff/diners?status=waiting&limit=1")[
            "total"
        ],
        "unmatched + invited": sum(g["diners"] for g in unmatched["items"])
        + summary["waiting_diners_invited"],
    }


def _page_number(client: TestClient, path: str, pattern: str) -> int:
    """The number a staff page shows where ``pattern`` (one group) matches its text."""
    response = client.get(path)
    assert response.status_code == 200, response.text
    words = " ".join(html.unescape(re.sub(r"<[^>]+>", " ", response.text)).split())
    found = re.search(pattern, words)
    assert found, f"{pattern!r} not on {path}"
    return int(found.group(1))


def _waiting_on_pages(client: TestClient) -> dict[str, int]:
    """The waiting count the staff pages show (signed in with the page's cookie)."""
    return {
        "reports page": _page_number(client, "/staff/reports", r"Diners waiting for a cook (\d+)"),
        "reports page's districts": _page_number(client, "/staff/reports", r"All districts (\d+)"),
        "staff home page": _page_number(client, "/staff/", r"(\d+) diners? waiting for a cook"),
        "diners page": _page_number(
            client, "/staff/diners?status=waiting", r"(\d+) waiting diners?\b"
        ),
    }


def test_every_waiting_figure_agrees_when_the_demo_is_seeded_and_matching_has_run(
    client: TestClient, session: Session, settings: Settings
):
    """The demo's Barnet: some diners waiting with an unanswered invitation, others with none.
    Every figure that counts waiting diners gives one number, before and after a batch turns
    some of the uninvited into invited (the total stays the same)."""
    seed_demo(session, settings=settings)
    staff = session.exec(select(User).where(User.email == staff_email("barnet"))).one()
    headers = auth_headers(staff, settings)
    signed_in = client.post(
        "/sign-in",
        data={
            "email": staff.email,
            "password": DEMO_PASSWORD,
            "csrf_token": form_token(client, "/sign-in"),
        },
        follow_redirects=False,
    )
    assert signed_in.status_code == 303, signed_in.text
    before = _waiting_figures(client, headers) | _waiting_on_pages(client)
    assert len(set(before.values())) == 1, before
    summary = client.get("/api/staff/reports/summary", headers=headers).json()
    assert summary["waiting_diners_invited"] > 0 and summary["waiting_diners_unproposed"] > 0

    run = client.post("/api/staff/matching/run", headers=headers)
    assert run.status_code == 200, run.text
    assert run.json()["proposed"]
    after = _waiting_figures(client, headers) | _waiting_on_pages(client)
    assert len(set(after.values())) == 1, after
    assert after["summary"] == before["summary"]
    again = client.get("/api/staff/reports/summary", headers=headers).json()
    assert again["waiting_diners_invited"] == summary["waiting_diners_invited"] + len(
        run.json()["proposed"]
    )
