"""Staff pages: diners. The list (search, filters, sort, paging; full names, the carer and
their contact, days waiting), a diner's full record (audited, as the API's), and referring a
diner who has no carer (the same service as POST /api/staff/diners).

Reads through app/diners/search.py (the list: one query and one count per page) and
app/diners/record.py (the record); the old static pages' URLs redirect here."""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Any
from urllib.parse import urlencode

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response
from pydantic import ValidationError
from sqlmodel import Session, col, select
from starlette.datastructures import FormData

from app.config import Settings
from app.councils.rules import council_today
from app.councils.service import staff_council
from app.db import lock_row, utcnow, writing
from app.deps import SessionDep, SettingsDep
from app.diners.erasure_hold import erasure_hold
from app.diners.record import PairingLine, diner_record
from app.diners.rules import public_status
from app.diners.schemas import DinerChangeOnPages
from app.diners.search import (
    NEED_CODES,
    DinerQuery,
    DinerSort,
    council_neighbourhoods,
    days_between,
    search_diners,
)
from app.diners.service import (
    audit_address_read,
    audit_address_view,
    get_councils_diner,
    register_diner,
    view_diner_as_staff,
)
from app.errors import Conflict, NotFound, RuleBroken
from app.flows.diner_changes import change_diner
from app.matching import engine
from app.matching.engine.rules import MIN_OVERLAP_MIN
from app.matching.inputs import cook_input, diner_input
from app.meals.corrections import correct_outcome
from app.meals.service import OPEN_MEAL
from app.models import Cook, Council, Diner, Meal, Pairing, User
from app.names import first_name
from app.pages.carer_common import (
    DAY_TIME_FIELDS,
    POSTCODE_MESSAGES,
    check_about,
    check_access,
    check_food,
    check_times,
    diner_body,
    read_form,
    when_words,
)
from app.pages.carer_home import (
    CHANGES,
    answers_of,
    change_context,
    change_fields,
    change_template,
    read_change,
    typed_change,
)
from app.pages.cook_forms import (
    ALLERGENS,
    DIETS,
    FREQUENCIES,
    TEXTURES,
    WEEKDAYS,
    day_rows,
    items,
    label_of,
    labels_of,
    national_phone,
    redirect,
)
from app.pages.forms import FormDep, check_csrf, text_rule_problem, typed_text, whole_number
from app.pages.kept_answers import keep_if_sign_in_ended, kept_answers
from app.pages.staff_common import Paging, StaffAuth, render_staff, search_text, staff_auth
from app.pages.staff_concerns import concerns_about
from app.pages.staff_words import (
    CANCEL_WORDS,
    END_WORDS,
    MEAL_WORDS,
    PAIRING_WORDS,
    date_words,
    options,
)
from app.pairings.schemas import PairingEndIn, PairingScheduleIn
from app.pairings.service import end_pairing_as_staff, reschedule_pairing, withdraw_pairing
from app.privacy.erasure_requests import erase_by, erasure_asked_on
from app.privacy.service import (
    carer_of_council,
    erase_carer,
    erase_diner,
    relatives_not_erased,
)
from app.routing import DeferredRoute
from app.schemas import PathId, hhmm
from app.vocab import DinerStatus, Frequency, MealStatus

router = APIRouter(include_in_schema=False, route_class=DeferredRoute)

