"""Batch matching in two steps: POST /api/staff/matching/preview writes nothing, and
POST /api/staff/matching/confirm proposes only the pairs kept, each checked again.

The world: two approved cooks at N3 1HT (Priya's defaults: vegetarian and halal, peanut- and
tree-nut-free, Tuesdays 17:00-19:00, two places each) and two waiting diners at N3 1QX (Edna's
defaults: vegetarian, peanut allergy, Tuesdays 17:30-19:00, weekly). The batch gives each cook
one diner (two equally good cooks share the diners), so the preview has two pairs.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func
from sqlmodel import Session, select

from app.config import Settings
from app.models import AuditEntry, Cook, CookAway, Council, Notification, Pairing, User
from tests.factories import approved_cook, auth_headers, create_user, registered_diner

PREVIEW = "/api/staff/matching/preview"
CONFIRM = "/api/staff/matching/confirm"


@dataclass(frozen=True)
class World:
    headers: dict[str, str]
    cook_ids: list[int]
    diner_ids: list[int]
    carers: list[User]


@pytest.fixture
def world(client: TestClient, session: Session, settings: Settings, staff: User) -> World:
    cooks = [approved_cook(client, session, settings, staff)[1] for _ in range(2)]
    carers, diners = [], []
    for name in ("Edna Smith", "Olive Brown"):
        carer, diner_id = registered_diner(client, session, settings, full_name=name)
        carers.append(carer)
        diners.append(diner_id)
    return World(auth_headers(staff, settings), cooks, diners, carers)


def _counts(session: Session) -> tuple[int, int, int]:
    return (
        session.exec(select(func.count()).select_from(Pairing)).one(),
        session.exec(select(func.count()).select_from(Notification)).one(),
        session.exec(select(func.count()).select_from(AuditEntry)).one(),
    )


def _preview(client: TestClient, world: World) -> dict:
    response = client.post(PREVIEW, headers=world.headers)
    assert response.status_code == 200, response.text
    return response.json()


def _keep(preview: dict, *diner_ids: int) -> dict:
    pairs = [
        {"diner_id": p["diner_id"], "cook_id": p["cook_id"]}
        for p in preview["proposed"]
        if p["diner_id"] in diner_ids
    ]
    return {"preview_id": preview["preview_id"], "pairs": pairs}


def _open_pairings(session: Session) -> list[tuple[int, int, str]]:
    rows = session.exec(select(Pairing.diner_id, Pairing.cook_id, Pairing.status)).all()
    return sorted((d, c, str(s)) for d, c, s in rows)


def test_preview_writes_nothing_when_every_diner_could_be_matched(client, session, world):
    before = _counts(session)
    preview = _preview(client, world)
    assert _counts(session) == before
    assert sorted(p["diner_id"] for p in preview["proposed"]) == sorted(world.diner_ids)
    assert sorted(p["cook_id"] for p in preview["proposed"]) == sorted(world.cook_ids)
    first = preview["proposed"][0]
    assert (first["weekday"], first["start"], first["frequency"]) == (1, "17:30", "weekly")
    assert "both free Tuesday 17:30\u201319:00" in first["reasons"]
    assert "free from peanuts" in first["reasons"]
    assert preview["unmatched"] == []


def test_preview_proposes_what_matching_run_writes_when_nothing_changed_between(
    client, session, world
):
    preview = _preview(client, world)
    run = client.post("/api/staff/matching/run", headers=world.headers)
    assert run.status_code == 200, run.text
    planned = sorted(
        (p["diner_id"], p["cook_id"], p["weekday"], p["start"]) for p in preview["proposed"]
    )
    written = sorted(
        (p["diner_id"], p["cook_id"], p["weekday"], p["start"]) for p in run.json()["proposed"]
    )
    assert planned == written


def test_confirm_proposes_only_the_kept_pair_when_the_other_is_unticked(client, session, world):
    preview = _preview(client, world)
    kept_diner, unticked_diner = world.diner_ids
    [kept] = [p for p in preview["proposed"] if p["diner_id"] == kept_diner]
    response = client.post(CONFIRM, json=_keep(preview, kept_diner), headers=world.headers)
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["refused"] == []
    [pairing] = body["proposed"]
    assert (pairing["diner_id"], pairing["cook_id"], pairing["status"]) == (
        kept_diner,
        kept["cook_id"],
        "proposed",
    )
    assert _open_pairings(session) == [(kept_diner, kept["cook_id"], "proposed")]
    invited = session.exec(select(Notification).where(Notification.event == "proposal")).all()
    assert [n.about_diner_id for n in invited] == [kept_diner]
    assert unticked_diner not in [p.diner_id for p in session.exec(select(Pairing)).all()]


def test_confirm_is_audited_once_with_what_it_did_and_answers_as_before(client, session, world):
    """The batch's confirmation is a staff decision, audited as ``matching.run`` is: with its
    counts and the ids the staff pages' result page reads back (app.matching.outcome); the
    answer keeps API.md's shape."""
    preview = _preview(client, world)
    kept_diner, _ = world.diner_ids
    response = client.post(CONFIRM, json=_keep(preview, kept_diner), headers=world.headers)
    assert response.status_code == 200, response.text
    assert set(response.json()) == {"proposed", "refused"}
    [entry] = session.exec(select(AuditEntry).where(AuditEntry.action == "matching.confirmed"))
    [pairing] = session.exec(select(Pairing)).all()
    assert entry.subject_type == "council" and entry.data["pairing_ids"] == [pairing.id]
    assert (entry.data["proposed"], entry.data["refused"], entry.data["unticked"]) == (1, 0, 1)
    assert entry.data["refused_pairs"] == []
    [unticked] = [p for p in preview["proposed"] if p["diner_id"] != kept_diner]
    assert entry.data["unticked_pairs"] == [[unticked["diner_id"], unticked["cook_id"]]]


