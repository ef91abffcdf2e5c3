"""Staff pages: cooks. The list (search, filters, sort, paging; full names, contact details,
neighbourhood, days waiting, DBS expiry) and a cook's full record (audited) with the vetting
actions as forms: approve with the checks, reject, suspend, reinstate, confirm a new location.

Reads through app/moderation/search.py (the list: one query and one count per page) and
app/moderation/record.py (the record); acts through the services the API calls. The old static
pages' URLs redirect here."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any
from urllib.parse import urlencode

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response
from pydantic import ValidationError
from sqlmodel import Session
from starlette.datastructures import FormData

from app.config import Settings
from app.councils.rules import council_today
from app.councils.service import staff_council
from app.deps import SessionDep, SettingsDep
from app.diners.schemas import ReasonIn
from app.errors import Conflict, RuleBroken
from app.flows import cooks as cook_flows
from app.models import Cook, Council, User
from app.moderation import service
from app.moderation.record import CookRecord, cook_record, view_cook_record
from app.moderation.rules import approval_problems, status_reason_for
from app.moderation.schemas import ApproveIn
from app.moderation.search import (
    EXPIRING_WITHIN_DAYS,
    SORTS,
    CookSearch,
    council_neighbourhoods,
    default_sort,
    search_cooks,
)
from app.pages.cook_forms import (
    ALLERGENS,
    DIETS,
    FREQUENCIES,
    TEXTURES,
    WEEKDAYS,
    labels_of,
    national_phone,
    redirect,
)
from app.pages.dates import DateProblem, date_errors, date_fields, parse_date
from app.pages.forms import FormDep, check_csrf, text_rule_problem, typed_text, whole_number
from app.pages.kept_answers import keep_if_sign_in_ended, kept_answers
from app.pages.staff_common import Paging, StaffAuth, render_staff, search_text, staff_auth
from app.pages.staff_concerns import concerns_about
from app.pages.staff_words import END_WORDS, MEAL_WORDS, PAIRING_WORDS, date_words, options
from app.privacy.service import erase_cook
from app.routing import DeferredRoute
from app.schemas import PathId
from app.vocab import DBS_LEVEL_LABELS, DBS_RANK, CookStatus, DbsLevel

router = APIRouter(include_in_schema=False, route_class=DeferredRoute)

STATUS_WORDS: dict[str, tuple[str, str]] = {
    CookStatus.pending: ("Waiting for checks", "govuk-tag--yellow"),
    CookStatus.approved: ("Approved", "govuk-tag--green"),
    CookStatus.rejected: ("Not approved", "govuk-tag--red"),
    CookStatus.suspended: ("Suspended", "govuk-tag--red"),
    CookStatus.left: ("Stopped cooking", "govuk-tag--grey"),
}
SORT_WORDS = {
    "oldest": "Waiting longest first",
    "name": "Name, A to Z",
    "newest": "Newest first",
}
HISTORY_WORDS = {
    "cook.approved": "Approved",
    "cook.rejected": "Not approved",
    "cook.suspended": "Suspended",
    "cook.reinstated": "Reinstated",
    "cook.location_confirmed": "New location confirmed",
    "cook.moved_away": "Moved away to another council",
    "cook.moved_in": "Moved here from another council",
    "cook.stopped": "Stopped cooking",
}
DONE = {
    "approved": "The cook is approved. They can now be matched with diners.",
    "rechecked": "The new checks are recorded.",
    "rejected": "The cook is not approved. They see your reason when they sign in.",
    "suspended": "The cook is suspended. Their pairings have ended and their meals are cancelled.",
    "reinstated": "The cook is reinstated.",
    "location": "The cook's new location is confirmed. They can be matched again.",
    # Not "their pairings have ended" of a cook who had none (an outside check).
    "erased": "The cook's personal details are erased. Any pairings they had have ended.",
}
REASON_MISSING = {
    "reject": "Enter why the cook is not approved",
    "suspend": "Enter why the cook is suspended",
    "reinstate": "Enter why the cook is reinstated",
}
MAX_REASON = 500
_SCHEMA_WORDS = {
    "dbs_checked_on": "The date on the DBS certificate must be a real date",
}
DBS_DATE = "the date on the DBS certificate"


# --- the old static pages' addresses ---------------------------------------------------------


@router.get("/staff/cooks.html")
def old_list(request: Request) -> Response:
    status = request.query_params.get("status", "")
    return redirect("/staff/cooks" + (f"?{urlencode({'status': status})}" if status else ""))


@router.get("/staff/cook.html")
def old_record(request: Request) -> Response:
    number = whole_number(request.query_params.get("id", ""))
    return redirect(f"/staff/cooks/{number}" if number is not None else "/staff/cooks")


# --- words -----------------------------------------------------------------------------------


def _days(n: int) -> str:
    return f"{n} day{'' if n == 1 else 's'}"


# --- the list --------------------------------------------------------------------------------


def _search(request: Request, area_ids: set[int]) -> CookSearch:
    """What the filter form asked for; anything not understood is no filter."""
    params = request.query_params
    status_raw, sort = params.get("status", ""), params.get("sort")
    area = whole_number(params.get("area", ""))
    status = CookStatus(status_raw) if status_raw in set(CookStatus) else None
    return CookSearch(
        q=search_text(request),
        status=status,
        neighbourhood_id=area if area in area_ids else None,
        checks_expiring=params.get("checks") == "expiring",
        location_review=params.get("location") == "review",
        sort=sort if sort in SORTS else default_sort(status),
    )


@router.get("/staff/cooks", response_class=HTMLResponse)
def cook_list(request: Request, session: SessionDep, settings: SettingsDep) -> Response:
    sa = staff_auth(request, session, settings)
    if isinstance(sa, Response):
        return sa
    council = staff_council(session, sa.user)
    hoods = council_neighbourhoods(session, council_id=council.id or 0)
    search = _search(request, {i for i, _ in hoods})
    paging = Paging.from_request(request)
    today = council_today(council)
    rows, total = search_cooks(
        session,
        council=council,
        search=search,
        today=today,
        limit=paging.per_page,
        offset=paging.offset,
    )
    if moved := paging.past_the_end(request, total):
        return moved
    filtered = bool(
        search.q
        or search.status
        or search.neighbourhood_id
        or search.checks_expiring
        or search.location_review
    )
    title = "Cooks waiting for checks" if search.status == CookStatus.pending else "Cooks"
    context = {
        "title": title,
        # The status is the title's own ("Cooks waiting for checks"); the rest narrow it.
        "window_title": paging.window_title(
            title,
            total,
            filtered=filtered
            and (
                title == "Cooks"
                or bool(
                    search.q
                    or search.neighbourhood_id
                    or search.checks_expiring
                    or search.location_review
                )
            ),
        ),
        "rows": rows,
        "total": total,
        "today": today,
        "search": search,
        "filtered": filtered,
        "status_text": STATUS_WORDS[search.status][0].lower() if search.status else "",
        "first": paging.offset + 1,
        "last": paging.offset + len(rows),
        "pagination": paging.links(request, total),
        "status_options": options(
            [(str(s), w) for s, (w, _) in STATUS_WORDS.items()],
            search.status or "",
            "Any status",
        ),
        "area_options": options(
            [(str(i), n) for i, n in hoods], str(search.neighbourhood_id or ""), "Any neighbourhood"
        ),
        "sort_options": [
            {"value": s, "text": w, "selected": s == search.sort} for s, w in SORT_WORDS.items()
        ],
        "expiring_days": EXPIRING_WITHIN_DAYS,
        "status_words": STATUS_WORDS,
        "phone": national_phone,
        "date_words": date_words(council),
        "days": _days,
    }
    return render_staff(request, session, settings, "staff/cooks.html", context, staff=sa)


# --- a cook's record -------------------------------------------------------------------------


def _history(session: Session, sa: StaffAuth, record: CookRecord) -> list[dict[str, Any]]:
    """What happened to the cook here, newest first, with who did it and the reason they gave
    (kept beside the audit log, which holds no free text)."""
    cook = record.cook
    assert cook.id is not None
    entries, _ = service.cook_history(session, staff=sa.user, cook_id=cook.id, limit=100, offset=0)
    words = date_words(record.council)
    lines, reason_shown = [], False
    for entry, actor, given in entries:
        status = entry.data.get("status")
        reason = given
        if not reason_shown and status is not None:
            # The latest change of status: before reasons were kept beside the log, only the
            # cook's own record had the reason, for the status it still holds.
            reason_shown = True
            if reason is None and status == cook.status and entry.action != "cook.approved":
                reason = status_reason_for(cook, sa.council_id)
        lines.append(
            {
                "at": words(entry.at),
                "what": HISTORY_WORDS.get(entry.action, entry.action.split(".")[-1].capitalize()),
                "status": STATUS_WORDS[str(status)][0] if status in STATUS_WORDS else None,
                "who": actor or ("The cook" if entry.actor_id == cook.user_id else "The service"),
                "reason": reason,
            }
        )
    return lines


def _forms_offered(record: CookRecord, today: date) -> dict[str, bool]:
    """The vetting actions that make sense for the cook's status now."""
    cook, expires = record.cook, record.checks_expire_on
    expiring = expires is not None and (expires - today).days <= EXPIRING_WITHIN_DAYS
    return {
        "approve": cook.status == CookStatus.pending,
        "recheck": cook.status == CookStatus.approved and expiring,
        "reject": cook.status == CookStatus.pending,
        "suspend": cook.status == CookStatus.approved,
        "reinstate": cook.status in (CookStatus.suspended, CookStatus.rejected),
        "confirm_location": cook.location_review,
    }