STATUS_WORDS: dict[str, tuple[str, str]] = {
    DinerStatus.waiting: ("Waiting", "govuk-tag--yellow"),
    DinerStatus.matched: ("Has a cook", "govuk-tag--green"),
    DinerStatus.paused: ("Paused", "govuk-tag--grey"),
    DinerStatus.left: ("Left", "govuk-tag--grey"),
}
# The count above the list: "28 diners with a cook" read "28 has a cook diners" (a browser walk).
COUNT_WORDS: dict[str, str] = {
    DinerStatus.waiting: "waiting",
    DinerStatus.paused: "paused",
    DinerStatus.left: "left",
}
SORT_WORDS: dict[DinerSort, str] = {
    DinerSort.longest: "Longest waiting",
    DinerSort.name: "Name",
    DinerSort.newest: "Newest",
}
# Why a pairing is paused, after "paused" ("Meals with Priya are paused ...", and the tag).
PAUSE_WORDS: dict[str, str] = {
    "concern": "by a serious concern",
    "needs_changed": "because the diner's needs changed beyond what the cook can make",
    "cook_changed": "because the cook's offer changed and no longer meets the diner's needs",
}
REFERRED = "The diner is referred. They are waiting for a cook."
ENDED = "The pairing has ended. The diner is waiting for a cook again."
ALREADY_ENDED = "This pairing had already ended, so nothing was changed"
ERASED = "The diner's personal details are erased. Their meals and pairings are kept without them."
CHANGED = (
    "The changes are saved and their cook is told; a cook who can no longer cook safely for "
    "them has the meals paused, as shown below."
)
CHANGED_NO_COOK = "The changes are saved."  # "their cook is told" of a diner with none
WITHDRAWN = "The invitation is withdrawn and the cook is told. The diner waits for a cook again."
MOVED = {  # by whether the diner has a carer
    "carer": "The meals move to the new day and time from tomorrow. The cook and the carer are "
    "told.",
    "letter": "The meals move to the new day and time from tomorrow. The cook is told, and the "
    "diner is posted the new plan (they have no carer).",
}
COVERED = (
    "The cover is recorded. The cook is sent what they agreed, and the carer and the regular "
    "cook are told who will bring the meal."
)
COVERED_NO_CARER = (  # COVERED of a diner with no carer: nobody else tells them
    "The cover is recorded. The cook is sent what they agreed, and the regular cook is told. "
    "The diner has no carer with us: let them know who will bring the meal."
)
CARER_ERASED = "The carer's account is erased: their name, email address and phone are gone."
CORRECTED = {
    "delivered": "The meal is recorded as delivered. Those told it was missed are told it came.",
    "missed": "The meal is recorded as missed. Any carer and the coordinator are told.",
}
RECORDED = {  # a meal nobody had recorded
    "delivered": "The meal is recorded as delivered.",
    "missed": CORRECTED["missed"],
}
CONSENT = (
    "Select that the diner agrees to be referred and to their details being shared with "
    "the council and their cook"
)
LISTS = ("diets", "allergies", "days")
REFER_FIELDS = (
    "full_name",
    "address_line",
    "postcode",
    "phone",
    "diets",
    "allergies",
    "other_allergies",
    "texture",
    "days",
    *DAY_TIME_FIELDS,
    "frequency",
    "access_notes",
)


def _auth(request: Request, session: Session, settings: Settings) -> StaffAuth | Response:
    return staff_auth(request, session, settings)


# --- the old static pages' addresses ---------------------------------------------------------


@router.get("/staff/diners.html")
def old_list(request: Request) -> Response:
    status = request.query_params.get("status", "")
    return redirect("/staff/diners" + (f"?{urlencode({'status': status})}" if status else ""))


@router.get("/staff/diner.html")
def old_record(request: Request) -> Response:
    number = whole_number(request.query_params.get("id", ""))
    return redirect(f"/staff/diners/{number}" if number is not None else "/staff/diners")


@router.get("/staff/refer.html")
def old_refer() -> Response:
    return redirect("/staff/refer")


# --- the list --------------------------------------------------------------------------------


def _query(request: Request, area_ids: set[int]) -> DinerQuery:
    """What the filter form asked for; anything not understood is no filter."""
    params = request.query_params
    status = params.get("status", "")
    area = whole_number(params.get("area", ""))
    needs = params.get("needs", "")
    sort = params.get("sort", "")
    return DinerQuery(
        q=search_text(request),
        status=DinerStatus(status) if status in set(DinerStatus) else None,
        area_id=area if area in area_ids else None,
        needs=needs if needs in NEED_CODES else None,
        sort=DinerSort(sort) if sort in set(DinerSort) else None,
    )


def needs_words(diets: list[str], allergies: list[str], texture: str) -> list[str]:
    """A diner's needs in a few words each: diets, "No peanuts", a texture other than regular."""
    words = labels_of(DIETS, diets)
    words += [f"No {label_of(ALLERGENS, a).split(' (')[0].lower()}" for a in allergies]
    if texture and texture != "regular":
        words.append(label_of(TEXTURES, texture).split(" (")[0])
    return words


