"""Concerns: raised by a diner's cook or carer, triaged by staff; serious ones pause at once.

Each has a reference the raiser quotes and a status they can follow (their own list, and one
concern by its reference); they are told when it moves on.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

from sqlmodel import Session, col, select

from app.audit import record_audit
from app.concerns.categories import CATEGORY_NAMES, RAISER_STATUS, new_reference
from app.config import get_settings
from app.cooks.service import find_own_profile
from app.councils.rules import council_today
from app.db import lock_row, paginate, utcnow
from app.diners.service import alert_recipients
from app.errors import NotFound, RuleBroken
from app.meals.service import cancel_future_meals
from app.models import Concern, Cook, Council, Diner, Meal, PairExclusion, Pairing, User
from app.models.concern import REFERENCE_ALPHABET, REFERENCE_LENGTH, REFERENCE_PREFIX
from app.moderation.service import suspend_cook
from app.names import first_name
from app.notifications import messages
from app.notifications.outbox import enqueue, tell
from app.pairings.lifecycle import (
    covered_meals,
    end_pairing,
    exclude_pair,
    lock_pairing,
    release_cook,
    resume_pairing,
)
from app.vocab import (
    RUNNING_PAIRING_STATUSES,
    CancelReason,
    ConcernCategory,
    ConcernStatus,
    CookStatus,
    EndReason,
    ExclusionReason,
    MealStatus,
    PairingStatus,
    PauseReason,
)

# "EP-7KQ3MD": a reference of any other shape is not looked up.
_REFERENCE_SHAPE = re.compile(
    rf"{re.escape(REFERENCE_PREFIX)}[{REFERENCE_ALPHABET}]{{{REFERENCE_LENGTH}}}"
)


ENDED_CONCERN_DAYS = 28  # a concern soon after a pairing ended is about that pairing's cook


def _current_pairing(session: Session, diner_id: int) -> Pairing | None:
    return session.exec(
        select(Pairing).where(
            Pairing.diner_id == diner_id, col(Pairing.status).in_(RUNNING_PAIRING_STATUSES)
        )
    ).first()


def _concern_pairing(session: Session, diner_id: int) -> Pairing | None:
    """The pairing a concern about the diner is about: the running one, else one that ended in
    the last ENDED_CONCERN_DAYS (a carer who asked for another cook, then reported the last
    meal, raised a concern staff could not tie to that cook: "No cook at the time")."""
    if (running := _current_pairing(session, diner_id)) is not None:
        return running
    return session.exec(
        select(Pairing)
        .where(
            Pairing.diner_id == diner_id,
            Pairing.status == PairingStatus.ended,
            col(Pairing.ended_at) >= utcnow() - timedelta(days=ENDED_CONCERN_DAYS),
        )
        .order_by(col(Pairing.ended_at).desc(), col(Pairing.id).desc())
    ).first()


COVER_CONCERN_DAYS = 14  # a cover cook may raise a concern about a recent or coming visit


def _may_raise(session: Session, user: User, diner: Diner) -> bool:
    """The diner's carer, the cook of their current pairing, or a recent or coming cover cook
    (never a cook excluded from this diner). Nobody, once the diner is erased: new words would
    be held about a record that no longer names anyone, out of the erasure's reach."""
    if diner.anonymised_at is not None:
        return False
    if user.role == "carer":
        return diner.carer_id == user.id
    if user.role != "cook":
        return False
    cook = find_own_profile(session, user=user)
    if cook is None or cook.status != CookStatus.approved:
        # A suspended (or rejected, or departed) cook still signs in to read their page, but a
        # serious concern from them would stop another cook's meals: they call the council.
        return False
    excluded = session.exec(
        select(PairExclusion.id).where(
            PairExclusion.diner_id == diner.id, PairExclusion.cook_id == cook.id
        )
    ).first()
    if excluded is not None:
        return False
    pairing = _current_pairing(session, diner.id or 0)
    if pairing is not None and pairing.cook_id == cook.id:
        return True
    council = session.get(Council, diner.council_id)
    assert council is not None
    since = council_today(council) - timedelta(days=COVER_CONCERN_DAYS)
    covered = session.exec(
        select(Meal.id).where(
            Meal.diner_id == diner.id,
            Meal.cook_id == cook.id,
            col(Meal.is_cover).is_(True),
            col(Meal.status).in_((MealStatus.scheduled, MealStatus.delivered)),
            col(Meal.date) >= since,
        )
    ).first()
    return covered is not None