def test_confirm_answers_409_when_a_diners_needs_changed_after_preview(
    client, session, settings, world
):
    """API.md: "a preview older than the data it was made from answers 409". A diner's own
    change refused only its pair before, and the rest went ahead (200, an outside check)."""
    preview = _preview(client, world)
    unsafe, safe = world.diner_ids
    # Sesame: neither cook keeps it out.
    changed = client.patch(
        f"/api/diners/{unsafe}",
        json={"allergies": ["peanuts", "sesame"]},
        headers=auth_headers(world.carers[0], settings),
    )
    assert changed.status_code == 200, changed.text
    response = client.post(CONFIRM, json=_keep(preview, unsafe, safe), headers=world.headers)
    assert response.status_code == 409, response.text
    assert "their needs" in response.json()["detail"]
    assert _open_pairings(session) == []


def test_confirm_answers_409_when_a_diners_other_foods_changed_after_preview(
    client, session, settings, world
):
    """The other foods (beyond the 14, in the carer's words) are needs too: staff reviewed the
    pairs against the foods as they were. A change of them alone went through (200)."""
    preview = _preview(client, world)
    changed = client.patch(
        f"/api/diners/{world.diner_ids[0]}",
        json={"other_allergies": "Kiwi fruit"},
        headers=auth_headers(world.carers[0], settings),
    )
    assert changed.status_code == 200, changed.text
    response = client.post(CONFIRM, json=_keep(preview, *world.diner_ids), headers=world.headers)
    assert response.status_code == 409, response.text
    assert "their needs" in response.json()["detail"]
    assert _open_pairings(session) == []


def test_confirm_answers_409_when_a_cook_said_they_will_be_away_after_preview(
    client, session, settings, world
):
    preview = _preview(client, world)
    cook = session.get(Cook, world.cook_ids[0])
    assert cook is not None
    session.add(CookAway(cook_id=cook.id, from_date=date(2099, 1, 1), to_date=date(2099, 1, 7)))
    session.commit()
    response = client.post(CONFIRM, json=_keep(preview, *world.diner_ids), headers=world.headers)
    assert response.status_code == 409, response.text
    assert _open_pairings(session) == []


def test_confirm_answers_409_and_proposes_nothing_when_a_diner_registered_after_preview(
    client, session, settings, world
):
    preview = _preview(client, world)
    registered_diner(client, session, settings, full_name="Mabel Jones")
    response = client.post(CONFIRM, json=_keep(preview, *world.diner_ids), headers=world.headers)
    assert response.status_code == 409, response.text
    assert "out of date" in response.json()["detail"]
    assert _open_pairings(session) == []


def test_confirm_answers_409_when_a_cook_changed_after_preview(client, session, world):
    preview = _preview(client, world)
    cook = session.get(Cook, world.cook_ids[0])
    assert cook is not None
    cook.max_diners = 3  # a new row version: the batch might now choose differently
    session.add(cook)
    session.commit()
    response = client.post(CONFIRM, json=_keep(preview, *world.diner_ids), headers=world.headers)
    assert response.status_code == 409, response.text


def test_confirm_answers_409_when_the_same_preview_is_confirmed_twice(client, session, world):
    preview = _preview(client, world)
    first = client.post(CONFIRM, json=_keep(preview, world.diner_ids[0]), headers=world.headers)
    assert first.status_code == 200, first.text
    again = client.post(CONFIRM, json=_keep(preview, *world.diner_ids), headers=world.headers)
    assert again.status_code == 409, again.text
    assert len(_open_pairings(session)) == 1


def test_confirm_answers_404_when_the_preview_is_another_councils(
    client, session, settings, world, tower_hamlets: Council
):
    preview = _preview(client, world)
    other = create_user(session, role="staff", council=tower_hamlets)
    response = client.post(
        CONFIRM, json=_keep(preview, *world.diner_ids), headers=auth_headers(other, settings)
    )
    assert response.status_code == 404, response.text
    assert _open_pairings(session) == []


def test_confirm_answers_404_when_the_preview_is_another_staff_members(
    client, session, settings, world, barnet: Council
):
    preview = _preview(client, world)
    colleague = create_user(session, role="staff", council=barnet)
    response = client.post(
        CONFIRM, json=_keep(preview, *world.diner_ids), headers=auth_headers(colleague, settings)
    )
    assert response.status_code == 404, response.text


def test_confirm_answers_404_when_the_preview_id_is_forged(client, world):
    preview = _preview(client, world)
    body = _keep(preview, *world.diner_ids)
    head, payload, signature = body["preview_id"].split(".")
    body["preview_id"] = f"{head}.{payload}.{signature[::-1]}"
    response = client.post(CONFIRM, json=body, headers=world.headers)
    assert response.status_code == 404, response.text


def test_confirm_answers_422_naming_the_pair_when_it_was_not_in_the_preview(client, session, world):
    preview = _preview(client, world)
    body = _keep(preview, *world.diner_ids)
    body["pairs"].append({"diner_id": world.diner_ids[0], "cook_id": 999_999})
    response = client.post(CONFIRM, json=body, headers=world.headers)
    assert response.status_code == 422, response.text
    [issue] = response.json()["detail"]
    assert (issue["loc"], issue["type"]) == (["body", "pairs", 2], "not_in_preview")
    assert _open_pairings(session) == []
