"""Data protection: a person's own data as JSON, and erasure that keeps anonymous history."""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any

from sqlalchemy import and_, or_
from sqlmodel import Session, col, delete, select, update

from app.accounts.passwords import UNUSABLE_PASSWORD
from app.audit import record_audit
from app.cooks.service import find_own_profile
from app.councils.rules import council_today
from app.db import lock_row, utcnow
from app.errors import Conflict, NotFound
from app.geo.distance import public_distance_m
from app.models import (
    AuditEntry,
    AuditReason,
    AuthSession,
    Concern,
    Cook,
    CookAway,
    Council,
    Diner,
    EmailChange,
    FormDraft,
    LoginFailure,
    Meal,
    MealFeedback,
    Neighbourhood,
    Notification,
    OutcomeAnswer,
    Pairing,
    ResetRequest,
    User,
)
from app.models.draft import user_owner
from app.names import NEUTRAL_COOK, first_name
from app.notifications import messages
from app.notifications.messages import Message
from app.notifications.outbox import tell
from app.notifications.sender import SENT_SECRET_BODIES
from app.pairings.lifecycle import covered_meals, diner_leaves, release_cook
from app.privacy.waiting_list import forget_email
from app.vocab import (
    RUNNING_PAIRING_STATUSES,
    CancelReason,
    CookStatus,
    DinerStatus,
    EndReason,
    Texture,
)

ERASED = "Erased"
ERASED_SUBJECT = "A message from Extra Portion"
TO_ERASED_BODY = "This message was to a person whose details have since been erased."
ERASED_BODY = (
    "This message was about a neighbour whose details have since been erased from Extra "
    "Portion, so what it said has been removed. Sign in to see your meals as they are now, "
    "or ask your coordinator."
)


def _row(
    model: Any, *, drop: tuple[str, ...] = (), include: tuple[str, ...] | None = None
) -> dict[str, Any]:
    row = model.model_dump(mode="json", include=set(include) if include else None)
    return {k: v for k, v in row.items() if k not in drop}


def export_own_data(session: Session, *, user: User) -> dict[str, Any]:
    """Everything held about the signed-in person (and, for a carer, their relatives).

    Left out, as SECURITY.md says: secrets (the password's hash, token hashes, a session's id,
    the calendar link), staff's notes, and concerns others raised (a safeguarding record is
    given out by the council's data protection officer, not by a download)."""
    data: dict[str, Any] = {"account": _row(user, drop=("password_hash", "email_key"))}
    cook = find_own_profile(session, user=user)
    if cook is not None:
        data |= _cook_data(session, cook)
    diners = session.exec(select(Diner).where(Diner.carer_id == user.id)).all()
    if diners:
        data |= _relatives_data(session, user, diners)
    data["concerns_raised"] = [
        _raised_concern(c)
        for c in session.exec(select(Concern).where(Concern.raised_by_id == user.id))
    ]
    data["messages"] = [
        _message(m)
        for m in session.exec(
            select(Notification)
            .where(Notification.to_user_id == user.id)
            .order_by(col(Notification.id))
        )
    ]
    data["sign_ins"] = [
        _row(s, drop=("id", "user_id"))
        for s in session.exec(
            select(AuthSession)
            .where(AuthSession.user_id == user.id)
            .order_by(col(AuthSession.created_at))
        )
    ]
    data["email_changes"] = [
        _row(c, drop=("id", "user_id", "token_hash"))
        for c in session.exec(select(EmailChange).where(EmailChange.user_id == user.id))
    ]
    subjects = [("user", user.id)] + ([("cook", cook.id)] if cook is not None else [])
    data["records_about_you"] = _records_about(session, subjects)
    return data


# How a message was sent, not what it said: the sender's bookkeeping.
MESSAGE_INTERNALS = (
    "id",
    "to_user_id",
    "dedupe_key",
    "message_id",
    "attempts",
    "next_attempt_at",
    "claimed_by",
    "claimed_until",
    "last_error",
    "provider",
    "provider_ref",
)


