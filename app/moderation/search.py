"""Staff's list of a council's cooks: search by name, email, phone or postcode, filters, sorts
and paging, in ONE query for the page plus one count (names, emails and neighbourhoods joined
in), scoped to one council.

Read-only: the staff cook pages list cooks through this module (vetting stays in
app/moderation/service.py)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import ColumnElement, and_, func, or_, select
from sqlmodel import Session, col

from app.models import Cook, Council, Neighbourhood, User
from app.moderation.rules import checks_expire_on
from app.vocab import CookStatus, DbsLevel

# "Checks expiring": the DBS check runs out within this many days (or has run out).
EXPIRING_WITHIN_DAYS = 30
SORTS = ("oldest", "newest", "name")
MAX_QUERY = 100  # longer searches are cut: no name, email or postcode is longer
_PHONE_LIKE = re.compile(r"^[\d\s()+.-]+$")


@dataclass(frozen=True)
class CookSearch:
    """What staff asked for: `q` matches a name, email, phone or postcode; the rest filter."""

    q: str = ""
    status: CookStatus | None = None
    neighbourhood_id: int | None = None
    checks_expiring: bool = False
    location_review: bool = False
    sort: str = "name"  # oldest | newest | name


@dataclass(frozen=True)
class CookRow:
    """One cook as staff lists show them: full name and contact details, by neighbourhood."""

    id: int
    full_name: str
    display_name: str  # the name diners know them by
    email: str
    phone: str  # E.164
    postcode: str
    neighbourhood: str | None
    status: CookStatus
    created_at: datetime  # when they sent their profile
    dbs_checked_on: date | None
    dbs_level: DbsLevel | None
    checks_expire_on: date | None
    location_review: bool
    days_waiting: int  # since they sent their profile
    expiring: bool  # the DBS check runs out within EXPIRING_WITHIN_DAYS days, or has run out


def default_sort(status: CookStatus | None) -> str:
    """Cooks waiting for checks: who has waited longest first; otherwise by name."""
    return "oldest" if status == CookStatus.pending else "name"


def _matches(q: str) -> ColumnElement[bool] | None:
    """Any of: name (full or known-as), email, postcode (with or without its space, from its
    start), phone (as typed: 020…, +44…, or part of it)."""
    text = " ".join(q.split())[:MAX_QUERY].lower()
    if not text:
        return None
    found: list[ColumnElement[bool]] = [
        func.lower(col(User.full_name)).contains(text, autoescape=True),
        func.lower(col(Cook.display_name)).contains(text, autoescape=True),
        col(User.email_key).contains(text, autoescape=True),
    ]
    squashed = text.replace(" ", "").upper()
    if squashed.isalnum() and any(c.isdigit() for c in squashed):
        postcode = func.replace(func.upper(col(Cook.postcode)), " ", "")
        found.append(postcode.startswith(squashed, autoescape=True))
    digits = re.sub(r"\D", "", text)
    if len(digits) >= 4 and _PHONE_LIKE.match(text):
        if digits.startswith("0"):
            digits = "44" + digits[1:]  # stored as E.164: +44 and no leading 0
        found.append(func.replace(col(Cook.phone), "+", "").contains(digits, autoescape=True))
    return or_(*found)


def _conditions(council: Council, search: CookSearch, today: date) -> list[ColumnElement[bool]]:
    where: list[ColumnElement[bool]] = [col(Cook.council_id) == council.id]
    if (matches := _matches(search.q)) is not None:
        where.append(matches)
    if search.status is not None:
        where.append(col(Cook.status) == search.status)
    if search.neighbourhood_id is not None:
        where.append(col(Cook.neighbourhood_id) == search.neighbourhood_id)
    if search.location_review:
        where.append(col(Cook.location_review).is_(True))
    if search.checks_expiring:
        # checked_on + interval <= today + N  ⇔  checked_on <= today + N - interval
        latest = today + timedelta(days=EXPIRING_WITHIN_DAYS - council.dbs_recheck_days)
        where.append(
            and_(col(Cook.dbs_checked_on).is_not(None), col(Cook.dbs_checked_on) <= latest)
        )
    return where


def _order(sort: str) -> tuple[Any, ...]:
    if sort == "oldest":
        return (col(Cook.created_at), col(Cook.id))
    if sort == "newest":
        return (col(Cook.created_at).desc(), col(Cook.id).desc())
    return (func.lower(col(User.full_name)), col(Cook.id))


def search_cooks(
    session: Session,
    *,
    council: Council,
    search: CookSearch,
    today: date,
    limit: int,
    offset: int,
) -> tuple[list[CookRow], int]:
    """One page of the council's cooks that match, and how many match in all."""
    where = _conditions(council, search, today)
    total = session.execute(
        select(func.count())
        .select_from(Cook)
        .join(User, col(User.id) == Cook.user_id)
        .where(*where)
    ).scalar_one()
    rows = session.execute(
        select(Cook, col(User.full_name), col(User.email), col(Neighbourhood.name))
        .join(User, col(User.id) == Cook.user_id)
        .outerjoin(Neighbourhood, col(Neighbourhood.id) == Cook.neighbourhood_id)
        .where(*where)
        .order_by(*_order(search.sort))
        .offset(offset)
        .limit(limit)
    ).all()
    items = [_row(c, name, email, hood, council, today) for c, name, email, hood in rows]
    return items, int(total)


def _row(
    cook: Cook,
    full_name: str,
    email: str,
    neighbourhood: str | None,
    council: Council,
    today: date,
) -> CookRow:
    assert cook.id is not None
    expires = checks_expire_on(cook, council)
    return CookRow(
        id=cook.id,
        full_name=full_name,
        display_name=cook.display_name,
        email=email,
        phone=cook.phone,
        postcode=cook.postcode,
        neighbourhood=neighbourhood,
        status=cook.status,
        created_at=cook.created_at,
        dbs_checked_on=cook.dbs_checked_on,
        dbs_level=cook.dbs_level,
        checks_expire_on=expires,
        location_review=cook.location_review,
        days_waiting=max(0, (today - cook.created_at.date()).days),
        expiring=expires is not None and expires <= today + timedelta(days=EXPIRING_WITHIN_DAYS),
    )


def council_neighbourhoods(session: Session, *, council_id: int) -> list[tuple[int, str]]:
    """The council's neighbourhoods (id, name) by name: the area filter's options."""
    rows = session.execute(
        select(col(Neighbourhood.id), col(Neighbourhood.name))
        .where(col(Neighbourhood.council_id) == council_id)
        .order_by(col(Neighbourhood.name))
    ).all()
    return [(int(i), str(n)) for i, n in rows]
