"""Public pages: home with the "do we run in your area?" check, privacy, accessibility,
cookies, contact. Every one works without JavaScript."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Request
from starlette.responses import HTMLResponse

from app.deps import CSRF_COOKIE, SESSION_COOKIE, SessionDep, SettingsDep
from app.pages.area_start import checked_area
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
) -> HTMLResponse:
    check_csrf(request, settings, csrf_token)
    postcode = postcode.strip()
    answer, problem = checked_area(session, settings, postcode, missing="Enter a postcode")
    if answer is None:
        context = {
            **_home(session),
            "errors": {"postcode": problem},
            "values": {"postcode": postcode},
        }
        return render_page(request, session, settings, "pages/home.html", context, status_code=422)
    title = "We run in your area" if answer.council else "We do not run in your area yet"
    return render_page(
        request, session, settings, "pages/area.html", {"title": title, "answer": answer}
    )


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