def _record_page(
    request: Request,
    session: Session,
    settings: Settings,
    sa: StaffAuth,
    record: CookRecord,
    *,
    errors: dict[str, str] | None = None,
    values: dict[str, Any] | None = None,
    dates: dict[str, DateProblem] | None = None,
    status_code: int = 200,
) -> HTMLResponse:
    cook, council = record.cook, record.council
    today = council_today(council)
    done = request.query_params.get("done", "")
    expires = record.checks_expire_on
    values = values or {}
    context = {
        "title": record.full_name,
        "record": record,
        "cook": cook,
        "status_reason": status_reason_for(cook, sa.council_id),
        "today": today,
        "notice": DONE.get(done) if not errors else None,
        "errors": errors or {},
        "values": values,
        "dates": dates or {},
        "offered": _forms_offered(record, today),
        "status_words": STATUS_WORDS,
        "expires_in": (expires - today).days if expires is not None else None,
        "expiring_days": EXPIRING_WITHIN_DAYS,
        "history": _history(session, sa, record),
        "erased": _erased(session, cook),
        "concerns": concerns_about(session, council_id=sa.council_id, cook_id=cook.id),
        "food": {
            "diets": labels_of(DIETS, cook.diets) or ["No special diets"],
            "allergen_free": labels_of(ALLERGENS, cook.allergen_free) or ["None"],
            "textures": labels_of(TEXTURES, cook.textures),
            "frequencies": labels_of(FREQUENCIES, cook.frequencies),
        },
        "times": [
            f"{WEEKDAYS[int(str(w['weekday']))]}, {w['start']} to {w['end']}"
            for w in cook.availability
        ],
        "reach_m": min(cook.walk_radius_m, council.max_walk_radius_m),
        "level_items": _level_items(council, str(values.get("dbs_level", ""))),
        "dbs_level_words": DBS_LEVEL_LABELS,
        "pairing_words": PAIRING_WORDS,
        "end_words": END_WORDS,
        "meal_words": MEAL_WORDS,
        "frequency_words": dict(FREQUENCIES),
        "weekdays": WEEKDAYS,
        "date_words": date_words(council),
        "phone": national_phone,
        "days": _days,
        "example": today - timedelta(days=60),
    }
    return render_staff(
        request, session, settings, "staff/cook.html", context, staff=sa, status_code=status_code
    )


