"""Staff's lists of concerns: one query that names everyone involved (the diner, their cook,
who raised it), scoped to one council, filtered by status, cook or diner.

Read-only: the staff concern pages, and the cook's and the diner's full records, list concerns
through this module (triage stays in app/concerns/service.py)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Select, case, func, or_, select
from sqlalchemy.orm import aliased
from sqlmodel import Session, col

from app.concerns.categories import CATEGORY_NAMES
from app.db import utcnow
from app.models import Concern, Cook, Diner, Pairing, User
from app.moderation.rules import is_theirs
from app.vocab import ConcernStatus

# Still needing someone's attention: the list shows these first.
OPEN_STATUSES: tuple[ConcernStatus, ...] = (ConcernStatus.open, ConcernStatus.investigating)
STATUS_ORDER: tuple[ConcernStatus, ...] = (
    ConcernStatus.open,
    ConcernStatus.investigating,
    ConcernStatus.resolved,
    ConcernStatus.upheld,
)
# Staff's words for each status (the raiser reads RAISER_STATUS's instead). "open" is a new
# concern nobody has looked at: the tag and the filter said "Open" beside "2 still open"
# (investigating ones too) and the home page's "new concern" (an outside check).
STATUS_WORDS: dict[str, str] = {
    "open": "New",
    "investigating": "Investigating",
    "resolved": "Resolved",
    "upheld": "Upheld",
}


@dataclass(frozen=True)
class ConcernRow:
    """One concern as staff lists show it: who it is about and who raised it, by name."""

    id: int
    reference: str  # "EP-…": the reference the raiser sees and quotes
    kind: str
    category: str  # the category in words ("Missed meal")
    serious: bool
    status: str  # open | investigating | resolved | upheld
    raised_at: datetime
    updated_at: datetime
    days_open: int  # until today while open; until it was closed once closed
    diner_id: int
    diner_name: str
    cook_id: int | None  # the cook of the pairing the concern is about (None: no pairing)
    cook_name: str | None
    raised_by_id: int
    raised_by_name: str
    raised_by_role: str  # cook | carer | staff | admin
    raised_by_cook_id: int | None  # the raiser's cook profile, when a cook raised it
    # A cook who volunteers with another council now: named, not linked to a record that is
    # no longer this council's to open (it answers 404: moderation.rules.is_theirs).
    cook_elsewhere: bool = False
    raised_by_cook_elsewhere: bool = False

    @property
    def status_words(self) -> str:
        return STATUS_WORDS.get(self.status, self.status)

    @property
    def is_open(self) -> bool:
        return self.status in OPEN_STATUSES

    @property
    def raised_by_words(self) -> str:
        """Who the raiser is to the diner: "carer", "cook" (their cook) or "cover cook"."""
        if self.raised_by_role == "cook":
            if self.cook_id is not None and self.raised_by_cook_id == self.cook_id:
                return "cook"
            return "cover cook"
        return self.raised_by_role


def _query(
    council_id: int,
    *,
    status: str | None,
    cook_id: int | None,
    diner_id: int | None,
) -> Select[Concern, str, int, str, User, int | None, int, int | None]:  # None: no pairing
    cook_user = aliased(User)
    raiser = aliased(User)
    raiser_cook = aliased(Cook)
    query = (
        select(
            Concern,
            col(Diner.full_name),
            col(Pairing.cook_id),
            col(cook_user.full_name),
            raiser,
            col(raiser_cook.id),
            col(Cook.council_id),
            col(raiser_cook.council_id),
        )
        .join(Diner, col(Diner.id) == Concern.diner_id)
        .join(raiser, col(raiser.id) == Concern.raised_by_id)
        .outerjoin(Pairing, col(Pairing.id) == Concern.pairing_id)
        .outerjoin(Cook, col(Cook.id) == Pairing.cook_id)
        .outerjoin(cook_user, col(cook_user.id) == Cook.user_id)
        .outerjoin(raiser_cook, col(raiser_cook.user_id) == raiser.id)
        .where(col(Concern.council_id) == council_id)
    )
    if status:
        query = query.where(col(Concern.status) == status)
    if diner_id is not None:
        query = query.where(col(Concern.diner_id) == diner_id)
    if cook_id is not None:
        # About this cook (their pairing's concerns) or raised by them (as a cover cook, say).
        query = query.where(or_(col(Pairing.cook_id) == cook_id, col(raiser_cook.id) == cook_id))
    return query


def _order() -> tuple[object, ...]:
    """Open before investigating before closed; serious first; then oldest first."""
    whens = [(col(Concern.status) == s, i) for i, s in enumerate(STATUS_ORDER)]
    rank = case(*whens, else_=len(STATUS_ORDER))
    return (rank, col(Concern.serious).desc(), col(Concern.created_at), col(Concern.id))


def find_concerns(
    session: Session,
    *,
    council_id: int,
    status: str | None = None,
    cook_id: int | None = None,
    diner_id: int | None = None,
    limit: int | None = None,
    offset: int = 0,
) -> tuple[list[ConcernRow], int]:
    """One council's concerns, named, most urgent first, and how many there are in all."""
    query = _query(council_id, status=status, cook_id=cook_id, diner_id=diner_id)
    total = session.execute(select(func.count()).select_from(query.subquery())).scalar_one()
    paged = query.order_by(*_order()).offset(offset)  # type: ignore[arg-type]
    if limit is not None:
        paged = paged.limit(limit)
    now = utcnow()
    rows = []
    for row in session.execute(paged):
        concern, diner_name, cook_id_, cook_name, raiser, raiser_cook_id, cook_at, raiser_at = row
        end = now if concern.status in OPEN_STATUSES else concern.updated_at
        assert concern.id is not None and raiser.id is not None
        rows.append(
            ConcernRow(
                id=concern.id,
                reference=concern.reference,
                kind=concern.kind,
                category=CATEGORY_NAMES.get(concern.kind, concern.kind),
                serious=concern.serious,
                status=concern.status,
                raised_at=concern.created_at,
                updated_at=concern.updated_at,
                days_open=max(0, (end.date() - concern.created_at.date()).days),
                diner_id=concern.diner_id,
                diner_name=diner_name,
                cook_id=cook_id_,
                cook_name=cook_name,
                raised_by_id=raiser.id,
                raised_by_name=raiser.full_name,
                raised_by_role=raiser.role,
                raised_by_cook_id=raiser_cook_id,
                cook_elsewhere=cook_id_ is not None and not is_theirs(cook_at, council_id),
                raised_by_cook_elsewhere=(
                    raiser_cook_id is not None and not is_theirs(raiser_at, council_id)
                ),
            )
        )
    return rows, total


