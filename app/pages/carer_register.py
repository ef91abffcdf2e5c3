"""Register a relative: about them, what they can eat, when, getting in; then check your
answers and their agreement. Each step is checked when the carer continues (all its errors at
once), the answers are kept server-side (Back and a reload lose nothing), and the last step
calls the same service as POST /api/diners."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response
from pydantic import ValidationError
from sqlmodel import Session

from app.config import Settings
from app.deps import Auth, SessionDep, SettingsDep
from app.diners.service import register_diner
from app.errors import RuleBroken
from app.pages import drafts
from app.pages.carer_common import (
    DAY_TIME_FIELDS,
    OTHER_ALLERGIES_WORDS,
    POSTCODE_MESSAGES,
    availability,
    carer_auth,
    check_about,
    check_access,
    check_food,
    check_times,
    diner_body,
    for_draft,
    needs_summary,
    read_form,
    when_words,
)
from app.pages.carer_signup import RELATIVE
from app.pages.cook_forms import (
    ALLERGENS,
    DIETS,
    FREQUENCIES,
    TEXTURES,
    day_rows,
    items,
    redirect,
    to_sign_in,
)
from app.pages.forms import NOT_ANSWERED, FormDep, check_csrf, render_page
from app.pages.kept_answers import keep_if_sign_in_ended, kept_answers
from app.routing import DeferredRoute

router = APIRouter(include_in_schema=False, route_class=DeferredRoute)

STEPS = ["about", "food", "times", "access"]
TITLES = {
    "about": "About your relative",
    "food": "What your relative can eat",
    "times": "When your relative could have a meal",
    "access": "How the cook gets in",
}
LISTS = ("diets", "allergies", "days")
FIELDS: dict[str, tuple[str, ...]] = {
    "about": ("full_name", "address_line", "postcode", "phone"),
    "food": ("diets", "allergies", "other_allergies", "texture"),
    "times": ("days", *DAY_TIME_FIELDS, "frequency"),
    "access": ("access_notes",),
}
CHECKS: dict[str, Callable[[dict[str, Any], Session, Settings], dict[str, str]]] = {
    "about": check_about,
    "food": lambda a, _s, _t: check_food(a),
    "times": lambda a, _s, _t: check_times(a),
    "access": lambda a, _s, _t: check_access(a),
}
CONSENT = (
    "Select that your relative agrees to be registered and to their details being shared "
    "with the council and their cook"
)


def step_context(step: str, a: dict[str, Any], *, back: str, change: bool) -> dict[str, Any]:
    """What a step's template needs (also for changing a registered relative's answers)."""
    return {
        "title": TITLES[step],
        "step": step,
        "back": back,
        "change": change,
        "values": a,
        "diet_items": items(DIETS, a.get("diets", [])),
        "allergen_items": items(ALLERGENS, a.get("allergies", [])),
        "texture_items": items(TEXTURES, [a.get("texture", "")]),
        "often_items": items(FREQUENCIES, [a.get("frequency", "")]),
        "days": day_rows(a),
    }


def _context(step: str, a: dict[str, Any], change: bool) -> dict[str, Any]:
    index = STEPS.index(step)
    back = (
        "/carer/register/check"
        if change
        else (f"/carer/register/{STEPS[index - 1]}" if index else "/carer/")
    )
    return {
        **step_context(step, a, back=back, change=change),
        "action": f"/carer/register/{step}",
        "caption": f"Register a relative: step {index + 1} of {len(STEPS)}",
        "button": "Continue",
    }


@router.get("/carer/register.html")
def old_register() -> Response:
    return redirect("/carer/register/about")


@router.get("/carer/register", response_class=HTMLResponse)
def register_start() -> Response:
    return redirect("/carer/register/about")


@router.get("/carer/register/{step}", response_class=HTMLResponse)
def step_form(
    step: str, request: Request, session: SessionDep, settings: SettingsDep, change: str = ""
) -> Response:
    auth = carer_auth(request, session, settings)
    if auth is None:
        return to_sign_in(request)
    a = drafts.load(session, drafts.owner_of(request, auth.user.id), RELATIVE)
    if step == "check":
        return _check_page(request, session, settings, auth, a, {})
    if step not in STEPS:
        return redirect("/carer/register/about")
    if kept := kept_answers(request, session, auth, action=request.url.path):
        a = {**a, **read_form(kept, FIELDS[step], LISTS)}  # typed as the sign-in ended
    context = _context(step, a, bool(change))
    return render_page(
        request, session, settings, f"carer/relative-{step}.html", context, auth=auth
    )


@router.post("/carer/register/{step}", response_class=HTMLResponse)
def step_answer(
    step: str, request: Request, session: SessionDep, settings: SettingsDep, form: FormDep
) -> Response:
    if step in STEPS:  # the earlier steps' answers are kept already (drafts)
        keep_if_sign_in_ended(request, session, settings, form, fields=FIELDS[step])
    check_csrf(request, settings, str(form.get("csrf_token", "")))
    auth = carer_auth(request, session, settings)
    if auth is None:
        return to_sign_in(request)
    owner = drafts.owner_of(request, auth.user.id)
    a = drafts.load(session, owner, RELATIVE, lock=step == "check")
    if step == "check":
        if not a:
            # Sent already (a second click on "Register", once the first has registered the
            # relative): their page, where the relative is listed, not every answer blank.
            return redirect("/carer/")
        return _send(request, session, settings, auth, owner, a, consent=form.get("consent"))
    if step not in STEPS:
        return redirect("/carer/register/about")
    a.update(read_form(form, FIELDS[step], LISTS))
    errors = CHECKS[step](a, session, settings)
    # A rejected answer is shown back on its page, but never kept over the last good one (the
    # cook's profile showed a refused address as the answer: a newcomer's walk).
    if not errors:
        drafts.save(session, owner, RELATIVE, for_draft(a))
    change = form.get("change") == "1"
    if errors:
        context = {**_context(step, a, change), "errors": errors}
        return render_page(
            request,
            session,
            settings,
            f"carer/relative-{step}.html",
            context,
            status_code=422,
            auth=auth,
        )
    index = STEPS.index(step)
    last = index == len(STEPS) - 1
    return redirect(
        "/carer/register/check" if change or last else f"/carer/register/{STEPS[index + 1]}"
    )


def _summary(a: dict[str, Any]) -> list[dict[str, Any]]:
    """The rows of the check-your-answers list: key, lines, the step that changes it."""
    words = needs_summary(a)
    # Reached part-way through, a step not yet answered showed its defaults as answers ("Regular
    # food", "Every week": a newcomer's walk).
    if "texture" not in a:
        words |= {key: [NOT_ANSWERED] for key in ("diets", "allergies")}
        words["texture"] = NOT_ANSWERED
    if "frequency" not in a:
        words["frequency"] = NOT_ANSWERED
    return [
        {"key": "Name", "value": [a.get("full_name", "")], "step": "about", "field": "full_name"},
        {
            "key": "Address",
            "value": [a.get("address_line", ""), a.get("postcode", "")],
            "step": "about",
            "field": "address_line",
        },
        {
            "key": "Their phone number",
            "value": [a.get("phone") or "Not given"],
            "step": "about",
            "field": "phone",
        },
        {"key": "Diet", "value": words["diets"], "step": "food", "field": "diets"},
        {"key": "Allergies", "value": words["allergies"], "step": "food", "field": "allergies"},
        {
            "key": OTHER_ALLERGIES_WORDS,
            "value": (
                (a.get("other_allergies") or "None").splitlines()
                if "texture" in a
                else [NOT_ANSWERED]
            ),
            "step": "food",
            "field": "other_allergies",
        },
        {"key": "Food texture", "value": [words["texture"]], "step": "food", "field": "texture"},
        {
            "key": "When",
            "value": when_words(availability(a)) if not check_times(a) else [NOT_ANSWERED],
            "step": "times",
            "field": "days",
        },
        {
            "key": "How often",
            "value": [words["frequency"]],
            "step": "times",
            "field": "frequency",
        },
        {
            "key": "Getting in",
            "value": (a.get("access_notes") or "No notes").splitlines(),
            "step": "access",
            "field": "access_notes",
        },
    ]


def _check_page(
    request: Request,
    session: Session,
    settings: Settings,
    auth: Auth,
    a: dict[str, Any],
    errors: dict[str, str],
    status_code: int = 200,
    consent: bool = False,
) -> Response:
    if not a.get("full_name") and not errors:
        return redirect("/carer/register/about")
    rows = _summary(a)
    context = {
        "title": "Check your answers before registering your relative",
        "rows": rows,
        "errors": errors,
        # A tick sent with another answer's error comes back ticked (it came back unticked).
        "consent": consent,
    }
    return render_page(
        request,
        session,
        settings,
        "carer/relative-check.html",
        context,
        status_code=status_code,
        auth=auth,
    )


def _all_errors(a: dict[str, Any], session: Session, settings: Settings) -> dict[str, str]:
    """Every step's errors, each on the summary row whose Change link fixes it."""
    rows = _summary(a)
    found: dict[str, str] = {}
    for step in STEPS:
        for field, message in CHECKS[step](a, session, settings).items():
            row = next((r for r in rows if r["field"] == field), None)
            row = row or next(r for r in rows if r["step"] == step)
            anchor = f"row-{row['field']}"
            found.setdefault(anchor, message)
    return found


