"""A carer's first pages: does a council run Extra Portion where their relative lives (before
any account), the waiting list where none does yet, then their own account with the phone and
the way they want to hear from us. The postcode checked becomes the relative's first answer."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, Response

from app.accounts import service as accounts
from app.accounts.contact import can_take_texts, e164_phone, set_contact
from app.accounts.cookies import set_session_cookies
from app.accounts.passwords import password_problem
from app.deps import HASH_TURN, SessionDep, SettingsDep, client_address
from app.errors import Conflict, RuleBroken, TooManyRequests
from app.pages import area_start, drafts
from app.pages.area_start import checked_area, kept_area, postcode_to_fill
from app.pages.carer_common import CONTACT_CHOICES, POSTCODE_MESSAGES
from app.pages.cook_forms import items, redirect, text_problem
from app.pages.forms import check_csrf, email_problem, render_page, signed_in
from app.pages.templating import home_of
from app.routing import DeferredRoute

router = APIRouter(include_in_schema=False, route_class=DeferredRoute)

START = "carer-start"  # the anonymous draft: the relative's postcode, checked
RELATIVE = "carer-relative"  # the signed-in carer's answers (app/pages/carer_register.py)
MAX_PASSWORD = 1024
Text = Annotated[str, Form()]
JOURNEY = area_start.Journey(
    role="carer", start_draft=START, not_yet_title="We do not run in your relative's area yet"
)


@router.get("/sign-up-carer.html")
def old_sign_up() -> Response:
    return redirect("/carer/start")


@router.get("/carer/start", response_class=HTMLResponse)
def start_form(request: Request, session: SessionDep, settings: SettingsDep) -> Response:
    if auth := signed_in(request, session, settings):
        return redirect(
            "/carer/register/about" if auth.user.role == "carer" else home_of(auth.user.role)
        )
    kept = drafts.load(session, drafts.owner_of(request), START)
    context = {
        "title": "Where does your relative live?",
        "values": {"postcode": postcode_to_fill(request, kept)},
    }
    return render_page(request, session, settings, "carer/start.html", context)


@router.post("/carer/start", response_class=HTMLResponse)
def start(
    request: Request,
    session: SessionDep,
    settings: SettingsDep,
    postcode: Text = "",
    csrf_token: Text = "",
) -> Response:
    check_csrf(request, settings, csrf_token)
    postcode = postcode.strip()
    answer, problem = checked_area(
        session,
        settings,
        postcode,
        missing="Enter your relative's postcode",
        messages=POSTCODE_MESSAGES,
    )
    if answer is None:
        context = {
            "title": "Where does your relative live?",
            "errors": {"postcode": problem},
            "values": {"postcode": postcode},
        }
        return render_page(request, session, settings, "carer/start.html", context, status_code=422)
    kept = kept_area(answer)
    drafts.save(session, drafts.owner_of(request), START, kept)
    return redirect("/carer/sign-up" if answer.council else "/carer/not-yet")


@router.get("/carer/not-yet", response_class=HTMLResponse)
def not_yet_form(request: Request, session: SessionDep, settings: SettingsDep) -> Response:
    return area_start.not_yet_form(request, session, settings, JOURNEY)


@router.post("/carer/not-yet", response_class=HTMLResponse)
def not_yet(
    request: Request,
    session: SessionDep,
    settings: SettingsDep,
    email: Text = "",
    consent: Text = "",
    csrf_token: Text = "",
) -> Response:
    check_csrf(request, settings, csrf_token)
    return area_start.join_not_yet(
        request, session, settings, JOURNEY, email=email, consent=consent
    )


@router.get("/carer/not-yet/done", response_class=HTMLResponse)
def not_yet_done(request: Request, session: SessionDep, settings: SettingsDep) -> Response:
    return area_start.not_yet_done(request, session, settings, JOURNEY)


def _sign_up_context(kept: dict[str, str], values: dict[str, str]) -> dict[str, object]:
    return {
        "title": "Create your account",
        "kept": kept,
        "values": values,
        "contact_items": items(CONTACT_CHOICES, [values.get("contact_preference", "")]),
    }


@router.get("/carer/sign-up", response_class=HTMLResponse)
def sign_up_form(request: Request, session: SessionDep, settings: SettingsDep) -> Response:
    if auth := signed_in(request, session, settings):
        return redirect(home_of(auth.user.role))
    kept = drafts.load(session, drafts.owner_of(request), START)
    if not kept.get("council"):
        return redirect("/carer/start")
    context = _sign_up_context(kept, {})
    return render_page(request, session, settings, "carer/sign-up.html", context)


@router.post("/carer/sign-up", response_class=HTMLResponse, dependencies=[HASH_TURN])
def sign_up(
    request: Request,
    session: SessionDep,
    settings: SettingsDep,
    full_name: Text = "",
    email: Text = "",
    password: Text = "",
    phone: Text = "",
    contact_preference: Text = "",
    csrf_token: Text = "",
) -> Response:
    check_csrf(request, settings, csrf_token)
    owner = drafts.owner_of(request)
    kept = drafts.load(session, owner, START)
    if not kept.get("council"):
        return redirect("/carer/start")
    full_name, email, phone = full_name.strip(), email.strip(), phone.strip()[:40]
    errors: dict[str, str] = {}
    if problem := text_problem(
        full_name, empty="Enter your full name", what="Full name", limit=200
    ):
        errors["full_name"] = problem
    if problem := email_problem(email):
        errors["email"] = problem
    if not password:
        errors["password"] = "Enter a password"
    elif len(password) > MAX_PASSWORD:
        errors["password"] = "Your password must be at most 128 characters"
    elif problem := password_problem(password, email=email, full_name=full_name):
        errors["password"] = f"Your password {problem}"
    errors.update(contact_problems(phone, contact_preference))
    status, headers = 422, {}
    if not errors:
        try:
            user = accounts.register_from_client(
                session,
                email=email,
                password=password,
                full_name=full_name,
                role="carer",
                client=client_address(request),
                settings=settings,
            )
        except Conflict:
            errors["email"] = (
                "An account with this email address already exists: sign in, or use "
                "another email address"
            )
        except TooManyRequests as exc:
            errors["email"] = "Too many accounts were made from here: wait an hour, then try again"
            status, headers = 429, exc.headers() or {}
        except RuleBroken as exc:
            errors[str(exc.loc[-1])] = exc.message
        else:
            assert user.id is not None
            set_contact(session, user=user, phone=phone, contact_preference=contact_preference)
            drafts.clear(session, owner, START)
            drafts.save(
                session, drafts.owner_of(request, user.id), RELATIVE, {"postcode": kept["postcode"]}
            )
            cookie, claims = accounts.start_session(
                session, user=user, kind="session", settings=settings
            )
            response = redirect("/carer/register/about")
            assert claims.csrf is not None
            set_session_cookies(
                response, request, token=cookie, csrf=claims.csrf, settings=settings
            )
            return response
    values = {
        "full_name": full_name,
        "email": email,
        "phone": phone,
        "contact_preference": contact_preference,
    }
    context = {**_sign_up_context(kept, values), "errors": errors}
    page = render_page(
        request, session, settings, "carer/sign-up.html", context, status_code=status
    )
    page.headers.update(headers)
    return page


def contact_problems(phone: str, preference: str) -> dict[str, str]:
    """GOV.UK's messages for the carer's phone and how they want to hear from us."""
    errors: dict[str, str] = {}
    number = None
    if not phone:
        errors["phone"] = "Enter your phone number, so that your relative's cook can call you"
    else:
        try:
            number = e164_phone(phone)
        except ValueError as exc:
            errors["phone"] = str(exc)
    if preference not in dict(CONTACT_CHOICES):
        errors["contact_preference"] = "Select how you would like us to contact you"
    elif preference == "sms" and number is not None and not can_take_texts(number):
        errors["phone"] = "Enter a mobile phone number to get text messages, like 07700 900 982"
    return errors