def may_raise(session: Session, *, user: User, diner_id: int) -> Diner:
    """The diner, if this person may raise a concern about them (their carer, their cook, a
    recent cover cook); anyone else: not found."""
    diner = session.get(Diner, diner_id)
    if diner is None or not _may_raise(session, user, diner):
        raise NotFound("Diner not found")
    return diner


def raise_concern(
    session: Session,
    *,
    user: User,
    diner_id: int,
    kind: ConcernCategory,
    serious: bool,
    description: str,
) -> Concern:
    """A concern about a diner (and their current pairing); serious → the pairing pauses."""
    diner = session.get(Diner, diner_id)
    if diner is None or not _may_raise(session, user, diner):
        raise NotFound("Diner not found")
    pairing = _concern_pairing(session, diner_id)
    concern = Concern(
        council_id=diner.council_id,
        diner_id=diner_id,
        pairing_id=pairing.id if pairing else None,
        raised_by_id=user.id,  # type: ignore[arg-type]
        kind=kind,
        reference=_free_reference(session),
        serious=serious,
        description=description,
    )
    session.add(concern)
    session.flush()
    paused = serious and pairing is not None and pairing.status == PairingStatus.active
    if paused:
        assert pairing is not None
        _pause(session, pairing)
        _tell_pair(session, concern, pairing, paused=True)
    raised = messages.concern_raised(
        reference=concern.reference,
        category_name=CATEGORY_NAMES.get(kind, kind),
        serious=serious,
        diner_name=first_name(diner.full_name),
        page=get_settings().link(f"/staff/concerns/{concern.id}"),
    )
    received = messages.concern_received(reference=concern.reference, paused=paused)
    tell(session, received, to=user, dedupe_key=f"concern:{concern.id}:received")
    for to in alert_recipients(session, diner):  # the coordinator, else the council's staff
        enqueue(
            session,
            event=raised.event,
            to=to,
            subject=raised.subject,
            body=raised.body,
            dedupe_key=f"concern:{concern.id}:raised",
            about_diner_id=diner.id,
        )
    record_audit(
        session,
        actor_id=user.id,
        council_id=diner.council_id,
        action="concern.raised",
        subject_type="concern",
        subject_id=concern.id,
        data={"kind": kind, "serious": serious},
    )
    return concern


def _free_reference(session: Session) -> str:
    """A reference no concern has (31^6 of them: a repeat is rare, and then drawn again)."""
    while True:
        reference = new_reference()
        if session.exec(select(Concern.id).where(Concern.reference == reference)).first() is None:
            return reference


def raised_by(
    session: Session, *, user: User, limit: int = 50, offset: int = 0
) -> tuple[list[Concern], int]:
    """The concerns this person raised, newest first."""
    return paginate(
        session,
        select(Concern).where(Concern.raised_by_id == user.id),
        order_by=(col(Concern.created_at).desc(), col(Concern.id).desc()),
        limit=limit,
        offset=offset,
    )


def get_raised_concern(session: Session, *, user: User, reference: str) -> Concern:
    """One concern by its reference, for the person who raised it; anyone else's: not found
    (as is anything not shaped like a reference, such as a NUL, which PostgreSQL refuses)."""
    reference = reference.upper()
    concern = (
        session.exec(select(Concern).where(Concern.reference == reference)).first()
        if _REFERENCE_SHAPE.fullmatch(reference)
        else None
    )
    if concern is None or concern.raised_by_id != user.id:
        raise NotFound("Concern not found")
    return concern


