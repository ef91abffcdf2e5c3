"""Fault tests: real server and worker processes on a database of their own, killed or cut off."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from sqlalchemy import Engine

from app.db import make_engine
from tests.conftest import migrate


@pytest.fixture
def fresh_engine(empty_database: str) -> Iterator[Engine]:
    """A migrated database of the run's kind that the test's processes share and commit to."""
    engine = make_engine(empty_database)
    migrate(engine)
    yield engine
    engine.dispose()
