"""A diner's full record as staff read it: who they are to the service (carer and their
contact, or who referred them; neighbourhood), every pairing with its cook by name, their
recent meals with who brought each, and the feedback and survey answers about them.

A handful of queries per record, none per pairing or meal. Read-only: the caller has already
checked that the diner is of the staff member's council (and audited the view)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from sqlmodel import Session, col, func, select

from app.db import utcnow
from app.models import (
    OPEN_STATUSES,
    Cook,
    Diner,
    Meal,
    MealFeedback,
    Neighbourhood,
    OutcomeAnswer,
    Pairing,
    User,
)
from app.vocab import MealStatus

RECENT_MEALS = 10
FEEDBACK_SHOWN = 20
NEXT_MEALS = 3


@dataclass(frozen=True)
class Person:
    id: int | None  # the cook's profile id for a cook (their record's link); else the user's
    name: str
    email: str | None = None
    phone: str | None = None
    elsewhere: bool = False  # a cook who now volunteers with another council: named, no link


@dataclass(frozen=True)
class PairingLine:
    id: int
    cook: Person
    status: str
    weekday: int
    start: str
    frequency: str
    proposed_at: datetime
    accepted_at: datetime | None
    ended_at: datetime | None
    end_reason: str | None
    end_note: str | None  # staff's words when they ended it (staff pages only)
    pause_reason: str | None


@dataclass(frozen=True)
class MealLine:
    id: int
    date: date
    start: str
    status: str
    is_cover: bool
    cook: Person | None
    cancel_reason: str | None


@dataclass(frozen=True)
class FeedbackLine:
    meal_date: date
    cook: Person | None
    rating: int
    comment: str | None
    at: datetime


@dataclass(frozen=True)
class SurveyLine:
    considers_friend: bool
    at: datetime
    cook: Person | None


@dataclass(frozen=True)
class DinerRecord:
    diner: Diner
    neighbourhood: str | None
    carer: Person | None
    referred_by: Person | None
    pairings: list[PairingLine]  # newest first
    meals: list[MealLine]  # the latest RECENT_MEALS whose time has come, newest first
    next_meals: list[MealLine]  # the next few, soonest first
    feedback: list[FeedbackLine]  # newest first
    survey: list[SurveyLine]  # newest first
    meal_counts: dict[str, int]  # delivered / missed / covered (covered: delivered by a cover)

    @property
    def open_pairing(self) -> PairingLine | None:
        return next((p for p in self.pairings if p.status in OPEN_STATUSES), None)

    @property
    def waiting_since(self) -> datetime:
        """When they last started waiting (as app/diners/search.py): the end of their last
        accepted pairing, or their sign-up."""
        ends = [p.ended_at for p in self.pairings if p.accepted_at and p.ended_at]
        return max(ends) if ends else self.diner.created_at


def _cooks(session: Session, cook_ids: set[int], *, council_id: int) -> dict[int, Person]:
    """Cooks by profile id, with their full names (one query). A cook who has moved to another
    council is named and marked `elsewhere`: their record is that council's (it answers 404
    here, as moderation.rules.is_theirs says), so the record page does not link to it."""
    if not cook_ids:
        return {}
    rows = session.exec(
        select(Cook.id, User.full_name, Cook.council_id)
        .join(User, col(User.id) == col(Cook.user_id))
        .where(col(Cook.id).in_(cook_ids))
    ).all()
    return {
        i: Person(id=i, name=name, elsewhere=council != council_id)
        for i, name, council in rows
        if i is not None
    }


def _user(session: Session, user_id: int | None) -> Person | None:
    if user_id is None:
        return None
    user = session.get(User, user_id)
    if user is None:
        return None
    if user.anonymised_at is not None:  # its placeholder address is nobody's to write to
        return Person(id=user.id, name=user.full_name)
    return Person(id=user.id, name=user.full_name, email=user.email, phone=user.phone)


def diner_record(session: Session, *, diner: Diner) -> DinerRecord:
    """The diner's full record (the diner already loaded and checked by the caller)."""
    hood = session.get(Neighbourhood, diner.neighbourhood_id) if diner.neighbourhood_id else None
    pairings = session.exec(
        select(Pairing)
        .where(col(Pairing.diner_id) == diner.id)
        .order_by(col(Pairing.proposed_at).desc(), col(Pairing.id).desc())
    ).all()
    # By the meal's moment, not its day: a meal later today is still coming up (it was listed
    # among the recent ones, an outside check).
    now = utcnow()
    past = session.exec(
        select(Meal)
        .where(col(Meal.diner_id) == diner.id, col(Meal.at) <= now)
        .order_by(col(Meal.date).desc(), col(Meal.start).desc(), col(Meal.id).desc())
        .limit(RECENT_MEALS)
    ).all()
    upcoming = session.exec(
        select(Meal)
        .where(col(Meal.diner_id) == diner.id, col(Meal.at) > now)
        .order_by(col(Meal.date), col(Meal.start), col(Meal.id))
        .limit(NEXT_MEALS)
    ).all()
    feedback = session.exec(
        select(MealFeedback, Meal)
        .join(Meal, col(Meal.id) == col(MealFeedback.meal_id))
        .where(col(Meal.diner_id) == diner.id)
        .order_by(col(MealFeedback.created_at).desc())
        .limit(FEEDBACK_SHOWN)
    ).all()
    answers = session.exec(
        select(OutcomeAnswer, Pairing.cook_id)
        .join(Pairing, col(Pairing.id) == col(OutcomeAnswer.pairing_id), isouter=True)
        .where(col(OutcomeAnswer.diner_id) == diner.id)
        .order_by(col(OutcomeAnswer.answered_at).desc())
    ).all()
    counts = session.exec(
        select(Meal.status, Meal.is_cover, func.count())
        .where(col(Meal.diner_id) == diner.id)
        .group_by(col(Meal.status), col(Meal.is_cover))
    ).all()
    cook_ids = {p.cook_id for p in pairings}
    cook_ids |= {m.cook_id for m in [*past, *upcoming] if m.cook_id is not None}
    cook_ids |= {m.cook_id for _, m in feedback if m.cook_id is not None}
    cook_ids |= {c for _, c in answers if c is not None}
    cooks = _cooks(session, cook_ids, council_id=diner.council_id)

    def meal_line(m: Meal) -> MealLine:
        assert m.id is not None
        return MealLine(
            id=m.id,
            date=m.date,
            start=m.start,
            status=m.status,
            is_cover=m.is_cover,
            cook=cooks.get(m.cook_id) if m.cook_id is not None else None,
            cancel_reason=m.cancel_reason,
        )

    tally = {"delivered": 0, "missed": 0, "covered": 0}
    for status, is_cover, n in counts:
        if status == MealStatus.delivered:
            tally["delivered"] += n
            if is_cover:
                tally["covered"] += n
        elif status == MealStatus.missed:
            tally["missed"] += n
    return DinerRecord(
        diner=diner,
        neighbourhood=hood.name if hood else None,
        carer=_user(session, diner.carer_id),
        referred_by=_user(session, diner.referred_by_id),
        pairings=[
            PairingLine(
                id=p.id or 0,
                cook=cooks.get(p.cook_id, Person(id=p.cook_id, name="A cook")),
                status=p.status,
                weekday=p.weekday,
                start=p.start,
                frequency=p.frequency,
                proposed_at=p.proposed_at,
                accepted_at=p.accepted_at,
                ended_at=p.ended_at,
                end_reason=p.end_reason,
                end_note=p.end_note,
                pause_reason=p.pause_reason,
            )
            for p in pairings
        ],
        meals=[meal_line(m) for m in past],
        next_meals=[meal_line(m) for m in upcoming],
        feedback=[
            FeedbackLine(
                meal_date=m.date,
                cook=cooks.get(m.cook_id) if m.cook_id is not None else None,
                rating=f.rating,
                comment=f.comment,
                at=f.created_at,
            )
            for f, m in feedback
        ],
        survey=[
            SurveyLine(
                considers_friend=a.considers_friend,
                at=a.answered_at,
                cook=cooks.get(c) if c is not None else None,
            )
            for a, c in answers
        ],
        meal_counts=tally,
    )
