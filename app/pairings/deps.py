"""Load a pairing or 404, scoped to the cook it invites: a dependency for the cook's answers."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends

from app.deps import CookUser, SessionDep
from app.models import Pairing
from app.pairings import service
from app.schemas import PathId


def invited_pairing(pairing_id: PathId, user: CookUser, session: SessionDep) -> Pairing:
    """The signed-in cook's own pairing, locked (another cook's: 404)."""
    return service.get_invited_pairing(session, user=user, pairing_id=pairing_id)


InvitedPairing = Annotated[Pairing, Depends(invited_pairing)]
