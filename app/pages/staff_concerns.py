"""Staff pages: concerns. The list (by status, most urgent first, filtered by cook or diner),
one concern with everyone's names and contacts and its triage form, and `concerns_about` for
the cook's and the diner's records.

Reads through app/concerns/search.py; triage goes through app.concerns.service.triage, the
same service as POST /api/staff/concerns/{id}/triage."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Any
from urllib.parse import urlencode
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlmodel import Session

from app.concerns.categories import CATEGORY_NAMES
from app.concerns.search import (
    STATUS_ORDER,
    STATUS_WORDS,
    ConcernRow,
    concern_people,
    cook_name,
    diner_name,
    find_concerns,
    status_counts,
)
from app.concerns.service import get_councils_concern, paused_for_concern, triage
from app.db import utcnow, writing
from app.deps import SessionDep, SettingsDep
from app.diners.service import audit_address_read
from app.errors import NotFound, RuleBroken
from app.models import Concern, Council, Diner, Pairing
from app.pages.cook_forms import long_date, national_phone, redirect
from app.pages.forms import FormDep, check_csrf, text_rule_problem, typed_text, whole_number
from app.pages.kept_answers import keep_if_sign_in_ended, kept_answers
from app.pages.staff_common import Paging, StaffAuth, render_staff, staff_auth
from app.routing import DeferredRoute
from app.vocab import ConcernStatus

router = APIRouter(include_in_schema=False, route_class=DeferredRoute)
Text = Annotated[str, Form()]
MAX_NOTE = 2000
# The triage choices, in the form's order (the API's TriageIn takes the same three).
TRIAGE_CHOICES: dict[str, str] = {
    "investigating": "Looking into it",
    "resolved": "Resolved: nothing was wrong (paused meals start again)",
    "upheld": "Upheld: something was wrong",
}
# The pairing the concern is about, in words, beside the cook.
PAIRING_WORDS: dict[str, str] = {
    "proposed": "Invited to cook for them, not answered yet",
    "active": "Cooks for them now",
    "paused": "Their meals together are paused",
    "ended": "No longer cooks for them",
    "declined": "Declined to cook for them",
    "withdrawn": "The invitation was withdrawn",
}
# What the success banner says the concern is now.
SAVED_WORDS: dict[str, str] = {
    "investigating": "being looked into",
    "resolved": "resolved",
    "upheld": "upheld",
}


def concerns_about(
    session: Session, *, council_id: int, cook_id: int | None = None, diner_id: int | None = None
) -> list[ConcernRow]:
    """Every concern of this council about a cook (their pairings' concerns, and those they
    raised) or a diner, most urgent first: the rows of staff/_concerns.html's concern_table."""
    rows, _ = find_concerns(session, council_id=council_id, cook_id=cook_id, diner_id=diner_id)
    return rows


def _id(raw: str) -> int | None:
    return whole_number(raw)


# --- the old static pages' addresses ---------------------------------------------------------


@router.get("/staff/concerns.html")
def old_list(status: str = "") -> RedirectResponse:
    query = f"?{urlencode({'status': status})}" if status in STATUS_WORDS else ""
    return RedirectResponse(f"/staff/concerns{query}", status_code=301)


@router.get("/staff/concern.html")
def old_concern(id: str = "") -> RedirectResponse:
    found = _id(id)
    return RedirectResponse(f"/staff/concerns/{found}" if found else "/staff/concerns", 301)


# --- the list -------------------------------------------------------------------------------


