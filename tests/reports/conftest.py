from __future__ import annotations

import pytest
from sqlmodel import Session

from app.models import Council, User
from tests.factories import create_council, create_user


@pytest.fixture
def barnet(session: Session) -> Council:
    return create_council(session, slug="barnet", lad_codes=["E09000003"])


@pytest.fixture
def tower_hamlets(session: Session) -> Council:
    return create_council(session, slug="tower-hamlets", lad_codes=["E09000030"])


@pytest.fixture
def staff(session: Session, barnet: Council) -> User:
    return create_user(session, role="staff", council=barnet)