@dataclass(frozen=True)
class Person:
    """Someone a concern involves, with what staff need to reach them."""

    name: str
    phone: str | None  # E.164
    email: str | None
    cook_id: int | None = None  # their cook profile: /staff/cooks/{id}
    diner_id: int | None = None  # /staff/diners/{id}
    # A cook who now volunteers with another council: their name only (no contacts, no record
    # to link to), as moderation.rules.is_theirs says.
    elsewhere: bool = False


@dataclass(frozen=True)
class Note:
    at: datetime
    by: str  # the staff member's full name
    text: str


@dataclass(frozen=True)
class ConcernPeople:
    """Everyone one concern involves, by name and contact, and its notes signed by name."""

    raiser: Person
    raiser_role: str  # "carer", "cook" (the diner's cook), "cover cook", "staff"
    diner: Person
    diner_address: str
    carer: Person | None
    cook: Person | None  # the cook of the pairing it is about
    pairing_status: str | None
    notes: list[Note]


def _user_person(user: User | None) -> Person | None:
    if user is None:
        return None
    return Person(name=user.full_name, phone=user.phone, email=user.email)


def _cook_person(cook: Cook, user: User | None, *, staff_council: int | None) -> Person:
    """A cook as staff of `staff_council` may reach them: with the profile's phone (the one
    they keep up to date) and their email, while the cook is with that council; once they
    volunteer with another, by name only (their contacts are the new council's to hold)."""
    name = user.full_name if user else cook.display_name
    if not is_theirs(cook.council_id, staff_council):
        return Person(name=name, phone=None, email=None, elsewhere=True)
    return Person(
        name=name,
        phone=cook.phone,
        email=user.email if user else None,
        cook_id=cook.id,
    )


