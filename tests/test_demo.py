"""The demo data, seeded once into a fresh migrated database for this module."""

from __future__ import annotations

import re
import uuid
from collections import Counter
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from itertools import pairwise

import pytest
import time_machine
from fastapi.testclient import TestClient
from sqlalchemy import Engine
from sqlmodel import Session, col, func, select

from app.config import get_settings
from app.db import get_session, make_engine
from app.demo import (
    DEMO_COUNCILS,
    DEMO_PASSWORD,
    DemoCouncil,
    carer_email,
    cook_email,
    plan_population,
    seed_demo,
    staff_email,
)
from app.geo import datafiles
from app.geo.distance import haversine_m
from app.geo.offline import load_offline_index
from app.main import app
from app.matching.engine.busy import CLASH_MINUTES
from app.models import (
    OPEN_STATUSES,
    AuditEntry,
    Concern,
    Cook,
    CookAway,
    Council,
    Diner,
    Meal,
    MealFeedback,
    Neighbourhood,
    OutcomeAnswer,
    PairExclusion,
    Pairing,
    User,
)
from app.schemas import minutes
from app.vocab import CancelReason
from tests.conftest import TEST_SETTINGS, migrate


@pytest.fixture(scope="module")
def demo_url(database_server: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A brand-new database of the run's kind, kept for the module (seeding takes seconds)."""
    if database_server.startswith("sqlite"):
        yield f"sqlite:///{tmp_path_factory.mktemp('demo')}/demo.db"
        return
    name = f"demo_{uuid.uuid4().hex[:12]}"
    admin = make_engine(database_server, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.exec_driver_sql(f'CREATE DATABASE "{name}"')
    try:
        yield database_server.rsplit("/", 1)[0] + f"/{name}"
    finally:
        with admin.connect() as conn:
            conn.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.dispose()


@pytest.fixture(scope="module")
def seeded(demo_url: str) -> Iterator[tuple[Engine, str]]:
    engine = make_engine(demo_url)
    migrate(engine)
    with Session(engine) as session:
        summary = seed_demo(session, settings=TEST_SETTINGS)
        session.commit()
    yield engine, summary
    engine.dispose()


@pytest.fixture
def demo_session(seeded: tuple[Engine, str]) -> Iterator[Session]:
    with Session(seeded[0]) as session:
        yield session


@pytest.fixture
def demo_client(seeded: tuple[Engine, str]) -> Iterator[TestClient]:
    def session() -> Iterator[Session]:
        with Session(seeded[0], expire_on_commit=False) as db:
            yield db

    app.dependency_overrides[get_session] = session
    app.dependency_overrides[get_settings] = lambda: TEST_SETTINGS
    with TestClient(app) as client:
        yield client
    app.dependency_overrides.clear()


def councils(session: Session) -> dict[str, Council]:
    return {council.slug: council for council in session.exec(select(Council)).all()}


def counts(session: Session) -> dict[str, int]:
    return {
        model.__name__: session.exec(select(func.count()).select_from(model)).one()
        for model in (
            Council,
            Neighbourhood,
            User,
            Cook,
            Diner,
            Pairing,
            Meal,
            CookAway,
            PairExclusion,
            Concern,
            MealFeedback,
            OutcomeAnswer,
        )
    }


def sign_in(client: TestClient, email: str) -> dict[str, str]:
    response = client.post("/api/auth/token", data={"username": email, "password": DEMO_PASSWORD})
    assert response.status_code == 200, response.text
    return {"Authorization": f"Bearer {response.json()['access_token']}"}


def test_summary_counts_what_was_created_when_seeded(seeded: tuple[Engine, str]):
    assert re.fullmatch(
        r"Demo data ready: created 3 councils, \d+ neighbourhoods, "
        r"360 cooks \(\d+ approved\), \d+ carers and 240 diners; "
        r"a year of history: \d+ pairings, \d+ meals and \d+ concerns\. "
        r"A Barnet cook with a neighbour: cook\d{3}\.barnet@example\.org\.",
        seeded[1],
    ), seeded[1]


def test_the_cook_the_summary_names_has_a_neighbour_to_cook_for(
    seeded: tuple[Engine, str], demo_client: TestClient
):
    # README's cook001 has no pairing: a newcomer looked in the database for one who has.
    found = re.search(r"A Barnet cook with a neighbour: (\S+@example\.org)\.", seeded[1])
    assert found is not None, seeded[1]
    email = found[1]
    token = demo_client.post(
        "/api/auth/token", data={"username": email, "password": DEMO_PASSWORD}
    ).json()["access_token"]
    pairings = demo_client.get(
        "/api/cooks/me/pairings", headers={"Authorization": f"Bearer {token}"}
    ).json()
    assert [p["status"] for p in pairings["items"]].count("active") >= 1


@pytest.mark.parametrize("demo", DEMO_COUNCILS, ids=lambda demo: demo.slug)
def test_each_council_gets_neighbourhoods_and_people_when_seeded(
    demo_session: Session, demo: DemoCouncil
):
    council = councils(demo_session)[demo.slug]
    staff = demo_session.exec(select(User).where(User.email == staff_email(demo.slug))).one()
    hoods = demo_session.exec(
        select(Neighbourhood).where(Neighbourhood.council_id == council.id)
    ).all()
    cooks = demo_session.exec(select(Cook).where(Cook.council_id == council.id)).all()
    diners = demo_session.exec(select(Diner).where(Diner.council_id == council.id)).all()
    districts = {
        sector.split(" ")[0] for sector in load_offline_index().sectors_in_lad(demo.lad_code)
    }
    assert sorted(re.sub(r".*\((.+)\)", r"\1", hood.name) for hood in hoods) == sorted(districts)
    assert all(hood.coordinator_id == staff.id for hood in hoods)
    assert (len(cooks), len(diners)) == (120, 80)
    approved = sum(cook.status == "approved" for cook in cooks)
    assert 0.55 < approved / len(cooks) < 0.8


def test_everyone_lives_inside_their_council_when_seeded(demo_session: Session):
    index = load_offline_index()
    by_id = {council.id: council for council in councils(demo_session).values()}
    hoods = {hood.id: hood for hood in demo_session.exec(select(Neighbourhood)).all()}
    boxes = lad_boxes()
    people: list[Cook | Diner] = [
        *demo_session.exec(select(Cook)).all(),
        *demo_session.exec(select(Diner)).all(),
    ]
    for person in people:
        lad_code = by_id[person.council_id].lad_codes[0]
        unit = index.units[person.postcode]
        hood = hoods[person.neighbourhood_id]
        assert unit.lad_code == lad_code, person.postcode
        assert (person.latitude, person.longitude, person.geo_precision) == (
            unit.latitude,
            unit.longitude,
            "unit",
        )
        assert hood.council_id == person.council_id
        assert person.postcode[:-2] in hood.sectors
        south, west, north, east = boxes[lad_code]
        assert south <= person.latitude <= north and west <= person.longitude <= east


def lad_boxes() -> dict[str, tuple[float, float, float, float]]:
    """Each demo LAD's box (south, west, north, east) from the shipped boundaries, widened by
    0.01° because those are generalised to about 500 m."""
    boxes = {}
    for feature in datafiles.load_lad_boundaries()["features"]:
        points = [
            point
            for polygon in feature["geometry"]["coordinates"]
            for ring in polygon
            for point in ring
        ]
        boxes[feature["properties"]["lad_code"]] = (
            min(lat for _, lat in points) - 0.01,
            min(lon for lon, _ in points) - 0.01,
            max(lat for _, lat in points) + 0.01,
            max(lon for lon, _ in points) + 0.01,
        )
    return boxes


def test_population_is_varied_and_valid_when_seeded(demo_session: Session):
    cooks = demo_session.exec(select(Cook)).all()
    diners = demo_session.exec(select(Diner)).all()
    today = date.today()
    assert all(800 <= cook.walk_radius_m <= 2500 for cook in cooks)
    assert {cook.max_diners for cook in cooks} == {1, 2, 3}
    assert all(1 <= len(person.availability) <= 3 for person in [*cooks, *diners])
    for window in (w for person in [*cooks, *diners] for w in person.availability):
        weekday, start = window["weekday"], str(window["start"])
        assert start >= "16:30" if weekday in range(5) else start <= "12:30"
    for cook in cooks:
        if cook.status == "approved":
            assert cook.dbs_checked_on is not None and cook.approved_at is not None
            assert today - timedelta(days=730) <= cook.dbs_checked_on < today
            assert (cook.dbs_level, cook.id_checked, cook.hygiene_ack) == ("enhanced", True, True)
    diets = Counter(diet for diner in diners for diet in diner.diets)
    assert sum(not diner.diets for diner in diners) > len(diners) / 2
    assert {"vegetarian", "halal", "kosher", "diabetic_friendly"} <= set(diets)
    assert sum(not diner.allergies for diner in diners) > len(diners) / 2
    assert {"milk", "peanuts"} <= {a for diner in diners for a in diner.allergies}
    assert Counter(diner.texture for diner in diners).most_common(1)[0][0] == "regular"
    assert {"soft_bite_sized", "minced_moist", "pureed"} <= {d.texture for d in diners}
    approvals = demo_session.exec(
        select(func.count()).select_from(AuditEntry).where(AuditEntry.action == "cook.approved")
    ).one()
    # Every approved cook was approved through moderation; a few have moved away since.
    assert approvals == sum(cook.status in ("approved", "left") for cook in cooks)
    per_carer = Counter(diner.carer_id for diner in diners)
    assert set(per_carer.values()) == {1, 2}


def test_second_run_creates_nothing_when_demo_exists(seeded: tuple[Engine, str]):
    engine, _ = seeded
    with Session(engine) as session:
        before = counts(session)
        summary = seed_demo(session, settings=TEST_SETTINGS)
        session.commit()
        after = counts(session)
    assert summary.startswith(
        "Demo data ready: created 0 councils, 0 neighbourhoods, 0 cooks (0 approved), "
        "0 carers and 0 diners; a year of history: 0 pairings, 0 meals and 0 concerns. "
        "A Barnet cook with a neighbour: "
    )
    assert after == before


def test_plan_is_the_same_when_planned_twice():
    demo, index = DEMO_COUNCILS[0], load_offline_index()
    assert plan_population(demo, index) == plan_population(demo, index)


def test_demo_carer_lists_their_diners_when_signed_in(
    seeded: tuple[Engine, str], demo_client: TestClient
):
    with Session(seeded[0]) as session:  # closed before the API opens its own (SQLite locks)
        carer = session.exec(select(User).where(User.email == carer_email("barnet", 1))).one()
        theirs = session.exec(select(Diner.full_name).where(Diner.carer_id == carer.id)).all()
    response = demo_client.get("/api/diners", headers=sign_in(demo_client, carer.email))
    assert response.status_code == 200, response.text
    assert response.json()["total"] == len(theirs) == 2  # the README's carer has two relatives
    assert sorted(item["full_name"] for item in response.json()["items"]) == sorted(theirs)


@pytest.mark.parametrize(("number", "status"), [(1, "approved"), (2, "pending")])
def test_readme_demo_cook_sees_own_profile_when_signed_in(
    demo_client: TestClient, number: int, status: str
):
    headers = sign_in(demo_client, cook_email("barnet", number))
    response = demo_client.get("/api/cooks/me", headers=headers)
    assert response.status_code == 200, response.text
    assert (response.json()["council"], response.json()["status"]) == ("barnet", status)


@pytest.mark.parametrize(("number", "heading"), [(1, "My cooking"), (2, "Waiting for checks")])
def test_readme_demo_cook_lands_on_their_page_when_signing_in_without_scripts(
    demo_client: TestClient, number: int, heading: str
):
    token = re.search(r'name="csrf_token" value="([^"]+)"', demo_client.get("/sign-in").text)
    assert token is not None
    form = {"email": cook_email("barnet", number), "password": DEMO_PASSWORD}
    response = demo_client.post("/sign-in", data={**form, "csrf_token": token.group(1)})
    assert response.status_code == 200 and response.url.path == "/cook/", response.text
    assert f"<title>{heading} – Extra Portion</title>" in response.text


def test_demo_staff_gets_token_when_seeded(demo_client: TestClient):
    me = demo_client.get("/api/me", headers=sign_in(demo_client, staff_email("barnet")))
    assert me.json()["council"] == "barnet" and me.json()["role"] == "staff"


# --- a year of history -----------------------------------------------------------------------


def test_reports_show_a_year_of_history_when_seeded(demo_client: TestClient):
    headers = sign_in(demo_client, staff_email("barnet"))
    summary = demo_client.get("/api/staff/reports/summary", headers=headers).json()
    assert summary["meals_delivered"] > 300 and summary["meals_missed"] > 0
    # Covers bring some meals: the rate is a real figure, not its ceiling.
    assert summary["continuity_rate"] is not None and 0.8 < summary["continuity_rate"] < 1
    assert summary["median_pairing_days"] > 60 and summary["regular_cooks_per_diner"] > 1
    assert summary["active_pairings"] > 10
    # The queues still have work.
    assert summary["pending_cooks"] > 30 and summary["waiting_diners"] > 20
    weekly = demo_client.get("/api/staff/reports/weekly?weeks=52", headers=headers).json()
    weeks = weekly["items"]
    assert len(weeks) == 52
    assert sum(w["meals_delivered"] > 0 for w in weeks) >= 40
    assert sum(w["new_cooks"] > 0 for w in weeks) >= 10
    assert len({w["waiting_diners"] for w in weeks}) > 5  # the queue moved over the year
    unmatched = demo_client.get("/api/staff/reports/unmatched", headers=headers).json()
    assert sum(g["diners"] for g in unmatched["items"]) > 10


def test_history_has_every_kind_of_event_when_seeded(demo_session: Session):
    reasons = Counter(demo_session.exec(select(Pairing.end_reason)).all())
    assert {"diner_left", "change_requested", "cook_stopped"} <= set(reasons)
    statuses = Counter(demo_session.exec(select(Pairing.status)).all())
    assert {"active", "ended", "proposed"} <= set(statuses)
    meals = Counter(demo_session.exec(select(Meal.status)).all())
    assert {"delivered", "missed", "scheduled", "cancelled", "needs_cover"} <= set(meals)
    assert demo_session.exec(select(func.count()).where(col(Meal.is_cover).is_(True))).one() > 10
    concerns = demo_session.exec(select(Concern)).all()
    assert {c.status for c in concerns} >= {"open", "investigating", "resolved"}
    assert {c.kind for c in concerns} == {"welfare", "safeguarding"}
    assert all(c.notes for c in concerns if c.status == "resolved")
    assert demo_session.exec(select(func.count()).select_from(MealFeedback)).one() > 50
    friends = Counter(demo_session.exec(select(OutcomeAnswer.considers_friend)).all())
    assert 0.5 < friends[True] / (friends[True] + friends[False]) < 0.9
    left = demo_session.exec(select(Diner).where(Diner.status == "left")).all()
    assert left and all(d.status_reason for d in left)
    moved = demo_session.exec(select(Cook).where(Cook.status == "left")).all()
    assert moved and all(c.status_reason for c in moved)


def test_history_keeps_the_product_rules_when_seeded(demo_session: Session):
    now = datetime.now(UTC)
    cooks = {c.id: c for c in demo_session.exec(select(Cook)).all()}
    diners = {d.id: d for d in demo_session.exec(select(Diner)).all()}
    by_id = {c.id: c for c in demo_session.exec(select(Council)).all()}
    pairings = demo_session.exec(select(Pairing)).all()
    open_per_diner = Counter(p.diner_id for p in pairings if p.status in OPEN_STATUSES)
    assert open_per_diner and max(open_per_diner.values()) == 1
    for p in pairings:
        cook, diner = cooks[p.cook_id], diners[p.diner_id]
        assert cook.council_id == diner.council_id == p.council_id
        reach = min(cook.walk_radius_m, by_id[p.council_id].max_walk_radius_m)
        assert haversine_m(cook.latitude, cook.longitude, diner.latitude, diner.longitude) <= reach
        assert set(diner.diets) <= set(cook.diets) and diner.texture in cook.textures
        assert set(diner.allergies) <= set(cook.allergen_free)
        assert p.frequency == diner.frequency and p.frequency in cook.frequencies
        assert cook.approved_at is not None and cook.approved_at < p.proposed_at
        assert diner.created_at < p.proposed_at
        if p.accepted_at is not None:
            assert p.proposed_at < p.accepted_at < (p.ended_at or now) <= now
    open_places = Counter(p.cook_id for p in pairings if p.status in OPEN_STATUSES)
    assert all(n <= cooks[c].max_diners for c, n in open_places.items())
    pairing_of = {p.id: p for p in pairings}
    meals = demo_session.exec(select(Meal)).all()
    for meal in meals:
        p = pairing_of[meal.pairing_id]
        assert meal.date.weekday() == p.weekday and meal.start == p.start
        assert (meal.diner_id, meal.council_id) == (p.diner_id, p.council_id)
        if meal.status in ("delivered", "missed"):
            assert meal.at < now and meal.recorded_at is not None
            assert meal.recorded_at <= now
        if meal.is_cover:
            assert meal.cook_id not in (None, p.cook_id)
    # A cook away on a day brings no meal that day: their meals need cover (one stayed
    # planned, and its cook was reminded of it on the day they were away).
    away = {(a.cook_id, a.from_date) for a in demo_session.exec(select(CookAway)).all()}
    today = date.today()
    assert away
    planned_while_away = [
        m.id for m in meals if m.status == "scheduled" and m.date >= today
        and (m.cook_id, m.date) in away
    ]  # fmt: skip
    assert planned_while_away == []
    # No cook at two doors at once: an outside check found a demo cook with two fortnightly
    # Tuesday 17:30 pairings whose meals fell on the same days.
    at_doors: dict[tuple[int | None, date], list[int]] = {}
    for meal in meals:
        if meal.status in ("scheduled", "delivered") and meal.cook_id is not None:
            at_doors.setdefault((meal.cook_id, meal.date), []).append(minutes(meal.start))
    two_doors = [
        (key, starts) for key, starts in at_doors.items()
        if any(b - a < CLASH_MINUTES for a, b in pairwise(sorted(starts)))
    ]  # fmt: skip
    assert two_doors == []
    steps = {"weekly": {7}, "fortnightly": {14}, "monthly": {28, 35}}
    dates: dict[int, list[date]] = {}
    for meal in meals:
        dates.setdefault(meal.pairing_id, []).append(meal.date)
    for pairing_id, days in dates.items():
        days.sort()
        gaps = {(b - a).days for a, b in pairwise(days)}
        assert gaps <= steps[pairing_of[pairing_id].frequency], (pairing_id, gaps)


def test_a_diner_was_paused_even_on_a_day_the_draws_pause_nobody(empty_database: str):
    """On 2026-12-01 the 8 % draw paused no diner, so the demo had no cancelled meal (CI failed
    that day); the first diner who can have had a pause now has one, whatever the date."""
    engine = make_engine(empty_database)
    migrate(engine)
    with (
        time_machine.travel(datetime(2026, 12, 1, 12, tzinfo=UTC), tick=True),
        Session(engine) as session,
    ):
        seed_demo(session, settings=TEST_SETTINGS)
        session.commit()
    with Session(engine) as session:
        paused_meals = session.exec(
            select(func.count()).where(col(Meal.cancel_reason) == CancelReason.diner_paused)
        ).one()
    engine.dispose()
    assert paused_meals > 0
