"""The notification worker (`portion send-notifications`) killed while sending: nothing is lost,
and a message goes twice only when the kill falls between the mail server's acceptance and our
commit, then with the same Message-ID."""

from __future__ import annotations

import asyncio
import sqlite3
import subprocess
import sys
import threading
import time
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta
from pathlib import Path

from sqlalchemy import Engine
from sqlmodel import Session, select

from app.db import utcnow
from app.models import Notification
from app.notifications.sender import DEFAULT_LEASE
from tests.faults.support import app_env, portion_command
from tests.notifications.conftest import SmtpCatcher, load, queue

WAIT_S = 60.0  # only so that a stuck step fails instead of hanging


class HoldingCatcher(SmtpCatcher):
    """Keeps the first message it receives without answering its DATA until released; counts
    the QUITs (a client that sent QUIT has had its 250)."""

    def __init__(self) -> None:
        super().__init__()
        self.holding = threading.Event()
        self.release = threading.Event()
        self.quits = 0

    async def handle_DATA(self, server, session, envelope) -> str:
        answer = await super().handle_DATA(server, session, envelope)
        if len(self.messages) == 1:
            self.holding.set()
            while not self.release.is_set():
                await asyncio.sleep(0.01)
        return answer

    async def handle_QUIT(self, server, session, envelope) -> str:
        self.quits += 1
        return "221 Bye"


def wait_for(condition, what: str) -> None:  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + WAIT_S
    while not condition():
        assert time.monotonic() < deadline, f"gave up waiting for {what}"
        time.sleep(0.01)


@contextmanager
def outcome_blocked(engine: Engine, notification_id: int) -> Iterator[None]:
    """Hold the lock the worker needs to record a message's outcome, so it cannot commit."""
    if engine.dialect.name == "sqlite":
        conn = sqlite3.connect(str(engine.url.database), isolation_level=None)
        conn.execute("BEGIN IMMEDIATE")  # the database's write lock
        try:
            yield
        finally:
            conn.rollback()
            conn.close()
        return
    with Session(engine) as s:
        s.exec(select(Notification).where(Notification.id == notification_id).with_for_update())
        try:
            yield
        finally:
            s.rollback()


def send_command(env: dict[str, str], *, later: timedelta | None = None) -> list[str]:
    """`portion send-notifications` (one pass), on a clock `later` ahead of the real one."""
    if later is None:
        return [*portion_command(), "send-notifications"]
    code = (
        "import sys, time_machine; from datetime import UTC, datetime, timedelta; "
        f"time_machine.travel(datetime.now(UTC) + timedelta(seconds={later.total_seconds()}), "
        "tick=True).start(); from app.cli import main; "
        "sys.argv = ['portion', 'send-notifications']; main()"
    )
    return [sys.executable, "-c", code]


def run_pass(env: dict[str, str], folder: Path, *, later: timedelta | None = None) -> str:
    done = subprocess.run(
        send_command(env, later=later),
        cwd=folder,
        env=env,
        capture_output=True,
        text=True,
        timeout=WAIT_S,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    return done.stdout.strip()


def test_no_message_is_lost_and_a_resend_keeps_its_message_id_when_worker_is_killed(
    fresh_engine: Engine, tmp_path: Path
):
    accepted, never_sent = queue(fresh_engine, 2)
    catcher = HoldingCatcher().start()
    env = app_env(
        fresh_engine.url.render_as_string(hide_password=False),
        smtp_host="127.0.0.1",
        smtp_port=str(catcher.port),
    )
    try:
        worker = subprocess.Popen(
            send_command(env),
            cwd=tmp_path,
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
        )
        try:
            wait_for(catcher.holding.is_set, "the worker to send its first message")
            assert accepted.id is not None
            with outcome_blocked(fresh_engine, accepted.id):
                catcher.release.set()  # the server answers 250 ...
                wait_for(lambda: catcher.quits >= 1, "the worker to have its 250")
                worker.kill()  # ... and the worker dies before it records "sent"
                worker.wait(WAIT_S)
        finally:
            if worker.poll() is None:
                worker.kill()
                worker.wait(WAIT_S)
        assert catcher.message_ids() == [accepted.message_id]
        for claimed in (load(fresh_engine, accepted.id), load(fresh_engine, never_sent.id)):
            assert claimed.status == "pending" and claimed.claimed_by is not None
            assert claimed.claimed_until is not None and claimed.claimed_until > utcnow()

        # While the dead worker's lease lasts, nobody else takes its messages.
        assert run_pass(env, tmp_path) == "Sent 0 notification(s)."
        assert catcher.message_ids() == [accepted.message_id]

        # After it, the next pass sends both: the accepted one again, with its Message-ID.
        later = DEFAULT_LEASE + timedelta(minutes=1)
        assert run_pass(env, tmp_path, later=later) == "Sent 2 notification(s)."
    finally:
        catcher.release.set()
        catcher.stop()

    assert Counter(catcher.message_ids()) == {accepted.message_id: 2, never_sent.message_id: 1}
    with Session(fresh_engine) as s:
        for n in s.exec(select(Notification)):
            assert (n.status, n.attempts, n.claimed_by) == ("sent", 1, None), n