@router.get("/staff/concerns", response_class=HTMLResponse)
def concerns_list(
    request: Request,
    session: SessionDep,
    settings: SettingsDep,
    status: str = "",
    cook: str = "",
    diner: str = "",
) -> Response:
    sa = staff_auth(request, session, settings)
    if not isinstance(sa, StaffAuth):
        return sa
    status = status if status in STATUS_WORDS else ""
    cook_id, diner_id = _id(cook), _id(diner)
    about: list[dict[str, str]] = []  # the person filters, each with a link that drops it
    if cook_id is not None:
        name = cook_name(session, council_id=sa.council_id, cook_id=cook_id)
        if name is None:
            raise NotFound("Cook not found")
        about.append({"name": name, "href": f"/staff/cooks/{cook_id}", "what": "cook"})
    if diner_id is not None:
        name = diner_name(session, council_id=sa.council_id, diner_id=diner_id)
        if name is None:
            raise NotFound("Diner not found")
        about.append({"name": name, "href": f"/staff/diners/{diner_id}", "what": "diner"})
    paging = Paging.from_request(request)
    rows, total = find_concerns(
        session,
        council_id=sa.council_id,
        status=status or None,
        cook_id=cook_id,
        diner_id=diner_id,
        limit=paging.per_page,
        offset=paging.offset,
    )
    if moved := paging.past_the_end(request, total):
        return moved
    counts = status_counts(session, council_id=sa.council_id, cook_id=cook_id, diner_id=diner_id)
    status_items = [{"value": "", "text": f"Every status ({sum(counts.values())})"}] + [
        {
            "value": code,
            "text": f"{STATUS_WORDS[code]} ({counts.get(code, 0)})",
            "selected": code == status,
        }
        for code in STATUS_ORDER
    ]
    kept = {k: v for k, v in (("cook", cook_id), ("diner", diner_id)) if v is not None}
    title = "Concerns" + (" about " + " and ".join(a["name"] for a in about) if about else "")
    context = {
        "title": title,
        "window_title": paging.window_title(title, total, filtered=bool(status)),
        "rows": rows,
        "total": total,
        "status": status,
        "status_words": STATUS_WORDS.get(status, "").lower(),
        "status_items": status_items,
        "about": about,
        "kept": kept,
        "clear_href": "/staff/concerns" + (f"?status={status}" if status else ""),
        "open_count": counts.get("open", 0) + counts.get("investigating", 0),
        "pagination": paging.links(request, total),
    }
    return render_staff(request, session, settings, "staff/concerns.html", context, staff=sa)


# --- one concern ----------------------------------------------------------------------------


def _contact(phone: str | None, email: str | None) -> dict[str, str | None]:
    return {"phone": national_phone(phone) if phone else None, "tel": phone, "email": email}


def _local(at: datetime, council: Council | None) -> datetime:
    """A stored moment (naive: UTC) in the council's clock; a naive one read as the server's
    local time would be off by the server's zone."""
    aware = at if at.tzinfo else at.replace(tzinfo=UTC)
    return aware.astimezone(ZoneInfo(council.timezone if council else "Europe/London"))


def _when(at: datetime, council: Council | None) -> str:
    local = _local(at, council)
    return f"{long_date(local.date())}, {local:%H:%M}"


def _concern_context(session: Session, sa: StaffAuth, concern: Concern) -> dict[str, Any]:
    """What the concern's page shows, the diner's address among it: that view is audited, as
    the diner's record is (an outside review found this page left out of the log). A cook who
    now volunteers with another council is named, without the contacts they gave it."""
    people = concern_people(session, concern, staff_council=sa.council_id)
    diner = session.get(Diner, concern.diner_id)
    assert diner is not None
    with writing(session):
        audit_address_read(session, viewer=sa.user, diner=diner)
    council = session.get(Council, concern.council_id)
    raised = _local(concern.created_at, council)
    role = people.raiser_role
    raiser_words = {"carer": "Their carer", "cook": "Their cook", "cover cook": "A cover cook"}
    return {
        "title": f"Concern {concern.reference}",
        "c": concern,
        "category": CATEGORY_NAMES.get(concern.kind, concern.kind),
        "status_words": STATUS_WORDS.get(concern.status, concern.status),
        "raised": _when(concern.created_at, council),
        "days_open": max(0, (_local(utcnow(), council).date() - raised.date()).days),
        "is_open": concern.status in (ConcernStatus.open, ConcernStatus.investigating),
        "raiser": people.raiser,
        "raiser_words": raiser_words.get(role, role.capitalize()),
        "raiser_contact": _contact(people.raiser.phone, people.raiser.email),
        "raiser_is_carer": people.carer is not None
        and role == "carer"
        and people.carer.email == people.raiser.email,
        "diner": people.diner,
        "diner_contact": _contact(people.diner.phone, None),
        "diner_address": people.diner_address,
        "carer": people.carer,
        "carer_contact": _contact(people.carer.phone, people.carer.email) if people.carer else None,
        "cook": people.cook,
        "cook_contact": _contact(people.cook.phone, people.cook.email) if people.cook else None,
        "pairing_status": people.pairing_status,
        "pairing_words": PAIRING_WORDS.get(people.pairing_status or "", ""),
        # Upholding then needs a word on what happens next (the service refuses silence).
        "paused_for_concern": paused_for_concern(
            session.get(Pairing, concern.pairing_id) if concern.pairing_id else None
        ),
        "notes": [{"when": _when(n.at, council), "by": n.by, "text": n.text} for n in people.notes],
        "triage_choices": TRIAGE_CHOICES,
        # The status it has now is chosen already (adding a note keeps it); "open" is not a choice.
        "values": {"status": concern.status if concern.status in TRIAGE_CHOICES else ""},
        "max_note": MAX_NOTE,
    }


