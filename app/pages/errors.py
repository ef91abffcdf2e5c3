"""Error pages in the layout for page paths (app/errors.py keeps JSON for the API)."""

from __future__ import annotations

import logging

from fastapi import Request
from sqlalchemy.exc import SQLAlchemyError
from sqlmodel import Session
from starlette.concurrency import run_in_threadpool
from starlette.responses import Response
from starlette.types import Scope

from app.accounts.tokens import read_token
from app.db import database_slots, get_engine, reader
from app.deps import SESSION_COOKIE, settings_for
from app.errors import wants_page
from app.pages.forms import csrf_token, signed_in
from app.pages.templating import render

TITLES = {
    403: "You cannot do this",
    404: "Page not found",
    # A GET of an address only a form posts to: a reload after a form's error, most often
    # (a browser walk read "Page not found" there).
    405: "This address is only for sending a form",
    413: "What you sent is too large",
    429: "Too many attempts",
    500: "Sorry, there is a problem with the service",
    # The database down or every slot taken: GOV.UK's words for both, "busy" misled when down.
    503: "Sorry, the service is unavailable",
}


log = logging.getLogger("portion.pages")

TOO_LARGE_WORDS = "Go back, shorten what you typed and send it again."


def too_large_page(scope: Scope) -> Response | None:
    """The page for a body refused for its size (app.middleware), to a browser; else None."""
    request = Request(scope)
    if not wants_page(request):
        return None
    response = render_error_page(request, 413, TOO_LARGE_WORDS)
    response.headers["connection"] = "close"  # the rest of the body is never read
    return response


async def error_page(request: Request, status: int, message: str | None) -> Response:
    """The page for an error status, for the app's error handlers (app/errors.py).

    When no page route ran (an address that does not exist, a form's address reloaded), nobody
    has read the session cookie yet: it is read here, so that someone signed in keeps their own
    header rather than the public one, which looks as if they had been signed out."""
    cookie = request.cookies.get(SESSION_COOKIE)
    if (
        status < 500
        and not getattr(request.state, "signed_in_role", "")
        and cookie
        # Only a cookie this service signed costs a database slot (a review: any cookie did).
        and read_token(cookie, kind="session", secret=settings_for(request).secret_key)
    ):
        async with database_slots(read_only=True).held():
            await run_in_threadpool(_note_who_is_signed_in, request)
    return render_error_page(request, status, message)


def _note_who_is_signed_in(request: Request) -> None:
    try:
        with Session(reader(get_engine())) as session:
            signed_in(request, session, settings_for(request))
    except SQLAlchemyError as exc:  # the page still answers, with the public header
        log.warning("error page: sign-in not read (%s)", type(exc).__name__)


def render_error_page(request: Request, status: int, message: str | None) -> Response:
    """The page for an error status; `message` (a client error's own words) is shown if given."""
    if status >= 500:
        message = None  # a bug's or an outage's details are for the log, not the page
    if status == 404 and message and message.lower().endswith("not found"):
        message = None  # "Meal not found": the page's own advice says more
    title = TITLES.get(status, "Sorry, something went wrong")
    context: dict[str, object] = {"title": title, "status": status, "message": message}
    # Someone a page found signed in (a staff member following an old link to a record gone)
    # keeps their own header and its sign-out, not the public one that looks signed out.
    role = getattr(request.state, "signed_in_role", "")
    if role:
        context["csrf_token"] = csrf_token(request, settings_for(request))
    return render(request, "errors/error.html", context, status_code=status, role=role)