def _level_items(council: Council, chosen: str) -> list[dict[str, Any]]:
    """The DBS levels, those below the council's minimum marked as not enough."""
    minimum = DBS_RANK[DbsLevel(council.min_dbs_level)]
    return [
        {
            "value": level.value,
            "text": text,
            "checked": level.value == chosen,
            "hint": {"text": "Not enough for this council"} if DBS_RANK[level] < minimum else None,
        }
        for level, text in DBS_LEVEL_LABELS.items()
    ]


@router.get("/staff/cooks/{cook_id}", response_class=HTMLResponse)
def cook_page(
    cook_id: PathId, request: Request, session: SessionDep, settings: SettingsDep
) -> Response:
    sa = staff_auth(request, session, settings)
    if isinstance(sa, Response):
        return sa
    council = staff_council(session, sa.user)
    record = view_cook_record(
        session, staff=sa.user, cook_id=cook_id, today=council_today(council)
    )  # another council's cook: 404
    values: dict[str, Any] = {}
    for action in REASON_MISSING:  # a reason typed as the sign-in ended, in its own form
        if kept := kept_answers(request, session, sa.auth, action=f"{request.url.path}/{action}"):
            values = {f"{action}-reason": typed_text(kept.get("reason", ""))}
            break
    return _record_page(request, session, settings, sa, record, values=values)