def _tell_the_raiser(session: Session, concern: Concern) -> None:
    """The raiser hears that their concern moved on (the words they see, not the outcome)."""
    words, _, next_step = RAISER_STATUS[concern.status]
    told = messages.concern_status(
        reference=concern.reference, status_words=words, next_step=next_step
    )
    enqueue(
        session,
        event=told.event,
        to=concern.raised_by_id,
        subject=told.subject,
        body=told.body,
        dedupe_key=f"concern:{concern.id}:{concern.status}:{len(concern.notes)}",
        about_diner_id=concern.diner_id,
    )


def _tell_pair(session: Session, concern: Concern, pairing: Pairing, *, paused: bool) -> None:
    """The cook and the carer learn that the meals stop, or go on (a pause for a concern was
    silent: the cook could still turn up with the next meal)."""
    diner, cook = session.get(Diner, pairing.diner_id), session.get(Cook, pairing.cook_id)
    assert diner is not None and cook is not None
    name = first_name(diner.full_name)
    if paused:
        to_cook = messages.concern_pause_to_cook(diner_name=name)
        # A concern the carer did not raise may be about the household (a cook's safeguarding
        # worry): the carer too is told only that the meals stop, as the cook is.
        to_carer = messages.concern_pause_to_carer(
            diner_name=name,
            cook_name=cook.display_name,
            raised_it=concern.raised_by_id == diner.carer_id,
        )
    else:
        to_cook = to_carer = messages.concern_resumed(diner_name=name)
    for to, message in ((cook.user_id, to_cook), (diner.carer_id, to_carer)):
        enqueue(
            session,
            event=message.event,
            to=to,
            subject=message.subject,
            body=message.body,
            dedupe_key=f"concern:{concern.id}:{message.event}",
            about_diner_id=diner.id,
        )


def _pause(session: Session, pairing: Pairing) -> None:
    council, diner = session.get(Council, pairing.council_id), session.get(Diner, pairing.diner_id)
    assert council is not None and diner is not None
    if pairing.status != PairingStatus.paused:  # a pause for changed needs keeps its own reason
        pairing.status, pairing.pause_reason = PairingStatus.paused, PauseReason.concern
    session.add(pairing)
    today = council_today(council)
    covered = covered_meals(session, pairing=pairing, today=today)
    cancel_future_meals(session, pairing=pairing, reason=CancelReason.concern_pause, today=today)
    for meal, cover_user_id in covered:  # told, or they would come (and be told "back on")
        paused = messages.concern_pause_to_cook(diner_name=first_name(diner.full_name))
        enqueue(
            session,
            event=paused.event,
            to=cover_user_id,
            subject=paused.subject,
            body=paused.body,
            dedupe_key=f"meal:{meal.id}:concern_pause:{utcnow().isoformat()}",
            about_diner_id=diner.id,
        )


def serious_concern_open(
    session: Session, *, pairing_id: int | None, other_than: int | None = None
) -> bool:
    """A serious concern about the pairing still open (but `other_than`, the one being
    decided): a pause for it is the concern's to lift, whatever else changes."""
    query = select(Concern.id).where(
        Concern.pairing_id == pairing_id,
        col(Concern.serious).is_(True),
        col(Concern.status).in_((ConcernStatus.open, ConcernStatus.investigating)),
    )
    if other_than is not None:
        query = query.where(Concern.id != other_than)
    return session.exec(query).first() is not None


def get_councils_concern(session: Session, *, staff: User, concern_id: int) -> Concern:
    concern = session.get(Concern, concern_id)
    if concern is None or concern.council_id != staff.council_id:
        raise NotFound("Concern not found")
    return concern


