"""The cached cook index is keyed by the council's latest cook change; a cook who leaves the
council, which lowers nothing, is caught by the candidates' own row versions."""

from __future__ import annotations

from fastapi.testclient import TestClient
from sqlalchemy import delete, update
from sqlmodel import Session

from app.config import Settings
from app.models import Cook, User
from tests.factories import approved_cook, auth_headers, create_council, registered_diner


def suggested_ids(client: TestClient, staff: User, settings: Settings, diner_id: int) -> list:
    answer = client.get(
        f"/api/staff/diners/{diner_id}/suggestions", headers=auth_headers(staff, settings)
    )
    assert answer.status_code == 200, answer.text
    return [item["cook_id"] for item in answer.json()["items"]]


def cached_pair(
    client: TestClient, session: Session, settings: Settings, staff: User
) -> tuple[int, int, int]:
    """Two suggested cooks, the second changed last (it holds the council's latest change),
    and the index built after that change."""
    _, first = approved_cook(client, session, settings, staff)
    _, second = approved_cook(client, session, settings, staff)
    session.exec(update(Cook).where(Cook.id == second).values(display_name="Sam"))  # type: ignore[call-overload]
    session.commit()
    _, diner_id = registered_diner(client, session, settings)
    assert sorted(suggested_ids(client, staff, settings, diner_id)) == sorted([first, second])
    return first, second, diner_id


def test_cook_who_moved_to_another_council_is_not_suggested_when_index_was_cached(
    client: TestClient, session: Session, settings: Settings, staff: User
):
    first, second, diner_id = cached_pair(client, session, settings, staff)
    elsewhere = create_council(session, lad_codes=["E09000030"])
    # Another process moves the first cook with plain SQL: the council's latest change stays
    # the second cook's.
    session.exec(update(Cook).where(Cook.id == first).values(council_id=elsewhere.id))  # type: ignore[call-overload]
    session.commit()
    assert suggested_ids(client, staff, settings, diner_id) == [second]


def test_deleted_cook_is_not_suggested_when_index_was_cached(
    client: TestClient, session: Session, settings: Settings, staff: User
):
    first, second, diner_id = cached_pair(client, session, settings, staff)
    session.exec(delete(Cook).where(Cook.id == first))  # type: ignore[call-overload]
    session.commit()
    assert suggested_ids(client, staff, settings, diner_id) == [second]
