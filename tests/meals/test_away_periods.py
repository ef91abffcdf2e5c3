"""A cook's away dates are kept once: saved twice, overlapping or touching, they are one
period, its meals handed on (and cover cooks asked) once; through the API, the pages (JavaScript
off, as TestClient posts the forms) and two tabs at once."""

from __future__ import annotations

import re
import threading
import time
from datetime import date, timedelta
from typing import TYPE_CHECKING

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, text
from sqlmodel import Session, col, select

from app.config import Settings
from app.councils.rules import council_today
from app.main import app
from app.meals.away import add_away, change_away
from app.models import Cook, CookAway, Council, Meal, Notification, User
from tests.conftest import TEST_SETTINGS
from tests.factories import (
    DEFAULT_PASSWORD,
    PairingWorld,
    active_pairing,
    approved_cook,
    committed_active_pairing,
)
from tests.pages.helpers import form_token

if TYPE_CHECKING:
    from app.meals.service import AwaySaved


@pytest.fixture
def world(client: TestClient, session: Session, settings: Settings, staff: User) -> PairingWorld:
    """Priya cooks for Edna every Tuesday; Friend (N3 1BU) could cover her meals."""
    approved_cook(client, session, settings, staff, postcode="N3 1BU", display_name="Friend")
    return active_pairing(client, session, settings, staff)


def coming_meals(session: Session, world: PairingWorld, today: date) -> list[Meal]:
    return list(
        session.exec(
            select(Meal)
            .where(Meal.pairing_id == world.pairing_id, col(Meal.date) > today)
            .order_by(col(Meal.date))
        ).all()
    )


def away(client: TestClient, world: PairingWorld, first: date, last: date) -> list[str]:
    """POST /api/cooks/me/away: the dates of the meals it answers with."""
    body = {"from": str(first), "to": str(last)}
    saved = client.post("/api/cooks/me/away", json=body, headers=world.cook_headers)
    assert saved.status_code == 200, saved.text
    assert saved.json()["total"] == len(saved.json()["items"])
    return [m["date"] for m in saved.json()["items"]]


def periods(session: Session) -> list[tuple[date, date]]:
    rows = session.exec(select(CookAway).order_by(col(CookAway.from_date))).all()
    return [(a.from_date, a.to_date) for a in rows]


def asked(session: Session) -> list[int]:
    """The meals cover cooks were asked for, once per request sent."""
    keys = session.exec(
        select(Notification.dedupe_key).where(Notification.event == "cover_request")
    ).all()
    return sorted(int(key.split(":")[1]) for key in keys)


def test_the_same_away_dates_saved_twice_are_one_period_and_cover_is_asked_once(
    client: TestClient, session: Session, world: PairingWorld, barnet: Council
):
    meal = coming_meals(session, world, council_today(barnet))[0]
    first, last = meal.date - timedelta(days=1), meal.date + timedelta(days=5)

    once = away(client, world, first, last)
    again = away(client, world, first, last)

    assert (once, again) == ([str(meal.date)], [])
    assert periods(session) == [(first, last)]
    assert asked(session) == [meal.id]


def test_away_dates_inside_saved_ones_change_nothing(
    client: TestClient, session: Session, world: PairingWorld, barnet: Council
):
    meal = coming_meals(session, world, council_today(barnet))[0]
    first, last = meal.date - timedelta(days=1), meal.date + timedelta(days=5)
    away(client, world, first, last)

    assert away(client, world, meal.date, meal.date) == []
    assert periods(session) == [(first, last)]
    assert asked(session) == [meal.id]


