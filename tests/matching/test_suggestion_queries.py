"""A suggestion reads the diner's history with the diner and the council: two statements beyond
the sign-in check, whatever the history holds (exclusions, accepted pairings, cover meals)."""

from __future__ import annotations

from datetime import UTC, date, datetime

from fastapi.testclient import TestClient
from sqlalchemy import Engine
from sqlmodel import Session

from app.config import Settings
from app.models import Meal, PairExclusion, Pairing, User
from app.vocab import EndReason, ExclusionReason, MealStatus, PairingStatus
from tests.factories import approved_cook, auth_headers, registered_diner
from tests.support.statements import beyond_sign_in, selects_run


def test_history_counts_and_takes_no_query_of_its_own_when_suggesting(
    client: TestClient, engine: Engine, session: Session, settings: Settings, staff: User
):
    # Four equal cooks in one home (ranked by id when none is met): the diner is kept from the
    # first, had an accepted pairing with the third (ended), and a cover meal by the fourth.
    excluded, stranger, paired, covered = (
        approved_cook(client, session, settings, staff)[1] for _ in range(4)
    )
    _, diner_id = registered_diner(client, session, settings)
    assert staff.council_id is not None
    now = datetime.now(UTC)
    ended = Pairing(
        council_id=staff.council_id,
        cook_id=paired,
        diner_id=diner_id,
        status=PairingStatus.ended,
        weekday=1,
        start="17:30",
        frequency="weekly",
        distance_m=0.0,
        accepted_at=now,
        ended_at=now,
        end_reason=EndReason.withdrawn,
    )
    session.add(ended)
    session.flush()
    assert ended.id is not None
    session.add(
        PairExclusion(diner_id=diner_id, cook_id=excluded, reason=ExclusionReason.change_requested)
    )
    session.add(
        Meal(
            pairing_id=ended.id,
            diner_id=diner_id,
            council_id=staff.council_id,
            cook_id=covered,
            date=date(2026, 1, 6),
            start="17:30",
            at=now,
            status=MealStatus.delivered,
            is_cover=True,
        )
    )
    session.commit()
    headers = auth_headers(staff, settings)
    session.expunge_all()  # as a request's own session: nothing loaded yet

    answers = []

    def suggest() -> None:
        response = client.get(
            f"/api/staff/diners/{diner_id}/suggestions?limit=500", headers=headers
        )
        assert response.status_code == 200, response.text
        answers.append(response.json()["items"])

    suggest()  # builds this process's index of the council's cooks (one more query)
    read = beyond_sign_in(selects_run(engine, suggest))
    first, items = answers
    assert items == first
    assert [s["cook_id"] for s in items] == [paired, covered, stranger]
    met = [s["cook_id"] for s in items if "has met this diner before" in s["reasons"]]
    assert met == [paired, covered]
    # The diner with the council, its cook index version and the history; the candidates.
    assert len(read) == 2, read


def test_a_diner_with_no_cook_in_reach_takes_one_statement_when_suggesting(
    client: TestClient, engine: Engine, session: Session, settings: Settings, staff: User
):
    approved_cook(client, session, settings, staff)  # N3 1HT: walks 1,500 m
    _, diner_id = registered_diner(client, session, settings, postcode="EN5 5RY")  # Barnet
    headers = auth_headers(staff, settings)
    session.expunge_all()
    answers = []

    def suggest() -> None:
        response = client.get(f"/api/staff/diners/{diner_id}/suggestions", headers=headers)
        assert response.status_code == 200, response.text
        answers.append(response.json())

    suggest()  # builds this process's index of the council's cooks
    read = beyond_sign_in(selects_run(engine, suggest))
    assert answers[1] == answers[0] == {"items": [], "unmatched_reason": "no_cook_in_reach"}
    assert len(read) == 1, read  # the diner: no candidates to read again
