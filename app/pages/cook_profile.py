"""The cook's profile, one question group per page: name and phone, address, how far and how
often, food, times; then check your answers and send for checks (the service of
PUT /api/cooks/me).

Every step's answers are kept server-side (drafts, journey "cook-profile") once the step is
accepted, so Back or a reload loses nothing; each step is checked when the person continues,
with all of its errors at once, shown beside what was typed. A step with an error keeps the
step's last good answers: leaving it, the cook finds what they had, not the refused answer.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response
from pydantic import ValidationError
from sqlmodel import Session
from starlette.datastructures import FormData

from app.accounts.contact import can_take_texts, e164_phone, set_contact
from app.config import Settings
from app.cooks.schemas import CookProfileIn
from app.deps import SessionDep, SettingsDep
from app.errors import RuleBroken
from app.flows.cook_changes import pairings_it_would_stop
from app.flows.cooks import put_own_profile
from app.models import Cook, User
from app.pages import drafts
from app.pages.cook_forms import (
    ALLERGENS,
    DIETS,
    FREQUENCIES,
    HOW_MANY,
    PHONE_EXAMPLE,
    TEXTURES,
    WALKS,
    WEEKDAYS,
    clock_time,
    cook_auth,
    day_rows,
    items,
    label_of,
    labels_of,
    national_phone,
    phone_problem,
    redirect,
    text_problem,
    ticked_days,
    to_sign_in,
    uk_phone,
)
from app.pages.forms import NOT_ANSWERED, FormDep, check_csrf, render_page, whole_number
from app.pages.kept_answers import keep_if_sign_in_ended, kept_answers
from app.pages.views import check_area
from app.routing import DeferredRoute
from app.schemas import minutes

router = APIRouter(include_in_schema=False, route_class=DeferredRoute)

JOURNEY = "cook-profile"
STEPS = ["name", "address", "reach", "food", "times"]
TITLES = {
    "name": "Your name and phone number",
    "address": "Your address",
    "reach": "How far and how often",
    "food": "What you can cook",
    "times": "When you could bring a meal",
}
LISTS = ("frequencies", "diets", "allergen_free", "textures", "days")
FIELDS = {
    "name": ("display_name", "phone", "contact_preference"),
    "address": ("address_line", "postcode"),
    "reach": ("walk_radius_m", "max_diners", "frequencies"),
    "food": ("diets", "allergen_free", "textures"),
    "times": ("days", *(f"{e}-{d}" for d in range(7) for e in ("start", "end"))),
}
POSTCODE_MESSAGES = {
    "invalid_postcode": "Enter a real postcode, like N3 1HT",
    "unknown_postcode": "We cannot find this postcode: check it and enter it again",
}


def has_unsaved_changes(session: Session, owner: str, cook: Cook | None) -> bool:
    """Whether a cook with a profile has answered a step differently since they last saved it:
    their answers are kept (a day) and shown on the steps and the check page, which without a
    word read as saved (a browser walk)."""
    return unsaved(session, drafts.load(session, owner, JOURNEY), cook)


def unsaved(session: Session, a: dict[str, Any], cook: Cook | None) -> bool:
    """`has_unsaved_changes` of answers already read (`answers`): kept ones ("started") that
    differ from the profile's. A step continued unchanged is no change (an outside review
    found "You have changed your answers" after pressing Continue on an untouched step)."""
    if cook is None or not a.get("started"):
        return False
    saved = profile_answers(session, cook)
    return any(
        _comparable(key, a.get(key)) != _comparable(key, value) for key, value in saved.items()
    )


def _comparable(key: str, value: Any) -> Any:
    """An answer as the profile would save it: the same number or time written another way
    ("07700900123", "9.00") is no change (a walk found it called one)."""
    if isinstance(value, list):
        return sorted(map(str, value))  # boxes come back in the page's order, not the profile's
    if isinstance(value, str) and key == "phone":
        return uk_phone(value) or value
    if isinstance(value, str) and key.startswith(("start-", "end-")):
        return clock_time(value) or value
    return value


def answers(session: Session, owner: str, cook: Cook | None) -> dict[str, Any]:
    """The answers kept ("started"), or (first visit of a cook who has a profile) the
    profile's."""
    kept = drafts.load(session, owner, JOURNEY)
    if kept.get("started") or cook is None:
        return kept
    return profile_answers(session, cook)


