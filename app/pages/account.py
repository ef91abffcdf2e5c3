"""Account pages: sign in and out, forgotten and reset password, change password.

Each form posts back with its CSRF token, calls the accounts service (the one the API uses),
re-renders with every error at once (keeping what was typed, never a password) or redirects.
"""

from __future__ import annotations

from typing import Annotated
from urllib.parse import quote, urlencode

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlmodel import Session

from app.accounts import service
from app.accounts.cookies import clear_session_cookies, set_session_cookies
from app.accounts.email_change import (
    confirm_email_change,
    pending_change,
    request_email_change,
    waiting_change,
)
from app.config import Settings
from app.db import utcnow
from app.deps import HASH_TURN, Auth, SessionDep, SettingsDep, client_address
from app.errors import Conflict, RuleBroken, RulesBroken, TooManyRequests, Unauthorized
from app.models import User
from app.pages.forms import (
    check_csrf,
    email_problem,
    minutes_of,
    render_page,
    safe_next,
    signed,
    signed_in,
    too_many_tries,
    unsigned,
    whole_number,
)
from app.pages.templating import home_of, landing
from app.routing import DeferredRoute

router = APIRouter(include_in_schema=False, route_class=DeferredRoute)

MAX_PASSWORD = 1024  # longer is never a password we hold (the rules stop at 128)
WRONG_CREDENTIALS = "Enter the email address and password of your account: these do not match"
RESET_WAIT = "reset-wait"  # the signed "ask again at" of the reset page (`signed`)
TextField = Annotated[str, Form()]


def _see_other(path: str) -> RedirectResponse:
    return RedirectResponse(path, status_code=303)


def _field(exc: RuleBroken) -> str:
    return str(exc.loc[-1])


# --- sign in and out ------------------------------------------------------------------------


@router.get("/sign-in", response_class=HTMLResponse)
def sign_in_form(
    request: Request, session: SessionDep, settings: SettingsDep, next: str = ""
) -> Response:
    if auth := signed_in(request, session, settings):
        return _see_other(landing(auth.user.role, safe_next(next)))
    done = request.query_params.get("done", "")
    notice = {
        "reset": "Your password has been changed. Sign in with your new password.",
        "signed-out": "You have signed out.",
        "ended": "Your sign-in had ended, so nothing was saved. Sign in to carry on.",
        # app/pages/kept_answers.py: the form shows them again once signed in, not sent.
        "kept": (
            "Your sign-in had ended, so nothing was sent. We have kept what you typed: "
            "sign in to check it and send it again."
        ),
        "again": "Your sign-in has ended. Sign in to carry on.",
    }.get(done)
    # An ended sign-in is news, not a success: it was shown in green as "Success" (a walk).
    success = done in ("reset", "signed-out")
    context = {"title": "Sign in", "values": {"next": next}, "notice": notice, "success": success}
    return render_page(request, session, settings, "account/sign-in.html", context)


@router.post("/sign-in", response_class=HTMLResponse, dependencies=[HASH_TURN])
def sign_in(
    request: Request,
    session: SessionDep,
    settings: SettingsDep,
    email: TextField = "",
    password: TextField = "",
    next: TextField = "",
    csrf_token: TextField = "",
) -> Response:
    check_csrf(request, settings, csrf_token)
    email = email.strip()
    errors: dict[str, str] = {}
    if problem := email_problem(email):
        errors["email"] = problem
    if not password:
        errors["password"] = "Enter your password"
    status = 422
    headers: dict[str, str] = {}
    if not errors:
        try:
            if len(password) > MAX_PASSWORD:
                raise Unauthorized(WRONG_CREDENTIALS)
            user = service.authenticate(
                session,
                email=email,
                password=password,
                client=client_address(request),
                settings=settings,
            )
        except Unauthorized:
            errors["email"] = WRONG_CREDENTIALS
        except TooManyRequests as exc:
            errors["email"] = too_many_tries(exc)
            status, headers = 429, exc.headers() or {}
        else:
            redirect = _see_other(landing(user.role, safe_next(next)))
            _start_browser_session(request, redirect, session, settings, user)
            return redirect
    context = {"title": "Sign in", "errors": errors, "values": {"email": email, "next": next}}
    response = render_page(
        request, session, settings, "account/sign-in.html", context, status_code=status
    )
    response.headers.update(headers)
    return response


