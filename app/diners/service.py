"""Diners: registration by carers, referral by staff, pauses, leaving, and who may see them."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import BindParameter, Select, and_, bindparam, func, not_
from sqlalchemy import select as core_select
from sqlmodel import Session, col, select

from app.audit import record_audit, record_view
from app.config import Settings
from app.councils.rules import council_today
from app.db import page_of_rows, utcnow, writing
from app.diners.schemas import (
    DinerIn,
    PauseIn,
)
from app.errors import Conflict, NotFound, RuleBroken
from app.models import (
    Council,
    Diner,
    Neighbourhood,
    User,
)
from app.places import locate_place
from app.vocab import DinerStatus


def register_diner(
    session: Session, *, actor: User, body: DinerIn, settings: Settings, by_staff: bool
) -> Diner:
    """A new diner, waiting for a cook; consent is recorded with its time and who gave it."""
    place = locate_place(session, raw_postcode=body.postcode, role="diner", settings=settings)
    if by_staff and place.council.id != actor.council_id:
        raise RuleBroken(
            "outside_council_area", ["postcode"], "This postcode is outside your council's area"
        )
    diner = Diner(
        **body.model_dump(mode="json", exclude={"postcode", "consent"}),
        postcode=place.postcode.full,
        latitude=place.location.latitude,
        longitude=place.location.longitude,
        geo_precision=place.location.precision,
        council_id=place.council.id,  # type: ignore[arg-type]
        neighbourhood_id=place.neighbourhood.id if place.neighbourhood else None,
        carer_id=None if by_staff else actor.id,
        referred_by_id=actor.id if by_staff else None,
        consent_at=utcnow(),
        consent_by_id=actor.id,  # type: ignore[arg-type]
        status=DinerStatus.waiting,
    )
    session.add(diner)
    session.flush()
    if by_staff:
        record_audit(
            session,
            actor_id=actor.id,
            council_id=diner.council_id,
            action="diner.referred",
            subject_type="diner",
            subject_id=diner.id,
        )
    return diner


def get_carers_diner(session: Session, *, carer: User, diner_id: int) -> Diner:
    """The carer's own diner; anyone else's is 'not found'."""
    diner = session.get(Diner, diner_id)
    if diner is None or diner.carer_id != carer.id:
        raise NotFound("Diner not found")
    return diner


def get_councils_diner(session: Session, *, staff: User, diner_id: int) -> Diner:
    """A diner of the staff member's own council; another council's is 'not found'."""
    diner = session.get(Diner, diner_id)
    if diner is None or diner.council_id != staff.council_id:
        raise NotFound("Diner not found")
    return diner


def get_diner_for(session: Session, *, user: User, diner_id: int) -> Diner:
    if user.role == "staff":
        return get_councils_diner(session, staff=user, diner_id=diner_id)
    return get_carers_diner(session, carer=user, diner_id=diner_id)


@dataclass(slots=True)
class ListedDiner:
    """A diner as a list shows them (DinerListItem), read as plain columns with their
    neighbourhood's name and their council's clock: building each row as a model object
    (identity map, instrumented attributes) cost more than the rest of the request."""

    id: int
    status: DinerStatus
    full_name: str
    postcode: str
    neighbourhood: str | None
    diets: list[str]
    allergies: list[str]
    texture: str
    frequency: str
    paused_from: date | None
    paused_to: date | None
    created_at: datetime
    timezone: str  # the diner's council's, for their public status today


# Built once, with parameters, so that a request neither builds the statement nor its cache
# key. ``COUNT(*) OVER ()`` gives each row the number of rows before LIMIT and OFFSET: the
# page and its total in one query (a separate COUNT over a subquery cost as much again).
_LISTED = (
    core_select(
        col(Diner.id),
        col(Diner.status),
        col(Diner.full_name),
        col(Diner.postcode),
        col(Neighbourhood.name),
        col(Diner.diets),
        col(Diner.allergies),
        col(Diner.texture),
        col(Diner.frequency),
        col(Diner.paused_from),
        col(Diner.paused_to),
        col(Diner.created_at),
        col(Council.timezone),
        func.count().over(),
    )
    .join_from(Diner, Council, col(Council.id) == col(Diner.council_id))
    .outerjoin(Neighbourhood, col(Neighbourhood.id) == col(Diner.neighbourhood_id))
    .order_by(col(Diner.id))
    .limit(bindparam("limit"))
    .offset(bindparam("offset"))
)
# A parameter without a type takes the type of the column it is compared with ("status" too).
_TODAY: BindParameter[date] = bindparam("today")
# Paused today, as ``rules.public_status`` says (NULL dates would make NOT(...) unknown).
_PAUSED_NOW = and_(
    col(Diner.status) != DinerStatus.left,
    col(Diner.paused_from).is_not(None),
    col(Diner.paused_to).is_not(None),
    col(Diner.paused_from) <= _TODAY,
    col(Diner.paused_to) >= _TODAY,
)
_CARERS = _LISTED.where(col(Diner.carer_id) == bindparam("carer_id"))
_COUNCILS = _LISTED.where(col(Diner.council_id) == bindparam("council_id"))
_COUNCILS_PAUSED = _COUNCILS.where(_PAUSED_NOW)
_COUNCILS_BY_STATUS = _COUNCILS.where(
    col(Diner.status) == bindparam("status"),
    not_(_PAUSED_NOW),
)
_COUNCIL_CLOCK = core_select(col(Council.timezone)).where(
    col(Council.id) == bindparam("council_id")
)


def _listed_page(
    session: Session,
    query: Select[*tuple[Any, ...]],
    params: dict[str, Any],
    *,
    limit: int,
    offset: int,
) -> tuple[list[ListedDiner], int]:
    """One page of ``query`` (one of the statements above) and how many rows it has in all."""
    rows, total = page_of_rows(session.connection(), query, params, limit=limit, offset=offset)
    return [ListedDiner(*row[:-1]) for row in rows], total


def list_carers_diners(
    session: Session, *, carer: User, limit: int, offset: int
) -> tuple[list[ListedDiner], int]:
    return _listed_page(session, _CARERS, {"carer_id": carer.id}, limit=limit, offset=offset)


def list_council_diners(
    session: Session, *, staff: User, status: DinerStatus | None, limit: int, offset: int
) -> tuple[list[ListedDiner], int]:
    """The staff member's council's diners, by public status today when one is asked for."""
    # Only the council's clock, not the whole council as a model object.
    clock = session.connection().execute(_COUNCIL_CLOCK, {"council_id": staff.council_id}).first()
    if clock is None:
        raise NotFound("Council not found")
    params: dict[str, Any] = {"council_id": staff.council_id}
    query = _COUNCILS
    if status is not None:
        params["today"] = council_today(clock)
        if status == DinerStatus.paused:
            query = _COUNCILS_PAUSED
        else:
            query = _COUNCILS_BY_STATUS
            params["status"] = status
    return _listed_page(session, query, params, limit=limit, offset=offset)


def pause_diner(session: Session, *, actor: User, diner: Diner, body: PauseIn) -> Diner:
    """Pause from..to (a hospital stay, a holiday); the schedule resumes by itself after.

    Only the diner's record: app.flows.diners.pause_diner also cancels and restores meals."""
    if diner.status == DinerStatus.left:
        raise Conflict("This diner has left")
    council = session.get(Council, diner.council_id)
    assert council is not None
    today = council_today(council)
    if body.to < today:
        raise RuleBroken("pause_in_past", ["to"], "The pause must not end in the past")
    if (held := pause_held(diner, today)) and (
        body.to < held[0] - timedelta(days=1) or body.from_ > held[1] + timedelta(days=1)
    ):
        # A diner has one pause at a time: dates apart from it would replace it, and bring
        # back the meals of a hospital stay still to come (an outside check found it).
        raise Conflict(
            f"Meals are already paused from {long_day(held[0])} to {long_day(held[1])}, and "
            "there is one pause at a time: cancel that one first, or wait until it ends"
        )
    diner.paused_from, diner.paused_to = body.from_, body.to
    diner.status_reason = body.reason
    session.add(diner)
    _audit_if_staff(
        session, actor, diner, "diner.paused", {"from": str(body.from_), "to": str(body.to)}
    )
    session.flush()
    return diner


