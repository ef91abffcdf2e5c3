"""Fault tests: real server and worker processes on a database of their own, killed or cut off."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import Engine

from app.db import make_engine
from tests.conftest import migrate


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "faults: fault tests (processes killed, database stopped)")


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Every test of this folder is marked `faults`: `make test` runs them; `-m faults` picks
    them out, `-m "not faults"` leaves them out."""
    here = Path(__file__).parent
    for item in items:
        if here in item.path.parents:
            item.add_marker(pytest.mark.faults)


@pytest.fixture
def fresh_engine(empty_database: str) -> Iterator[Engine]:
    """A migrated database of the run's kind that the test's processes share and commit to."""
    engine = make_engine(empty_database)
    migrate(engine)
    yield engine
    engine.dispose()
