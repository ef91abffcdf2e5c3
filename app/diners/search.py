"""Staff's list of diners: one query per page (and one count) that names each diner's carer
and their contact, or the staff member who referred them, and the neighbourhood; scoped to one
council; searched by name, email, phone or postcode; filtered by status, neighbourhood and a
need; sorted by days waiting, name or newest.

"Waiting" is the one meaning every figure uses (app/reports/service.py ``waiting_diners``):
``diner.status`` is ``waiting`` and today is not within their pause. A diner has been waiting
since they signed up, or since their last accepted pairing ended (a cook who stopped, a change
of cook), whichever is later: ``waiting_since``. Read-only."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import ColumnElement, String, and_, cast, not_, or_
from sqlalchemy import select as sa_select
from sqlalchemy.orm import aliased
from sqlmodel import Session, col, func, select

from app.diners.erasure_hold import ErasureHold, erasure_holds, first_erasure_ask
from app.diners.rules import public_status
from app.models import Council, Diner, Neighbourhood, Pairing, User
from app.vocab import Allergen, Diet, DinerStatus, PairingStatus, Texture


class DinerSort(StrEnum):
    longest = "longest"  # waiting longest first (the default for waiting diners)
    name = "name"
    newest = "newest"


@dataclass(frozen=True)
class DinerRow:
    """One diner as the staff list shows them."""

    id: int
    full_name: str
    postcode: str
    status: str  # the public status today: waiting | matched | paused | left
    neighbourhood_id: int | None
    neighbourhood: str | None
    carer_name: str | None
    carer_email: str | None
    carer_phone: str | None
    referred_by_name: str | None  # the staff member who referred a diner without a carer
    waiting_since: datetime
    days_waiting: int | None  # whole days since waiting_since, for a waiting diner only
    diets: list[str]
    allergies: list[str]
    texture: str
    # Their pairing is paused (a concern, or a change that left the cook unable to cook for
    # them safely): "has a cook" alone would hide that no meal is coming.
    meals_paused: bool = False
    # Their carer asked for erasure, still to do: held out of matching, and to be erased by
    # its due date (a "waiting" diner no cook would ever be offered, else; a newcomer's walk).
    erasure: ErasureHold | None = None


@dataclass(frozen=True)
class DinerQuery:
    """What the staff asked for: every field optional (None or "" means no filter)."""

    q: str = ""
    status: DinerStatus | None = None
    area_id: int | None = None
    needs: str | None = None
    sort: DinerSort | None = None

    @property
    def order(self) -> DinerSort:
        if self.sort is not None:
            return self.sort
        return DinerSort.longest if self.status == DinerStatus.waiting else DinerSort.name


NEED_CODES: frozenset[str] = frozenset({*Diet, *Allergen, *Texture})


def paused_on(today: date | ColumnElement[date]) -> ColumnElement[bool]:
    """A diner paused today (as ``rules.public_status``), as SQL."""
    return and_(
        col(Diner.status) != DinerStatus.left,
        col(Diner.paused_from).is_not(None),  # NULL would make NOT(...) unknown
        col(Diner.paused_to).is_not(None),
        col(Diner.paused_from) <= today,
        col(Diner.paused_to) >= today,
    )


def status_is(status: DinerStatus, today: date | ColumnElement[date]) -> ColumnElement[bool]:
    """The diner's public status today is `status` (waiting: the reports' one meaning). The
    staff's "Paused" also finds a diner whose pairing is paused (listed "Has a cook" and "Meals
    paused"): it found nobody while staff home counted such pairings. "Has a cook" then leaves
    them out, so that the statuses' counts add up to all diners (a browser walk counted one
    diner under both)."""
    if status == DinerStatus.paused:
        return or_(paused_on(today), _meals_paused())
    if status == DinerStatus.matched:
        return and_(col(Diner.status) == status, not_(paused_on(today)), not_(_meals_paused()))
    return and_(col(Diner.status) == status, not_(paused_on(today)))


def _waiting_since() -> Any:
    """When the diner last started waiting: the end of their last accepted pairing, or their
    sign-up (a correlated subquery: one value per row of the same query)."""
    ended = (
        select(func.max(Pairing.ended_at))
        .where(
            col(Pairing.diner_id) == col(Diner.id),
            col(Pairing.accepted_at).is_not(None),
            col(Pairing.ended_at).is_not(None),
        )
        .correlate(Diner)
        .scalar_subquery()
    )
    return func.coalesce(ended, col(Diner.created_at))


def _meals_paused() -> Any:
    """The diner's pairing is paused (a correlated EXISTS: one value per row)."""
    return (
        select(Pairing.id)
        .where(col(Pairing.diner_id) == col(Diner.id), Pairing.status == PairingStatus.paused)
        .correlate(Diner)
        .exists()
    )


def _phone_digits(q: str) -> str | None:
    """The digits of a search that looks like a phone number, as stored (E.164 without "+"):
    "07700 900123" → "447700900123"; None for a search that is not a phone number."""
    if not re.fullmatch(r"[\d\s()+-]+", q):
        return None
    digits = re.sub(r"\D", "", q)
    if len(digits) < 5:
        return None
    if digits.startswith("0"):
        digits = "44" + digits[1:]
    return digits