def _acting(
    request: Request, session: Session, settings: Settings, form: FormData, cook_id: int
) -> tuple[StaffAuth, Cook] | Response:
    """A vetting form's post: the token checked, the staff member and their council's cook."""
    check_csrf(request, settings, str(form.get("csrf_token", "")))
    sa = staff_auth(request, session, settings)
    if isinstance(sa, Response):
        return sa
    return sa, service.get_councils_cook(session, staff=sa.user, cook_id=cook_id)


def _again(
    request: Request,
    session: Session,
    settings: Settings,
    sa: StaffAuth,
    cook: Cook,
    errors: dict[str, str],
    values: dict[str, Any],
    dates: dict[str, DateProblem] | None = None,
) -> HTMLResponse:
    """The record again with the form's errors (summary and beside each field; a date's
    problems in `dates`) and what was typed."""
    council = staff_council(session, sa.user)
    record = cook_record(session, staff=sa.user, cook=cook, today=council_today(council))
    return _record_page(
        request,
        session,
        settings,
        sa,
        record,
        errors={**date_errors(dates or {}), **errors},
        values=values,
        dates=dates,
        status_code=422,
    )


def _checks_from(
    form: FormData, council: Council
) -> tuple[dict[str, Any], dict[str, DateProblem], dict[str, str], ApproveIn | None]:
    """The approve form as typed, every problem with it at once (what is missing, and the
    council's rules on what was given: the date's apart, the others in the form's order), and
    the body for the service when there is none."""
    typed = date_fields(form, "dbs_checked_on")
    level_raw = str(form.get("dbs_level", ""))
    values: dict[str, Any] = {
        "dbs_checked_on": typed,
        "dbs_level": level_raw,
        "id_checked": form.get("id_checked") == "yes",
        "hygiene_ack": form.get("hygiene_ack") == "yes",
    }
    errors: dict[str, str] = {}
    dates: dict[str, DateProblem] = {}
    checked_on, problem = parse_date(typed, what=DBS_DATE)
    if problem:
        dates["dbs_checked_on"] = problem
    level = DbsLevel(level_raw) if level_raw in set(DbsLevel) else None
    if level is None:
        errors["dbs_level"] = "Select the level of the DBS check"
    if not values["id_checked"]:
        errors["id_checked"] = "Select that you have seen proof of their identity"
    if not values["hygiene_ack"]:
        errors["hygiene_ack"] = (
            "Select that they have read the food hygiene guidance and agreed to follow it"
        )
    for _rule, field, message in approval_problems(
        dbs_checked_on=checked_on,
        dbs_level=level,
        id_checked=True,  # an unticked box has its own message above
        hygiene_ack=True,
        min_level=council.min_dbs_level,
        recheck_days=council.dbs_recheck_days,
        today=council_today(council),
    ):
        if field == "dbs_checked_on":
            dates.setdefault(field, DateProblem(_page_words(field, message, council)))
        else:
            errors.setdefault(field, _page_words(field, message, council))
    if dates or errors or checked_on is None or level is None:
        return values, dates, _in_form_order(errors), None
    try:
        body = ApproveIn(
            dbs_checked_on=checked_on,
            dbs_level=level,
            id_checked=True,
            hygiene_ack=True,
        )
    except ValidationError as invalid:  # what the API's schema refuses and the checks above let by
        field = str(invalid.errors()[0]["loc"][0])
        if field == "dbs_checked_on":
            return values, {field: DateProblem(_SCHEMA_WORDS[field])}, {}, None
        return values, {}, {field: _SCHEMA_WORDS.get(field, "Check this answer")}, None
    return values, {}, {}, body


