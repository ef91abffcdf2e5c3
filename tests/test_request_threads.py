"""A request hands work to a worker thread only for what blocks (the database): FastAPI runs
every sync dependency in a thread of its own, and each hand-off costs the event loop and the
GIL more than returning a cached object does."""

from __future__ import annotations

import asyncio
import functools
import inspect
from collections.abc import Callable, Iterator
from typing import Any

import anyio.to_thread
import pytest
from fastapi.dependencies import utils
from fastapi.testclient import TestClient
from sqlalchemy import Engine
from sqlmodel import Session

from app.config import Settings
from app.main import app
from app.models import User
from app.routing import in_worker_thread
from tests.conftest import TEST_SETTINGS
from tests.factories import approved_cook, auth_headers, registered_diner, staff_headers


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


def test_a_sync_route_hands_the_thread_pool_its_database_work_and_nothing_else(
    real_engine: Engine, monkeypatch: pytest.MonkeyPatch
):
    """On the app's own sessions, a signed-in GET runs two things in worker threads: the
    sign-in check and the route. Checking the route's answer against its response model is
    not a third (FastAPI gives a sync route's answer a thread of its own for that;
    app.routing.in_worker_thread keeps the check on the event loop), nor is closing the
    session on PostgreSQL, a round trip: the route's thread ends its read-only transaction
    (db.end_reads_here)."""
    headers = staff_headers(real_engine, TEST_SETTINGS)
    handed: list[str] = []
    run_sync = anyio.to_thread.run_sync

    async def recording(func: Any, *args: Any, **kwargs: Any) -> Any:
        inner = func.func if isinstance(func, functools.partial) else func
        handed.append(getattr(inner, "__name__", repr(inner)))
        return await run_sync(func, *args, **kwargs)

    monkeypatch.setattr(anyio.to_thread, "run_sync", recording)
    with TestClient(app) as client:
        # The process's first request also asks the health probe whether the schema is
        # current (db._refuse_an_unknown_schema), once: not what this counts.
        assert client.get("/api/staff/diners", headers=headers).status_code == 200
        handed.clear()  # the app's start-up, and that first request
        response = client.get("/api/staff/diners", headers=headers)
    assert response.status_code == 200
    assert response.json() == {"items": [], "total": 0}
    assert handed == ["get_current_auth", "list_council_diners"]


def test_only_a_plain_sync_route_is_wrapped_since_fastapi_streams_a_generator_itself():
    def plain() -> int:
        return 1

    def streamed() -> Iterator[int]:
        yield 1

    async def awaited() -> int:
        return 1

    def decorated(endpoint: Callable[..., Any]) -> Callable[..., Any]:
        @functools.wraps(endpoint)
        def outer(*args: Any, **kwargs: Any) -> Any:  # sync, around a coroutine function
            return endpoint(*args, **kwargs)

        return outer

    def named_func(func: int) -> int:  # run_in_threadpool has a parameter of that name
        return func

    wrapped = in_worker_thread(plain)
    assert inspect.iscoroutinefunction(wrapped) and inspect.unwrap(wrapped) is plain
    assert asyncio.run(wrapped()) == 1
    assert asyncio.run(in_worker_thread(named_func)(func=2)) == 2
    assert in_worker_thread(streamed) is streamed
    assert in_worker_thread(awaited) is awaited
    assert in_worker_thread(decorated(awaited)).__wrapped__ is awaited  # as FastAPI sees it
