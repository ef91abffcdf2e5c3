"""`portion backup` while the service writes, and `portion restore`: the same data comes back.
PostgreSQL is backed up with pg_dump: the command says so in one line."""

from __future__ import annotations

import subprocess
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, MetaData, insert, select, text
from sqlmodel import Session

from app.config import get_settings
from app.db import get_session, utcnow
from app.main import app
from app.models import AuditEntry
from tests.conftest import TEST_SETTINGS
from tests.faults.support import AppServer, app_env, populate, portion_command

WAIT_S = 120.0  # only so that a stuck step fails instead of hanging
MARK = "test.backup_writer"


def portion(env: dict[str, str], folder: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [*portion_command(), *args],
        cwd=folder,
        env=env,
        capture_output=True,
        text=True,
        timeout=WAIT_S,
    )


def populated(engine: Engine) -> None:
    """The fault tests' population, made through the app in this process (no server start)."""

    def sessions() -> Iterator[Session]:
        with Session(engine, expire_on_commit=False) as session:
            yield session

    app.dependency_overrides[get_session] = sessions
    app.dependency_overrides[get_settings] = lambda: TEST_SETTINGS
    try:
        with TestClient(app) as api:
            env = {"PORTION_SECRET_KEY": TEST_SETTINGS.secret_key}
            populate(engine, api, env, cooks=3, meals_per_pairing=10)
    finally:
        app.dependency_overrides.clear()


def contents(engine: Engine) -> dict[str, list[tuple[Any, ...]]]:
    """Every row of every table, in primary-key order."""
    tables = MetaData()
    tables.reflect(engine)
    with engine.connect() as conn:
        return {
            name: [tuple(row) for row in conn.execute(select(table).order_by(*table.primary_key))]
            for name, table in tables.tables.items()
        }


def writer(engine: Engine, committed: list[int], started: threading.Event, stop: threading.Event):  # type: ignore[no-untyped-def]
    """One audit entry per transaction, numbered 1, 2, 3 ..., until stopped."""
    n = 0
    while not stop.is_set():
        n += 1
        with engine.begin() as conn:
            row = {"action": MARK, "subject_type": "test", "subject_id": n, "data": {}}
            conn.execute(insert(AuditEntry).values(at=utcnow(), **row))
        committed.append(n)
        if n == 5:
            started.set()
        stop.wait(0.002)  # a busy service, not a write lock held without a break


def test_restore_gives_back_the_same_data_when_backed_up_while_written(
    request: pytest.FixtureRequest, tmp_path: Path
):
    if request.config.getoption("--db") != "sqlite":
        pytest.skip("SQLite's online backup; PostgreSQL uses pg_dump")
    fresh_engine: Engine = request.getfixturevalue("fresh_engine")
    populated(fresh_engine)  # rows in most tables: council, people, pairings, meals, messages
    env = app_env(fresh_engine.url.render_as_string(hide_password=False))
    committed: list[int] = []
    started, stop = threading.Event(), threading.Event()
    thread = threading.Thread(target=writer, args=(fresh_engine, committed, started, stop))
    thread.start()
    try:
        assert started.wait(WAIT_S)
        before = len(committed)
        made = portion(env, tmp_path, "backup", str(tmp_path / "backups" / "portion.db"))
    finally:
        stop.set()
        thread.join(WAIT_S)
    assert made.returncode == 0, made.stderr
    assert made.stdout.startswith("Backed up the database to ")
    source = contents(fresh_engine)
    fresh_engine.dispose()

    restored = portion(env, tmp_path, "restore", "--yes", str(tmp_path / "backups" / "portion.db"))
    assert restored.returncode == 0, restored.stderr
    back = contents(fresh_engine)

    # The backup is one moment of the database: the writer's first k entries, none missing,
    # at least those committed before the backup began.
    written = [row for row in back["audit_entry"] if MARK in row]
    k = len(written)
    numbers = sorted(
        n for (n,) in _query(fresh_engine, "SELECT subject_id FROM audit_entry WHERE action = :a")
    )
    assert numbers == list(range(1, k + 1)) and k >= before
    # Everything else is exactly what the source held.
    kept = {row[0] for row in written}
    expected = [row for row in source["audit_entry"] if MARK not in row or row[0] in kept]
    assert back["audit_entry"] == expected
    assert {name: rows for name, rows in back.items() if name != "audit_entry"} == {
        name: rows for name, rows in source.items() if name != "audit_entry"
    }
    assert sum(map(len, back.values())) > 100  # a population, not empty tables
    with fresh_engine.connect() as conn:
        assert conn.exec_driver_sql("PRAGMA integrity_check").scalar() == "ok"


def _query(engine: Engine, sql: str) -> list[tuple[Any, ...]]:
    with engine.connect() as conn:
        return [tuple(r) for r in conn.execute(text(sql), {"a": MARK})]


def test_backup_points_at_pg_dump_when_database_is_postgresql(
    request: pytest.FixtureRequest, tmp_path: Path
):
    if request.config.getoption("--db") != "sqlite":
        pytest.skip("needs no database server: runs once, in the SQLite run")
    env = app_env("postgresql+psycopg://app@127.0.0.1:9/app")
    refused = portion(env, tmp_path, "backup", str(tmp_path / "portion.dump"))

    assert refused.returncode == 2
    [line] = refused.stderr.splitlines()
    assert "pg_dump" in line and line.startswith("Error: portion backup handles SQLite only")
    assert not (tmp_path / "portion.dump").exists()


def test_restore_refuses_while_the_service_runs_on_the_database_and_restores_after(
    request: pytest.FixtureRequest, tmp_path: Path
):
    """A restore under a running server exited 0 while the server went on acknowledging
    writes that the restore then lost (an outside check: 416 of them)."""
    if request.config.getoption("--db") != "sqlite":
        pytest.skip("SQLite's restore; PostgreSQL uses pg_restore")
    fresh_engine: Engine = request.getfixturevalue("fresh_engine")
    env = app_env(fresh_engine.url.render_as_string(hide_password=False))
    backup = tmp_path / "backups" / "portion.db"
    assert portion(env, tmp_path, "backup", str(backup)).returncode == 0
    with fresh_engine.begin() as conn:  # after the backup: what a restore would take away
        conn.execute(insert(AuditEntry).values(at=utcnow(), action=MARK, subject_type="t", data={}))
    fresh_engine.dispose()

    server = AppServer(env, tmp_path).start()
    try:
        refused = portion(env, tmp_path, "restore", "--yes", str(backup))
    finally:
        server.stop()
    assert refused.returncode == 2
    [line] = refused.stderr.splitlines()
    assert line.startswith("Error: ") and "is in use" in line and "nothing was restored" in line
    assert _query(fresh_engine, "SELECT id FROM audit_entry WHERE action = :a") != []

    restored = portion(env, tmp_path, "restore", "--yes", str(backup))
    assert restored.returncode == 0, restored.stderr
    assert _query(fresh_engine, "SELECT id FROM audit_entry WHERE action = :a") == []