def list_concerns(
    session: Session, *, staff: User, status: str | None, limit: int, offset: int
) -> tuple[list[Concern], int]:
    query = select(Concern).where(Concern.council_id == staff.council_id)
    if status:
        query = query.where(Concern.status == status)
    return paginate(
        session,
        query,
        order_by=(col(Concern.created_at).desc(), col(Concern.id).desc()),
        limit=limit,
        offset=offset,
    )


def paused_for_concern(pairing: Pairing | None) -> bool:
    """Whether a concern's pause holds this pairing (upholding one then needs a decision)."""
    return (
        pairing is not None
        and pairing.status == PairingStatus.paused
        and pairing.pause_reason == PauseReason.concern
    )


SENT_AGAIN_WITHIN = timedelta(minutes=2)


def _lock_pair(session: Session, pairing: Pairing) -> Pairing | None:
    """The pairing's cook, then its diner and itself, locked and read as they are now (the
    concern after them: an erasure locks the diner, then changes their concerns)."""
    cook = session.get(Cook, pairing.cook_id)
    if cook is not None:
        lock_row(session, cook)
    return lock_pairing(session, pairing.id or 0)


def _sent_again(concern: Concern, *, staff: User, status: ConcernStatus, note: str) -> bool:
    """Whether this staff member moved the concern to this status with this note a moment
    ago: the same form sent again."""
    if concern.status != status or not concern.notes:
        return False
    last = concern.notes[-1]
    if last.get("staff_id") != staff.id or last.get("text") != note:
        return False
    try:
        at = datetime.fromisoformat(str(last.get("at")))
    except ValueError:
        return False
    return utcnow() - (at if at.tzinfo else at.replace(tzinfo=UTC)) < SENT_AGAIN_WITHIN


