"""A request hands work to a worker thread only for what blocks (the database): FastAPI runs
every sync dependency in a thread of its own, and each hand-off costs the event loop and the
GIL more than returning a cached object does."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.dependencies import utils
from fastapi.testclient import TestClient
from sqlmodel import Session

from app.config import Settings
from app.models import User
from tests.factories import approved_cook, auth_headers, registered_diner


def test_settings_are_never_fetched_in_a_worker_thread_when_a_signed_in_request_is_answered(
    client: TestClient,
    session: Session,
    settings: Settings,
    staff: User,
    monkeypatch: pytest.MonkeyPatch,
):
    approved_cook(client, session, settings, staff)
    _, diner_id = registered_diner(client, session, settings)
    answered_in_threads: list[Any] = []
    run_in_threadpool = utils.run_in_threadpool

    async def recording(func: Any, *args: Any, **kwargs: Any) -> Any:
        result = await run_in_threadpool(func, *args, **kwargs)
        answered_in_threads.append(result)
        return result

    monkeypatch.setattr(utils, "run_in_threadpool", recording)
    response = client.get(
        f"/api/staff/diners/{diner_id}/suggestions", headers=auth_headers(staff, settings)
    )
    assert response.status_code == 200
    assert response.json()["items"]
    assert answered_in_threads  # the sign-in check (it reads the database) is recorded
    assert not any(isinstance(result, Settings) for result in answered_in_threads)
