"""The error hierarchy services raise, and the one handler that renders it (API.md "Errors")."""

from __future__ import annotations

import logging
import re
import threading
from collections.abc import Awaitable, Callable, Sequence
from typing import Any
from urllib.parse import urlencode

from fastapi import FastAPI, Request
from fastapi.encoders import jsonable_encoder
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field
from sqlalchemy.exc import DBAPIError, IntegrityError
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.responses import Response

log = logging.getLogger("portion.errors")

DATABASE_UNAVAILABLE = "The database is unavailable: try again shortly"
DATABASE_NOT_MIGRATED = (
    "The database is not migrated to this version of the service: run `portion migrate`"
)
SAME_MOMENT = "This was being saved by someone else at the same moment: please try again"
DATABASE_RETRY_AFTER_S = 5
# PostgreSQL SQLSTATEs that mean "no server to talk to right now": connection exceptions (class
# 08) and the server shutting down, crashed or still starting (57P01-57P03).
_UNAVAILABLE_STATES = ("08", "57P01", "57P02", "57P03")


class DatabaseOutage:
    """Says once, with the driver's words, that the database has become unavailable, and once
    that it answers again: a wrong PORTION_DATABASE_URL looked like a short outage that never
    ended, every request logging "OperationalError" and nothing saying why (an operator's
    walk). The health probe and the requests answered 503 report here (app/db.py)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._down = False

    def down(self, exc: BaseException) -> None:
        with self._lock:
            was_down, self._down = self._down, True
        if was_down:
            log.debug("database still unavailable: %s", type(exc).__name__)
        else:
            log.warning("the database is unavailable: %s", driver_message(exc))

    def up(self) -> None:
        with self._lock:
            was_down, self._down = self._down, False
        if was_down:
            log.info("the database answers again")


DATABASE_OUTAGE = DatabaseOutage()


def driver_message(exc: BaseException) -> str:
    """The database driver's own words on one line: the host, port, user or file it tried,
    never the password (libpq and SQLite do not repeat it; a URL's is masked all the same)."""
    orig = getattr(exc, "orig", None) or exc
    said = " ".join(str(orig).split()) or type(orig).__name__
    return re.sub(r"(://[^:/@\s]*:)[^@\s]*@", r"\1***@", said)


# Renders an error as an HTML page in the layout: (request, status, message fit to show or None).
ErrorPage = Callable[[Request, int, str | None], Awaitable[Response]]


class ErrorBody(BaseModel):
    """API.md "Errors": the body of every error but a 422."""

    detail: str = Field(description="What went wrong, in words fit to show")


class ValidationIssue(BaseModel):
    """One problem with a request: where (`loc`), what (`msg`) and its kind (`type`, FastAPI's
    or a product rule's, e.g. `allergen_unsafe`)."""

    loc: list[str | int]
    msg: str
    type: str
    ctx: dict[str, int | float | str | bool] | None = None


class ValidationErrorBody(BaseModel):
    """API.md "Errors": a 422, for a bad payload or one that breaks a product rule."""

    detail: list[ValidationIssue] = Field(min_length=1)


class AppError(Exception):
    """A failure the client can act on; never raised for a bug. Each class names its status
    and says what it means (the OpenAPI schema declares them: app/openapi.py)."""

    status_code = 400
    description = "Bad request"
    body: type[BaseModel] = ErrorBody

    def __init__(self, message: str, status_code: int | None = None) -> None:
        super().__init__(message)
        self.message = message
        if status_code is not None:
            self.status_code = status_code

    def detail(self) -> Any:
        return self.message

    def headers(self) -> dict[str, str] | None:
        return None


class Unauthorized(AppError):
    status_code = 401
    description = "Not signed in, or the sign-in or credentials are not valid (any more)"

    def headers(self) -> dict[str, str] | None:
        return {"WWW-Authenticate": "Bearer"}


class Forbidden(AppError):
    status_code = 403
    description = "Signed in with the wrong role, or a browser session without its CSRF token"


class NotFound(AppError):
    status_code = 404
    description = "Not found, or not yours to see"

    def __init__(self, what: str = "Not found") -> None:
        super().__init__(what)


class Conflict(AppError):
    status_code = 409
    description = "A conflict with the current state"


class TooManyRequests(AppError):
    status_code = 429
    description = "Too many attempts: try again after Retry-After seconds"

    def __init__(self, message: str, retry_after_s: int, *, field: str = "password") -> None:
        super().__init__(message)
        self.retry_after_s = max(1, retry_after_s)
        self.field = field  # the form field a page shows it beside

    def headers(self) -> dict[str, str] | None:
        return {"Retry-After": str(self.retry_after_s)}


class ServiceBusy(AppError):
    """Too much work at once (e.g. every password-hashing slot taken): try again shortly."""

    status_code = 503
    description = "Busy, or the database is unavailable: try again after Retry-After seconds"

    def __init__(self, message: str, retry_after_s: int = 1) -> None:
        super().__init__(message)
        self.retry_after_s = max(1, retry_after_s)

    def headers(self) -> dict[str, str] | None:
        return {"Retry-After": str(self.retry_after_s)}


_NOT_IN_BODY = ("path", "query", "header")


class RuleBroken(AppError):
    """A payload that breaks a product rule: 422 in FastAPI's validation shape."""

    status_code = 422
    description = "A bad payload, or one that breaks a product rule"
    body = ValidationErrorBody

    def __init__(self, rule: str, loc: Sequence[str | int], message: str) -> None:
        """`loc` in the body unless it starts with where else it is, as FastAPI's own do:
        "path", "query" or "header"."""
        super().__init__(message)
        self.rule = rule
        self.loc = list(loc) if loc and loc[0] in _NOT_IN_BODY else ["body", *loc]

    def detail(self) -> Any:
        return [{"loc": self.loc, "msg": self.message, "type": self.rule}]


class RulesBroken(RuleBroken):
    """Several rules broken by one payload, each named with its field (rule, field, message):
    all in the answer, the first also as this error's own (a review fixed one problem of an
    approval, sent it again, and only then learnt of the next)."""

    def __init__(self, problems: Sequence[tuple[str, str, str]]) -> None:
        rule, field, message = problems[0]
        super().__init__(rule, [field], message)
        self.problems = [RuleBroken(r, [f], m) for r, f, m in problems]

    def detail(self) -> Any:
        return [item for problem in self.problems for item in problem.detail()]


def wants_page(request: Request) -> bool:
    """An error on a page path (not /api/..., /healthz or /metrics) is an HTML page, unless the
    client asks for JSON. Health checkers send no Accept header and Prometheus asks for its text
    formats: /healthz and /metrics always answer errors in JSON."""
    path = request.url.path
    if path in ("/api", "/healthz", "/metrics") or path.startswith("/api/"):
        return False
    accept = request.headers.get("accept", "")
    return "text/html" in accept or "application/json" not in accept


def _browser_navigation(request: Request) -> bool:
    """A browser following a link (a GET that asks for HTML): a page's link to an API address
    that answers HTML itself (a meal's label, "Download my data"). An API client (no text/html
    in Accept) keeps the API's JSON."""
    return request.method == "GET" and "text/html" in request.headers.get("accept", "")


def install_error_handlers(app: FastAPI, *, error_page: ErrorPage | None = None) -> None:
    """JSON errors (API.md "Errors"); with `error_page`, HTML pages for page paths."""

    async def page(
        request: Request, status: int, message: str | None, headers: Any
    ) -> Response | None:
        if error_page is None or not wants_page(request):
            return None
        response = await error_page(request, status, message)
        response.headers.update(headers or {})
        return response

    @app.exception_handler(AppError)
    async def _app_error(request: Request, exc: AppError) -> Response:
        if 300 <= exc.status_code < 400:  # a page sent elsewhere (its headers name where)
            return Response(status_code=exc.status_code, headers=exc.headers())
        if error_page is not None and _browser_navigation(request):
            if isinstance(exc, Unauthorized):
                # A page's link to an API address followed once the sign-in had ended showed
                # {"detail":"Not signed in"} (an outside check): the sign-in page, and back
                # there after.
                back = request.url.path + (f"?{request.url.query}" if request.url.query else "")
                where = f"/sign-in?{urlencode({'done': 'again', 'next': back})}"
                return Response(status_code=303, headers={"Location": where})
            if exc.status_code < 500:
                # A label for a meal cancelled since the cook's page was shown read
                # {"detail":"Meal not found"} (a newcomer's walk): the error page, in words.
                response = await error_page(request, exc.status_code, exc.message)
                response.headers.update(exc.headers() or {})
                return response
        if shown := await page(request, exc.status_code, exc.message, exc.headers()):
            return shown
        return JSONResponse(
            status_code=exc.status_code, content={"detail": exc.detail()}, headers=exc.headers()
        )

    @app.exception_handler(StarletteHTTPException)
    async def _http_error(request: Request, exc: StarletteHTTPException) -> Response:
        if exc.status_code == 405:
            # Starlette names only the first matching route's methods; RFC 9110 wants the
            # path's: read them from the OpenAPI paths, which list every included route.
            allowed = _methods_for(app, request.url.path)
            allowed |= {"HEAD"} if "GET" in allowed else set()  # app/middleware.py answers it
            headers = {"Allow": ", ".join(sorted(allowed))} if allowed else None
            if shown := await page(request, 405, None, headers):
                return shown
            return JSONResponse(
                status_code=405, content={"detail": "Method Not Allowed"}, headers=headers
            )
        if exc.status_code != 400 and (
            shown := await page(request, exc.status_code, None, getattr(exc, "headers", None))
        ):
            return shown
        if exc.status_code == 400:
            # FastAPI answers 400 for a body it cannot even decode (not UTF-8, not JSON);
            # API.md promises a 422 in the validation shape for every bad payload.
            detail = [{"loc": ["body"], "msg": str(exc.detail), "type": "body_unparsable"}]
            return JSONResponse(status_code=422, content={"detail": detail})
        return JSONResponse(
            status_code=exc.status_code,
            content={"detail": exc.detail},
            headers=getattr(exc, "headers", None),
        )

    @app.exception_handler(RequestValidationError)
    async def _validation_error(request: Request, exc: RequestValidationError) -> Response:
        errors = exc.errors()
        # A page's address whose id cannot name anything (not a number, or past any id): to a
        # browser that page does not exist, as for an id that names nothing. The API answers
        # 422 (API.md).
        in_path = bool(errors) and all(e["loc"][:1] == ("path",) for e in errors)
        if in_path and (shown := await page(request, 404, None, None)):
            return shown
        # Keep only loc/msg/type (and ctx): echoing `input` back could repeat a password.
        return JSONResponse(status_code=422, content={"detail": [_public_error(e) for e in errors]})

    @app.exception_handler(DBAPIError)
    async def _database_error(request: Request, exc: DBAPIError) -> Response:
        if lost_a_race(exc):
            # Two requests wrote the same thing at once and the database kept one: the other
            # is told to try again, as for a conflict found before writing (nothing is saved).
            # The first line names the constraint; PostgreSQL's DETAIL line has the values.
            said = str(exc.orig).splitlines()[0] if str(exc.orig) else type(exc.orig).__name__
            log.warning("concurrent write refused (%s): answered 409", said)
            if shown := await page(request, 409, SAME_MOMENT, None):
                return shown
            return JSONResponse(status_code=409, content={"detail": SAME_MOMENT})
        if not database_unavailable(exc):
            raise exc  # a bug: on to the server's error handler, which logs it (500)
        # The pool drops its dead connections: the next request reconnects by itself.
        DATABASE_OUTAGE.down(exc)  # once per outage, not per request
        headers = {"Retry-After": str(DATABASE_RETRY_AFTER_S)}
        if shown := await page(request, 503, DATABASE_UNAVAILABLE, headers):
            return shown
        return JSONResponse(
            status_code=503, content={"detail": DATABASE_UNAVAILABLE}, headers=headers
        )

    @app.exception_handler(Exception)
    async def _bug(request: Request, exc: Exception) -> Response:
        # A bug (logged by the server): a page in the layout, or the API's JSON shape.
        if shown := await page(request, 500, None, None):
            return shown
        return JSONResponse(status_code=500, content={"detail": "Internal Server Error"})


def lost_a_race(exc: BaseException) -> bool:
    """True when the database refused a write because a concurrent one got there first: a
    unique key taken meanwhile (checked before, free then), or PostgreSQL's deadlock or
    serialization failure between two transactions."""
    if not isinstance(exc, DBAPIError):
        return False
    state = getattr(exc.orig, "sqlstate", None)
    if state in ("23505", "40P01", "40001"):
        return True
    return isinstance(exc, IntegrityError) and "UNIQUE constraint failed" in str(exc.orig)


def database_unavailable(exc: BaseException) -> bool:
    """True when `exc` says the database cannot be reached (stopped, restarting, network), not
    that a statement was wrong: only then is the answer a 503 rather than a bug's 500."""
    if not isinstance(exc, DBAPIError):
        return False
    if exc.connection_invalidated:
        return True
    try:
        import psycopg
    except ImportError:  # pragma: no cover - psycopg is a dependency
        return False
    orig = exc.orig
    if not isinstance(orig, psycopg.OperationalError):
        return False
    state = orig.sqlstate
    # No SQLSTATE: the client library failed before any server answered (refused, reset).
    return state is None or state.startswith(_UNAVAILABLE_STATES)


def _public_error(err: dict[str, Any]) -> dict[str, Any]:
    """loc/msg/type only: echoing `input` back could repeat a password."""
    out = {"loc": list(err["loc"]), "msg": err["msg"], "type": err["type"]}
    if ctx := err.get("ctx"):
        out["ctx"] = {
            k: v if isinstance(v, int | float | str | bool) else str(v) for k, v in ctx.items()
        }
    return jsonable_encoder(out)


def _methods_for(app: FastAPI, path: str) -> set[str]:
    found: set[str] = set()
    for template, operations in app.openapi()["paths"].items():
        pattern = "^" + re.sub(r"\\{[^}]+\\}", "[^/]+", re.escape(template)) + "$"
        if re.match(pattern, path):
            found |= {method.upper() for method in operations}
    return found