def test_overlapping_away_dates_are_one_period_and_only_the_new_days_meals_need_cover(
    client: TestClient, session: Session, world: PairingWorld, barnet: Council
):
    """10-16 December, then 14-20 December, as the cook's week got longer."""
    first_meal, second_meal = coming_meals(session, world, council_today(barnet))[:2]
    start = first_meal.date
    away(client, world, start, start + timedelta(days=6))

    added = away(client, world, start + timedelta(days=4), second_meal.date)

    assert added == [str(second_meal.date)]
    assert periods(session) == [(start, second_meal.date)]
    assert asked(session) == sorted([first_meal.id or 0, second_meal.id or 0])
    session.refresh(first_meal)
    assert (first_meal.status, first_meal.cook_id) == ("needs_cover", None)


def test_away_dates_touching_saved_ones_join_them(
    client: TestClient, session: Session, world: PairingWorld, barnet: Council
):
    first_meal, second_meal = coming_meals(session, world, council_today(barnet))[:2]
    away(client, world, second_meal.date, second_meal.date + timedelta(days=2))

    added = away(client, world, first_meal.date, second_meal.date - timedelta(days=1))

    assert added == [str(first_meal.date)]
    assert periods(session) == [(first_meal.date, second_meal.date + timedelta(days=2))]


def test_away_dates_running_on_from_a_started_period_are_a_period_of_their_own(
    client: TestClient, session: Session, world: PairingWorld, barnet: Council
):
    """A started period is the coordinator's to change: the days added after it stay the
    cook's own to change or cancel, so they are not folded into it."""
    today = council_today(barnet)
    meal = coming_meals(session, world, today)[0]
    away(client, world, today, meal.date - timedelta(days=1))

    added = away(client, world, today, meal.date)

    assert added == [str(meal.date)]
    assert periods(session) == [(today, meal.date - timedelta(days=1)), (meal.date, meal.date)]


def test_changing_a_period_to_overlap_another_joins_them_and_asks_no_cover_again(
    client: TestClient, session: Session, world: PairingWorld, barnet: Council
):
    first_meal, second_meal = coming_meals(session, world, council_today(barnet))[:2]
    away(client, world, first_meal.date, first_meal.date)
    away(client, world, second_meal.date, second_meal.date + timedelta(days=1))
    later = session.exec(select(CookAway).where(CookAway.from_date == second_meal.date)).one()
    cook = session.get(Cook, world.cook_id)
    assert cook is not None and later.id is not None

    changed = _change(session, cook, later.id, first_meal.date, second_meal.date, barnet)

    assert (changed.outcome, changed.meals) == ("merged", [])
    assert periods(session) == [(first_meal.date, second_meal.date)]
    assert asked(session) == sorted([first_meal.id or 0, second_meal.id or 0])


def _change(
    session: Session, cook: Cook, away_id: int, first: date, last: date, council: Council
) -> AwaySaved:
    return change_away(
        session, cook=cook, away_id=away_id, from_=first, to=last, today=council_today(council)
    )


# --- the cook's page ----------------------------------------------------------------------------


def post(client: TestClient, path: str, data: dict[str, object], page: str | None = None):
    token = form_token(client, page or path)
    return client.post(path, data={**data, "csrf_token": token}, follow_redirects=False)


def dates(start: date, end: date) -> dict[str, object]:
    return {
        "from-day": start.day, "from-month": start.month, "from-year": start.year,
        "to-day": end.day, "to-month": end.month, "to-year": end.year,
    }  # fmt: skip