@router.get("/staff/diners", response_class=HTMLResponse)
def diner_list(request: Request, session: SessionDep, settings: SettingsDep) -> Response:
    sa = _auth(request, session, settings)
    if isinstance(sa, Response):
        return sa
    council = staff_council(session, sa.user)
    hoods = council_neighbourhoods(session, council_id=sa.council_id)
    query = _query(request, {i for i, _ in hoods})
    paging = Paging.from_request(request)
    now = utcnow()
    rows, total = search_diners(
        session,
        council_id=sa.council_id,
        today=council_today(council, now),
        now=now,
        query=query,
        limit=paging.per_page,
        offset=paging.offset,
    )
    if moved := paging.past_the_end(request, total):
        return moved
    filtered = bool(query.q or query.status or query.area_id or query.needs)
    status_text = COUNT_WORDS.get(query.status, "") if query.status else ""
    title = "Waiting diners" if query.status == DinerStatus.waiting else "Diners"
    context = {
        "title": title,
        # "Waiting diners" names its status; another status narrows "Diners" (a review).
        "window_title": paging.window_title(
            title,
            total,
            filtered=bool(query.q or query.area_id or query.needs)
            or (query.status is not None and query.status != DinerStatus.waiting),
        ),
        "rows": rows,
        "total": total,
        "query": query,
        "filtered": filtered,
        "status_text": status_text,
        "count_after": " with a cook" if query.status == DinerStatus.matched else "",
        "first": paging.offset + 1,
        "last": paging.offset + len(rows),
        "pagination": paging.links(request, total),
        "status_options": options(
            [(str(s), w) for s, (w, _) in STATUS_WORDS.items()],
            query.status or "",
            "Any status",
        ),
        "area_options": options([(str(i), n) for i, n in hoods], str(query.area_id or ""), "Any"),
        "needs_groups": [
            ("Diet", DIETS),
            ("Allergy", [(c, label_of(ALLERGENS, c).split(" (")[0]) for c, _ in ALLERGENS]),
            ("Texture", TEXTURES),
        ],
        "needs_chosen": query.needs or "",
        "sort_options": [
            {"value": s.value, "text": w, "selected": s == query.order}
            for s, w in SORT_WORDS.items()
        ],
        "status_words": STATUS_WORDS,
        "needs_words": needs_words,
        "phone": national_phone,
    }
    return render_staff(request, session, settings, "staff/diners.html", context, staff=sa)


# --- a diner's record ------------------------------------------------------------------------


@router.get("/staff/diners/{diner_id}", response_class=HTMLResponse)
def diner_page(
    diner_id: PathId, request: Request, session: SessionDep, settings: SettingsDep
) -> Response:
    sa = _auth(request, session, settings)
    if isinstance(sa, Response):
        return sa
    banner = (
        REFERRED
        if request.query_params.get("referred")
        else ERASED
        if request.query_params.get("erased")
        else CARER_ERASED
        if request.query_params.get("carer_erased")
        else ENDED
        if request.query_params.get("ended")
        else MOVED.get(request.query_params.get("moved", ""))
        if request.query_params.get("moved")
        else WITHDRAWN
        if request.query_params.get("withdrawn")
        else CHANGED
        if request.query_params.get("changed")
        else COVERED
        if request.query_params.get("covered")
        else CORRECTED.get(request.query_params.get("corrected", ""))
        if request.query_params.get("corrected")
        else RECORDED.get(request.query_params.get("recorded", ""))
    )
    return _record_page(request, session, settings, sa, diner_id, banner=banner)


def _record_page(
    request: Request,
    session: Session,
    settings: Settings,
    sa: StaffAuth,
    diner_id: int,
    *,
    banner: str | None = None,
    errors: dict[str, str] | None = None,
    values: dict[str, str] | None = None,
    notice: dict[str, str] | None = None,
) -> Response:
    """The record; `notice`: what a form could not do (its heading, and the words typed that
    were not saved), answered 409."""
    diner = view_diner_as_staff(session, staff=sa.user, diner_id=diner_id)  # 404 elsewhere
    council = staff_council(session, sa.user)
    today = council_today(council)
    record = diner_record(session, diner=diner)
    if values is None and record.open_pairing is not None:
        ending = f"/staff/diners/{diner_id}/pairing/{record.open_pairing.id}/end"
        if kept := kept_answers(request, session, sa.auth, action=ending):
            values = {END_REASON: typed_text(kept.get("reason", ""))}
    status = public_status(diner, today)
    if banner == CHANGED and record.open_pairing is None:
        banner = CHANGED_NO_COOK
    if banner == COVERED and diner.carer_id is None:
        banner = COVERED_NO_CARER
    # The request reached only the coordinator's mailbox, as an account number no staff page
    # could find (an outside check): the record says so while it is to do, and by when.
    # Only a request naming this diner holds them: one registered after the carer asked is
    # matched as usual, and staff are not told to erase them (app/diners/erasure_hold.py).
    # Once erased, the request still shows: it leads on to the carer's own account.
    hold = erasure_hold(session, diner=diner, council=council)
    asked = (
        hold.asked_on
        if hold is not None
        else erasure_asked_on(session, carer_id=diner.carer_id, council=council)
        if diner.carer_id and diner.anonymised_at is not None
        else None
    )
    context = {
        "title": diner.full_name,
        "errors": errors or {},
        "record": record,
        "diner": diner,
        "status": status,
        "banner": banner,
        "notice": notice,
        "today": today,
        "waiting_days": days_between(record.waiting_since, utcnow()),
        # Held out of matching while their carer's erasure request is to do (erasure_hold).
        "can_match": status == DinerStatus.waiting and record.open_pairing is None and hold is None,
        "concerns": concerns_about(session, council_id=sa.council_id, diner_id=diner.id),
        "needs": {
            "diets": labels_of(DIETS, diner.diets) or ["No special diet"],
            "allergies": labels_of(ALLERGENS, diner.allergies) or ["None"],
            "texture": label_of(TEXTURES, diner.texture),
            "frequency": label_of(FREQUENCIES, diner.frequency),
            "when": when_words(list(diner.availability)) or ["No times given"],
        },
        "status_words": STATUS_WORDS,
        "pairing_words": PAIRING_WORDS,
        "end_words": END_WORDS,
        "pause_words": PAUSE_WORDS,
        "meal_words": MEAL_WORDS,
        "cancel_words": CANCEL_WORDS,
        "frequency_words": dict(FREQUENCIES),
        "weekdays": WEEKDAYS,
        "date_words": date_words(council),
        "phone": national_phone,
        "carer_erasure": _carer_erasure(session, diner),
        "erasure_asked": asked,
        "erase_by": erase_by(asked) if asked else None,
        "values": values or {},
        "move": _move_form(session, record.open_pairing, values, errors or {}),
    }
    return render_staff(
        request,
        session,
        settings,
        "staff/diner.html",
        context,
        staff=sa,
        status_code=422 if errors else 409 if notice else 200,
    )


