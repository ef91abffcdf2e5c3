"""The council's audit log as staff read it: each entry of ``service.list_audit`` (the one
behind ``GET /api/staff/audit``) with the actor's full name, what was done in words, and the
record it is about named (a cook, a diner, a concern's reference, a pairing's two people), with
its page when it belongs to the staff member's council. Names are read in one query per kind of
record on the page, not one per entry."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime

from sqlmodel import Session, col, select

from app.models import AuditEntry, Concern, Cook, Diner, Pairing, User
from app.moderation.service import list_audit

# What an action did, in words (an unknown action is shown from its code).
ACTION_WORDS: dict[str, str] = {
    "cook.approved": "Approved the cook",
    "cook.rejected": "Rejected the cook",
    "cook.suspended": "Suspended the cook",
    "cook.reinstated": "Reinstated the cook",
    "cook.location_confirmed": "Confirmed where the cook lives now",
    "cook.location_changed": "The cook moved within the council",
    "cook.moved_in": "The cook moved here from another council",
    "cook.moved_away": "The cook moved to another council",
    "cook.stopped": "The cook stopped cooking",
    "cook.erased": "Erased the cook’s personal data",
    "cook.viewed": "Viewed the cook’s record",
    "diner.referred": "Referred the diner",
    "diner.address_viewed": "Viewed the diner’s address",
    "diner.changed": "Changed the diner’s details",
    "diner.paused": "Paused the diner’s meals",
    "diner.left": "Recorded that the diner left",
    "diner.erased": "Erased the diner’s personal data",
    "pairing.proposed": "Invited a cook",
    "pairing.accepted": "The cook accepted the invitation",
    "pairing.declined": "The cook declined the invitation",
    "pairing.withdrawn": "Withdrew the invitation",
    "pairing.paused": "Paused the pairing",
    "pairing.ended": "Ended the pairing",
    "pairing.rescheduled": "Moved the meals to another day or time",
    "concern.raised": "Raised a concern",
    "concern.investigating": "Started looking into the concern",
    "concern.resolved": "Resolved the concern",
    "concern.upheld": "Upheld the concern",
    "matching.run": "Matched waiting diners all at once",
    "matching.confirmed": "Sent the invitations kept from a matching preview",
    "password_changed": "Changed their password",
    "password_reset": "Reset their password",
    "password_set_by_operator": "Set the person’s password from the command line",
    "password_reset_requested": "Asked to reset their password",
    "sessions_revoked": "Signed the person out everywhere",
    "account.email_change_requested": "Asked to change their email address",
    "account.email_changed": "Changed their email address",
    "meal.outcome_corrected": "Corrected what happened to a meal",
    "meal.outcome_recorded": "Recorded what happened to a meal",
    "erasure.requested": "Asked for their data to be erased",
}


@dataclass(frozen=True)
class AuditLine:
    id: int
    at: datetime
    actor: str  # the actor's full name, or "The system"
    what: str
    about: str | None  # the subject in words (None: the council itself)
    href: str | None  # the subject's staff page, when it is this council's
    details: list[tuple[str, str]]


def action_words(action: str) -> str:
    if action in ACTION_WORDS:
        return ACTION_WORDS[action]
    text = action.replace("_", " ").replace(".", ": ")
    return text[:1].upper() + text[1:]


KEY_WORDS = {
    "dbs_level": "DBS level",
    "dbs_checked_on": "DBS checked on",
    "diner_ids": "Diners",
    "exclude_pair": "Kept apart from now on",
    "suspend_cook": "Cook suspended",
    "fields": "What changed",
    "meal_date": "Meal on",
}
# Ids the entry's subject already names (a pairing's cook and diner), and the lists of ids a
# matching confirmation keeps for its result page (app.matching.outcome; the log shows how many).
_NAMED = {"cook_id", "diner_id", "pairing_ids", "refused_pairs", "unticked_pairs"}
_ISO_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")


def _value(value: object) -> str:
    """A detail as staff read it: "Yes" for True (it read "Suspend cook: True"), dates in words,
    codes with spaces ("access notes", not "access_notes")."""
    if isinstance(value, bool):
        return "Yes" if value else "No"
    if isinstance(value, list):
        return ", ".join(_value(v) for v in value)
    if isinstance(value, str) and _ISO_DATE.fullmatch(value):
        day = date.fromisoformat(value)
        return f"{day.day} {day:%B %Y}"
    if isinstance(value, str):
        return value.replace("_", " ")
    return str(value)


def detail_words(data: dict[str, object]) -> list[tuple[str, str]]:
    shown = []
    for key, value in data.items():
        if key in _NAMED or value is None or value == "" or value == [] or value == {}:
            continue
        words = KEY_WORDS.get(key) or key.replace("_", " ").capitalize()
        shown.append((words, _value(value)))
    return shown


def _ids(entries: list[AuditEntry], kind: str) -> set[int]:
    return {e.subject_id for e in entries if e.subject_type == kind and e.subject_id is not None}


def audit_page(
    session: Session, *, staff: User, limit: int, offset: int
) -> tuple[list[AuditLine], int]:
    """A page of the council's audit log, newest first, with names; and how many entries."""
    entries, total = list_audit(
        session, staff=staff, subject_type=None, subject_id=None, limit=limit, offset=offset
    )
    council_id = staff.council_id
    pairings = {
        p.id: p
        for p in session.exec(select(Pairing).where(col(Pairing.id).in_(_ids(entries, "pairing"))))
    }
    concerns = {
        c.id: c
        for c in session.exec(select(Concern).where(col(Concern.id).in_(_ids(entries, "concern"))))
    }
    diner_ids = (
        _ids(entries, "diner")
        | {p.diner_id for p in pairings.values()}
        | {c.diner_id for c in concerns.values()}
    )
    cook_ids = _ids(entries, "cook") | {p.cook_id for p in pairings.values()}
    diners = {
        d: (name, council)
        for d, name, council in session.exec(
            select(Diner.id, Diner.full_name, Diner.council_id).where(col(Diner.id).in_(diner_ids))
        )
    }
    cooks = {
        c: (name, council)
        for c, name, council in session.exec(
            select(Cook.id, User.full_name, Cook.council_id)
            .join(User, col(User.id) == col(Cook.user_id))
            .where(col(Cook.id).in_(cook_ids))
        )
    }
    user_ids = {e.actor_id for e in entries if e.actor_id is not None} | _ids(entries, "user")
    users = dict(
        session.exec(select(User.id, User.full_name).where(col(User.id).in_(user_ids))).all()
    )

    def diner(diner_id: int) -> tuple[str, str | None]:
        name, council = diners.get(diner_id, ("A diner no longer on record", None))
        return name, f"/staff/diners/{diner_id}" if council == council_id else None

    def cook(cook_id: int) -> tuple[str, str | None]:
        name, council = cooks.get(cook_id, ("A cook no longer on record", None))
        return name, f"/staff/cooks/{cook_id}" if council == council_id else None

    def about(entry: AuditEntry) -> tuple[str | None, str | None]:
        kind, sid = entry.subject_type, entry.subject_id
        if sid is None:
            return None if kind == "council" else kind.replace("_", " ").capitalize(), None
        if kind == "diner":
            return diner(sid)
        if kind == "cook":
            return cook(sid)
        if kind == "pairing" and sid in pairings:
            pairing = pairings[sid]
            diner_name, href = diner(pairing.diner_id)
            cook_name, _ = cook(pairing.cook_id)
            return f"{cook_name} cooking for {diner_name}", href
        if kind == "concern" and sid in concerns:
            concern = concerns[sid]
            diner_name, _ = diner(concern.diner_id)
            href = f"/staff/concerns/{sid}" if concern.council_id == council_id else None
            return f"Concern {concern.reference} about {diner_name}", href
        if kind == "user":
            return users.get(sid, "A person no longer on record"), None
        if kind == "council":
            return None, None
        return f"{kind.replace('_', ' ').capitalize()} {sid}", None

    lines = []
    for entry in entries:
        assert entry.id is not None
        subject, href = about(entry)
        lines.append(
            AuditLine(
                id=entry.id,
                at=entry.at,
                actor=users.get(entry.actor_id, "Someone no longer on record")
                if entry.actor_id is not None
                else "The system",
                what=action_words(entry.action),
                about=subject,
                href=href,
                details=detail_words(entry.data or {}),
            )
        )
    return lines, total