def _send(
    request: Request,
    session: Session,
    settings: Settings,
    auth: Auth,
    owner: str | None,
    a: dict[str, Any],
    *,
    consent: object,
) -> Response:
    """Register the relative: the same service as POST /api/diners."""
    errors = _all_errors(a, session, settings)
    if consent != "yes":
        errors["consent"] = CONSENT
    body = None
    if not errors:
        try:
            body = diner_body(a)
        except ValidationError as exc:  # a rule the steps don't know: shown, never a 500
            field = str(exc.errors()[0]["loc"][0]) if exc.errors()[0]["loc"] else "full_name"
            errors[f"row-{field if field != 'availability' else 'days'}"] = (
                "Check this answer: " + str(exc.errors()[0].get("msg", ""))
            )
    if body is None or errors:
        return _check_page(
            request, session, settings, auth, a, errors, status_code=422, consent=consent == "yes"
        )
    try:
        diner = register_diner(
            session, actor=auth.user, body=body, settings=settings, by_staff=False
        )
    except RuleBroken as exc:
        message = POSTCODE_MESSAGES.get(exc.rule, exc.message)
        return _check_page(
            request,
            session,
            settings,
            auth,
            a,
            {"row-address_line": message},
            status_code=422,
            consent=True,
        )
    drafts.clear(session, owner, RELATIVE)
    return redirect(f"/carer/?registered={diner.id}")