@router.post("/staff/diners/{diner_id}/erase", response_class=HTMLResponse)
def erase(
    diner_id: PathId, request: Request, session: SessionDep, settings: SettingsDep, form: FormDep
) -> Response:
    """Erase the diner's personal details (a data protection request): the same service as
    POST /api/staff/diners/{id}/erase, once the staff member has ticked that they mean it."""
    check_csrf(request, settings, str(form.get("csrf_token", "")))
    sa = _auth(request, session, settings)
    if isinstance(sa, Response):
        return sa
    diner = get_councils_diner(session, staff=sa.user, diner_id=diner_id)  # 404 elsewhere
    if diner.anonymised_at is not None:
        return redirect(f"/staff/diners/{diner_id}")
    if form.get("confirm") != "yes":
        errors = {"confirm": f"Select that {diner.full_name} or someone acting for them asked"}
        return _record_page(request, session, settings, sa, diner_id, errors=errors)
    erase_diner(session, staff=sa.user, diner=diner)
    return redirect(f"/staff/diners/{diner_id}?erased=1")


def _carer_erasure(session: Session, diner: Diner) -> dict[str, int] | None:
    """Once the diner is erased, their carer's own account may be (the carer asked for their
    data to go): how many of their relatives are still held, which come first. None when there
    is nothing to offer."""
    carer = session.get(User, diner.carer_id) if diner.carer_id is not None else None
    if diner.anonymised_at is None or carer is None or carer.anonymised_at is not None:
        return None
    left = relatives_not_erased(session, carer_id=carer.id or 0)
    here = sum(d.council_id == diner.council_id for d in left)
    return {"relatives_left": here, "elsewhere": len(left) - here}


@router.post("/staff/diners/{diner_id}/carer/erase", response_class=HTMLResponse)
def erase_carer_account(
    diner_id: PathId, request: Request, session: SessionDep, settings: SettingsDep, form: FormDep
) -> Response:
    """Erase the carer's own account from their erased relative's record (the same service as
    POST /api/staff/carers/{id}/erase), once the staff member has ticked that they mean it."""
    check_csrf(request, settings, str(form.get("csrf_token", "")))
    sa = _auth(request, session, settings)
    if isinstance(sa, Response):
        return sa
    diner = get_councils_diner(session, staff=sa.user, diner_id=diner_id)  # 404 elsewhere
    if diner.carer_id is None:
        raise NotFound("Carer not found")
    carer = carer_of_council(session, staff=sa.user, carer_id=diner.carer_id)
    if carer.anonymised_at is not None:
        return redirect(f"/staff/diners/{diner_id}")
    if form.get("confirm_carer") != "yes":
        errors = {"confirm_carer": "Select that the carer asked for their own data to be erased"}
        return _record_page(request, session, settings, sa, diner_id, errors=errors)
    try:
        erase_carer(session, staff=sa.user, carer=carer)
    except Conflict as exc:
        errors = {"confirm_carer": exc.message}
        return _record_page(request, session, settings, sa, diner_id, errors=errors)
    return redirect(f"/staff/diners/{diner_id}?carer_erased=1")