def profile_answers(session: Session, cook: Cook) -> dict[str, Any]:
    """A saved profile as the steps' answers."""
    days = sorted({int(str(w["weekday"])) for w in cook.availability})
    first: dict[int, dict[str, object]] = {}
    # These pages ask one time per day; a profile saved through the API may have more. They are
    # kept as they are (and shown on "check your answers"), so editing here never loses them.
    more: dict[str, list[list[str]]] = {}
    for window in cook.availability:
        day = int(str(window["weekday"]))
        if day in first:
            more.setdefault(str(day), []).append([str(window["start"]), str(window["end"])])
        first.setdefault(day, window)
    return {
        "display_name": cook.display_name,
        "phone": national_phone(cook.phone),
        "contact_preference": _preference(session, cook),
        "address_line": cook.address_line,
        "postcode": cook.postcode,
        "walk_radius_m": str(cook.walk_radius_m),
        "max_diners": str(cook.max_diners),
        "frequencies": list(cook.frequencies),
        "diets": list(cook.diets),
        "allergen_free": list(cook.allergen_free),
        "textures": list(cook.textures),
        "days": [str(d) for d in days],
        "more": more,
        **{f"start-{d}": str(first[d]["start"]) for d in days},
        **{f"end-{d}": str(first[d]["end"]) for d in days},
    }


# --- the checks of each step (field → GOV.UK message, in the page's order) ---------------------


def check_name(a: dict[str, Any], session: Session, settings: Settings) -> dict[str, str]:
    errors: dict[str, str] = {}
    name = a.get("display_name", "")
    if problem := text_problem(
        name, empty="Enter the name diners will know you by", what="Your name", limit=60
    ):
        errors["display_name"] = problem
    phone = a.get("phone", "")
    if not phone:
        errors["phone"] = "Enter your phone number, like 07700 900 982"
    elif problem := phone_problem(phone, PHONE_EXAMPLE):
        errors["phone"] = problem
    elif a.get("contact_preference") == "sms" and not can_take_texts(e164_phone(phone)):
        errors["phone"] = "Enter a mobile phone number to get text messages, like 07700 900 982"
    # Email is chosen until the cook picks texts (the form shows it ticked).
    if (a.get("contact_preference") or "email") not in dict(CONTACT_CHOICES):
        errors["contact_preference"] = "Select how you would like us to send you messages"
    return errors


# How the cook hears from us (reminders, cover requests): the outbox sends by it.
CONTACT_CHOICES = [("email", "Email"), ("sms", "Text message")]


def _preference(session: Session, cook: Cook) -> str:
    user = session.get(User, cook.user_id)
    return user.contact_preference if user is not None else "email"


def check_address(a: dict[str, Any], session: Session, settings: Settings) -> dict[str, str]:
    errors: dict[str, str] = {}
    if problem := text_problem(
        a.get("address_line", ""),
        empty="Enter your house number and street",
        what="House number and street",
        limit=200,
    ):
        errors["address_line"] = problem
    postcode = a.get("postcode", "")
    if not postcode:
        errors["postcode"] = "Enter your postcode"
    elif len(postcode) > 20:
        errors["postcode"] = POSTCODE_MESSAGES["invalid_postcode"]
    else:
        try:
            answer = check_area(session, postcode=postcode, settings=settings)
        except RuleBroken as exc:
            errors["postcode"] = POSTCODE_MESSAGES.get(exc.rule, exc.message)
        else:
            if answer.council is None:
                errors["postcode"] = (
                    f"We do not run at {answer.postcode} yet: enter the postcode of an address "
                    "in an area we run in"
                )
            else:
                a["postcode"] = answer.postcode
    return errors