def long_day(day: date) -> str:
    """ "3 December 2026", as a message names a day."""
    return f"{day.day} {day:%B %Y}"


def pause_held(diner: Diner, today: date) -> tuple[date, date] | None:
    """The diner's pause that has not ended yet (from, to), if any."""
    if diner.paused_from is None or diner.paused_to is None or diner.paused_to < today:
        return None
    return diner.paused_from, diner.paused_to


def cancel_pause(session: Session, *, actor: User, diner: Diner) -> Diner:
    """The pause is off (home from hospital early): only the diner's record, as pause_diner;
    app.flows.diners.cancel_pause brings the meals back."""
    council = session.get(Council, diner.council_id)
    assert council is not None
    if diner.status == DinerStatus.left or pause_held(diner, council_today(council)) is None:
        raise Conflict("There is no pause to cancel")
    diner.paused_from = diner.paused_to = None
    diner.status_reason = None
    session.add(diner)
    _audit_if_staff(session, actor, diner, "diner.pause_cancelled", {})
    session.flush()
    return diner


def leave_diner(session: Session, *, actor: User, diner: Diner, reason: str) -> Diner:
    """The diner leaves the service; history is kept (app.flows.diners.leave_diner also ends
    their pairings)."""
    if diner.status == DinerStatus.left:
        raise Conflict("This diner has already left")
    diner.status, diner.status_reason = DinerStatus.left, reason
    session.add(diner)
    _audit_if_staff(session, actor, diner, "diner.left", {})
    session.flush()
    return diner