def triage(
    session: Session,
    *,
    staff: User,
    concern: Concern,
    status: ConcernStatus,
    note: str,
    exclude: bool,
    suspend: bool,
    resume: bool = False,
) -> Concern:
    """Move a concern on, with a note; an upheld one can exclude the pair or suspend the cook,
    or, when it paused the pairing, let its meals start again (`resume`): one of them must be
    said then."""
    if (exclude or suspend or resume) and status != ConcernStatus.upheld:
        field = "exclude_pair" if exclude else "suspend_cook" if suspend else "resume_meals"
        raise RuleBroken(
            "concern_not_upheld",
            [field],
            "Only an upheld concern can exclude, suspend or let the meals start again",
        )
    if resume and (exclude or suspend):
        raise RuleBroken(
            "resume_with_a_stop",
            ["resume_meals"],
            "The meals cannot start again with the pair kept apart or the cook suspended: "
            "untick one",
        )
    if concern.council_id != staff.council_id:
        raise NotFound("Concern not found")
    pairing = session.get(Pairing, concern.pairing_id) if concern.pairing_id else None
    if pairing is not None and pairing.council_id != concern.council_id:
        pairing = None  # never act on another council's pairing
    if pairing is not None and status in (ConcernStatus.upheld, ConcernStatus.resolved):
        # This can end, resume or suspend: rows are locked in lock_row's order (the cook, the
        # diner and the pairing here, their meals later), as recording a cover or the cook's
        # own steps lock them. Upholding locked the meals (ending the pairing) and only then
        # the cook (suspending them): the two could each wait for the other for ever.
        pairing = _lock_pair(session, pairing)
    lock_row(session, concern)  # the same form sent twice at once: one after the other
    if _sent_again(concern, staff=staff, status=status, note=note) and not (
        exclude or suspend or resume
    ):
        return concern  # a double click (a walk kept one note three times): nothing new
    if concern.status == ConcernStatus.upheld and status != ConcernStatus.upheld:
        # Its consequences (a pair excluded, a cook suspended) stay whatever the status says:
        # "resolved: nothing was wrong" beside a cook still suspended for it (an outside check).
        raise RuleBroken(
            "concern_upheld_already",
            ["status"],
            "This concern is upheld: that stays. You can add a note; to lift the cook's "
            "suspension, reinstate them from their record",
        )
    cook = session.get(Cook, pairing.cook_id) if pairing else None
    if suspend and cook is not None and cook.council_id != staff.council_id:
        # The cook moved council after the concern was raised: excluding the pair still
        # protects this council's diner, but only the cook's own council can suspend them.
        raise RuleBroken(
            "cook_outside_council",
            ["suspend_cook"],
            "This cook is no longer in your council's area: their council decides on them",
        )
    paused_for_it = paused_for_concern(pairing)
    newly_upheld = status == ConcernStatus.upheld and concern.status != ConcernStatus.upheld
    if newly_upheld and paused_for_it and not (exclude or suspend or resume):
        # Upholding a concern that stopped the meals started them again unasked: a cook who
        # asked a diner for money was back at the door (an outside check).
        raise RuleBroken(
            "upheld_needs_a_decision",
            ["resume_meals"],
            "This concern paused the meals: say what happens next: never match this pair "
            "again, suspend the cook, or let the meals start again",
        )
    if resume and paused_for_it and cook is not None:
        # Asked for, it happens, or the staff member hears why not (a review: it was skipped
        # in silence, "saved", the meals still paused).
        if cook.council_id != concern.council_id or cook.status != CookStatus.approved:
            raise RuleBroken(
                "cannot_resume",
                ["resume_meals"],
                "The meals cannot start again: the cook is no longer an approved cook here",
            )
        if serious_concern_open(session, pairing_id=concern.pairing_id, other_than=concern.id):
            raise RuleBroken(
                "cannot_resume",
                ["resume_meals"],
                "The meals cannot start again while another serious concern about this pairing "
                "is open: decide on that one too",
            )
    moved_on = RAISER_STATUS[status][0] != RAISER_STATUS[concern.status][0]
    concern.status, concern.updated_at = status, utcnow()
    concern.notes = [
        *concern.notes,
        {"at": utcnow().isoformat(), "staff_id": staff.id, "text": note},
    ]
    session.add(concern)
    if moved_on:
        _tell_the_raiser(session, concern)
    # Upheld, and staff said the meals start again: its pause for the concern ends as for a
    # concern resolved.
    kept = status == ConcernStatus.upheld and resume
    if (
        (status == ConcernStatus.resolved or kept)
        and pairing is not None
        and cook is not None
        and paused_for_it  # never resume a pause for changed needs
        and cook.council_id == pairing.council_id
        and cook.status == CookStatus.approved
        and not serious_concern_open(session, pairing_id=concern.pairing_id, other_than=concern.id)
    ):
        # Nothing found, or put right: meals resume.
        resume_pairing(session, pairing=pairing, cancelled_for=CancelReason.concern_pause)
        _tell_pair(session, concern, pairing, paused=False)
    if status == ConcernStatus.upheld and pairing is not None and cook is not None:
        if exclude:
            if pairing.status in RUNNING_PAIRING_STATUSES:
                end_pairing(session, pairing=pairing, reason=EndReason.concern_upheld)
            exclude_pair(
                session,
                diner_id=pairing.diner_id,
                cook_id=pairing.cook_id,
                reason=ExclusionReason.concern_upheld,
            )
        # The cook's row is locked (`_lock_pair`): one suspended meanwhile is not suspended twice.
        if suspend and cook.status in (CookStatus.approved, CookStatus.pending):
            # The reference staff and the raiser know (the cook read "Concern 4 upheld").
            reason = f"A concern was upheld (reference {concern.reference})"
            suspend_cook(session, staff=staff, cook=cook, reason=reason)
            release_cook(session, cook=cook, reason=EndReason.cook_suspended)
    record_audit(
        session,
        actor_id=staff.id,
        council_id=concern.council_id,
        action=f"concern.{status}",
        subject_type="concern",
        subject_id=concern.id,
        data={"exclude_pair": exclude, "suspend_cook": suspend, "resume_meals": resume},
    )
    session.flush()
    return concern
