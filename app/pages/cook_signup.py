"""A cook's first pages: do we run in your area (before any account), the waiting list for
an area we don't run in yet, then the account. The postcode checked is kept server-side (a
draft of the browser) and becomes the first answer of the profile."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, Response

from app.accounts import service as accounts
from app.accounts.cookies import set_session_cookies
from app.accounts.passwords import password_problem
from app.deps import HASH_TURN, SessionDep, SettingsDep, client_address
from app.errors import Conflict, RuleBroken, TooManyRequests
from app.pages import area_start, drafts
from app.pages.area_start import checked_area, kept_area, postcode_to_fill
from app.pages.cook_forms import redirect, text_problem
from app.pages.forms import check_csrf, email_problem, render_page, signed_in
from app.pages.templating import home_of
from app.routing import DeferredRoute

router = APIRouter(include_in_schema=False, route_class=DeferredRoute)

START = "cook-start"  # the anonymous draft: the postcode checked
PROFILE = "cook-profile"  # the signed-in cook's answers (app/pages/cook_profile.py)
MAX_PASSWORD = 1024
Text = Annotated[str, Form()]
JOURNEY = area_start.Journey(
    role="cook", start_draft=START, not_yet_title="We do not run in your area yet"
)


@router.get("/sign-up-cook.html")
def old_sign_up() -> Response:
    return redirect("/cook/start")


@router.get("/cook/start", response_class=HTMLResponse)
def start_form(request: Request, session: SessionDep, settings: SettingsDep) -> Response:
    if auth := signed_in(request, session, settings):
        return redirect(home_of(auth.user.role))
    kept = drafts.load(session, drafts.owner_of(request), START)
    context = {
        "title": "Do we run in your area?",
        "values": {"postcode": postcode_to_fill(request, kept)},
    }
    return render_page(request, session, settings, "cook/start.html", context)


@router.post("/cook/start", response_class=HTMLResponse)
def start(
    request: Request,
    session: SessionDep,
    settings: SettingsDep,
    postcode: Text = "",
    csrf_token: Text = "",
) -> Response:
    check_csrf(request, settings, csrf_token)
    postcode = postcode.strip()
    answer, problem = checked_area(session, settings, postcode, missing="Enter your postcode")
    if answer is None:
        context = {
            "title": "Do we run in your area?",
            "errors": {"postcode": problem},
            "values": {"postcode": postcode},
        }
        return render_page(request, session, settings, "cook/start.html", context, status_code=422)
    owner = drafts.owner_of(request)
    kept = kept_area(answer)
    drafts.save(session, owner, START, kept)
    return redirect("/cook/sign-up" if answer.council else "/cook/not-yet")


@router.get("/cook/not-yet", response_class=HTMLResponse)
def not_yet_form(request: Request, session: SessionDep, settings: SettingsDep) -> Response:
    return area_start.not_yet_form(request, session, settings, JOURNEY)


@router.post("/cook/not-yet", response_class=HTMLResponse)
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


@router.get("/cook/not-yet/done", response_class=HTMLResponse)
def not_yet_done(request: Request, session: SessionDep, settings: SettingsDep) -> Response:
    return area_start.not_yet_done(request, session, settings, JOURNEY)


@router.get("/cook/sign-up", response_class=HTMLResponse)
def sign_up_form(request: Request, session: SessionDep, settings: SettingsDep) -> Response:
    if auth := signed_in(request, session, settings):
        return redirect(home_of(auth.user.role))
    kept = drafts.load(session, drafts.owner_of(request), START)
    if not kept.get("council"):
        return redirect("/cook/start")
    context = {"title": "Create your account", "kept": kept}
    return render_page(request, session, settings, "cook/sign-up.html", context)


@router.post("/cook/sign-up", response_class=HTMLResponse, dependencies=[HASH_TURN])
def sign_up(
    request: Request,
    session: SessionDep,
    settings: SettingsDep,
    full_name: Text = "",
    email: Text = "",
    password: Text = "",
    csrf_token: Text = "",
) -> Response:
    check_csrf(request, settings, csrf_token)
    owner = drafts.owner_of(request)
    kept = drafts.load(session, owner, START)
    if not kept.get("council"):
        return redirect("/cook/start")
    full_name, email = full_name.strip(), email.strip()
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
    status, headers = 422, {}
    if not errors:
        try:
            user = accounts.register_from_client(
                session,
                email=email,
                password=password,
                full_name=full_name,
                role="cook",
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
            drafts.clear(session, owner, START)
            drafts.save(
                session,
                drafts.owner_of(request, user.id),
                PROFILE,
                {"postcode": kept["postcode"], "display_name": full_name.split()[0]},
            )
            cookie, claims = accounts.start_session(
                session, user=user, kind="session", settings=settings
            )
            response = redirect("/cook/profile/name")
            assert claims.csrf is not None
            set_session_cookies(
                response, request, token=cookie, csrf=claims.csrf, settings=settings
            )
            return response
    context = {
        "title": "Create your account",
        "kept": kept,
        "errors": errors,
        "values": {"full_name": full_name, "email": email},
    }
    page = render_page(request, session, settings, "cook/sign-up.html", context, status_code=status)
    page.headers.update(headers)
    return page