def _message(message: Notification) -> dict[str, Any]:
    row = _row(message, drop=MESSAGE_INTERNALS)
    # A reset or confirming link still waiting to go would let whoever holds the session take
    # the account without its password: the download says what it was, as the outbox does.
    if message.event in SENT_SECRET_BODIES:
        row["body"] = SENT_SECRET_BODIES[message.event]
    return row


def _cook_data(session: Session, cook: Cook) -> dict[str, Any]:
    pairings = session.exec(select(Pairing).where(Pairing.cook_id == cook.id)).all()
    meals = session.exec(select(Meal).where(Meal.cook_id == cook.id)).all()
    ratings = session.exec(
        select(MealFeedback)
        .join(Meal, col(Meal.id) == col(MealFeedback.meal_id))
        .where(Meal.cook_id == cook.id)
    ).all()
    away = session.exec(select(CookAway).where(CookAway.cook_id == cook.id)).all()
    return {
        "cook_profile": _row(cook, drop=("calendar_token",)),
        # The cook sees the distance as everyone but staff does: to 100 m (API.md).
        # Without staff's words on why they ended one (staff's notes, left out as above).
        "pairings": [
            _row(p, drop=("end_note",)) | {"distance_m": public_distance_m(p.distance_m)}
            for p in pairings
        ],
        "meals": [_row(m) for m in meals],
        "away": [_row(a, drop=("cook_id",)) for a in away],
        # Carers' ratings of the meals they cooked; a comment is the carer's own words.
        "meal_ratings": [_row(f, include=("meal_id", "rating", "created_at")) for f in ratings],
    }


SUSPENDED = CancelReason.cook_suspended  # the cook's own record: the carer reads "ended"


def _ended_to_carer(pairing: Pairing, cook_name: str, diners: Sequence[Diner]) -> str | None:
    """Why the relative's meals with this cook stopped, as the carer was told; nothing for a
    proposal the cook never accepted (the carer was not told of it)."""
    if pairing.ended_at is None or pairing.accepted_at is None:
        return None
    diner = next(d for d in diners if d.id == pairing.diner_id)
    return messages.why_ended_to_carer(
        cook_name=cook_name, diner_name=first_name(diner.full_name), reason=pairing.end_reason
    )


def _relatives_data(session: Session, carer: User, diners: Sequence[Diner]) -> dict[str, Any]:
    ids = [d.id for d in diners]
    pairings = session.exec(
        select(Pairing, Cook.display_name)
        .join(Cook, col(Cook.id) == col(Pairing.cook_id))
        .where(col(Pairing.diner_id).in_(ids))
        .order_by(col(Pairing.id))
    ).all()
    return {
        # The relative's coordinates are the matching's, never given outside the staff
        # (SECURITY.md): the address is there, as the carer gave it.
        "diners": [_row(d, drop=("latitude", "longitude", "geo_precision")) for d in diners],
        # Their cooks as the carer's pages show them: named once they accepted (a cook only
        # invited, or who declined, is not the carer's to know: a review found them named).
        # No distance, which no carer's page shows: re-measured from each address the carer
        # gives, it placed the cook's home to about 20 m (an outside check). Why it ended in
        # the words the carer was told ("cook_suspended" is the cook's own record), never in
        # staff's own (`end_note`).
        "diner_pairings": [
            _row(p, drop=("cook_id", "proposed_by_id", "distance_m", "end_reason", "end_note"))
            | {
                "cook": name if p.accepted_at is not None else None,
                "ended_because": _ended_to_carer(p, name, diners),
            }
            for p, name in pairings
        ],
        "diner_meals": [
            _row(m, drop=("cook_id",))
            | ({"cancel_reason": "pairing_ended"} if m.cancel_reason == SUSPENDED else {})
            for m in session.exec(select(Meal).where(col(Meal.diner_id).in_(ids)))
        ],
        "feedback": [
            _row(f)
            for f in session.exec(select(MealFeedback).where(MealFeedback.carer_id == carer.id))
        ],
        "outcomes": [
            _row(o)
            for o in session.exec(select(OutcomeAnswer).where(OutcomeAnswer.carer_id == carer.id))
        ],
        "records_about_your_relatives": _records_about(session, [("diner", i) for i in ids]),
    }