def test_the_away_page_lists_dates_saved_twice_once_and_changes_and_cancels_the_merged_period(
    client: TestClient, session: Session, world: PairingWorld, barnet: Council
):
    signed_in = post(client, "/sign-in", {"email": world.cook.email, "password": DEFAULT_PASSWORD})
    assert signed_in.status_code == 303, signed_in.text
    first_meal, second_meal = coming_meals(session, world, council_today(barnet))[:2]
    start = first_meal.date
    # Each save says what it did: the same dates again change nothing, and the cook is not
    # told that cover is being looked for again.
    for done in ("away-added", "away-already"):
        saved = post(client, "/cook/away", dates(start, start + timedelta(days=6)))
        assert saved.headers["location"] == f"/cook/away?done={done}"
    assert "Nothing has changed" in client.get(saved.headers["location"]).text
    grown = post(client, "/cook/away", dates(start + timedelta(days=4), second_meal.date))
    assert grown.headers["location"] == "/cook/away?done=away-merged"
    assert "joined to the away dates" in client.get(grown.headers["location"]).text

    listed = client.get("/cook/away").text
    (period,) = session.exec(select(CookAway)).all()
    assert (
        len(re.findall(r"Change<span class=\"govuk-visually-hidden\"> away dates from", listed))
        == 1
    )
    assert f'href="/cook/away/{period.id}/change"' in listed

    # Changed to its first week only: the second meal is the cook's again.
    changed = post(
        client,
        f"/cook/away/{period.id}/change",
        dates(start, start + timedelta(days=1)),
        f"/cook/away/{period.id}/change",
    )
    assert changed.headers["location"] == "/cook/away?done=away-changed"
    session.refresh(first_meal)
    session.refresh(second_meal)
    assert (first_meal.status, second_meal.status) == ("needs_cover", "scheduled")

    (period,) = session.exec(select(CookAway)).all()
    cancelled = post(client, f"/cook/away/{period.id}/cancel", {}, f"/cook/away/{period.id}/cancel")
    assert cancelled.headers["location"] == "/cook/away?done=away-cancelled"
    session.refresh(first_meal)
    assert (periods(session), first_meal.status, first_meal.cook_id) == (
        [],
        "scheduled",
        world.cook_id,
    )


# --- two tabs -----------------------------------------------------------------------------------


def test_the_same_away_dates_saved_from_two_tabs_at_once_are_saved_once(real_engine: Engine):
    """The second tab waits for the first's lock on the cook's row, then reads its period."""
    if real_engine.dialect.name != "postgresql":
        pytest.skip("row locks between concurrent writers: PostgreSQL only")
    with TestClient(app) as client:
        committed = committed_active_pairing(client, real_engine, TEST_SETTINGS)
    with Session(real_engine, expire_on_commit=False) as look:
        cook = look.get(Cook, committed.cook_id)
        council = look.get(Council, cook.council_id if cook else 0)
        assert cook is not None and council is not None
        today = council_today(council)
        meal = look.exec(
            select(Meal).where(Meal.pairing_id == committed.pairing_id, col(Meal.date) > today)
        ).first()
        assert meal is not None
    outcomes: list[str] = []

    def save(session: Session) -> None:
        mine = session.get(Cook, committed.cook_id)
        assert mine is not None
        saved = add_away(session, cook=mine, from_=meal.date, to=meal.date, today=today)
        outcomes.append(saved.outcome)

    with Session(real_engine, expire_on_commit=False) as first_tab:
        save(first_tab)  # flushed, not yet committed

        def second() -> None:
            with Session(real_engine, expire_on_commit=False) as second_tab:
                save(second_tab)
                second_tab.commit()

        tab = threading.Thread(target=second)
        tab.start()
        _until_a_lock_is_awaited(first_tab.get_bind())
        first_tab.commit()
    tab.join(timeout=30)
    assert not tab.is_alive()
    with Session(real_engine) as check:
        assert outcomes == ["added", "already"]
        stored = check.exec(select(CookAway)).all()
        assert [(a.from_date, a.to_date) for a in stored] == [(meal.date, meal.date)]


def _until_a_lock_is_awaited(bind: object) -> None:
    """Until another connection waits for a row lock (the second tab, for the cook's row)."""
    assert isinstance(bind, Engine)
    for _ in range(600):
        with bind.connect() as conn:
            waiting = conn.execute(
                text("SELECT count(*) FROM pg_locks WHERE NOT granted")
            ).scalar_one()
        if waiting:
            return
        time.sleep(0.05)
    raise AssertionError("the second tab never waited for the first")