def check_reach(a: dict[str, Any], session: Session, settings: Settings) -> dict[str, str]:
    errors: dict[str, str] = {}
    walk = whole_number(a.get("walk_radius_m", ""))
    if walk is None or not 100 <= walk <= 5000 or walk % 100:
        errors["walk_radius_m"] = "Select how far you could walk with a meal"
    if a.get("max_diners", "") not in dict(HOW_MANY):
        errors["max_diners"] = "Select how many neighbours you could cook for"
    chosen = a.get("frequencies", [])
    if not chosen or not set(chosen) <= dict(FREQUENCIES).keys():
        errors["frequencies"] = "Select how often you could cook for a neighbour"
    return errors


def check_food(a: dict[str, Any], session: Session, settings: Settings) -> dict[str, str]:
    errors: dict[str, str] = {}
    if not set(a.get("diets", [])) <= dict(DIETS).keys():
        errors["diets"] = "Select only the diets listed"
    if not set(a.get("allergen_free", [])) <= dict(ALLERGENS).keys():
        errors["allergen_free"] = "Select only the allergens listed"
    textures = a.get("textures", [])
    if not textures:
        errors["textures"] = "Select the textures of food you can prepare, like regular food"
    elif not set(textures) <= dict(TEXTURES).keys():
        errors["textures"] = "Select only the textures listed"
    return errors


def check_times(a: dict[str, Any], session: Session, settings: Settings) -> dict[str, str]:
    errors: dict[str, str] = {}
    days = ticked_days(a)
    if not days:
        return {"days": "Select at least one day you could bring a meal"}
    for day in days:
        name = WEEKDAYS[day]
        start_raw, end_raw = a.get(f"start-{day}", ""), a.get(f"end-{day}", "")
        start, end = clock_time(start_raw), clock_time(end_raw)
        if not start_raw:
            errors[f"start-{day}"] = f"Enter the earliest time you could bring a meal on {name}"
        elif start is None:
            errors[f"start-{day}"] = (
                f"Enter {name}'s earliest time as hours and minutes, like 17:30"
            )
        if not end_raw:
            errors[f"end-{day}"] = f"Enter the latest time you could bring a meal on {name}"
        elif end is None:
            errors[f"end-{day}"] = f"Enter {name}'s latest time as hours and minutes, like 19:00"
        if start and end:
            if minutes(end) <= minutes(start):
                errors[f"end-{day}"] = f"{name}'s latest time must be after its earliest time"
            elif minutes(end) - minutes(start) < 30:
                errors[f"end-{day}"] = (
                    f"{name}'s latest time must be at least 30 minutes after its earliest time"
                )
            elif clash := _overlapping_kept_time(a, day, start, end):
                errors[f"end-{day}"] = (
                    f"You also offer {clash} on {name}: choose times that end before it "
                    "starts or start after it ends"
                )
    return errors


def _kept_times(a: dict[str, Any], day: int) -> list[tuple[str, str]]:
    """A day's other times from a profile saved elsewhere (the pages ask one per day)."""
    return [(str(s), str(e)) for s, e in a.get("more", {}).get(str(day), [])]


def _overlapping_kept_time(a: dict[str, Any], day: int, start: str, end: str) -> str | None:
    for kept_start, kept_end in _kept_times(a, day):
        if minutes(start) < minutes(kept_end[:5]) and minutes(kept_start[:5]) < minutes(end):
            return f"{kept_start[:5]} to {kept_end[:5]}"
    return None


CHECKS: dict[str, Callable[[dict[str, Any], Session, Settings], dict[str, str]]] = {
    "name": check_name,
    "address": check_address,
    "reach": check_reach,
    "food": check_food,
    "times": check_times,
}


# --- pages -----------------------------------------------------------------------------------