def _records_about(session: Session, subjects: Sequence[tuple[str, int | None]]) -> list[Any]:
    """The audit log's entries about these people (who looked at an address and when, a
    decision and the words staff gave for it), without the staff member's id."""
    about = or_(
        *(
            and_(col(AuditEntry.subject_type) == kind, col(AuditEntry.subject_id) == key)
            for kind, key in subjects
        )
    )
    rows = session.exec(
        select(AuditEntry, AuditReason.text)
        .outerjoin(AuditReason, col(AuditReason.audit_entry_id) == col(AuditEntry.id))
        .where(about)
        .order_by(col(AuditEntry.at), col(AuditEntry.id))
    ).all()
    return [
        {"at": entry.at.isoformat(), "action": entry.action} | ({"reason": said} if said else {})
        for entry, said in rows
    ]


# What the raiser of a concern wrote and where it stands; never the staff's notes or names.
RAISER_SEES = {
    "id",
    "reference",
    "diner_id",
    "pairing_id",
    "kind",
    "serious",
    "description",
    "status",
}


def _raised_concern(concern: Concern) -> dict[str, Any]:
    return concern.model_dump(mode="json", include=RAISER_SEES | {"created_at"})


def erase_diner(session: Session, *, staff: User, diner: Diner) -> Diner:
    """Anonymise a diner: pairings end, personal fields go; ids, dates and outcomes stay.

    Messages about the diner (queued or sent) and feedback on their meals lose their words.
    """
    lock_row(session, diner)
    if diner.anonymised_at is not None:
        raise Conflict("This diner has already been erased")
    stopping = _meals_stopping(session, diner)
    diner_leaves(session, diner=diner)  # queues "the meals have stopped": scrubbed below
    _scrub_notifications(session, diner=diner)
    _tell_cooks_to_stop(session, stopping)
    _scrub_feedback(session, diner=diner)
    diner.full_name, diner.address_line, diner.phone, diner.access_notes = (
        ERASED,
        ERASED,
        None,
        None,
    )
    # Their needs are health data, and their times a routine: gone with the name (staff were
    # told so, and the record still showed them).
    diner.diets, diner.allergies, diner.availability = [], [], []
    diner.other_allergies = None
    # A texture other than regular says there is a swallowing difficulty: health data too.
    diner.texture = Texture.regular
    diner.postcode = diner.postcode.split(" ")[0]  # the district stays for area figures
    diner.latitude, diner.longitude = round(diner.latitude, 2), round(diner.longitude, 2)
    diner.status, diner.status_reason, diner.anonymised_at = DinerStatus.left, None, utcnow()
    session.add(diner)
    _blur_distances(session, Pairing.diner_id == diner.id)
    _forget_end_notes(session, Pairing.diner_id == diner.id)
    for concern in session.exec(select(Concern).where(Concern.diner_id == diner.id)).all():
        concern.description, concern.notes = ERASED, []
        session.add(concern)
    _audit(session, staff, "diner.erased", "diner", diner.id)
    session.flush()
    return diner


def _meals_stopping(session: Session, diner: Diner) -> list[tuple[int, Message]]:
    """What each cook of the diner is told once the diner's words are gone: the scrubbed "the
    meals have stopped" no longer said to stop, nor which of a cook's neighbours it was (an
    outside check). By day and time only: no name, no address."""
    council = session.get(Council, diner.council_id)
    assert council is not None
    today = council_today(council)
    told: list[tuple[int, Message]] = []
    for pairing in session.exec(
        select(Pairing).where(
            Pairing.diner_id == diner.id, col(Pairing.status).in_(RUNNING_PAIRING_STATUSES)
        )
    ).all():
        cook = session.get(Cook, pairing.cook_id)
        if cook is not None:
            told.append(
                (
                    cook.user_id,
                    messages.meals_stopped_unnamed(weekday=pairing.weekday, start=pairing.start),
                )
            )
        for meal, cover_user in covered_meals(session, pairing=pairing, today=today):
            told.append(
                (cover_user, messages.cover_stopped_unnamed(day=meal.date, start=meal.start))
            )
    return told