def _start_browser_session(
    request: Request, response: Response, session: SessionDep, settings: Settings, user: User
) -> None:
    """The same cookies as POST /api/auth/session: the session (HttpOnly) and its CSRF value
    (readable by the scripts that enhance the signed-in pages)."""
    cookie, claims = service.start_session(session, user=user, kind="session", settings=settings)
    assert claims.csrf is not None
    set_session_cookies(response, request, token=cookie, csrf=claims.csrf, settings=settings)


@router.get("/sign-out", response_class=HTMLResponse)
def sign_out_form(request: Request, session: SessionDep, settings: SettingsDep) -> Response:
    """The address typed or bookmarked: a button that signs out (the header's is a form too: a
    GET never changes anything). Nobody signed in: the sign-in page."""
    if not (auth := signed_in(request, session, settings)):
        return _see_other("/sign-in")
    context = {"title": "Sign out", "email": auth.user.email}
    return render_page(request, session, settings, "account/sign-out.html", context)


@router.post("/sign-out")
def sign_out(
    request: Request, session: SessionDep, settings: SettingsDep, csrf_token: TextField = ""
) -> Response:
    if auth := signed_in(request, session, settings):
        check_csrf(request, settings, csrf_token)  # signed in: only their own page signs out
        service.end_session(session, session_id=auth.session_id)
    # Signed out already (the sign-in ended, on a page left open): said so, not a 403.
    response = _see_other("/sign-in?done=signed-out")
    clear_session_cookies(response)
    return response


# --- forgotten and reset password -----------------------------------------------------------


@router.get("/forgotten-password", response_class=HTMLResponse)
def forgotten_password_form(
    request: Request, session: SessionDep, settings: SettingsDep
) -> HTMLResponse:
    context = {"title": "Reset your password"}
    return render_page(request, session, settings, "account/forgotten-password.html", context)


@router.post("/forgotten-password", response_class=HTMLResponse)
def forgotten_password(
    request: Request,
    session: SessionDep,
    settings: SettingsDep,
    email: TextField = "",
    csrf_token: TextField = "",
) -> Response:
    check_csrf(request, settings, csrf_token)
    email = email.strip()
    if problem := email_problem(email):
        context = {
            "title": "Reset your password",
            "errors": {"email": problem},
            "values": {"email": email},
        }
        return render_page(
            request,
            session,
            settings,
            "account/forgotten-password.html",
            context,
            status_code=422,
        )
    again = service.request_password_reset(session, email=email, settings=settings)
    if again is not None:  # the hour's links have gone: when another can (as for any address)
        mark = signed(str(int(again.timestamp())), purpose=RESET_WAIT, settings=settings)
        return _see_other(f"/forgotten-password/sent?{urlencode({'again': mark})}")
    return _see_other("/forgotten-password/sent")


@router.get("/forgotten-password/sent", response_class=HTMLResponse)
def forgotten_password_sent(
    request: Request, session: SessionDep, settings: SettingsDep, again: str = ""
) -> HTMLResponse:
    # Signed, so that a link made by anyone else cannot tell a person to wait (a diff review:
    # ?again=999999999999 said "in 16,600,000,000 minutes"); worked out on each view, so that
    # the page never says to wait once the time has come, and never longer than an hour.
    until = whole_number(
        unsigned(again[:64], purpose=RESET_WAIT, settings=settings) or "", max_digits=12
    )
    wait = min((until or 0) - utcnow().timestamp(), service.RESET_LIFETIME.total_seconds())
    context = {"title": "Check your email", "wait": minutes_of(wait) if wait > 0 else None}
    return render_page(request, session, settings, "account/reset-sent.html", context)


@router.get("/reset-password", response_class=HTMLResponse)
def reset_password_form(
    request: Request, session: SessionDep, settings: SettingsDep, token: str = ""
) -> HTMLResponse:
    if not service.reset_link_live(session, token=token[:MAX_PASSWORD]):
        # Said at once: it asked for a new password first, and only then said the link was dead.
        expired = {"title": "This link has expired or was already used"}
        return render_page(request, session, settings, "account/reset-link-expired.html", expired)
    context = {"title": "Choose a new password", "values": {"token": token}}
    return render_page(request, session, settings, "account/reset-password.html", context)


