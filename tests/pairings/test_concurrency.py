"""Two staff confirming a cook's last place at the same moment never overbook the cook."""

from __future__ import annotations

import threading
from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient
from sqlmodel import Session, func, select

from app.config import get_settings
from app.db import get_session, make_engine
from app.main import app
from app.models import Pairing
from tests.conftest import TEST_SETTINGS, migrate
from tests.factories import (
    approve_payload,
    auth_headers,
    cook_payload,
    create_council,
    create_user,
    diner_payload,
)

RACERS = 12


@pytest.mark.concurrency
def test_exactly_one_proposal_wins_when_many_race_for_last_place(empty_database: str):
    engine = (
        make_engine(empty_database, pool_size=RACERS + 2)
        if "postgresql" in empty_database
        else make_engine(empty_database)
    )
    migrate(engine)

    def fresh_session() -> Iterator[Session]:
        with Session(engine, expire_on_commit=False) as s:
            yield s

    app.dependency_overrides[get_session] = fresh_session
    app.dependency_overrides[get_settings] = lambda: TEST_SETTINGS
    try:
        with Session(engine, expire_on_commit=False) as setup:
            council = create_council(setup, slug="barnet", lad_codes=["E09000003"])
            staff = create_user(setup, role="staff", council=council)
            cook_user = create_user(setup, role="cook")
            carers = [create_user(setup, role="carer") for _ in range(RACERS)]
            staff_headers = auth_headers(staff, TEST_SETTINGS)
            cook_headers = auth_headers(cook_user, TEST_SETTINGS)
            carer_headers = [auth_headers(carer, TEST_SETTINGS) for carer in carers]
            setup.commit()
        # The setup session is closed: on SQLite an open one would hold the write lock.
        with TestClient(app) as client:
            cook_id = client.put(
                "/api/cooks/me", json=cook_payload(max_diners=1), headers=cook_headers
            ).json()["id"]
            approval = client.post(
                f"/api/staff/cooks/{cook_id}/approve", json=approve_payload(), headers=staff_headers
            )
            assert approval.status_code == 200
            diner_ids = [
                client.post("/api/diners", json=diner_payload(), headers=headers).json()["id"]
                for headers in carer_headers
            ]

        barrier = threading.Barrier(RACERS)
        statuses: list[int] = []

        def race(diner_id: int) -> None:
            with TestClient(app) as client:
                body = {
                    "diner_id": diner_id,
                    "cook_id": cook_id,
                    "weekday": 1,
                    "start": "17:30",
                    "frequency": "weekly",
                }
                barrier.wait()
                statuses.append(
                    client.post("/api/staff/pairings", json=body, headers=staff_headers).status_code
                )

        threads = [threading.Thread(target=race, args=(d,)) for d in diner_ids]
        for t in threads:
            t.start()
        for t in threads:
            t.join(timeout=60)
        assert sorted(statuses) == [201] + [409] * (RACERS - 1)
        with Session(engine) as check:
            open_count = check.exec(
                select(func.count()).select_from(Pairing).where(Pairing.cook_id == cook_id)
            ).one()
        assert open_count == 1
    finally:
        app.dependency_overrides.clear()
        engine.dispose()
