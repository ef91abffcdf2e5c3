"""The sender's loop: one pass for the command, a thread for the web process."""

from __future__ import annotations

import logging
import socket
import threading
import time

import pytest
from sqlalchemy import Engine
from sqlalchemy.exc import DBAPIError

from app.db import make_engine
from app.errors import DATABASE_NOT_MIGRATED
from app.notifications.sender import SmtpMailer
from app.notifications.worker import BackgroundSender, new_worker_id, run_worker
from tests.notifications.conftest import FROM, SmtpCatcher, load, mailer_for, queue


def wait_for(condition, timeout_s: float = 10.0) -> bool:  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.02)
    return False


def test_one_pass_sends_what_is_due_when_run_once(fresh_engine: Engine, smtp: SmtpCatcher):
    queue(fresh_engine, 3)

    sent = run_worker(
        threading.Event(),
        interval_s=60,
        engine=fresh_engine,
        mailer=mailer_for(smtp),
        mail_from=FROM,
        once=True,
    )

    assert sent == 3 and len(smtp.messages) == 3


def test_loop_drains_full_batches_without_waiting_when_many_are_due(
    fresh_engine: Engine, smtp: SmtpCatcher
):
    queue(fresh_engine, 7)
    sender = BackgroundSender(
        interval_s=60, engine=fresh_engine, mailer=mailer_for(smtp), mail_from=FROM, batch=3
    ).start()
    try:
        assert wait_for(lambda: len(smtp.messages) == 7)  # 3 + 3 + 1, long before 60 s
    finally:
        sender.stop()
    assert not sender.running


def test_background_sender_delivers_and_stops_when_asked(fresh_engine: Engine, smtp: SmtpCatcher):
    sender = BackgroundSender(
        interval_s=0.05, engine=fresh_engine, mailer=mailer_for(smtp), mail_from=FROM
    ).start()
    try:
        [queued] = queue(fresh_engine)  # queued while the thread is already polling
        assert wait_for(lambda: load(fresh_engine, queued.id).status == "sent")
        assert smtp.message_ids() == [queued.message_id]
    finally:
        sender.stop()
    assert not sender.running


def test_failures_back_off_quietly_when_no_smtp_server_listens(
    fresh_engine: Engine, smtp_down: SmtpCatcher, caplog: pytest.LogCaptureFixture
):
    queue(fresh_engine, 4)
    caplog.set_level(logging.INFO, logger="portion.notifications")
    sender = BackgroundSender(
        interval_s=0.02, engine=fresh_engine, mailer=mailer_for(smtp_down), mail_from=FROM
    ).start()
    time.sleep(0.5)  # some 25 passes
    sender.stop()

    warnings = [r for r in caplog.records if r.levelno >= logging.WARNING]
    assert len(warnings) == 1  # the first pass; the rest find nothing due (backed off)
    assert not sender.running


class Passes(threading.Event):
    """Set at the loop's `count`th wait between passes: it runs that many passes and stops."""

    def __init__(self, count: int) -> None:
        super().__init__()
        self.left = count

    def wait(self, timeout: float | None = None) -> bool:
        self.left -= 1
        if self.left <= 0:
            self.set()
        return self.is_set()


def test_loop_says_once_and_waits_without_a_traceback_when_the_database_is_not_migrated(
    empty_database: str, caplog: pytest.LogCaptureFixture
):
    # `portion send-notifications --loop` on an unmigrated database logged a traceback every
    # pass (an operator's walk).
    unmigrated = make_engine(empty_database)
    mailer = SmtpMailer(host="127.0.0.1", port=1, timeout_s=1)
    caplog.set_level(logging.INFO, logger="portion.notifications")
    try:
        sent = run_worker(
            Passes(3), interval_s=60, engine=unmigrated, mailer=mailer, mail_from=FROM
        )
        assert sent == 0
        said = [r for r in caplog.records if r.name == "portion.notifications"]
        assert [r.getMessage() for r in said] == [
            f"{DATABASE_NOT_MIGRATED}: notifications wait until it is"
        ]
        assert said[0].exc_info is None and "portion migrate" in DATABASE_NOT_MIGRATED

        with pytest.raises(DBAPIError):  # one pass (the command) reports the error instead
            run_worker(
                threading.Event(),
                interval_s=1,
                engine=unmigrated,
                mailer=mailer,
                mail_from=FROM,
                once=True,
            )
    finally:
        unmigrated.dispose()


def test_loop_says_in_one_line_without_a_traceback_when_the_database_is_unreachable(
    caplog: pytest.LogCaptureFixture,
):
    """While the database is down the sender says so once a pass, as a request's 503 does,
    instead of a traceback every few seconds."""
    with socket.socket() as probe:  # a port nothing listens on: connections are refused
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    unreachable = make_engine(f"postgresql+psycopg://portion@127.0.0.1:{port}/portion")
    mailer = SmtpMailer(host="127.0.0.1", port=1, timeout_s=1)
    caplog.set_level(logging.INFO, logger="portion.notifications")
    try:
        sender = BackgroundSender(
            interval_s=0.05, engine=unreachable, mailer=mailer, mail_from=FROM
        ).start()
        assert wait_for(lambda: caplog.text.count("the database is unavailable") >= 2)
        assert sender.running
        sender.stop()
    finally:
        unreachable.dispose()
    passes = [r for r in caplog.records if r.name == "portion.notifications"]
    assert all(r.exc_info is None for r in passes)
    assert "notification pass failed" not in caplog.text


def test_worker_ids_differ_when_made_in_one_process():
    ids = {new_worker_id() for _ in range(50)}
    assert len(ids) == 50 and all(len(i) <= 64 for i in ids)
