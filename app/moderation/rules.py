"""Whether a cook may be matched: status and the DBS check's expiry (pure)."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Protocol

from app.vocab import DBS_RANK, CookStatus, DbsLevel


class Checked(Protocol):
    @property
    def status(self) -> str: ...

    dbs_checked_on: date | None


class RecheckPolicy(Protocol):
    dbs_recheck_days: int


class Decided(Protocol):
    status_reason: str | None
    status_council_id: int | None


STICKY = (CookStatus.suspended, CookStatus.rejected)  # stay until staff lift them


def status_reason_for(cook: Decided, council_id: int | None) -> str | None:
    """The reason behind the cook's status as staff of `council_id` may read it (None: an
    admin, who reads every one). One council's staff write it in their own words, which can
    name that council's diners and their addresses: staff of a council the cook moved to see
    the status and which council set it, not the words (a security review)."""
    if council_id is None or cook.status_council_id in (None, council_id):
        return cook.status_reason
    return None


def is_theirs(cook_council_id: int | None, council_id: int | None) -> bool:
    """Whether staff of `council_id` (None: an admin, who reads everything) may read a cook
    whose council is now `cook_council_id` as they are now: their phone, email, address,
    postcode district and status. A council the cook has moved away from keeps what it
    recorded itself (a concern, its own history) and their name, not what the cook gave or
    became since they left (a security review: a concern's page showed the old council the
    phone and email given after the move, and reinstating answered with the new district)."""
    return council_id is None or cook_council_id == council_id


def dbs_expires_on(checked_on: date | None, recheck_days: int) -> date | None:
    """The day a DBS check checked on ``checked_on`` runs out (None: never checked)."""
    return None if checked_on is None else checked_on + timedelta(days=recheck_days)


def checks_expire_on(cook: Checked, council: RecheckPolicy) -> date | None:
    return dbs_expires_on(cook.dbs_checked_on, council.dbs_recheck_days)


def is_matchable(cook: Checked, council: RecheckPolicy, today: date) -> bool:
    """Approved, not suspended, and the DBS check still in date."""
    expires = checks_expire_on(cook, council)
    return cook.status == CookStatus.approved and expires is not None and expires >= today


def approval_problems(
    *,
    dbs_checked_on: date | None,
    dbs_level: DbsLevel | None,
    id_checked: bool,
    hygiene_ack: bool,
    min_level: str,
    recheck_days: int,
    today: date,
) -> list[tuple[str, str, str]]:
    """Every reason the checks do not allow approval, as (rule, field, message), in the form's
    order; a check left out (None) is not judged here. The API refuses with the first."""
    problems: list[tuple[str, str, str]] = []
    if not id_checked:
        problems.append(("check_missing", "id_checked", "Identity must be checked before approval"))
    if not hygiene_ack:
        problems.append(
            ("check_missing", "hygiene_ack", "Food-hygiene guidance must be acknowledged")
        )
    if dbs_level is not None and DBS_RANK[dbs_level] < DBS_RANK[DbsLevel(min_level)]:
        problems.append(
            (
                "dbs_level_too_low",
                "dbs_level",
                f"This council needs a DBS check at level {min_level} or above",
            )
        )
    if dbs_checked_on is not None:
        expires = dbs_expires_on(dbs_checked_on, recheck_days)
        if dbs_checked_on > today:
            problems.append(("date_in_future", "dbs_checked_on", "The check date is in the future"))
        elif expires is not None and expires < today:
            problems.append(
                (
                    "dbs_check_expired",
                    "dbs_checked_on",
                    f"The DBS check is older than {period_words(recheck_days)}: a new check "
                    "is needed",
                )
            )
    return problems


def period_words(days: int) -> str:
    """A council's recheck period as staff say it: "3 years" for 1,095 days (a browser walk
    read "older than 1095 days"), else the days."""
    years, rest = divmod(days, 365)
    if years and not rest:
        return "1 year" if years == 1 else f"{years} years"
    return f"{days:,} days"