@router.post("/reset-password", response_class=HTMLResponse, dependencies=[HASH_TURN])
def reset_password(
    request: Request,
    session: SessionDep,
    settings: SettingsDep,
    token: TextField = "",
    new_password: TextField = "",
    csrf_token: TextField = "",
) -> Response:
    check_csrf(request, settings, csrf_token)
    errors: dict[str, str] = {}
    if not new_password:
        errors["new_password"] = "Enter a new password"
    elif len(new_password) > MAX_PASSWORD:
        errors["new_password"] = "Password must be at most 128 characters"
    else:
        try:
            service.reset_password(session, token=token[:MAX_PASSWORD], new_password=new_password)
        except RuleBroken as exc:  # raised before the service writes: nothing to undo
            if exc.rule != "invalid_token":
                errors[_field(exc)] = exc.message
            else:
                expired = {"title": "This link has expired or was already used"}
                return render_page(
                    request,
                    session,
                    settings,
                    "account/reset-link-expired.html",
                    expired,
                    status_code=422,
                )
        else:
            return _see_other("/sign-in?done=reset")
    context: dict[str, object] = {
        "title": "Choose a new password",
        "errors": errors,
        "values": {"token": token},
    }
    return render_page(
        request, session, settings, "account/reset-password.html", context, status_code=422
    )


# --- change password (signed in) ------------------------------------------------------------


@router.get("/account/password", response_class=HTMLResponse)
def change_password_form(request: Request, session: SessionDep, settings: SettingsDep) -> Response:
    auth = signed_in(request, session, settings)
    if auth is None:
        return _see_other("/sign-in?next=" + quote("/account/password"))
    context = {"title": "Change your password", "home": home_of(auth.user.role)}
    return render_page(
        request, session, settings, "account/change-password.html", context, auth=auth
    )


@router.post("/account/password", response_class=HTMLResponse, dependencies=[HASH_TURN])
def change_password(
    request: Request,
    session: SessionDep,
    settings: SettingsDep,
    current_password: TextField = "",
    new_password: TextField = "",
    csrf_token: TextField = "",
) -> Response:
    check_csrf(request, settings, csrf_token)
    auth = signed_in(request, session, settings)
    if auth is None:
        return _see_other("/sign-in?next=" + quote("/account/password"))
    errors: dict[str, str] = {}
    if not current_password:
        errors["current_password"] = "Enter your current password"
    if not new_password:
        errors["new_password"] = "Enter a new password"
    elif len(new_password) > MAX_PASSWORD:
        errors["new_password"] = "Password must be at most 128 characters"
    status = 422
    headers: dict[str, str] = {}
    if not errors:
        try:
            service.change_password(
                session,
                user=auth.user,
                current_session_id=auth.session_id,
                current_password=current_password[:MAX_PASSWORD],
                new_password=new_password,
                client=client_address(request),
                settings=settings,
            )
        except RuleBroken as exc:  # raised before the service writes: nothing to undo
            for problem in exc.problems if isinstance(exc, RulesBroken) else [exc]:
                errors[_field(problem)] = problem.message
        except TooManyRequests as exc:
            errors["current_password"] = too_many_tries(exc)
            status, headers = 429, exc.headers() or {}
        else:
            return _see_other("/account/password/changed")
    context = {"title": "Change your password", "errors": errors, "home": home_of(auth.user.role)}
    response = render_page(
        request,
        session,
        settings,
        "account/change-password.html",
        context,
        status_code=status,
        auth=auth,
    )
    response.headers.update(headers)
    return response


# --- change email address (signed in) ---------------------------------------------------------


@router.get("/account/email", response_class=HTMLResponse)
@router.get("/carer/account/email", response_class=HTMLResponse)  # where carers first had it
def email_form(request: Request, session: SessionDep, settings: SettingsDep) -> Response:
    """Every role's (only carers had one: a cook or staff member could not change theirs)."""
    auth = signed_in(request, session, settings)
    if auth is None:
        return _see_other("/sign-in?next=" + quote("/account/email"))
    context = _email_context(session, auth)
    return render_page(request, session, settings, "account/email.html", context, auth=auth)


def _email_context(session: Session, auth: Auth, **more: object) -> dict[str, object]:
    """The email form's page: the address in use, and a link still waiting to be opened."""
    return {
        "title": "Change your email address",
        "current": auth.user.email,
        "waiting": waiting_change(session, user_id=auth.user.id or 0),
        "home": home_of(auth.user.role),
        **more,
    }