def _page_words(field: str, message: str, council: Council) -> str:
    """The service's rule, in the words of the form's question."""
    if field == "dbs_level":
        minimum = DBS_LEVEL_LABELS[DbsLevel(council.min_dbs_level)].lower()
        return f"The DBS check must be {minimum} or higher for this council"
    if message == "The check date is in the future":
        return "The date on the DBS certificate must be today or in the past"
    return message


def _in_form_order(errors: dict[str, str]) -> dict[str, str]:
    order = ["dbs_level", "id_checked", "hygiene_ack"]
    return {field: errors[field] for field in order if field in errors}


def _text_problem(text: str, *, what: str, required: str | None = None) -> str | None:
    if not text:
        return required
    if len(text) > MAX_REASON:
        return f"{what} must be {MAX_REASON} characters or fewer"
    return text_rule_problem(text, what=what, lines=True)


@router.post("/staff/cooks/{cook_id}/approve", response_class=HTMLResponse)
def approve(
    cook_id: PathId, request: Request, session: SessionDep, settings: SettingsDep, form: FormDep
) -> Response:
    acting = _acting(request, session, settings, form, cook_id)
    if isinstance(acting, Response):
        return acting
    sa, cook = acting
    council = staff_council(session, sa.user)
    was = cook.status
    values, dates, errors, body = _checks_from(form, council)
    if body is not None:
        try:
            service.approve_cook(session, staff=sa.user, cook=cook, body=body)
        except RuleBroken as refused:  # the service's own word on a field
            field = str(refused.loc[-1])
            words = _page_words(field, refused.message, council)
            if field == "dbs_checked_on":
                dates = {field: DateProblem(words)}
            else:
                errors = {field: words}
        except Conflict as refused:  # the status changed meanwhile (another tab, a colleague)
            errors = {"status": refused.message}
    if dates or errors:
        return _again(request, session, settings, sa, cook, errors, values, dates)
    done = "rechecked" if was == CookStatus.approved else "approved"
    return redirect(f"/staff/cooks/{cook_id}?done={done}")