def _walk_words(walk: str) -> str:
    """A walk not among the choices (set by staff, or before the choices changed), as the
    other pages write distances: "Up to 1,100 metres" (a browser walk read "1100")."""
    digits = str(walk).isascii() and str(walk).isdigit()  # not "²", which int() refuses
    return f"Up to {int(walk):,} metres" if digits else f"Up to {walk} metres"


def _context(step: str, a: dict[str, Any], cook: Cook | None, change: bool) -> dict[str, Any]:
    index = STEPS.index(step)
    back = (
        "/cook/profile/check"
        if change
        else (f"/cook/profile/{STEPS[index - 1]}" if index else "/cook/")
    )
    walks = list(WALKS)
    if a.get("walk_radius_m") and a["walk_radius_m"] not in dict(WALKS):
        walks.append((a["walk_radius_m"], _walk_words(a["walk_radius_m"])))
    return {
        "title": TITLES[step],
        "step": step,
        "number": index + 1,
        "of": len(STEPS),
        "back": back,
        "change": change,
        "values": a,
        "has_profile": cook is not None,
        "contact_items": items(CONTACT_CHOICES, [a.get("contact_preference") or "email"]),
        "walk_items": items(walks, [a.get("walk_radius_m", "")]),
        "many_items": items(HOW_MANY, [a.get("max_diners", "")]),
        "often_items": items(FREQUENCIES, a.get("frequencies", [])),
        "diet_items": items(DIETS, a.get("diets", [])),
        "allergen_items": items(ALLERGENS, a.get("allergen_free", [])),
        "texture_items": items(TEXTURES, a.get("textures", [])),
        "days": day_rows(a),
    }


@router.get("/cook/onboarding.html")
def old_onboarding() -> Response:
    return redirect("/cook/profile/name")


@router.get("/cook/profile", response_class=HTMLResponse)
def profile_start() -> Response:
    return redirect("/cook/profile/name")


@router.get("/cook/profile/{step}", response_class=HTMLResponse)
def step_form(
    step: str, request: Request, session: SessionDep, settings: SettingsDep, change: str = ""
) -> Response:
    if step == "check":
        return check_form(request, session, settings)
    if step not in STEPS:
        return redirect("/cook/profile/name")
    ca = cook_auth(request, session, settings)
    if ca is None:
        return to_sign_in(request)
    a = answers(session, drafts.owner_of(request, ca.user.id) or "", ca.cook)
    if kept := kept_answers(request, session, ca.auth, action=request.url.path):
        a = {**a, **typed_step(step, kept)}  # this step's, typed as the sign-in ended
    context = _context(step, a, ca.cook, bool(change))
    return render_page(
        request, session, settings, f"cook/profile-{step}.html", context, auth=ca.auth
    )


def typed_step(step: str, form: FormData) -> dict[str, Any]:
    """A step's answers as posted (or kept when the sign-in had ended), bounded."""
    return {
        field: [str(v)[:40] for v in form.getlist(field)][:20]
        if field in LISTS
        else str(form.get(field, "")).strip()[:1000]
        for field in FIELDS[step]
    }


@router.post("/cook/profile/{step}", response_class=HTMLResponse)
def step_answer(
    step: str, request: Request, session: SessionDep, settings: SettingsDep, form: FormDep
) -> Response:
    if step in STEPS:  # the earlier steps' answers are kept already (drafts)
        keep_if_sign_in_ended(request, session, settings, form, fields=FIELDS[step])
    check_csrf(request, settings, str(form.get("csrf_token", "")))
    if step == "check":
        return send(request, session, settings)
    if step not in STEPS:
        return redirect("/cook/profile/name")
    ca = cook_auth(request, session, settings)
    if ca is None:
        return to_sign_in(request)
    owner = drafts.owner_of(request, ca.user.id) or ""
    a = answers(session, owner, ca.cook)
    a["started"] = True
    a.update(typed_step(step, form))
    errors = CHECKS[step](a, session, settings)
    # A rejected answer is shown back on its page, but never kept over the last good one: it
    # replaced it, and "check your answers" showed it as the answer (a newcomer's walk).
    if not errors:
        drafts.save(session, owner, JOURNEY, a)
    change = form.get("change") == "1"
    if errors:
        context = {**_context(step, a, ca.cook, change), "errors": errors}
        return render_page(
            request,
            session,
            settings,
            f"cook/profile-{step}.html",
            context,
            status_code=422,
            auth=ca.auth,
        )
    index = STEPS.index(step)
    last = index == len(STEPS) - 1
    return redirect(
        "/cook/profile/check" if change or last else f"/cook/profile/{STEPS[index + 1]}"
    )