def concern_people(session: Session, concern: Concern, *, staff_council: int) -> ConcernPeople:
    """The raiser, the diner, their carer and the cook, with contacts, as staff of
    `staff_council` (the concern's council) read them; the notes' authors. A cook who has moved
    to another council since is named without contacts."""
    diner = session.get(Diner, concern.diner_id)
    assert diner is not None
    pairing = session.get(Pairing, concern.pairing_id) if concern.pairing_id else None
    cook = session.get(Cook, pairing.cook_id) if pairing else None
    cook_user = session.get(User, cook.user_id) if cook else None
    cook_person = (
        _cook_person(cook, cook_user, staff_council=staff_council) if cook is not None else None
    )
    carer = _user_person(session.get(User, diner.carer_id) if diner.carer_id else None)
    raiser_user = session.get(User, concern.raised_by_id)
    assert raiser_user is not None
    raiser = _user_person(raiser_user)
    assert raiser is not None
    role = raiser_user.role
    if role == "cook":
        raiser_cook = (
            session.execute(select(Cook).where(col(Cook.user_id) == raiser_user.id))
            .scalars()
            .first()
        )
        if raiser_cook is not None:
            raiser = _cook_person(raiser_cook, raiser_user, staff_council=staff_council)
        is_their_cook = cook is not None and raiser_cook is not None and raiser_cook.id == cook.id
        role = "cook" if is_their_cook else "cover cook"
    staff_ids = {int(str(n.get("staff_id"))) for n in concern.notes if n.get("staff_id")}
    names = {
        u.id: u.full_name
        for u in session.execute(select(User).where(col(User.id).in_(staff_ids))).scalars()
    }
    notes = [
        Note(
            at=datetime.fromisoformat(str(n.get("at"))),
            by=names.get(int(str(n.get("staff_id") or 0)), "A member of staff"),
            text=str(n.get("text", "")),
        )
        for n in concern.notes
    ]
    return ConcernPeople(
        raiser=raiser,
        raiser_role=role,
        diner=Person(name=diner.full_name, phone=diner.phone, email=None, diner_id=diner.id),
        diner_address=f"{diner.address_line}, {diner.postcode}",
        carer=carer,
        cook=cook_person,
        pairing_status=pairing.status if pairing else None,
        notes=notes,
    )


def cook_name(session: Session, *, council_id: int, cook_id: int) -> str | None:
    """A cook's full name, if they are this council's cook."""
    found = session.execute(
        select(col(User.full_name))
        .join(Cook, col(Cook.user_id) == User.id)
        .where(col(Cook.id) == cook_id, col(Cook.council_id) == council_id)
    ).first()
    return found[0] if found else None


def diner_name(session: Session, *, council_id: int, diner_id: int) -> str | None:
    """A diner's full name, if they are this council's diner."""
    diner = session.get(Diner, diner_id)
    return diner.full_name if diner and diner.council_id == council_id else None


def status_counts(
    session: Session, *, council_id: int, cook_id: int | None = None, diner_id: int | None = None
) -> dict[str, int]:
    """How many concerns are in each status (with the same cook and diner filters)."""
    base = _query(council_id, status=None, cook_id=cook_id, diner_id=diner_id).subquery()
    counts = session.execute(select(base.c.status, func.count()).group_by(base.c.status)).all()
    return {str(status): int(n) for status, n in counts}
