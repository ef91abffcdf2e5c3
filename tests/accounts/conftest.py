from __future__ import annotations

import pytest
from sqlmodel import Session

from app.models import Council
from tests.factories import create_council


@pytest.fixture
def barnet(session: Session) -> Council:
    return create_council(session, slug="barnet", lad_codes=["E09000003"])


@pytest.fixture
def tower_hamlets(session: Session) -> Council:
    return create_council(session, slug="tower-hamlets", lad_codes=["E09000030"])