def _reason_action(
    action: str,
    cook_id: int,
    request: Request,
    session: Session,
    settings: Settings,
    form: FormData,
) -> Response:
    keep_if_sign_in_ended(request, session, settings, form, fields=("reason",))
    acting = _acting(request, session, settings, form, cook_id)
    if isinstance(acting, Response):
        return acting
    sa, cook = acting
    field = f"{action}-reason"
    reason = typed_text(form.get("reason", ""))
    problem = _text_problem(reason, what="The reason", required=REASON_MISSING[action])
    if problem is None:
        try:
            reason = ReasonIn(reason=reason).reason  # the API's schema
        except ValidationError:
            problem = "The reason must be ordinary text"
    if problem is None:
        try:
            if action == "reject":
                service.reject_cook(session, staff=sa.user, cook=cook, reason=reason)
            elif action == "suspend":
                cook_flows.suspend_cook(session, staff=sa.user, cook=cook, reason=reason)
            else:
                service.reinstate_cook(session, staff=sa.user, cook=cook, reason=reason)
        except Conflict as refused:  # the status changed meanwhile (another tab, a colleague)
            return _again(request, session, settings, sa, cook, {"status": refused.message}, {})
    if problem is not None:
        values = {field: reason}
        return _again(request, session, settings, sa, cook, {field: problem}, values)
    done = {"reject": "rejected", "suspend": "suspended", "reinstate": "reinstated"}[action]
    return redirect(f"/staff/cooks/{cook_id}?done={done}")


@router.post("/staff/cooks/{cook_id}/reject", response_class=HTMLResponse)
def reject(
    cook_id: PathId, request: Request, session: SessionDep, settings: SettingsDep, form: FormDep
) -> Response:
    return _reason_action("reject", cook_id, request, session, settings, form)


@router.post("/staff/cooks/{cook_id}/suspend", response_class=HTMLResponse)
def suspend(
    cook_id: PathId, request: Request, session: SessionDep, settings: SettingsDep, form: FormDep
) -> Response:
    return _reason_action("suspend", cook_id, request, session, settings, form)


@router.post("/staff/cooks/{cook_id}/reinstate", response_class=HTMLResponse)
def reinstate(
    cook_id: PathId, request: Request, session: SessionDep, settings: SettingsDep, form: FormDep
) -> Response:
    return _reason_action("reinstate", cook_id, request, session, settings, form)


def _erased(session: Session, cook: Cook) -> bool:
    user = session.get(User, cook.user_id)
    return user is not None and user.anonymised_at is not None


@router.post("/staff/cooks/{cook_id}/erase", response_class=HTMLResponse)
def erase(
    cook_id: PathId, request: Request, session: SessionDep, settings: SettingsDep, form: FormDep
) -> Response:
    """Erase the cook's personal details (a data protection request): the same service as POST
    /api/staff/cooks/{id}/erase, once the staff member has ticked that they mean it (only the
    API could, before: a data protection review)."""
    acting = _acting(request, session, settings, form, cook_id)
    if isinstance(acting, Response):
        return acting
    sa, cook = acting
    if _erased(session, cook):  # a second click, or a colleague first
        return redirect(f"/staff/cooks/{cook_id}")
    if form.get("confirm_erase") != "yes":
        errors = {
            "confirm_erase": f"Select that {cook.display_name} asked for their details to be erased"
        }
        return _again(request, session, settings, sa, cook, errors, {})
    erase_cook(session, staff=sa.user, cook=cook)
    return redirect(f"/staff/cooks/{cook_id}?done=erased")


@router.post("/staff/cooks/{cook_id}/confirm-location", response_class=HTMLResponse)
def confirm_location(
    cook_id: PathId, request: Request, session: SessionDep, settings: SettingsDep, form: FormDep
) -> Response:
    acting = _acting(request, session, settings, form, cook_id)
    if isinstance(acting, Response):
        return acting
    sa, cook = acting
    if not cook.location_review:  # confirmed already (a second click): nothing to do
        return redirect(f"/staff/cooks/{cook_id}")
    service.confirm_location(session, staff=sa.user, cook=cook)
    return redirect(f"/staff/cooks/{cook_id}?done=location")
