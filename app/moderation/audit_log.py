"""The council's audit log as staff read it: each entry of ``service.list_audit`` (the one
behind ``GET /api/staff/audit``) with the actor's full name, what was done in words, and the
record it is about named (a cook, a diner, a concern's reference, a pairing's two people), with
its page when it belongs to the staff member's council. Names are read in one query per kind of
record on the page, not one per entry.

Narrowed (`AuditFilter`) to what was done, and to the entries about a diner, a cook or a
pairing: "who looked at or changed Mrs X's record?" An entry names one record (subject type and
id), so a diner's entries are those about the diner, their pairings and the concerns about them
(each pairing and concern is of one diner); a cook's, those about the cook, their pairings and
those pairings' concerns; a pairing's, those about it and its concerns. Two kinds of entry name
a second record only in their data, and are found by it too: a cover staff recorded (about the
diner) is in its cook's log, and a carer's request to be erased (about their account) in each
relative's log."""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime

from sqlalchemy import union
from sqlmodel import Session, col, select

from app.diners.erasure_hold import ERASURE_REQUESTED, ERASURE_WITHDRAWN
from app.errors import NotFound
from app.models import AuditEntry, Concern, Cook, Diner, Meal, Notification, Pairing, User
from app.moderation.service import list_audit

# What an action did, in words (an unknown action is shown from its code).
COVER_ARRANGED = "meal.cover_arranged"  # app.meals.staff_cover's action
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
    COVER_ARRANGED: "Recorded that a cook will cover a meal",
    ERASURE_REQUESTED: "Asked for their data to be erased",
    ERASURE_WITHDRAWN: "Took back their request for their data to be erased",
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


@dataclass(frozen=True)
class AuditFilter:
    """What the log is narrowed to (None: anything): entries about a diner, a cook or a
    pairing (more than one: the entries about all of them, a cook's pairing with the diner),
    of one action."""

    diner_id: int | None = None
    cook_id: int | None = None
    pairing_id: int | None = None
    action: str | None = None

    @property
    def about_a_record(self) -> bool:
        return (self.diner_id, self.cook_id, self.pairing_id) != (None, None, None)


@dataclass(frozen=True)
class AuditRecord:
    """A record the log is narrowed to, named, with its staff page."""

    kind: str  # diner | cook | pairing
    name: str
    href: str
    link_text: str


Subject = tuple[str, int]  # an entry's subject: its type and id


@dataclass(frozen=True)
class _Theirs:
    """What one record asked for brings to the filter: the records an entry may be about
    (its own, its pairings', its concerns'), and the entries about another record that name
    it only in their data (entry id → that entry's subject)."""

    subjects: set[Subject]
    named_in: dict[int, Subject] = field(default_factory=dict)

    def passes(self, entry_id: int, subject: Subject) -> bool:
        return subject in self.subjects or entry_id in self.named_in


@dataclass(frozen=True)
class _Narrowed:
    """The entries that pass a filter: those about one of `subjects`, and the entries `also`."""

    subjects: set[Subject]
    also: set[int]


def _covers_by(session: Session, *, council_id: int | None, cook_id: int) -> dict[int, Subject]:
    """The covers staff recorded for this cook (COVER_ARRANGED): each entry is about the
    diner, and names the cook only in its data, so the cook's log left them out (a review).

    Read through ix_audit_entry_action_subject to the covers recorded for the diners this cook
    may have covered, and the cook picked out of those few here (reading a JSON value in SQL
    differs between SQLite and PostgreSQL). It read every cover recorded in every council on
    each view, which grows without end (a review). Those diners are the ones of this
    council's meals the cook brings (`Meal.cook_id`, indexed), and the ones of the messages
    the cook was sent (`arrange_cover` tells them, about the diner): a cover that fell
    through later (the cook went away) has another cook or none now, and its entry stays in
    this cook's log, as the staff member did record it with them."""
    account = select(Cook.user_id).where(Cook.id == cook_id).scalar_subquery()
    brings = select(Meal.diner_id).where(Meal.cook_id == cook_id, Meal.council_id == council_id)
    told = select(Notification.about_diner_id).where(
        Notification.to_user_id == account, col(Notification.about_diner_id).is_not(None)
    )
    rows = session.exec(
        select(AuditEntry.id, AuditEntry.subject_id, AuditEntry.council_id, AuditEntry.data).where(
            AuditEntry.action == COVER_ARRANGED,
            AuditEntry.subject_type == "diner",
            col(AuditEntry.subject_id).in_(union(brings, told)),
        )
    ).all()
    # The council is checked here, not in the WHERE: there SQLite read the council's whole
    # log by ix_audit_entry_council_at instead.
    return {
        entry_id: ("diner", diner_id)
        for entry_id, diner_id, council, data in rows
        if entry_id is not None
        and diner_id is not None
        and council == council_id
        and (data or {}).get("cook_id") == cook_id
    }


