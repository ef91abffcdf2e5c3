"""Public pages: home with the "do we run in your area?" check, privacy, accessibility,
cookies, contact. Every one works without JavaScript."""

from __future__ import annotations

from typing import Annotated
from urllib.parse import urlencode

from fastapi import APIRouter, Form, Request
from starlette.responses import HTMLResponse, Response

from app.deps import CSRF_COOKIE, SESSION_COOKIE, SessionDep, SettingsDep
from app.pages.area_start import checked_area
from app.pages.cook_forms import redirect
from app.pages.forms import FORM_COOKIE, check_csrf, render_page
from app.pages.views import running_councils
from app.routing import DeferredRoute

router = APIRouter(include_in_schema=False, route_class=DeferredRoute)


@router.get("/", response_class=HTMLResponse)
def home(request: Request, session: SessionDep, settings: SettingsDep) -> HTMLResponse:
    return render_page(request, session, settings, "pages/home.html", _home(session))


def _home(session: SessionDep) -> dict[str, object]:
    return {
        "title": "Cook an extra portion for an older neighbour",
        "councils": running_councils(session),
    }


@router.post("/check-your-area", response_class=HTMLResponse)
def check_your_area(
    request: Request,
    session: SessionDep,
    settings: SettingsDep,
    postcode: Annotated[str, Form()] = "",
    csrf_token: Annotated[str, Form()] = "",
) -> Response:
    """Checks the postcode (an area we don't run in is noted, once), then sends the browser to
    the answer's own address: answering the POST itself made Back from the next page ask to
    send the form again, and the answer could not be reloaded or linked to (a newcomer's walk)."""
    check_csrf(request, settings, csrf_token)
    postcode = postcode.strip()
    answer, problem = checked_area(session, settings, postcode, missing="Enter a postcode")
    if answer is None:
        return _home_with_problem(request, session, settings, postcode, problem)
    return redirect("/check-your-area?" + urlencode({"postcode": answer.postcode}))


@router.get("/check-your-area", response_class=HTMLResponse)
def area_answer(
    request: Request, session: SessionDep, settings: SettingsDep, postcode: str | None = None
) -> Response:
    """The answer to a check: reading it again notes nothing (the check did)."""
    if postcode is None:  # the address alone, without a postcode: the form is on the home page
        return redirect("/")
    postcode = postcode.strip()
    answer, problem = checked_area(
        session, settings, postcode, missing="Enter a postcode", note=False
    )
    if answer is None:
        return _home_with_problem(request, session, settings, postcode, problem)
    title = "We run in your area" if answer.council else "We do not run in your area yet"
    return render_page(
        request, session, settings, "pages/area.html", {"title": title, "answer": answer}
    )


def _home_with_problem(
    request: Request, session: SessionDep, settings: SettingsDep, postcode: str, problem: str | None
) -> HTMLResponse:
    context = {**_home(session), "errors": {"postcode": problem}, "values": {"postcode": postcode}}
    return render_page(request, session, settings, "pages/home.html", context, status_code=422)


@router.get("/about.html", response_class=HTMLResponse)
def about(request: Request, session: SessionDep, settings: SettingsDep) -> HTMLResponse:
    """About the software and the open data it uses (a static page had no navigation without
    JavaScript, nor the header of someone signed in: a browser walk)."""
    context = {"title": "About Extra Portion"}
    return render_page(request, session, settings, "pages/about.html", context)


@router.get("/privacy", response_class=HTMLResponse)
def privacy(request: Request, session: SessionDep, settings: SettingsDep) -> HTMLResponse:
    context = {"title": "Privacy notice", "session_hours": settings.session_hours}
    return render_page(request, session, settings, "pages/privacy.html", context)


@router.get("/accessibility", response_class=HTMLResponse)
def accessibility(request: Request, session: SessionDep, settings: SettingsDep) -> HTMLResponse:
    context = {"title": "Accessibility statement"}
    return render_page(request, session, settings, "pages/accessibility.html", context)


@router.get("/cookies", response_class=HTMLResponse)
def cookies(request: Request, session: SessionDep, settings: SettingsDep) -> HTMLResponse:
    context = {
        "title": "Cookies",
        "session_cookie": SESSION_COOKIE,
        "csrf_cookie": CSRF_COOKIE,
        "form_cookie": FORM_COOKIE,
        "session_hours": settings.session_hours,
    }
    return render_page(request, session, settings, "pages/cookies.html", context)


@router.get("/contact", response_class=HTMLResponse)
def contact(request: Request, session: SessionDep, settings: SettingsDep) -> HTMLResponse:
    context = {"title": "Contact us", "councils": running_councils(session)}
    return render_page(request, session, settings, "pages/contact.html", context)