def _tell_cooks_to_stop(session: Session, stopping: list[tuple[int, Message]]) -> None:
    now = utcnow().isoformat()
    for to, told in stopping:
        tell(session, told, to=to, dedupe_key=f"erasure_stop:{to}:{told.subject}:{now}")


def _scrub_notifications(session: Session, *, diner: Diner) -> None:
    """Every message about the diner loses its words; one sent keeps its recipient and state.

    A queued one is not sent: in neutral words it said only "a message was removed", to the
    carer, the staff and the cooks alike (an outside check counted several); each cook is told
    to stop in words of their own (`_tell_cooks_to_stop`), queued after this.
    One to the diner without an account (a letter) loses its address too.
    Messages queued before notifications named their diner (about_diner_id is null) are found
    by the diner's first name among those sent to the people around the diner.
    """
    found = col(Notification.about_diner_id) == diner.id
    if name := first_name(diner.full_name):
        found = or_(
            found,
            and_(
                col(Notification.about_diner_id).is_(None),
                col(Notification.to_user_id).in_(_people_around(session, diner)),
                or_(
                    col(Notification.subject).contains(name, autoescape=True),
                    col(Notification.body).contains(name, autoescape=True),
                ),
            ),
        )
    for message in session.exec(select(Notification).where(found)).all():
        message.subject, message.body = ERASED_SUBJECT, ERASED_BODY
        if message.to_user_id is None:  # sent to the diner themselves (a letter): no address
            message.recipient = None
        if message.status == "pending":
            erased = "recipient erased" if message.to_user_id is None else "about an erased diner"
            message.status, message.last_error = "failed", erased
        session.add(message)


def _scrub_messages_naming(session: Session, *, cook: Cook) -> None:
    """Messages that name the cook (to their diners' carers, to the staff of their council and
    of every council they were with) lose their words, as a diner's do.

    Messages name a cook by display name: found by it, as a word, among those sent to the
    people around the cook ("Ann" is not "Anne"), and among the letters and texts to their
    diners who have no carer (a meal plan by post lists the cook's name)."""
    cooked_for = select(Meal.diner_id).where(Meal.cook_id == cook.id)
    paired = select(Pairing.diner_id).where(Pairing.cook_id == cook.id)
    theirs = or_(col(Diner.id).in_(cooked_for), col(Diner.id).in_(paired))
    carers = select(Diner.carer_id).where(theirs)
    # A cook who moved was news to the staff of the council they left (their meals stopped):
    # its messages named them too (a security review).
    with_them = select(AuditEntry.council_id).where(
        AuditEntry.subject_type == "cook", AuditEntry.subject_id == cook.id
    )
    staff = select(User.id).where(
        or_(col(User.council_id) == cook.council_id, col(User.council_id).in_(with_them)),
        User.role == "staff",
    )
    around = {i for i in [*session.exec(carers).all(), *session.exec(staff).all()] if i}
    if not (name := cook.display_name.strip()):
        return
    word = re.compile(rf"(?<!\w){re.escape(name)}(?!\w)")
    to_their_diners = and_(
        col(Notification.to_user_id).is_(None),
        col(Notification.about_diner_id).in_(select(Diner.id).where(theirs)),
    )
    named = select(Notification).where(
        or_(col(Notification.to_user_id).in_(sorted(around)), to_their_diners),
        or_(
            col(Notification.subject).contains(name, autoescape=True),
            col(Notification.body).contains(name, autoescape=True),
        ),
    )
    for message in session.exec(named).all():
        if word.search(message.subject) or word.search(message.body):
            message.subject, message.body = ERASED_SUBJECT, ERASED_BODY
            session.add(message)