def _concern(session: Session, sa: StaffAuth, concern_id: str) -> Concern:
    found = _id(concern_id)
    if found is None:
        raise NotFound("Concern not found")
    return get_councils_concern(session, staff=sa.user, concern_id=found)


@router.get("/staff/concerns/{concern_id}", response_class=HTMLResponse)
def concern_page(
    concern_id: str,
    request: Request,
    session: SessionDep,
    settings: SettingsDep,
    saved: str = "",
) -> Response:
    sa = staff_auth(request, session, settings)
    if not isinstance(sa, StaffAuth):
        return sa
    concern = _concern(session, sa, concern_id)
    context = _concern_context(session, sa, concern)
    if kept := kept_answers(request, session, sa.auth, action=f"/staff/concerns/{concern.id}"):
        status = str(kept.get("status", ""))
        context["values"] = {"status": status, "note": typed_text(kept.get("note", ""))}
    if saved in SAVED_WORDS:
        context["saved"] = SAVED_WORDS[saved]
    return render_staff(request, session, settings, "staff/concern.html", context, staff=sa)


def _triage_errors(
    status: str, note: str, exclude: bool, suspend: bool, resume: bool
) -> dict[str, str]:
    errors: dict[str, str] = {}
    # In the page's order (the summary lists them so): status, the boxes, then the note.
    if status not in TRIAGE_CHOICES:
        errors["status"] = "Choose what the status is now"
    if (exclude or suspend or resume) and status in TRIAGE_CHOICES and status != "upheld":
        field = "exclude_pair" if exclude else "suspend_cook" if suspend else "resume_meals"
        errors[field] = (
            "Only an upheld concern can stop this pair, suspend the cook or let the meals "
            "start again: choose Upheld, or untick it"
        )
    if not note:
        errors["note"] = "Write a note: what you did or found"
    elif len(note) > MAX_NOTE:
        errors["note"] = f"The note must be {MAX_NOTE:,} characters or fewer"
    elif problem := text_rule_problem(note, what="The note", lines=True):
        errors["note"] = problem
    return errors


@router.post("/staff/concerns/{concern_id}", response_class=HTMLResponse)
def triage_form(
    concern_id: str,
    request: Request,
    session: SessionDep,
    settings: SettingsDep,
    form: FormDep,
    status: Text = "",
    note: Text = "",
    exclude_pair: Text = "",
    suspend_cook: Text = "",
    resume_meals: Text = "",
    csrf_token: Text = "",
) -> Response:
    # The status and the note; what the decision does to the pair or the cook is asked again.
    keep_if_sign_in_ended(request, session, settings, form, fields=("status", "note"))
    check_csrf(request, settings, csrf_token)
    sa = staff_auth(request, session, settings)
    if not isinstance(sa, StaffAuth):
        return sa
    concern = _concern(session, sa, concern_id)
    note = typed_text(note)
    exclude, suspend = exclude_pair == "yes", suspend_cook == "yes"
    resume = resume_meals == "yes"
    errors = _triage_errors(status, note, exclude, suspend, resume)
    if not errors:
        try:
            triage(
                session,
                staff=sa.user,
                concern=concern,
                status=ConcernStatus(status),
                note=note,
                exclude=exclude,
                suspend=suspend,
                resume=resume,
            )
        except RuleBroken as broken:
            field = str(broken.loc[-1]) if len(broken.loc) > 1 else "status"
            errors[field] = broken.message
        else:
            return redirect(f"/staff/concerns/{concern.id}?saved={status}")
    values = {
        "status": status,
        "note": note,
        "exclude_pair": exclude,
        "suspend_cook": suspend,
        "resume_meals": resume,
    }
    context = {**_concern_context(session, sa, concern), "errors": errors, "values": values}
    return render_staff(
        request, session, settings, "staff/concern.html", context, staff=sa, status_code=422
    )
