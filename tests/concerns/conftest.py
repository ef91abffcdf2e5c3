from __future__ import annotations

import pytest
from fastapi.testclient import TestClient
from sqlmodel import Session

from app.config import Settings
from app.models import User
from tests.factories import PairingWorld, active_pairing


@pytest.fixture
def paired(client: TestClient, session: Session, settings: Settings, staff: User) -> PairingWorld:
    """A carer's relative (Edna) with an approved cook, paired and accepted."""
    return active_pairing(client, session, settings, staff)