def coordinator_id(session: Session, diner: Diner) -> int | None:
    """The user who coordinates the diner's neighbourhood (told about meals needing a hand)."""
    if diner.neighbourhood_id is None:
        return None
    hood = session.get(Neighbourhood, diner.neighbourhood_id)
    return hood.coordinator_id if hood else None


def alert_recipients(session: Session, diner: Diner) -> list[int]:
    """Who is told what the council side must act on about a diner (a missed meal, a meal
    without cover, a declined invitation, a concern, a lapse): the coordinator of their
    neighbourhood; where it has none (or theirs is no longer active), every active staff
    member of the diner's council, so that no alert is dropped. Ids in order."""
    coordinator = coordinator_id(session, diner)
    if coordinator is not None:
        user = session.get(User, coordinator)
        if user is not None and user.is_active:
            return [coordinator]
    staff = session.exec(
        select(User.id)
        .where(
            User.role == "staff",
            User.council_id == diner.council_id,
            col(User.is_active).is_(True),
        )
        .order_by(col(User.id))
    ).all()
    return [s for s in staff if s is not None]


def view_diner_as_staff(session: Session, *, staff: User, diner_id: int) -> Diner:
    """The full record for staff; the view of the address is audited (committed here, in a
    short writing transaction of its own when the request's session only reads)."""
    diner = get_councils_diner(session, staff=staff, diner_id=diner_id)
    with writing(session):
        audit_address_read(session, viewer=staff, diner=diner)
    return diner


def audit_address_view(session: Session, *, viewer: User, diner: Diner) -> None:
    """A response giving the diner's address to anyone but their carer is audited (each one:
    the answer to a change, which the log records as well)."""
    _audit_address(session, viewer=viewer, diner=diner, record=record_audit)


def audit_address_read(session: Session, *, viewer: User, diner: Diner) -> None:
    """A page or a read (a GET) showing the diner's address, audited as `audit_address_view`
    but once per viewer and diner within `audit.VIEW_WINDOW`: a reload adds nothing."""
    _audit_address(session, viewer=viewer, diner=diner, record=record_view)


def _audit_address(
    session: Session, *, viewer: User, diner: Diner, record: Callable[..., object]
) -> None:
    if viewer.id is not None and viewer.id == diner.carer_id:
        return
    record(
        session,
        actor_id=viewer.id,
        council_id=diner.council_id,
        action="diner.address_viewed",
        subject_type="diner",
        subject_id=diner.id,
    )


def _audit_if_staff(
    session: Session, actor: User, diner: Diner, action: str, data: dict[str, object]
) -> None:
    if actor.role == "staff":
        record_audit(
            session,
            actor_id=actor.id,
            council_id=diner.council_id,
            action=action,
            subject_type="diner",
            subject_id=diner.id,
            data=data,
        )