def _search(q: str, carer: Any) -> ColumnElement[bool]:
    """Name (the diner's or the carer's), the carer's email, a phone number or a postcode
    (with or without its space): any of them contains what was typed, in any letter case."""
    text = q.strip().lower()
    squeezed = re.sub(r"\s+", "", text).upper()
    words = text.split()

    def named(column: Any) -> ColumnElement[bool]:
        # Word by word: a name kept with two spaces, or typed surname first, is found too.
        return and_(*(func.lower(column).contains(word, autoescape=True) for word in words))

    matches: list[ColumnElement[bool]] = [
        named(col(Diner.full_name)),
        named(carer.full_name),
        carer.email_key.contains(text, autoescape=True),
    ]
    if squeezed:
        matches.append(
            func.replace(func.upper(col(Diner.postcode)), " ", "").contains(
                squeezed, autoescape=True
            )
        )
    if (digits := _phone_digits(text)) is not None:
        matches += [
            func.replace(col(Diner.phone), "+", "").contains(digits, autoescape=True),
            func.replace(carer.phone, "+", "").contains(digits, autoescape=True),
        ]
    return or_(*matches)


def _needs(code: str) -> ColumnElement[bool]:
    """The diner needs this diet, allergen or texture (lists are JSON: '["halal", ...]')."""
    if code in set(Texture):
        return col(Diner.texture) == code
    column = Diner.diets if code in set(Diet) else Diner.allergies
    return cast(column, String).contains(f'"{code}"', autoescape=True)


def search_diners(
    session: Session,
    *,
    council_id: int,
    today: date,
    now: datetime,
    query: DinerQuery,
    limit: int,
    offset: int,
) -> tuple[list[DinerRow], int]:
    """One page of the council's diners that match `query`, and how many match in all."""
    carer = aliased(User, name="carer")
    referrer = aliased(User, name="referrer")
    since = _waiting_since().label("waiting_since")
    where: list[ColumnElement[bool]] = [col(Diner.council_id) == council_id]
    if query.status is not None:
        where.append(status_is(query.status, today))
    if query.area_id is not None:
        where.append(col(Diner.neighbourhood_id) == query.area_id)
    if query.needs:
        where.append(_needs(query.needs) if query.needs in NEED_CODES else col(Diner.id).is_(None))
    if query.q.strip():
        where.append(_search(query.q, carer))

    total = session.exec(
        select(func.count())
        .select_from(Diner)
        .join(carer, col(carer.id) == col(Diner.carer_id), isouter=True)
        .where(*where)
    ).one()
    order: list[Any] = {
        DinerSort.longest: [since.asc(), col(Diner.id)],
        DinerSort.name: [func.lower(col(Diner.full_name)), col(Diner.id)],
        DinerSort.newest: [col(Diner.created_at).desc(), col(Diner.id).desc()],
    }[query.order]
    rows = session.execute(
        sa_select(
            Diner,
            col(Neighbourhood.name),
            col(carer.full_name),
            col(carer.email),
            col(carer.phone),
            col(referrer.full_name),
            since,
            _meals_paused(),
            first_erasure_ask(col(Diner.carer_id)),
        )
        .join(Neighbourhood, col(Neighbourhood.id) == col(Diner.neighbourhood_id), isouter=True)
        .join(carer, col(carer.id) == col(Diner.carer_id), isouter=True)
        .join(referrer, col(referrer.id) == col(Diner.referred_by_id), isouter=True)
        .where(*where)
        .order_by(*order)
        .offset(offset)
        .limit(limit)
    ).all()
    council = session.get(Council, council_id)  # the erasure's dates on its calendar
    # Whose carer asked (the column), then which of those their requests name: a relative
    # registered after asking is not held (app/diners/erasure_hold.py).
    holds = erasure_holds(
        session, diners=[r[0] for r in rows if r[-1] is not None], council=council
    )
    return [_row(r, today=today, now=now, holds=holds) for r in rows], int(total)


def _row(row: Any, *, today: date, now: datetime, holds: dict[int, ErasureHold]) -> DinerRow:
    diner, hood, carer_name, carer_email, carer_phone, referrer_name, since, *more = row
    meals_paused, _asked = more
    status = public_status(diner, today)
    return DinerRow(
        id=diner.id,
        full_name=diner.full_name,
        postcode=diner.postcode,
        status=status,
        neighbourhood_id=diner.neighbourhood_id,
        neighbourhood=hood,
        carer_name=carer_name,
        carer_email=carer_email,
        carer_phone=carer_phone,
        referred_by_name=referrer_name,
        waiting_since=since,
        days_waiting=days_between(since, now) if status == DinerStatus.waiting else None,
        diets=list(diner.diets),
        allergies=list(diner.allergies),
        texture=diner.texture,
        meals_paused=bool(meals_paused) and status == DinerStatus.matched,
        erasure=holds.get(diner.id or 0),
    )


def days_between(since: datetime, now: datetime) -> int:
    """Whole days (24-hour periods completed) from `since` to `now`; never negative."""
    if since.tzinfo is None and now.tzinfo is not None:
        now = now.replace(tzinfo=None)
    elif since.tzinfo is not None and now.tzinfo is None:
        since = since.replace(tzinfo=None)
    return max(0, (now - since).days)


def council_neighbourhoods(session: Session, *, council_id: int) -> list[tuple[int, str]]:
    """The council's neighbourhoods (id, name), by name: the area filter's choices."""
    rows = session.exec(
        select(Neighbourhood.id, Neighbourhood.name)
        .where(col(Neighbourhood.council_id) == council_id)
        .order_by(col(Neighbourhood.name), col(Neighbourhood.id))
    ).all()
    return [(i, n) for i, n in rows if i is not None]
