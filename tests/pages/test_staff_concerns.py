"""Staff's concern pages with JavaScript off: the list (names, filters by cook and diner),
one concern with everyone's names and contacts, notes signed by name, the reference the raiser
sees, triage through the form (errors beside the fields, then a banner), another council's
concern a 404; and `concerns_about`, the rows the cook's and the diner's records show."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient
from sqlmodel import Session

from app.config import Settings
from app.models import User
from app.pages.staff_concerns import concerns_about
from tests.factories import (
    PairingWorld,
    active_pairing,
    auth_headers,
    create_council,
    create_user,
    registered_diner,
)


def raise_concern(
    client: TestClient, headers: dict[str, str], diner_id: int, *, kind: str = "missed_meal",
    serious: bool = False, text: str = "No meal came on Tuesday",
) -> dict:  # fmt: skip
    made = client.post(
        "/api/concerns",
        json={"diner_id": diner_id, "kind": kind, "serious": serious, "description": text},
        headers=headers,
    )
    assert made.status_code == 201, made.text
    return made.json()


@pytest.fixture
def world(client: TestClient, session: Session, settings: Settings, staff: User) -> PairingWorld:
    """Priya Sharma cooks for Edna Smith, whose carer is Asha Patel; real names and contacts."""
    world = active_pairing(client, session, settings, staff)
    world.carer.full_name, world.carer.phone = "Asha Patel", "+447700900123"
    world.cook.full_name = "Priya Sharma"
    staff.full_name = "Grace Okafor"
    session.add_all([world.carer, world.cook, staff])
    session.commit()
    return world


def test_concerns_about_a_cook_or_a_diner_lists_only_theirs_in_this_council_most_urgent_first(
    client: TestClient, session: Session, settings: Settings, world: PairingWorld
):
    small = raise_concern(client, world.carer_headers, world.diner_id)
    serious = raise_concern(
        client, world.cook_headers, world.diner_id, kind="welfare", serious=True, text="Fell"
    )
    # Another diner of the council, with no cook: theirs is not the cook's.
    other_carer, other_diner = registered_diner(client, session, settings, full_name="Alfred Jones")
    alone = raise_concern(client, auth_headers(other_carer, settings), other_diner)
    # Another council's concern never shows.
    elsewhere = create_council(session, slug="camden-test", lad_codes=["E09000007"])
    elsewhere_staff = create_user(session, role="staff", council=elsewhere)
    assert elsewhere_staff.council_id != world.staff.council_id

    council_id = world.staff.council_id or 0
    by_cook = concerns_about(session, council_id=council_id, cook_id=world.cook_id)
    assert [r.id for r in by_cook] == [serious["id"], small["id"]]  # serious first
    first = by_cook[0]
    assert first.reference == serious["reference"] and first.reference.startswith("EP-")
    assert first.category == "Diner’s welfare" and first.serious and first.status == "open"
    assert first.diner_name == "Edna Smith" and first.diner_id == world.diner_id
    assert first.cook_name == "Priya Sharma" and first.cook_id == world.cook_id
    assert first.raised_by_name == "Priya Sharma" and first.raised_by_words == "cook"
    assert by_cook[1].raised_by_name == "Asha Patel" and by_cook[1].raised_by_words == "carer"
    assert by_cook[1].category == "Missed meal" and not by_cook[1].serious

    by_diner = concerns_about(session, council_id=council_id, diner_id=other_diner)
    assert [(r.id, r.cook_id, r.cook_name) for r in by_diner] == [(alone["id"], None, None)]
    everyone = concerns_about(session, council_id=council_id)
    assert {r.id for r in everyone} == {small["id"], serious["id"], alone["id"]}
    assert concerns_about(session, council_id=elsewhere.id or 0) == []
    assert concerns_about(session, council_id=council_id, cook_id=world.cook_id + 999) == []