def _all_errors(a: dict[str, Any], session: Session, settings: Settings) -> dict[str, str]:
    """Every step's errors, each pointing at the page where it is fixed."""
    found: dict[str, str] = {}
    for step in STEPS:
        for field, message in CHECKS[step](a, session, settings).items():
            found[f"{step}:{field}"] = message
    return found


def _summary(a: dict[str, Any]) -> list[dict[str, Any]]:
    """The rows of the check-your-answers list."""
    days = ticked_days(a)
    times = [
        f"{WEEKDAYS[d]}, {clock_time(a.get(f'start-{d}', '')) or a.get(f'start-{d}', '')} "
        f"to {clock_time(a.get(f'end-{d}', '')) or a.get(f'end-{d}', '')}"
        + "".join(f", and {s[:5]} to {e[:5]}" for s, e in _kept_times(a, d))
        for d in days
    ]
    walk = a.get("walk_radius_m", "")
    rows: list[dict[str, Any]] = [
        {
            "key": "Name",
            "value": [a.get("display_name", "")],
            "step": "name",
            "field": "display_name",
        },
        {"key": "Phone number", "value": [a.get("phone", "")], "step": "name", "field": "phone"},
        {
            "key": "Messages by",
            "value": [label_of(CONTACT_CHOICES, a.get("contact_preference") or "email")],
            "step": "name",
            "field": "contact_preference",
        },
        {
            "key": "Address",
            "value": [a.get("address_line", ""), a.get("postcode", "")],
            "step": "address",
            "field": "address_line",
        },
        {
            "key": "How far you could walk",
            "value": [
                label_of(WALKS, walk)
                if walk in dict(WALKS)
                else (_walk_words(walk) if walk else "")
            ],
            "step": "reach",
            "field": "walk_radius_m",
        },
        {
            "key": "How many neighbours",
            "value": [label_of(HOW_MANY, a.get("max_diners", ""))],
            "step": "reach",
            "field": "max_diners",
        },
        {
            "key": "How often",
            "value": labels_of(FREQUENCIES, a.get("frequencies", [])),
            "step": "reach",
            "field": "frequencies",
        },
        {
            "key": "Diets you can cook for",
            "value": labels_of(DIETS, a.get("diets", [])) or ["None selected"],
            "step": "food",
            "field": "diets",
        },
        {
            "key": "Allergens you can keep out",
            "value": labels_of(ALLERGENS, a.get("allergen_free", [])) or ["None selected"],
            "step": "food",
            "field": "allergen_free",
        },
        {
            "key": "Textures you can prepare",
            "value": labels_of(TEXTURES, a.get("textures", [])),
            "step": "food",
            "field": "textures",
        },
        {"key": "When", "value": times, "step": "times", "field": "days"},
    ]
    # Reached part-way through, a step not yet answered read "Up to metres" or was blank (a
    # newcomer's walk): it says so.
    for row in rows:
        if not any(row["value"]):
            row["value"] = [NOT_ANSWERED]
    return rows