@router.post("/account/email", response_class=HTMLResponse, dependencies=[HASH_TURN])
@router.post("/carer/account/email", response_class=HTMLResponse, dependencies=[HASH_TURN])
def change_email_page(
    request: Request,
    session: SessionDep,
    settings: SettingsDep,
    email: TextField = "",
    password: TextField = "",
    csrf_token: TextField = "",
) -> Response:
    """Sends a link to the new address; the address changes when it is opened."""
    check_csrf(request, settings, csrf_token)
    auth = signed_in(request, session, settings)
    if auth is None:
        return _see_other("/sign-in?next=" + quote("/account/email"))
    new_email = email.strip()[:400]
    errors: dict[str, str] = {}
    if problem := email_problem(new_email):
        errors["email"] = problem.replace("your email address", "your new email address")
    elif new_email.lower() == auth.user.email.lower():
        errors["email"] = "Enter a different email address from the one you use now"
    if not password:
        errors["password"] = "Enter your password"
    status, headers = 422, {}
    if not errors:
        try:
            request_email_change(
                session,
                user=auth.user,
                new_email=new_email,
                password=password[:MAX_PASSWORD],
                client=client_address(request),
                settings=settings,
            )
        except RuleBroken as exc:
            errors["email" if exc.loc[-1] == "email" else "password"] = exc.message
        except TooManyRequests as exc:  # wrong passwords, or too many addresses tried
            errors[exc.field] = too_many_tries(exc)
            status, headers = 429, exc.headers() or {}
        except Conflict:
            errors["email"] = "Another account uses this email address: enter a different one"
        else:
            return _see_other("/account/email/sent")
    context = _email_context(session, auth, values={"email": new_email}, errors=errors)
    response = render_page(
        request, session, settings, "account/email.html", context, status_code=status, auth=auth
    )
    response.headers.update(headers)
    return response


@router.get("/account/email/sent", response_class=HTMLResponse)
def email_link_sent(request: Request, session: SessionDep, settings: SettingsDep) -> Response:
    auth = signed_in(request, session, settings)
    if auth is None:
        return _see_other("/sign-in")
    waiting = waiting_change(session, user_id=auth.user.id or 0)
    context = {
        "title": "Check your new email address",
        "to": waiting.new_email if waiting else None,
        "current": auth.user.email,
        "home": home_of(auth.user.role),
    }
    return render_page(request, session, settings, "account/email-sent.html", context, auth=auth)


_DEAD_LINK = {"title": "This link has expired or was already used"}


@router.get("/account/email/confirm", response_class=HTMLResponse)
def confirm_email_form(
    request: Request, session: SessionDep, settings: SettingsDep, token: str = ""
) -> Response:
    """A page with a button, not the change itself: mail scanners open links to check them."""
    change = pending_change(session, token=token[:MAX_PASSWORD])
    if change is None:
        return render_page(
            request, session, settings, "account/email-link-expired.html", _DEAD_LINK
        )
    context = {
        "title": "Confirm your new email address",
        "new_email": change.new_email,
        "values": {"token": token},
    }
    return render_page(request, session, settings, "account/email-confirm.html", context)


@router.post("/account/email/confirm", response_class=HTMLResponse)
def confirm_email(
    request: Request,
    session: SessionDep,
    settings: SettingsDep,
    token: TextField = "",
    csrf_token: TextField = "",
) -> Response:
    check_csrf(request, settings, csrf_token)
    auth = signed_in(request, session, settings)
    browser = (auth.user.id or 0, auth.session_id) if auth else None
    try:
        confirm_email_change(session, token=token[:MAX_PASSWORD], browser=browser)
    except RuleBroken:
        return render_page(
            request,
            session,
            settings,
            "account/email-link-expired.html",
            _DEAD_LINK,
            status_code=422,
        )
    except Conflict:
        taken = {"title": "Another account now uses this email address"}
        return render_page(
            request, session, settings, "account/email-taken.html", taken, status_code=409
        )
    return _see_other("/account/email/changed")


@router.get("/account/email/changed", response_class=HTMLResponse)
def email_changed(request: Request, session: SessionDep, settings: SettingsDep) -> Response:
    """Also for a browser not signed in (the link opened on another device)."""
    auth = signed_in(request, session, settings)
    context = {
        "title": "Your email address is changed",
        "home": home_of(auth.user.role) if auth else None,
    }
    return render_page(request, session, settings, "account/email-changed.html", context, auth=auth)


@router.get("/account/password/changed", response_class=HTMLResponse)
def password_changed(request: Request, session: SessionDep, settings: SettingsDep) -> Response:
    auth = signed_in(request, session, settings)
    if auth is None:
        return _see_other("/sign-in")
    context = {"title": "Your password has been changed", "home": home_of(auth.user.role)}
    return render_page(
        request, session, settings, "account/password-changed.html", context, auth=auth
    )
