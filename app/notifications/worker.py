"""Running the sender: one pass, a loop (`portion send-notifications --loop`), or a thread."""

from __future__ import annotations

import logging
import os
import secrets
import socket
import threading

from sqlalchemy import Engine
from sqlalchemy.exc import SQLAlchemyError

from app.db import reader, schema_heads, schema_revisions
from app.errors import DATABASE_NOT_MIGRATED, database_unavailable
from app.notifications.sender import DEFAULT_BATCH, Channels, Mailer, SessionFactory, send_due

log = logging.getLogger("portion.notifications")


def new_worker_id() -> str:
    """Unique per worker (host, process, random), at most 64 characters."""
    return f"{socket.gethostname()[:40]}:{os.getpid()}:{secrets.token_hex(4)}"


def run_worker(
    stop_event: threading.Event,
    *,
    interval_s: float,
    engine: Engine | SessionFactory,
    mailer: Mailer | None = None,
    mail_from: str = "",
    channels: Channels | None = None,
    worker_id: str | None = None,
    batch: int = DEFAULT_BATCH,
    once: bool = False,
) -> int:
    """Send due messages until `stop_event` is set (or after one pass); return how many."""
    worker_id = worker_id or new_worker_id()
    total = 0
    said_not_migrated = False
    while not stop_event.is_set():
        sent = 0
        try:
            sent = send_due(
                engine,
                mailer=mailer,
                mail_from=mail_from,
                channels=channels,
                worker_id=worker_id,
                batch=batch,
            )
        except Exception as exc:  # e.g. the database restarting: try again next pass
            if once:
                raise
            if database_unavailable(exc):
                # Said in one line each pass while it is down, as requests say it: a
                # traceback every few seconds would bury the log and tell no more.
                log.warning("notification pass skipped: the database is unavailable")
            elif not_migrated(engine):
                # A traceback every pass, until someone migrated (an operator's walk): said
                # once, and the loop waits for the migration.
                if not said_not_migrated:
                    log.warning("%s: notifications wait until it is", DATABASE_NOT_MIGRATED)
                said_not_migrated = True
            else:
                log.exception("notification pass failed")
        else:
            said_not_migrated = False
        total += sent
        if once:
            break
        if sent < batch:  # a full batch means more may be waiting: go again at once
            stop_event.wait(interval_s)
    return total


def not_migrated(engine: Engine | SessionFactory) -> bool:
    """Whether `engine`'s database answers at another schema than this version's (False when
    it cannot be asked: it is then unavailable, or a test's session factory)."""
    if not isinstance(engine, Engine):
        return False
    try:
        with reader(engine).connect() as conn:
            return schema_revisions(conn) != schema_heads()
    except SQLAlchemyError:
        return False


class BackgroundSender:
    """run_worker in a daemon thread, for the web process in development."""

    def __init__(
        self,
        *,
        interval_s: float,
        engine: Engine | SessionFactory,
        mailer: Mailer | None = None,
        mail_from: str = "",
        channels: Channels | None = None,
        batch: int = DEFAULT_BATCH,
    ) -> None:
        self._stop = threading.Event()
        self._thread = threading.Thread(
            target=run_worker,
            args=(self._stop,),
            kwargs={
                "interval_s": interval_s,
                "engine": engine,
                "mailer": mailer,
                "mail_from": mail_from,
                "channels": channels,
                "batch": batch,
            },
            name="notification-sender",
            daemon=True,
        )

    def start(self) -> BackgroundSender:
        self._thread.start()
        log.info("notification sender started in process")
        return self

    def stop(self, timeout_s: float = 15.0) -> None:
        """Ask the loop to stop and wait for the pass in flight (bounded by the SMTP timeout)."""
        self._stop.set()
        self._thread.join(timeout_s)
        if self._thread.is_alive():
            log.warning("notification sender still sending after %.0f s: left behind", timeout_s)
        else:
            log.info("notification sender stopped")

    @property
    def running(self) -> bool:
        return self._thread.is_alive()
