"""Whether a SQLite database file is in use: the web process and the commands that write
(the notification worker, the periodic jobs) hold a shared lock on a file beside it while they
run, and `portion restore` takes it alone or refuses.

A restore under a running server exited 0, and the server went on serving the restored file
while every write it had acknowledged meanwhile vanished (an outside check: 416 of them). The
lock is the kernel's (flock), so a process that dies lets go of it; PostgreSQL has no file here,
and nothing is locked.
"""

from __future__ import annotations

import fcntl
import logging
import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from sqlalchemy.engine import make_url

log = logging.getLogger("portion.db")


def sqlite_file(database_url: str) -> str | None:
    """The SQLite database's file, or None (a server, or a database in memory)."""
    url = make_url(database_url)
    if url.get_backend_name() != "sqlite" or not url.database or url.database == ":memory:":
        return None
    return url.database


def lock_file(database: str) -> Path:
    return Path(f"{database}.in-use")


def _open(database: str) -> int:
    """The lock file, opened to read (flock needs no more: one another account made, or left
    read-only, still opens)."""
    Path(database).parent.mkdir(parents=True, exist_ok=True)
    return os.open(lock_file(database), os.O_RDONLY | os.O_CREAT, 0o600)


@contextmanager
def in_use(database_url: str) -> Iterator[None]:
    """Hold the database as in use (shared with the service's other processes) meanwhile;
    waits only while a restore holds it alone. A lock that cannot be had (a file system
    without flock, a file nobody here may read) is warned of, and the service runs anyway:
    it guards a restore, and must not stop a start."""
    database = sqlite_file(database_url)
    if database is None:
        yield
        return
    fd: int | None = None
    try:
        try:
            fd = _open(database)
            fcntl.flock(fd, fcntl.LOCK_SH)
        except OSError as exc:
            log.warning("database not marked in use (%s): `portion restore` cannot see it", exc)
        yield
    finally:
        if fd is not None:
            os.close(fd)  # lets go of the lock


@contextmanager
def alone(database: str) -> Iterator[bool]:
    """Hold the database alone meanwhile, if no process has it in use: yields whether it
    does (False: something is running on it, and nothing is held)."""
    fd = _open(database)
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            yield False
            return
        yield True
    finally:
        os.close(fd)
