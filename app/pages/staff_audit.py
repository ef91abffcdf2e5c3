"""Staff pages: the audit log. The council's entries newest first, a page at a time, each with
who did it (by name), what, and the record it is about linked to its page
(app/moderation/audit_log.py reads them through the service behind GET /api/staff/audit).

A GET form narrows it to a diner, a cook or a pairing (?diner=, ?cook=, ?pairing=: the diner's
and the cook's records link here) and to what was done (?action=); paging keeps them. A number
that is not one, or that no record of the council has (another council's is not found), is
shown beside its field."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from app.councils.service import staff_council
from app.deps import SessionDep, SettingsDep
from app.moderation.audit_log import (
    ACTION_WORDS,
    AuditFilter,
    AuditLine,
    AuditRecord,
    RecordNotFound,
    audit_page,
    audit_records,
)
from app.pages.forms import whole_number
from app.pages.staff_common import Paging, StaffAuth, render_staff, staff_auth
from app.routing import DeferredRoute

router = APIRouter(include_in_schema=False, route_class=DeferredRoute)
# The record fields of the form, in its order, with the words of their labels and messages.
RECORD_FIELDS = {"diner": "diner", "cook": "cook", "pairing": "pairing"}
# What was done, as the form offers it: in words, alphabetically.
ACTION_CHOICES = sorted(ACTION_WORDS.items(), key=lambda item: item[1])


def no_such(name: str, typed: str) -> str:
    """The message for a number no record of the council has."""
    return f"There is no {RECORD_FIELDS[name]} number {typed} in your council"


def record_number(name: str, typed: str) -> tuple[int | None, str | None]:
    """What was typed in a record's field as its number (None: nothing typed), or the problem
    with it. Figures that make no record's number (ten or more, or 0) are a number all the
    same: it read "Enter the diner number in figures" for one too long (a review). Zeros in
    front are kept from no number ("0042" is diner 42)."""
    if not typed:
        return None, None
    if not typed.isascii() or not typed.isdigit():
        return None, f"Enter the {RECORD_FIELDS[name]} number in figures, like 42"
    number = whole_number(typed.lstrip("0"))  # None: too long for any record's number
    return (number, None) if number else (None, no_such(name, typed))


def read_filter(request: Request) -> tuple[AuditFilter, dict[str, str], dict[str, str]]:
    """The filter the address asks for, the problems with it (field → message) and what was
    typed, to show again."""
    typed = {name: request.query_params.get(name, "").strip()[:64] for name in RECORD_FIELDS}
    typed["action"] = request.query_params.get("action", "")[:64]
    errors: dict[str, str] = {}
    ids: dict[str, int | None] = {}
    for name in RECORD_FIELDS:
        ids[name], problem = record_number(name, typed[name])
        if problem:
            errors[name] = problem
    action = typed["action"] or None
    if action is not None and action not in ACTION_WORDS:
        errors["action"] = "Select what was done from the list"
    found = AuditFilter(
        diner_id=ids["diner"], cook_id=ids["cook"], pairing_id=ids["pairing"], action=action
    )
    return found, errors, typed


@router.get("/staff/audit.html")
def old_audit(page: str = "") -> RedirectResponse:
    query = f"?page={page}" if whole_number(page, max_digits=5) is not None else ""
    return RedirectResponse(f"/staff/audit{query}", status_code=301)


@router.get("/staff/audit", response_class=HTMLResponse)
def audit(request: Request, session: SessionDep, settings: SettingsDep) -> Response:
    sa = staff_auth(request, session, settings)
    if not isinstance(sa, StaffAuth):
        return sa
    tz = ZoneInfo(staff_council(session, sa.user).timezone)
    paging = Paging.from_request(request)
    wanted, errors, typed = read_filter(request)
    status = 400 if errors else 200
    records: list[AuditRecord] = []
    try:
        records = [] if errors else audit_records(session, staff=sa.user, f=wanted)
    except RecordNotFound as missing:  # another council's too: beside its field, as none's
        errors[missing.kind] = no_such(missing.kind, typed[missing.kind])
        status = 404
    lines: list[AuditLine] = []
    total = 0
    if not errors:
        lines, total = audit_page(
            session, staff=sa.user, limit=paging.per_page, offset=paging.offset, f=wanted
        )
        if moved := paging.past_the_end(request, total):
            return moved
    pages = paging.last_page(total)
    filtered = wanted.about_a_record or wanted.action is not None

    def when(at: datetime) -> str:
        local = at.astimezone(tz)
        return f"{local.day} {local:%b %Y}, {local:%H:%M}"

    title = "Audit log" + (": " + " and ".join(r.name for r in records) if records else "")
    context = {
        "title": title,
        "window_title": paging.window_title(title, total, filtered=filtered and not errors),
        "lines": lines,
        "total": total,
        "first": paging.offset + 1,
        "last": paging.offset + len(lines),
        "page": paging.page,
        "pages": pages,
        "pagination": paging.links(request, total),
        "when": when,
        "records": records,
        "filtered": filtered,
        "errors": errors,
        "typed": typed,
        "action_items": [{"value": "", "text": "Anything"}]
        + [
            {"value": code, "text": words, "selected": code == typed["action"]}
            for code, words in ACTION_CHOICES
        ],
    }
    return render_staff(
        request, session, settings, "staff/audit.html", context, staff=sa, status_code=status
    )
