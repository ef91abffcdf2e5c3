"""Concern categories, the reference the raiser quotes and the status they can follow (API)."""

from __future__ import annotations

import re

import pytest
from alembic import command
from fastapi.testclient import TestClient
from sqlalchemy import text
from sqlmodel import Session, select

from app.concerns import service
from app.config import Settings
from app.db import make_engine
from app.diners.schemas import DinerIn
from app.diners.service import register_diner
from app.models import Concern, Notification, User
from tests.conftest import TEST_SETTINGS, alembic_config, migrate
from tests.factories import (
    PairingWorld,
    auth_headers,
    create_council,
    create_user,
    diner_payload,
)

REFERENCE = re.compile(r"^EP-[A-HJKMNP-Z2-9]{6}$")
CATEGORIES = ["missed_meal", "food_hygiene", "welfare", "safeguarding", "cook_behaviour", "other"]


def raise_(client: TestClient, user: User, settings: Settings, diner_id: int, **over: object):
    body = {"diner_id": diner_id, "kind": "missed_meal", "description": "No meal on Tuesday"}
    return client.post("/api/concerns", json=body | over, headers=auth_headers(user, settings))


@pytest.mark.parametrize("kind", CATEGORIES)
def test_concern_is_kept_in_its_category_when_raised_with_any_of_the_six(
    client: TestClient, settings: Settings, paired: PairingWorld, kind: str
):
    raised = raise_(client, paired.carer, settings, paired.diner_id, kind=kind)
    assert raised.status_code == 201, raised.text
    assert raised.json()["kind"] == kind
    queue = client.get("/api/staff/concerns", headers=auth_headers(paired.staff, settings))
    assert [c["kind"] for c in queue.json()["items"]] == [kind]


def test_concern_is_refused_naming_kind_when_the_category_is_unknown(
    client: TestClient, settings: Settings, paired: PairingWorld
):
    raised = raise_(client, paired.cook, settings, paired.diner_id, kind="neglect")
    assert raised.status_code == 422
    assert [e["loc"] for e in raised.json()["detail"]] == [["body", "kind"]]


def test_raiser_sees_the_reference_and_follows_the_status_when_staff_move_it_on(
    client: TestClient, session: Session, settings: Settings, paired: PairingWorld
):
    raised = raise_(client, paired.cook, settings, paired.diner_id, kind="food_hygiene")
    reference = raised.json()["reference"]
    assert REFERENCE.match(reference), reference
    mine = client.get(f"/api/concerns/{reference}", headers=auth_headers(paired.cook, settings))
    assert mine.status_code == 200
    assert (mine.json()["status"], mine.json()["status_text"]) == ("open", "Received")
    assert mine.json()["diner_first_name"] == "Edna" and "notes" not in mine.json()

    concern_id = raised.json()["id"]
    triaged = client.post(
        f"/api/staff/concerns/{concern_id}/triage",
        json={"status": "investigating", "note": "Calling the cook today"},
        headers=auth_headers(paired.staff, settings),
    )
    assert triaged.status_code == 200 and triaged.json()["reference"] == reference
    listed = client.get("/api/concerns", headers=auth_headers(paired.cook, settings)).json()
    assert [(c["reference"], c["status_text"]) for c in listed["items"]] == [
        (reference, "Being looked into")
    ]
    told = session.exec(
        select(Notification).where(
            Notification.to_user_id == paired.cook.id, Notification.event == "concern_status"
        )
    ).all()
    assert [n.subject for n in told] == [f"Your concern {reference}: being looked into"]


def test_another_person_gets_404_when_reading_a_concern_by_its_reference(
    client: TestClient, session: Session, settings: Settings, paired: PairingWorld
):
    reference = raise_(client, paired.carer, settings, paired.diner_id).json()["reference"]
    for other in (paired.cook, create_user(session, role="carer")):
        seen = client.get(f"/api/concerns/{reference}", headers=auth_headers(other, settings))
        assert seen.status_code == 404


@pytest.mark.parametrize("reference", ["EP-%00", "EP-ABC%00DE", "EP-%E2%80%AE"])
def test_reference_that_cannot_be_one_is_not_found_when_it_has_a_nul_or_odd_characters(
    client: TestClient, session: Session, settings: Settings, reference: str
):
    """A NUL went to the database, which PostgreSQL refuses in text: a 500 there."""
    carer = create_user(session, role="carer")
    seen = client.get(f"/api/concerns/{reference}", headers=auth_headers(carer, settings))
    assert seen.status_code == 404


def test_each_concern_gets_its_own_reference_when_several_are_raised(
    client: TestClient, settings: Settings, paired: PairingWorld
):
    references = {
        raise_(client, paired.carer, settings, paired.diner_id).json()["reference"]
        for _ in range(5)
    }
    assert len(references) == 5


def test_old_concerns_get_references_and_keep_their_kinds_when_migrated(empty_database: str):
    engine = make_engine(empty_database)
    migrate(engine)
    with Session(engine) as db:
        council = create_council(db, slug="barnet", lad_codes=["E09000003"])
        carer = create_user(db, role="carer", council=None)
        diner = register_diner(
            db,
            actor=carer,
            body=DinerIn(**diner_payload()),
            settings=TEST_SETTINGS,
            by_staff=False,
        )
        assert council.id and diner.id
        for kind in ("welfare", "safeguarding", "welfare"):
            service.raise_concern(
                db, user=carer, diner_id=diner.id, kind=kind, serious=False, description="Worried"
            )
        db.commit()
    cfg = alembic_config(empty_database)
    with engine.begin() as conn:
        cfg.attributes["connection"] = conn
        command.downgrade(cfg, "0010")
    with engine.begin() as conn:  # a row written by hand, with a kind that never existed
        conn.execute(
            text("UPDATE concern SET kind = 'neglect' WHERE id = (SELECT max(id) FROM concern)")
        )
    migrate(engine)
    with Session(engine) as db:
        rows = db.exec(select(Concern).order_by(Concern.id)).all()
    engine.dispose()
    assert [c.kind for c in rows] == ["welfare", "safeguarding", "other"]
    assert all(REFERENCE.match(c.reference) for c in rows)
    assert len({c.reference for c in rows}) == 3
