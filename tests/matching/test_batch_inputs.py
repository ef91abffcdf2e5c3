"""The batch's diners and history, one query each (app.matching.batch_inputs), give what
inputs.waiting_diner_rows and inputs.history give, for a worked case."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

from fastapi.testclient import TestClient
from sqlalchemy import update
from sqlmodel import Session

from app.config import Settings
from app.councils.rules import council_today
from app.matching.batch_inputs import waiting_diners, waiting_history
from app.matching.inputs import history, waiting_diner_rows
from app.models import Council, Diner, Meal, PairExclusion, Pairing, User
from app.vocab import DinerStatus, ExclusionReason, MealStatus, PairingStatus
from tests.factories import approved_cook, registered_diner

NOW = datetime(2026, 1, 5, 12, 0, tzinfo=UTC)


def pairing(council: Council, diner: int, cook: int, status: str, accepted: bool) -> Pairing:
    assert council.id is not None
    return Pairing(
        council_id=council.id, cook_id=cook, diner_id=diner, status=status, weekday=1,
        start="17:30", frequency="weekly", distance_m=300.0,
        accepted_at=NOW if accepted else None,
    )  # fmt: skip


def meal(p: Pairing, cook: int, *, cover: bool, status: str, day: int) -> Meal:
    assert p.id is not None
    return Meal(
        pairing_id=p.id, diner_id=p.diner_id, council_id=p.council_id, cook_id=cook,
        date=date(2026, 1, day), start="17:30", at=NOW, status=status, is_cover=cover,
    )  # fmt: skip


def test_waiting_diners_and_their_history_match_the_per_id_queries(
    client: TestClient,
    session: Session,
    settings: Settings,
    staff: User,
    barnet: Council,
    tower_hamlets: Council,
):
    cooks = [approved_cook(client, session, settings, staff)[1] for _ in range(6)]
    one, two, three, four, five, six = cooks
    a, b, paused, elsewhere, matched, proposed = (
        registered_diner(client, session, settings, full_name=f"Diner {n}")[1] for n in range(6)
    )
    a_other_texture = registered_diner(
        client, session, settings, texture="pureed", frequency="fortnightly",
        availability=[{"weekday": 3, "start": "12:00", "end": "14:00"}],
    )[1]  # fmt: skip
    today = council_today(barnet)
    session.exec(  # type: ignore[call-overload]
        update(Diner)
        .where(Diner.id == paused)  # type: ignore[arg-type]
        .values(paused_from=today - timedelta(days=1), paused_to=today + timedelta(days=6))
    )
    session.exec(update(Diner).where(Diner.id == elsewhere).values(council_id=tower_hamlets.id))  # type: ignore[call-overload, arg-type]
    session.exec(update(Diner).where(Diner.id == matched).values(status=DinerStatus.matched))  # type: ignore[call-overload, arg-type]

    ended = pairing(barnet, a, two, PairingStatus.ended, accepted=True)
    declined = pairing(barnet, b, three, PairingStatus.declined, accepted=False)
    session.add_all([ended, declined, pairing(barnet, proposed, one, "proposed", accepted=False)])
    session.flush()
    session.add_all(
        [
            PairExclusion(diner_id=a, cook_id=one, reason=ExclusionReason.change_requested),
            meal(ended, three, cover=True, status=MealStatus.delivered, day=6),  # met
            meal(ended, four, cover=True, status=MealStatus.scheduled, day=13),  # not yet
            meal(ended, five, cover=False, status=MealStatus.delivered, day=20),  # not a cover
            meal(declined, six, cover=True, status=MealStatus.cancelled, day=6),
            # History of diners the batch does not take: another council's, a matched one's,
            # one with an open pairing, a paused one.
            PairExclusion(diner_id=elsewhere, cook_id=one, reason=ExclusionReason.concern_upheld),
            PairExclusion(diner_id=matched, cook_id=one, reason=ExclusionReason.concern_upheld),
            PairExclusion(diner_id=proposed, cook_id=two, reason=ExclusionReason.concern_upheld),
            PairExclusion(diner_id=paused, cook_id=two, reason=ExclusionReason.concern_upheld),
        ]
    )
    session.flush()

    rows = waiting_diners(session, council_id=barnet.id or 0, today=today)
    assert rows == waiting_diner_rows(session, council=barnet, today=today)
    assert [r.id for r in rows] == [a, b, a_other_texture]
    assert rows[2].texture == "pureed" and rows[2].frequency == "fortnightly"
    assert type(rows[2].texture) is type(rows[0].texture)  # the vocabulary's enum

    ids = [r.id for r in rows]
    found = waiting_history(session, council_id=barnet.id or 0, diner_ids=ids)
    assert found == history(session, ids)
    excluded, met = found
    # b's cook three declined: not offered b again, unless asked (a proposal by hand, a cover).
    assert excluded == {a: {one}, b: {three}, a_other_texture: set()}
    assert met == {a: {two, three}, b: set(), a_other_texture: set()}
    by_hand, _ = history(session, ids, declined_excluded=False)
    assert by_hand == {a: {one}, b: set(), a_other_texture: set()}
