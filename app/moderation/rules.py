"""Whether a cook may be matched: status and the DBS check's expiry (pure)."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Protocol

from app.vocab import CookStatus


class Checked(Protocol):
    @property
    def status(self) -> str: ...

    dbs_checked_on: date | None


class RecheckPolicy(Protocol):
    dbs_recheck_days: int


STICKY = (CookStatus.suspended, CookStatus.rejected)  # stay until staff lift them


def dbs_expires_on(checked_on: date | None, recheck_days: int) -> date | None:
    """The day a DBS check checked on ``checked_on`` runs out (None: never checked)."""
    return None if checked_on is None else checked_on + timedelta(days=recheck_days)


def checks_expire_on(cook: Checked, council: RecheckPolicy) -> date | None:
    return dbs_expires_on(cook.dbs_checked_on, council.dbs_recheck_days)


def is_matchable(cook: Checked, council: RecheckPolicy, today: date) -> bool:
    """Approved, not suspended, and the DBS check still in date."""
    expires = checks_expire_on(cook, council)
    return cook.status == CookStatus.approved and expires is not None and expires >= today