def _unsent_to(session: Session, user: User) -> None:
    """Messages to an erased person lose their words ("Hello Alan Brown", a relative's name)
    and, still queued, are not sent; those sent to an address they signed in with before (a
    change of address told the old one) lose it too."""
    queued = select(Notification).where(Notification.to_user_id == user.id)
    to_old_address = select(Notification).where(
        col(Notification.dedupe_key).startswith(f"email_changed:{user.id}:", autoescape=True)
    )
    for message in [*session.exec(queued).all(), *session.exec(to_old_address).all()]:
        message.subject, message.body = ERASED_SUBJECT, TO_ERASED_BODY
        if message.to_user_id is None:
            message.recipient = None
        if message.status == "pending":
            message.status, message.last_error = "failed", "recipient erased"
        session.add(message)


def _people_around(session: Session, diner: Diner) -> list[int]:
    """Who gets messages about a diner: their carer, their cooks, their council's staff."""
    cooks = select(Cook.user_id).join(Pairing, col(Pairing.cook_id) == Cook.id)
    staff = select(User.id).where(User.council_id == diner.council_id)
    ids: set[int | None] = {diner.carer_id}
    ids.update(session.exec(cooks.where(Pairing.diner_id == diner.id)).all())
    ids.update(session.exec(staff).all())
    return sorted(i for i in ids if i is not None)


def _scrub_feedback(session: Session, *, diner: Diner) -> None:
    """Ratings stay for the figures; the comments, which may name the diner, go."""
    meals = select(Meal.id).where(Meal.diner_id == diner.id)
    for feedback in session.exec(
        select(MealFeedback).where(col(MealFeedback.meal_id).in_(meals))
    ).all():
        feedback.comment = None
        session.add(feedback)


def erase_cook(session: Session, *, staff: User, cook: Cook) -> Cook:
    """Anonymise a cook and their account; pairings end; the history of meals stays."""
    lock_row(session, cook)
    user = session.get(User, cook.user_id)
    assert user is not None
    lock_row(session, user)
    if user.anonymised_at is not None:
        raise Conflict("This cook has already been erased")
    _scrub_messages_naming(session, cook=cook)
    # Their diners' carers and coordinators are told the meals stopped, of "their cook": the
    # name is what is being erased, and a message wholly blanked told the carer nothing.
    cook.display_name = NEUTRAL_COOK
    release_cook(session, cook=cook, reason=EndReason.cook_stopped)
    about_cook = select(AuditEntry.id).where(
        AuditEntry.subject_type == "cook", AuditEntry.subject_id == cook.id
    )
    # Staff's words on a suspension may name them, or what they did: the log keeps the codes.
    session.exec(delete(AuditReason).where(col(AuditReason.audit_entry_id).in_(about_cook)))
    cook.display_name, cook.address_line, cook.phone = ERASED, ERASED, ""
    cook.postcode = cook.postcode.split(" ")[0]
    cook.latitude, cook.longitude = round(cook.latitude, 2), round(cook.longitude, 2)
    cook.status, cook.status_reason, cook.calendar_token = CookStatus.left, None, None
    # Their weekly routine, what they eat and their vetting went with the name (a data
    # protection review found them kept), as a diner's needs and times do.
    cook.availability, cook.diets, cook.allergen_free, cook.textures = [], [], [], []
    cook.dbs_checked_on, cook.dbs_level = None, None
    session.exec(delete(CookAway).where(col(CookAway.cook_id) == cook.id))
    _blur_distances(session, Pairing.cook_id == cook.id)
    _forget_end_notes(session, Pairing.cook_id == cook.id)
    cook.updated_at = utcnow()
    session.add(cook)
    _anonymise_user(session, user)
    _audit(session, staff, "cook.erased", "cook", cook.id)
    session.flush()
    return cook


def _blur_distances(session: Session, whose: Any) -> None:
    """A pairing's distance kept to the metre, with the other person's place, would say where
    the erased person lived: it is kept as everyone but staff sees it, to 100 m."""
    for pairing in session.exec(select(Pairing).where(whose)).all():
        pairing.distance_m = float(public_distance_m(pairing.distance_m))
        session.add(pairing)