def _pairing_form(
    request: Request,
    session: Session,
    settings: Settings,
    form: FormData,
    diner_id: int,
    pairing_id: int,
) -> StaffAuth | Response:
    """A form posted about one of a diner's pairings: its token checked, staff signed in (else
    the sign-in page), the diner of their council and the pairing the diner's (else 404)."""
    check_csrf(request, settings, str(form.get("csrf_token", "")))
    sa = _auth(request, session, settings)
    if isinstance(sa, Response):
        return sa
    get_councils_diner(session, staff=sa.user, diner_id=diner_id)  # 404 elsewhere
    pairing = session.get(Pairing, pairing_id)
    if pairing is None or pairing.diner_id != diner_id:
        raise NotFound("Pairing not found")
    return sa


@router.post("/staff/diners/{diner_id}/pairing/{pairing_id}/end", response_class=HTMLResponse)
def end_pairing(
    diner_id: PathId,
    pairing_id: PathId,
    request: Request,
    session: SessionDep,
    settings: SettingsDep,
    form: FormDep,
) -> Response:
    """End the diner's active or paused pairing (POST /api/staff/pairings/{id}/end) with the
    reason staff give (the API's is optional, the page's is not: the record said only "Staff
    ended the pairing"), once the staff member has ticked that they mean it (asked again of
    a reason kept when the sign-in had ended)."""
    keep_if_sign_in_ended(request, session, settings, form, fields=("reason",))
    sa = _pairing_form(request, session, settings, form, diner_id, pairing_id)
    if isinstance(sa, Response):
        return sa
    reason = typed_text(form.get("reason", ""))
    errors: dict[str, str] = {}
    if problem := _end_reason_problem(reason):
        errors[END_REASON] = problem
    if form.get("end") != "yes":
        errors["end"] = "Select that you have spoken to the cook or the carer"
    if errors:
        values = {END_REASON: reason, "end": str(form.get("end", ""))}  # nothing lost
        return _record_page(request, session, settings, sa, diner_id, errors=errors, values=values)
    try:
        end_pairing_as_staff(session, staff=sa.user, pairing_id=pairing_id, reason=reason)
    except Conflict:
        # Ended or withdrawn meanwhile (a colleague, another tab): said, with the reason typed,
        # which was not saved (a silent redirect dropped it: a review).
        notice = {"heading": ALREADY_ENDED, "reason": reason}
        return _record_page(request, session, settings, sa, diner_id, notice=notice)
    return redirect(f"/staff/diners/{diner_id}?ended=1")


END_REASON = "end-reason"  # the reason's field on the record page (an id: the summary's link)
MAX_END_REASON = 500  # app.schemas.Reason's limit, which the character count shows


def _end_reason_problem(reason: str) -> str | None:
    """The message beside the reason for ending a pairing, if it breaks the API's rule."""
    if not reason:
        return "Enter why the pairing is ending"
    if len(reason) > MAX_END_REASON:
        return f"The reason must be {MAX_END_REASON} characters or fewer"
    if problem := text_rule_problem(reason, what="The reason", lines=True):
        return problem
    try:
        PairingEndIn(reason=reason)  # the API's schema, so the page takes what the API takes
    except ValidationError:
        return "The reason must be ordinary text"
    return None


@router.post("/staff/diners/{diner_id}/pairing/{pairing_id}/withdraw", response_class=HTMLResponse)
def withdraw_invitation(
    diner_id: PathId,
    pairing_id: PathId,
    request: Request,
    session: SessionDep,
    settings: SettingsDep,
    form: FormDep,
) -> Response:
    """Withdraw the diner's unanswered invitation (POST /api/staff/pairings/{id}/withdraw): the
    cook is told, and the diner waits for a cook again (only the API could do it)."""
    sa = _pairing_form(request, session, settings, form, diner_id, pairing_id)
    if isinstance(sa, Response):
        return sa
    try:
        withdraw_pairing(session, staff=sa.user, pairing_id=pairing_id)
    except Conflict:  # answered meanwhile: the record shows how
        return redirect(f"/staff/diners/{diner_id}")
    return redirect(f"/staff/diners/{diner_id}?withdrawn=1")


@router.post("/staff/diners/{diner_id}/meals/{meal_id}/outcome", response_class=HTMLResponse)
def correct_meal_outcome(
    diner_id: PathId,
    meal_id: PathId,
    request: Request,
    session: SessionDep,
    settings: SettingsDep,
    form: FormDep,
) -> Response:
    """Record what happened to a meal nobody recorded, or put a recorded outcome right (POST
    /api/staff/meals/{id}/outcome): a cook who recorded "missed" by mistake could only ask
    the council, which could do nothing."""
    check_csrf(request, settings, str(form.get("csrf_token", "")))
    sa = _auth(request, session, settings)
    if isinstance(sa, Response):
        return sa
    outcome = str(form.get("outcome", ""))
    if outcome not in (MealStatus.delivered, MealStatus.missed):
        return redirect(f"/staff/diners/{diner_id}")
    meal = session.get(Meal, meal_id)
    first = meal is not None and meal.status in OPEN_MEAL
    try:
        correct_outcome(
            session,
            staff=sa.user,
            meal_id=meal_id,
            outcome=MealStatus(outcome),
            diner_id=diner_id,  # this record's meal, else 404
        )
    except (Conflict, RuleBroken):  # recorded meanwhile, or not due: the record shows how
        return redirect(f"/staff/diners/{diner_id}")
    return redirect(f"/staff/diners/{diner_id}?{'recorded' if first else 'corrected'}={outcome}")


