"""POST /api/staff/matching/run answers, for each pairing it wrote, what the pairings' own
presenter (pairing_out, staff view) says of the stored row; and names the unmatched diners."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient
from sqlmodel import Session

from app.config import Settings
from app.matching import service
from app.matching.schemas import BatchOut
from app.models import Cook, Diner, Notification, Pairing, User
from app.pairings.presenters import pairing_out
from tests.factories import approved_cook, auth_headers, registered_diner


@pytest.mark.parametrize("beside_from", [service._BESIDE_FROM, 1], ids=["here", "beside"])
def test_run_answer_is_the_presenters_view_of_the_rows_written(
    client: TestClient,
    session: Session,
    settings: Settings,
    staff: User,
    monkeypatch: pytest.MonkeyPatch,
    beside_from: int,
):
    # "beside": the rows written by a thread of their own while this one words the
    # invitations and makes the answer, as a batch of 1,000 proposals or more does on
    # PostgreSQL (here on either database).
    monkeypatch.setattr(service, "_BESIDE_FROM", beside_from)
    monkeypatch.setattr(service, "_BESIDE_ON", {"sqlite", "postgresql"})
    cooks = [
        approved_cook(client, session, settings, staff)[1],
        approved_cook(client, session, settings, staff, textures=["pureed"], display_name="Sam")[1],
    ]
    edna = registered_diner(
        client, session, settings, full_name="Mrs Edna Smith", other_allergies="Kiwi fruit"
    )[1]
    ann = registered_diner(
        client, session, settings, full_name="Ann-Marie Jones", texture="pureed", diets=[],
        allergies=["peanuts", "tree_nuts"],
    )[1]  # fmt: skip
    nobody = registered_diner(
        client, session, settings, full_name="Dr. Jo Bloggs",
        availability=[{"weekday": 5, "start": "12:00", "end": "13:00"}],
    )[1]  # fmt: skip

    response = client.post("/api/staff/matching/run", headers=auth_headers(staff, settings))
    assert response.status_code == 200, response.text
    body = response.json()
    # Byte for byte what BatchOut sends for it: the answer is built without the model.
    assert response.content == BatchOut.model_validate(body).model_dump_json().encode()

    assert sorted(p["diner_id"] for p in body["proposed"]) == [edna, ann]
    session.expire_all()
    for item in body["proposed"]:
        pairing = session.get(Pairing, item["id"])
        assert pairing is not None and pairing.cook_id in cooks
        diner, cook = session.get(Diner, pairing.diner_id), session.get(Cook, pairing.cook_id)
        assert diner is not None and cook is not None
        expected = pairing_out(pairing, diner=diner, cook=cook, viewer_role="staff")
        assert item == expected.model_dump(mode="json")
        [invitation] = session.exec(
            Notification.__table__.select().where(  # type: ignore[attr-defined]
                Notification.dedupe_key.startswith(f"pairing:{pairing.id}:")  # type: ignore[attr-defined]
            )
        ).all()
        assert invitation.to_user_id == cook.user_id and invitation.about_diner_id == diner.id
    others = {p["diner_id"]: p["diner"]["other_allergies"] for p in body["proposed"]}
    assert others == {edna: "Kiwi fruit", ann: None}
    names = {p["diner_id"]: p["diner"]["first_name"] for p in body["proposed"]}
    assert names == {edna: "Edna", ann: "Ann-Marie"}
    assert body["unmatched"] == [
        {"diner_id": nobody, "first_name": "Jo", "reason": "no_shared_time"}
    ]
