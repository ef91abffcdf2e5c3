"""The in-use lock beside a SQLite database (app/in_use.py): shared by the service's
processes, taken alone by a restore, and never a reason for the service not to start."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest

from app.in_use import alone, in_use, lock_file


def test_a_restore_is_alone_only_while_nothing_holds_the_database(tmp_path: Path):
    database = str(tmp_path / "portion.db")
    url = f"sqlite:///{database}"
    # The web process and the worker at once:
    with in_use(url), in_use(url), alone(database) as nobody_else:
        assert nobody_else is False
    with alone(database) as nobody_else:
        assert nobody_else is True


def test_a_lock_that_cannot_be_had_is_warned_of_and_the_service_runs(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
):
    """A lock file nobody here can open (another account's, a file system without flock)
    must not stop a start (a review): here a folder stands where the file would be."""
    database = str(tmp_path / "portion.db")
    lock_file(database).mkdir()
    ran = False
    with caplog.at_level(logging.WARNING, logger="portion.db"), in_use(f"sqlite:///{database}"):
        ran = True
    assert ran
    assert "not marked in use" in caplog.text


def test_a_server_database_needs_no_lock(tmp_path: Path):
    with in_use("postgresql+psycopg://app@127.0.0.1:9/app"):
        pass
    assert list(tmp_path.iterdir()) == []