def _changeable(
    request: Request, session: Session, settings: Settings, diner_id: int, what: str
) -> tuple[StaffAuth, Diner] | Response:
    """Staff signed in (else the sign-in page), the diner of their council (else 404), and a
    change that can be made: else back to the record (a diner gone has nothing to change)."""
    sa = _auth(request, session, settings)
    if isinstance(sa, Response):
        return sa
    diner = get_councils_diner(session, staff=sa.user, diner_id=diner_id)
    if what not in CHANGES:
        raise NotFound("Page not found")
    if diner.status == DinerStatus.left or diner.anonymised_at:
        return redirect(f"/staff/diners/{diner_id}")
    return sa, diner


# The carer's page sends a carer to their coordinator; staff are the coordinator.
STAFF_POSTCODE_MESSAGES = {
    **POSTCODE_MESSAGES,
    "outside_council_area": "This postcode is in another council's area: refer the diner to "
    "that council, then record that they left",
    "outside_service_area": "We do not run in this area yet: check the postcode",
}

# The change pages that show the diner's address or access notes (prefilled).
SHOWS_ADDRESS = frozenset({"address", "access"})


@router.get("/staff/diners/{diner_id}/change/{what}", response_class=HTMLResponse)
def change_needs_form(
    diner_id: PathId, what: str, request: Request, session: SessionDep, settings: SettingsDep
) -> Response:
    """Staff change a diner's needs, times, address or access notes (PATCH /api/diners/{id}):
    the carer's change pages, back to the staff record. A referred diner has no carer, so
    before, nobody could record a new allergy on the web."""
    found = _changeable(request, session, settings, diner_id, what)
    if isinstance(found, Response):
        return found
    sa, diner = found
    record = f"/staff/diners/{diner_id}"
    if what in SHOWS_ADDRESS:  # the record's view is audited; so is this one (an outside review)
        with writing(session):  # a GET's session only reads: kept in a transaction of its own
            audit_address_read(session, viewer=sa.user, diner=diner)
    a = answers_of(diner)
    if kept := kept_answers(request, session, sa.auth, action=request.url.path):
        a = {**a, **typed_change(what, kept)}
    context = change_context(what, diner, a, record=record)
    return render_staff(request, session, settings, change_template(what), context, staff=sa)


@router.post("/staff/diners/{diner_id}/change/{what}", response_class=HTMLResponse)
def change_needs(
    diner_id: PathId,
    what: str,
    request: Request,
    session: SessionDep,
    settings: SettingsDep,
    form: FormDep,
) -> Response:
    if what in CHANGES:
        keep_if_sign_in_ended(request, session, settings, form, fields=change_fields(what))
    check_csrf(request, settings, str(form.get("csrf_token", "")))
    found = _changeable(request, session, settings, diner_id, what)
    if isinstance(found, Response):
        return found
    sa, diner = found
    record = f"/staff/diners/{diner_id}"
    a, body, errors = read_change(session, settings, diner, what, form)
    if body is not None:
        try:
            change_diner(session, actor=sa.user, diner=diner, body=body, settings=settings)
        except RuleBroken as exc:  # worded as the carer's page words it
            errors = {str(exc.loc[-1]): STAFF_POSTCODE_MESSAGES.get(exc.rule, exc.message)}
        else:
            return redirect(f"{record}?changed=1")
    if what in SHOWS_ADDRESS:  # shown again, with what was typed
        audit_address_view(session, viewer=sa.user, diner=diner)
    context = {**change_context(what, diner, a, record=record), "errors": _for_staff(errors)}
    return render_staff(
        request, session, settings, change_template(what), context, staff=sa, status_code=422
    )


SCHEDULE_FIELDS = ("weekday", "start", "frequency")