def _erasure_asked_for(
    session: Session, *, council_id: int | None, diner_id: int
) -> dict[int, Subject]:
    """The diner's carer's requests to erase them (ERASURE_REQUESTED), and their taking them
    back (ERASURE_WITHDRAWN; a review: the diner's log showed the request alone, as if still
    due): each entry is about the carer's account, and names the diner only in its data
    (`diner_ids`: those of this council when asked), so the diner's log left them out (a
    review). Read through
    ix_audit_entry_action_subject to the carer's own requests: a few entries at most."""
    carer_id = session.exec(select(Diner.carer_id).where(Diner.id == diner_id)).first()
    if carer_id is None:
        return {}
    rows = session.exec(
        select(AuditEntry.id, AuditEntry.council_id, AuditEntry.data).where(
            col(AuditEntry.action).in_((ERASURE_REQUESTED, ERASURE_WITHDRAWN)),
            AuditEntry.subject_type == "user",
            AuditEntry.subject_id == carer_id,
        )
    ).all()
    # The council is checked here, not in the WHERE: with the two actions there, SQLite read
    # the council's whole log by ix_audit_entry_council_at instead (as `_covers_by` found).
    return {
        entry_id: ("user", carer_id)
        for entry_id, council, data in rows
        if entry_id is not None
        and council == council_id
        and diner_id in ((data or {}).get("diner_ids") or [])
    }


def _narrowed(session: Session, *, council_id: int | None, f: AuditFilter) -> _Narrowed:
    """The entries that pass `f`: each record asked for brings the records an entry may be
    about (its own, and those of its pairings and concerns in this council) and the entries
    about others that name it; an entry passes when it is one of those for all of them."""
    found: list[_Theirs] = []
    pairings = select(Pairing.id).where(Pairing.council_id == council_id)
    concerns = select(Concern.id).where(Concern.council_id == council_id)

    def theirs(
        kind: str, own: int, paired: Iterable[int | None], raised: Iterable[int | None]
    ) -> set[tuple[str, int]]:
        return (
            {(kind, own)}
            | {("pairing", p) for p in paired if p is not None}
            | {("concern", c) for c in raised if c is not None}
        )

    if f.diner_id is not None:
        paired = list(session.exec(pairings.where(Pairing.diner_id == f.diner_id)))
        raised = list(session.exec(concerns.where(Concern.diner_id == f.diner_id)))
        asked = _erasure_asked_for(session, council_id=council_id, diner_id=f.diner_id)
        found.append(_Theirs(theirs("diner", f.diner_id, paired, raised), asked))
    if f.cook_id is not None:
        paired = list(session.exec(pairings.where(Pairing.cook_id == f.cook_id)))
        on_theirs = concerns.where(col(Concern.pairing_id).in_(paired))
        raised = list(session.exec(on_theirs)) if paired else []
        # And their account's: signed out everywhere by staff, a new sign-in address (a
        # review: "who signed this cook out?" found nothing when narrowed to the cook).
        account = session.exec(select(Cook.user_id).where(Cook.id == f.cook_id)).first()
        own = {("user", account)} if account is not None else set()
        covered = _covers_by(session, council_id=council_id, cook_id=f.cook_id)
        found.append(_Theirs(theirs("cook", f.cook_id, paired, raised) | own, covered))
    if f.pairing_id is not None:
        raised = list(session.exec(concerns.where(Concern.pairing_id == f.pairing_id)))
        found.append(_Theirs(theirs("pairing", f.pairing_id, [], raised)))
    if not found:
        return _Narrowed(set(), set())
    named = {e: subject for t in found for e, subject in t.named_in.items()}
    return _Narrowed(
        subjects=set.intersection(*(t.subjects for t in found)),
        also={e for e, subject in named.items() if all(t.passes(e, subject) for t in found)},
    )