def _check_page(
    request: Request,
    session: Session,
    settings: Settings,
    a: dict[str, Any],
    ca: Any,
    errors: dict[str, str],
    status_code: int = 200,
) -> Response:
    rows = _summary(a)
    anchors = {(row["step"], row["field"]): f"row-{row['field']}" for row in rows}
    shown: dict[str, str] = {}
    for key, message in errors.items():
        step, field = key.split(":", 1)
        first_of_step = next(f"row-{r['field']}" for r in rows if r["step"] == step)
        anchor = anchors.get((step, field), first_of_step)
        shown[anchor] = f"{shown[anchor]} {message}" if anchor in shown else message
    context = {
        "title": "Check your answers",
        "rows": rows,
        "has_profile": ca.cook is not None,
        "unsaved": unsaved(session, a, ca.cook),
        # Said only when saving would move them (the service's test: a new postcode), not to
        # every cook who changes their times (a browser walk).
        "moved": ca.cook is not None and a.get("postcode") != ca.cook.postcode,
        "errors": shown,
        # Said before saving, not only after: these meals would be paused.
        "would_stop": pairings_it_would_stop(
            session,
            cook=ca.cook,
            diets=list(a.get("diets", [])),
            allergen_free=list(a.get("allergen_free", [])),
            textures=list(a.get("textures", [])),
        )
        if ca.cook is not None
        else [],
    }
    return render_page(
        request,
        session,
        settings,
        "cook/profile-check.html",
        context,
        status_code=status_code,
        auth=ca.auth,
    )


def check_form(request: Request, session: Session, settings: Settings) -> Response:
    ca = cook_auth(request, session, settings)
    if ca is None:
        return to_sign_in(request)
    a = answers(session, drafts.owner_of(request, ca.user.id) or "", ca.cook)
    if not a.get("started") and ca.cook is None:
        return redirect("/cook/profile/name")
    return _check_page(request, session, settings, a, ca, {})


def send(request: Request, session: Session, settings: Settings) -> Response:
    """Send the answers: the same service as PUT /api/cooks/me."""
    ca = cook_auth(request, session, settings)
    if ca is None:
        return to_sign_in(request)
    owner = drafts.owner_of(request, ca.user.id) or ""
    a = answers(session, owner, ca.cook)
    errors = _all_errors(a, session, settings)
    body = None
    if not errors:
        try:
            body = _body(a)
        except ValidationError as exc:  # a rule the steps don't know yet: shown, never a 500
            errors = {"times:days": str(exc.errors()[0].get("msg", "Check your answers"))}
    if body is None or errors:
        return _check_page(request, session, settings, a, ca, errors, status_code=422)
    first_time = ca.cook is None
    try:
        put_own_profile(session, user=ca.user, body=body, settings=settings)
        set_contact(
            session,
            user=ca.user,
            phone=uk_phone(a["phone"]),
            contact_preference=a.get("contact_preference") or "email",
        )
    except RuleBroken as exc:
        where = "address:postcode" if "postcode" in exc.loc else "name:display_name"
        message = POSTCODE_MESSAGES.get(exc.rule, exc.message)
        return _check_page(request, session, settings, a, ca, {where: message}, status_code=422)
    drafts.clear(session, owner, JOURNEY)
    return redirect("/cook/?sent=1" if first_time else "/cook/?saved=1")


def _body(a: dict[str, Any]) -> CookProfileIn:
    days = ticked_days(a)
    return CookProfileIn(
        display_name=a["display_name"],
        phone=a["phone"],
        address_line=a["address_line"],
        postcode=a["postcode"],
        walk_radius_m=int(a["walk_radius_m"]),
        max_diners=int(a["max_diners"]),
        frequencies=a["frequencies"],
        diets=a.get("diets", []),
        allergen_free=a.get("allergen_free", []),
        textures=a["textures"],
        availability=[
            {"weekday": d, "start": clock_time(a[f"start-{d}"]), "end": clock_time(a[f"end-{d}"])}
            for d in days
        ]
        + [
            {"weekday": d, "start": start[:5], "end": end[:5]}
            for d in days
            for start, end in _kept_times(a, d)
        ],
    )