def _move_form(
    session: Session,
    pairing: PairingLine | None,
    values: dict[str, str] | None,
    errors: dict[str, str],
) -> dict[str, Any] | None:
    """The "change the day or time" form of an active pairing: its own day, time and frequency,
    or what was posted (with its errors). Only the frequencies the cook offers (as the match
    page): "Once a month" was offered to a cook who does not, then refused."""
    if pairing is None or pairing.status != "active":
        return None
    cook = session.get(Cook, pairing.cook.id)
    offered = set(cook.frequencies) if cook is not None else set(Frequency)
    posted = values is not None and any(f in errors for f in SCHEDULE_FIELDS)
    day = values["weekday"] if posted and values else str(pairing.weekday)
    often = values["frequency"] if posted and values else pairing.frequency
    return {
        "open": posted,
        "start": values["start"] if posted and values else pairing.start,
        "days": [
            {"value": str(n), "text": name, "selected": str(n) == day}
            for n, name in enumerate(WEEKDAYS)
        ],
        "often": [
            {"value": code, "text": words, "checked": code == often}
            for code, words in FREQUENCIES
            if code in offered or code == pairing.frequency
        ],
    }


@router.post("/staff/diners/{diner_id}/pairing/{pairing_id}/schedule", response_class=HTMLResponse)
def move_pairing(
    diner_id: PathId,
    pairing_id: PathId,
    request: Request,
    session: SessionDep,
    settings: SettingsDep,
    form: FormDep,
) -> Response:
    """A new day, time or frequency for the diner's active pairing (POST
    /api/staff/pairings/{id}/schedule), each problem beside its field."""
    sa = _pairing_form(request, session, settings, form, diner_id, pairing_id)
    if isinstance(sa, Response):
        return sa
    values = {f: str(form.get(f, "")).strip()[:20] for f in SCHEDULE_FIELDS}
    errors: dict[str, str] = {}
    weekday = whole_number(values["weekday"])
    if weekday is None or not 0 <= weekday <= 6:
        errors["weekday"] = "Choose the day of the meals"
    if not re.fullmatch(r"([01]\d|2[0-3]):[0-5]\d", values["start"]):
        errors["start"] = "Enter the time of the meals as hours and minutes, like 17:30"
    if values["frequency"] not in set(Frequency):
        errors["frequency"] = "Choose how often"
    if not errors:
        body = PairingScheduleIn.model_validate({**values, "weekday": weekday})
        try:
            reschedule_pairing(session, staff=sa.user, pairing_id=pairing_id, body=body)
        except RuleBroken as exc:
            field = exc.loc[-1] if exc.loc[-1] in SCHEDULE_FIELDS else "weekday"
            errors[str(field)] = _move_refusal(session, exc, diner_id, pairing_id)
        except Conflict as exc:
            errors["weekday"] = exc.message
        else:
            diner = session.get(Diner, diner_id)
            told = "carer" if diner is not None and diner.carer_id else "letter"
            return redirect(f"/staff/diners/{diner_id}?moved={told}")
    return _record_page(request, session, settings, sa, diner_id, errors=errors, values=values)


def _move_refusal(session: Session, exc: RuleBroken, diner_id: int, pairing_id: int) -> str:
    """A refused move in words naming the people (the engine's own said "cook 98")."""
    pairing, diner = session.get(Pairing, pairing_id), session.get(Diner, diner_id)
    cook = session.get(Cook, pairing.cook_id) if pairing else None
    if cook is None or diner is None or exc.rule not in ("no_shared_time",):
        return exc.message
    name, them = cook.display_name, first_name(diner.full_name)
    if exc.loc[-1] == "frequency":
        offered = [w.lower() for c, w in FREQUENCIES if c in set(cook.frequencies)]
        return f"{name} does not cook that often: choose {' or '.join(offered)}"
    council = session.get(Council, diner.council_id)
    assert council is not None and pairing is not None
    shared = engine.shared_windows(
        cook_input(cook, council=council, today=council_today(council), load=0),
        diner_input(diner, excluded=set(), met=set(), frequency=pairing.frequency),
    )
    if not shared:
        return f"{name} and {them} are never free at the same time: the pairing cannot move"
    # When a meal can start, not only that "then" is not it (staff had to guess: a browser
    # walk); a meal needs MIN_OVERLAP_MIN minutes of the shared time from its start.
    when = " and ".join(
        f"{WEEKDAYS[w.weekday]}s from {hhmm(w.start)} to {hhmm(w.end - MIN_OVERLAP_MIN)}"
        for w in shared
    )
    return f"{name} and {them} are not both free then: a meal can start on {when}"


# --- referring a diner -----------------------------------------------------------------------


def _for_staff(errors: dict[str, str]) -> dict[str, str]:
    """The carer's checks speak to a carer about their relative; staff refer "the diner" (and
    are the council a carer is sent to: a walk read "contact your council")."""
    outside = POSTCODE_MESSAGES["outside_service_area"]
    return {
        field: (STAFF_POSTCODE_MESSAGES["outside_service_area"] if message == outside else message)
        .replace("your relative's", "the diner's")
        .replace("your relative", "the diner")
        for field, message in errors.items()
    }