class RecordNotFound(NotFound):
    """A record the log is narrowed to that is not the staff member's council's, or none's:
    `kind` (diner | cook | pairing) says which field of the filter asked for it."""

    def __init__(self, kind: str) -> None:
        super().__init__(f"{kind.capitalize()} not found")
        self.kind = kind


def audit_records(session: Session, *, staff: User, f: AuditFilter) -> list[AuditRecord]:
    """The diner, cook and pairing `f` asks for, named; one not of the staff member's council
    (or not on record) is not found (`RecordNotFound`), as its page is: another council's
    never shows here."""
    council_id = staff.council_id
    records = []
    if f.diner_id is not None:
        diner = session.get(Diner, f.diner_id)
        if diner is None or diner.council_id != council_id:
            raise RecordNotFound("diner")
        href, link = f"/staff/diners/{f.diner_id}", f"See {diner.full_name}’s record"
        records.append(AuditRecord("diner", diner.full_name, href, link))
    if f.cook_id is not None:
        cook = session.get(Cook, f.cook_id)
        user = session.get(User, cook.user_id) if cook is not None else None
        if cook is None or user is None or cook.council_id != council_id:
            raise RecordNotFound("cook")
        href, link = f"/staff/cooks/{f.cook_id}", f"See {user.full_name}’s record"
        records.append(AuditRecord("cook", user.full_name, href, link))
    if f.pairing_id is not None:
        pairing = session.get(Pairing, f.pairing_id)
        if pairing is None or pairing.council_id != council_id:
            raise RecordNotFound("pairing")
        cook_name = session.exec(
            select(User.full_name)
            .join(Cook, col(Cook.user_id) == col(User.id))
            .where(Cook.id == pairing.cook_id)
        ).one()
        diner = session.get(Diner, pairing.diner_id)
        assert diner is not None
        name = f"{cook_name} cooking for {diner.full_name}"
        href = f"/staff/diners/{pairing.diner_id}"  # a pairing has no page: the diner's shows it
        link = f"See {diner.full_name}’s record, where the pairing is"
        records.append(AuditRecord("pairing", name, href, link))
    return records


def audit_page(
    session: Session, *, staff: User, limit: int, offset: int, f: AuditFilter | None = None
) -> tuple[list[AuditLine], int]:
    """A page of the council's audit log, newest first, with names; and how many entries.
    Narrowed by `f`, when given (check its records with `audit_records` first)."""
    f = f or AuditFilter()
    subjects: dict[str, set[int]] | None = None
    also: set[int] = set()
    if f.about_a_record:
        narrowed = _narrowed(session, council_id=staff.council_id, f=f)
        subjects, also = {}, narrowed.also
        for kind, sid in narrowed.subjects:
            subjects.setdefault(kind, set()).add(sid)
    entries, total = list_audit(
        session,
        staff=staff,
        subject_type=None,
        subject_id=None,
        limit=limit,
        offset=offset,
        action=f.action,
        about=subjects,
        also=also,
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
    covering = {  # a cover arranged for a diner names its cook in the entry's data
        e.id: cook_id
        for e in entries
        if e.action == COVER_ARRANGED and isinstance(cook_id := e.data.get("cook_id"), int)
    }
    cook_ids = _ids(entries, "cook") | {p.cook_id for p in pairings.values()} | {*covering.values()}
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
        if kind == "diner" and entry.id in covering:  # the log said which diner, not who
            cook_name, _ = cook(covering[entry.id])
            diner_name, href = diner(sid)
            return f"{cook_name} for {diner_name}", href
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
