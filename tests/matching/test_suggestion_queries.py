"""A suggestion reads the diner's history with the diner and the council: two statements beyond
the sign-in check, whatever the history holds (exclusions, accepted pairings, cover meals)."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, event
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


THURSDAY_NOON = [{"weekday": 3, "start": "12:00", "end": "14:00"}]


@pytest.mark.parametrize(
    ("diner", "reason"),
    [
        ({"postcode": "EN5 5RY"}, "no_cook_in_reach"),  # Barnet, beyond the cook's walk
        ({"availability": THURSDAY_NOON}, "no_shared_time"),
    ],
)
def test_a_diner_with_no_cook_in_reach_or_none_sharing_a_time_takes_one_statement_to_suggest(
    client: TestClient,
    engine: Engine,
    session: Session,
    settings: Settings,
    staff: User,
    diner: dict[str, object],
    reason: str,
):
    """Nothing read fresh (a place taken, a day away, a booked hour) can bring a cook nearer or
    give them a time: the cached index's reason is the answer, as the batch's."""
    approved_cook(client, session, settings, staff)  # N3 1HT: walks 1,500 m; Tuesday evenings
    _, diner_id = registered_diner(client, session, settings, **diner)
    headers = auth_headers(staff, settings)
    session.expunge_all()
    answers = []

    def suggest() -> None:
        response = client.get(f"/api/staff/diners/{diner_id}/suggestions", headers=headers)
        assert response.status_code == 200, response.text
        answers.append(response.json())

    suggest()  # builds this process's index of the council's cooks
    read = beyond_sign_in(selects_run(engine, suggest))
    assert answers == [{"items": [], "unmatched_reason": reason}] * 2
    assert len(read) == 1, read  # the diner: no cook's state to read
    preview = client.post("/api/staff/matching/preview", headers=headers).json()
    assert {u["diner_id"]: u["reason"] for u in preview["unmatched"]}[diner_id] == reason


def test_why_a_diner_has_no_cook_reads_only_the_cooks_in_reach_who_share_a_time(
    client: TestClient, engine: Engine, session: Session, settings: Settings, staff: User
):
    """Of two cooks in reach, one cooks on another day and one shares the diner's hour but not
    their diet: only the second is read again (the first can gain no time from it), and the
    reason is the diet, as the batch says."""
    later = [{"weekday": 3, "start": "17:00", "end": "19:00"}]
    approved_cook(client, session, settings, staff, availability=later)
    _, timely = approved_cook(client, session, settings, staff, diets=[])
    _, diner_id = registered_diner(client, session, settings)  # vegetarian, Tuesday 17:30
    headers = auth_headers(staff, settings)
    session.expunge_all()
    client.get(f"/api/staff/diners/{diner_id}/suggestions", headers=headers)  # the index
    asked: list[Any] = []

    def listener(
        conn: Any, clauseelement: Any, multiparams: Any, params: Any, execution_options: Any
    ) -> None:
        for given in (*multiparams, params):
            if isinstance(given, dict) and "cook_ids" in given:
                asked.append(given["cook_ids"])

    event.listen(engine, "before_execute", listener)
    try:
        said = client.get(f"/api/staff/diners/{diner_id}/suggestions", headers=headers).json()
    finally:
        event.remove(engine, "before_execute", listener)

    assert said == {"items": [], "unmatched_reason": "no_cook_for_diet"}
    # SQLite is sent the ids as a JSON text, PostgreSQL as an array.
    assert [json.loads(ids) if isinstance(ids, str) else list(ids) for ids in asked] == [[timely]]
    preview = client.post("/api/staff/matching/preview", headers=headers).json()
    reasons = {u["diner_id"]: u["reason"] for u in preview["unmatched"]}
    assert reasons[diner_id] == "no_cook_for_diet"