def _refer_page(
    request: Request,
    session: Session,
    settings: Settings,
    sa: StaffAuth,
    a: dict[str, Any],
    errors: dict[str, str],
    status_code: int = 200,
) -> Response:
    context = {
        "title": "Refer a diner",
        "values": a,
        "errors": errors,
        "diet_items": items(DIETS, a.get("diets", [])),
        "allergen_items": items(ALLERGENS, a.get("allergies", [])),
        "texture_items": items(TEXTURES, [a.get("texture", "")]),
        "often_items": items(FREQUENCIES, [a.get("frequency", "")]),
        "days": day_rows(a),
        "consent": a.get("consent") == "yes",
    }
    return render_staff(
        request, session, settings, "staff/refer.html", context, staff=sa, status_code=status_code
    )


@router.get("/staff/refer", response_class=HTMLResponse)
def refer_form(request: Request, session: SessionDep, settings: SettingsDep) -> Response:
    sa = _auth(request, session, settings)
    if isinstance(sa, Response):
        return sa
    kept = kept_answers(request, session, sa.auth, action="/staff/refer")
    return _refer_page(request, session, settings, sa, _typed_referral(kept) if kept else {}, {})


def _typed_referral(form: FormData) -> dict[str, Any]:
    return read_form(form, REFER_FIELDS, LISTS)


JUST_NOW = timedelta(minutes=2)


def _just_referred(session: Session, staff: User, full_name: str, address: str) -> int | None:
    """The diner this staff member referred with this name and address in the last minutes."""
    return session.exec(
        select(Diner.id).where(
            Diner.referred_by_id == staff.id,
            Diner.full_name == full_name,
            Diner.address_line == address,
            col(Diner.created_at) >= utcnow() - JUST_NOW,
        )
    ).first()


@router.post("/staff/refer", response_class=HTMLResponse)
def refer_send(
    request: Request, session: SessionDep, settings: SettingsDep, form: FormDep
) -> Response:
    # The answers, not the consent: that is asked again of answers kept.
    keep_if_sign_in_ended(request, session, settings, form, fields=REFER_FIELDS)
    check_csrf(request, settings, str(form.get("csrf_token", "")))
    sa = _auth(request, session, settings)
    if isinstance(sa, Response):
        return sa
    a = _typed_referral(form)
    a["consent"] = str(form.get("consent", ""))
    errors = {
        **check_about(a, session, settings),
        **check_food(a),
        **check_times(a),
        **check_access(a),
    }
    if a["consent"] != "yes":
        errors["consent"] = CONSENT
    body = None
    if not errors:
        try:
            body = diner_body(a)
        except ValidationError as exc:  # a rule the checks don't know: shown, never a 500
            problem = exc.errors()[0]
            field = str(problem["loc"][0]) if problem["loc"] else "full_name"
            field = "days" if field == "availability" else field
            errors[field if field in REFER_FIELDS else "full_name"] = "Check this answer: " + str(
                problem.get("msg", "")
            )
    if body is None or errors:
        return _refer_page(request, session, settings, sa, a, _for_staff(errors), 422)
    lock_row(session, sa.user)  # PostgreSQL: two sends at once, one after the other
    if twin := _just_referred(session, sa.user, body.full_name, body.address_line):
        # The same form sent again a moment ago: a double click (an outside check made three
        # diners of one referral, and the batch then invited two cooks for one person), or sent
        # after going back to correct it, whose answers are the ones meant (a walk: an allergy
        # ticked then was lost, and "The diner is referred" said nothing of it).
        diner = session.get_one(Diner, twin)
        correction = DinerChangeOnPages.model_validate(body.model_dump(exclude={"consent"}))
        try:
            change_diner(session, actor=sa.user, diner=diner, body=correction, settings=settings)
        except RuleBroken as exc:  # a postcode of another council's, say: beside its field
            errors = {str(exc.loc[-1]): STAFF_POSTCODE_MESSAGES.get(exc.rule, exc.message)}
            return _refer_page(request, session, settings, sa, a, errors, 422)
        return redirect(f"/staff/diners/{twin}?referred=1")
    try:
        diner = register_diner(session, actor=sa.user, body=body, settings=settings, by_staff=True)
    except RuleBroken as exc:
        message = POSTCODE_MESSAGES.get(exc.rule, exc.message)
        if exc.rule == "outside_council_area":
            message = "This postcode is in another council's area: refer the diner to that council"
        return _refer_page(request, session, settings, sa, a, {"postcode": message}, 422)
    audit_address_view(session, viewer=sa.user, diner=diner)  # as POST /api/staff/diners
    return redirect(f"/staff/diners/{diner.id}?referred=1")