def _forget_end_notes(session: Session, whose: Any) -> None:
    """Staff's words on why they ended a pairing (on it, and beside its `pairing.ended` audit
    entry) may name the diner, the cook or what happened: they go as a concern's notes do;
    the log keeps that it ended, and the pairing its coded reason."""
    pairing_ids = select(Pairing.id).where(whose)
    for pairing in session.exec(select(Pairing).where(whose, col(Pairing.end_note).is_not(None))):
        pairing.end_note = None
        session.add(pairing)
    ended = select(AuditEntry.id).where(
        AuditEntry.subject_type == "pairing", col(AuditEntry.subject_id).in_(pairing_ids)
    )
    session.exec(delete(AuditReason).where(col(AuditReason.audit_entry_id).in_(ended)))


def relatives_not_erased(session: Session, *, carer_id: int) -> list[Diner]:
    """The carer's relatives whose details are still held: each is erased before the carer."""
    return list(
        session.exec(
            select(Diner)
            .where(Diner.carer_id == carer_id, col(Diner.anonymised_at).is_(None))
            .order_by(col(Diner.id))
        ).all()
    )


def carer_of_council(session: Session, *, staff: User, carer_id: int) -> User:
    """A carer account whose relative (erased or not) belongs to the staff member's council;
    anyone else is "not found"."""
    carer = session.get(User, carer_id)
    ours = session.exec(
        select(Diner.id).where(Diner.carer_id == carer_id, Diner.council_id == staff.council_id)
    ).first()
    if carer is None or carer.role != "carer" or ours is None:
        raise NotFound("Carer not found")
    return carer


def erase_carer(session: Session, *, staff: User, carer: User) -> User:
    """Anonymise a carer's own account (name, email, phone, kept page answers) once each of
    their relatives is erased: what a carer who asks for their data to go is promised.

    Their relatives first (409 naming how many are left): a relative still cared for must not
    lose the one person the council would call. Messages still queued for them are not sent
    (those about their relatives lost their words when the relatives were erased)."""
    lock_row(session, carer)
    if carer.anonymised_at is not None:
        raise Conflict("This carer has already been erased")
    if left := relatives_not_erased(session, carer_id=carer.id or 0):
        here = sum(d.council_id == staff.council_id for d in left)
        raise Conflict(
            f"Erase their relatives first: {here} here still "
            f"{'has' if here == 1 else 'have'} their details held"
            if here
            else "Another council still holds a relative of theirs: that council erases them first"
        )
    _anonymise_user(session, carer)
    _audit(session, staff, "carer.erased", "user", carer.id)
    session.flush()
    return carer


def _anonymise_user(session: Session, user: User) -> None:
    assert user.id is not None
    _unsent_to(session, user)
    # A journey's answers kept between pages (name, phone, address) go with the person.
    session.exec(delete(FormDraft).where(col(FormDraft.owner) == user_owner(user.id)))
    # So does a new address they asked to sign in with and never confirmed.
    session.exec(delete(EmailChange).where(col(EmailChange.user_id) == user.id))
    for hood in session.exec(select(Neighbourhood).where(Neighbourhood.coordinator_id == user.id)):
        hood.coordinator_id = None
        session.add(hood)
    forget_email(session, user.email)
    # Failed sign-ins and reset requests keep the address typed; the person's sign-ins end
    # (unusable already, as the account is no longer active, and so recorded).
    session.exec(delete(LoginFailure).where(col(LoginFailure.email_key) == user.email_key))
    session.exec(delete(ResetRequest).where(col(ResetRequest.email_key) == user.email_key))
    session.exec(
        update(AuthSession)
        .where(col(AuthSession.user_id) == user.id, col(AuthSession.revoked_at).is_(None))
        .values(revoked_at=utcnow())
    )
    user.email = user.email_key = f"erased-{user.id}@erased.invalid"
    user.full_name, user.phone, user.is_active = ERASED, None, False
    user.password_hash = UNUSABLE_PASSWORD  # no Argon2 inside this write transaction
    user.anonymised_at = utcnow()
    session.add(user)


def _audit(
    session: Session, staff: User, action: str, subject_type: str, subject_id: int | None
) -> None:
    record_audit(
        session,
        actor_id=staff.id,
        council_id=staff.council_id,
        action=action,
        subject_type=subject_type,
        subject_id=subject_id,
    )
