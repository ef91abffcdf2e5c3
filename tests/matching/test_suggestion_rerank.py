"""Suggestions re-ranked with fresh loads give the same first cards whatever the limit (the
re-rank looks only at the cooks that could still reach the first `limit` places)."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient
from sqlmodel import Session

from app.config import Settings
from app.models import User
from tests.factories import approved_cook, auth_headers, registered_diner


def suggested_ids(
    client: TestClient, staff: User, settings: Settings, diner_id: int, limit: int
) -> list[int]:
    response = client.get(
        f"/api/staff/diners/{diner_id}/suggestions?limit={limit}",
        headers=auth_headers(staff, settings),
    )
    assert response.status_code == 200, response.text
    return [s["cook_id"] for s in response.json()["items"]]


def test_first_cards_equal_the_full_ranking_when_the_best_cook_already_has_a_diner(
    client: TestClient, session: Session, settings: Settings, staff: User
):
    # Three cooks in one home, equal but for their ids: ranked by id until one has a diner.
    cooks = [approved_cook(client, session, settings, staff)[1] for _ in range(3)]
    early = [{"weekday": 1, "start": "17:00", "end": "19:00"}]
    _, first = registered_diner(client, session, settings, availability=early)
    _, second = registered_diner(client, session, settings)
    assert suggested_ids(client, staff, settings, second, limit=500) == cooks
    body = {  # at 17:00, which leaves the loaded cook 18:30 for another diner (engine.busy)
        "diner_id": first,
        "cook_id": cooks[0],
        "weekday": 1,
        "start": "17:00",
        "frequency": "weekly",
    }
    proposed = client.post("/api/staff/pairings", json=body, headers=auth_headers(staff, settings))
    assert proposed.status_code == 201, proposed.text
    everyone = suggested_ids(client, staff, settings, second, limit=500)
    assert everyone == [cooks[1], cooks[2], cooks[0]]  # the loaded cook goes last
    for limit in (1, 2, 3):
        assert suggested_ids(client, staff, settings, second, limit=limit) == everyone[:limit]


@pytest.mark.parametrize("answered", [False, True], ids=["proposed", "active"])
def test_a_diners_own_pairing_does_not_take_its_cooks_time_from_them(
    client: TestClient, session: Session, settings: Settings, staff: User, answered: bool
):
    """With a proposal (or a cook) of their own, the diner's suggestions were empty and said
    "no_shared_time": their own pairing had taken their cook's Tuesday (an outside check)."""
    headers = auth_headers(staff, settings)
    cook_user, cook_id = approved_cook(client, session, settings, staff)
    _, diner_id = registered_diner(client, session, settings)
    before = client.get(f"/api/staff/diners/{diner_id}/suggestions", headers=headers).json()
    body = {"diner_id": diner_id, "cook_id": cook_id, "weekday": 1, "start": "17:30",
            "frequency": "weekly"}  # fmt: skip
    proposed = client.post("/api/staff/pairings", json=body, headers=headers)
    assert proposed.status_code == 201, proposed.text
    if answered:
        accepted = client.post(
            f"/api/pairings/{proposed.json()['id']}/accept",
            headers=auth_headers(cook_user, settings),
        )
        assert accepted.status_code == 200, accepted.text

    after = client.get(f"/api/staff/diners/{diner_id}/suggestions", headers=headers).json()

    assert after["unmatched_reason"] is None
    assert [s["cook_id"] for s in after["items"]] == [cook_id]
    assert after["items"][0]["slots"] == before["items"][0]["slots"]
