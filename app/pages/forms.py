"""Form handling for pages: CSRF tokens, who is signed in, safe `next` paths, field checks."""

from __future__ import annotations

import base64
import hashlib
import hmac
import math
import re
import secrets
from collections.abc import Mapping
from datetime import UTC, datetime, timedelta
from typing import Annotated, Any, TypeVar
from urllib.parse import unquote, urlencode, urlsplit

from fastapi import Depends, Request, Response
from fastapi.responses import HTMLResponse
from pydantic import TypeAdapter, ValidationError, validate_email
from pydantic_core import PydanticCustomError
from sqlmodel import Session
from starlette.datastructures import FormData

from app.accounts.cookies import secure_cookies
from app.accounts.tokens import read_token
from app.config import Settings
from app.deps import SESSION_COOKIE, Auth, auth_for_claims
from app.errors import AppError, TooManyRequests, Unauthorized
from app.pages.templating import render
from app.schemas import MULTI_LINE, SINGLE_LINE, UNREADABLE

# An anonymous form (sign-in, forgotten password, postcode check) is tied to this random
# browser cookie: its hidden token is an HMAC of the cookie's value, so neither can be guessed
# or planted alone. A signed-in form carries the session's own CSRF value instead.
FORM_COOKIE = "portion_form"
CSRF_FIELD = "csrf_token"
EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s.]+$")
MAX_NEXT_LENGTH = 2000
# Browsers read a backslash as "/" and drop tabs and newlines: never in a path we link to.
UNSAFE_IN_PATH = re.compile(r"[\\\s\x00-\x1f\x7f-\x9f]")
R = TypeVar("R", bound=Response)
# The API's rules for text (app/schemas.py), so that a page refuses what the API refuses.
ONE_LINE_RULE = TypeAdapter(Annotated[str, SINGLE_LINE])
LINES_RULE = TypeAdapter(Annotated[str, MULTI_LINE])


async def form_data(request: Request) -> FormData:
    """The form a page posted, read on the event loop: a sync route then has it parsed."""
    return await request.form()


FormDep = Annotated[FormData, Depends(form_data)]


class CsrfFailed(AppError):
    status_code = 403

    def __init__(self) -> None:
        super().__init__("This form has expired: go back, reload the page and try again")


class SignInEnded(AppError):
    """A signed-in page's form posted once its sign-in had ended (after 8 hours the browser
    drops the cookie): to the sign-in page, then back to the page it came from, not a 403
    "You cannot do this" (an outside check). Nothing is done, so a forged post gains nothing.

    `kept_cookie`: the Set-Cookie of the key to answers kept for after the sign-in
    (app/pages/kept_answers.py); the sign-in page then says they were kept, not lost."""

    status_code = 303

    def __init__(self, back_to: str | None, *, kept_cookie: str | None = None) -> None:
        super().__init__("Your sign-in has ended: sign in again")
        done = "kept" if kept_cookie else "ended"
        query = {"done": done, **({"next": back_to} if back_to else {})}
        self.location = f"/sign-in?{urlencode(query)}"
        self.kept_cookie = kept_cookie

    def headers(self) -> dict[str, str] | None:
        headers = {"Location": self.location}
        if self.kept_cookie:
            headers["Set-Cookie"] = self.kept_cookie
        return headers


# The forms anyone may send, signed in or not: a failed token there is the form's own.
PUBLIC_FORMS = frozenset(
    {
        "/sign-in",
        "/forgotten-password",
        "/reset-password",
        "/check-your-area",
        "/cook/start",
        "/carer/start",
        "/cook/sign-up",
        "/carer/sign-up",
        "/cook/not-yet",
        "/carer/not-yet",
        "/account/email/confirm",
    }
)

# A signed-in form also carries whom it was rendered for, signed with the time and the session's
# CSRF value (which a page of theirs alone holds): posted after the sign-in ended, its answers
# can then be kept for that person only (app/pages/kept_answers.py). A page left open longer
# than a day is not trusted to say so (a copy in a shared computer's history).
RENDERED_FOR = "rendered_for"
RENDERED_FOR_AGE = timedelta(hours=24)
# The browser's key to the answers kept (app/pages/kept_answers.py), and the request's mark that
# its page shows them: render_page then says so and forgets the key (they are shown once).
KEPT_COOKIE = "portion_kept"
ANSWERS_RESTORED = "answers_restored"

# A row of a "Check your answers" list whose step has no answer yet.
NOT_ANSWERED = "Not answered yet"


def signed_in(request: Request, session: Session, settings: Settings) -> Auth | None:
    """Who the session cookie belongs to (a live sign-in), else None. The page's form token is
    checked by check_csrf, not the API's X-CSRF-Token header."""
    cookie = request.cookies.get(SESSION_COOKIE)
    claims = read_token(cookie, kind="session", secret=settings.secret_key) if cookie else None
    if claims is None:
        return None
    try:
        auth = auth_for_claims(session, claims)
    except Unauthorized:
        return None
    request.state.signed_in_role = auth.user.role  # for an error page this request may end in
    return auth


def _signature(text: str, settings: Settings) -> str:
    digest = hmac.new(settings.secret_key.encode(), text.encode(), hashlib.sha256)
    return base64.urlsafe_b64encode(digest.digest()).decode().rstrip("=")


def _form_token(cookie: str, settings: Settings) -> str:
    return _signature(f"form:{cookie}", settings)


def signed(value: str, *, purpose: str, settings: Settings) -> str:
    """`value` with our signature, for a link that says something only we may say (what a page
    then shows to whoever opens it)."""
    return f"{value}.{_signature(f'{purpose}:{value}', settings)[:22]}"


def unsigned(mark: str, *, purpose: str, settings: Settings) -> str | None:
    """The value `signed` put in `mark`, or None when we did not sign it."""
    value, _, _ = mark.rpartition(".")
    expected = signed(value, purpose=purpose, settings=settings)
    return value if value and hmac.compare_digest(expected.encode(), mark.encode()) else None


def _session_csrf(request: Request, settings: Settings) -> str | None:
    cookie = request.cookies.get(SESSION_COOKIE)
    claims = read_token(cookie, kind="session", secret=settings.secret_key) if cookie else None
    return claims.csrf if claims else None


def rendered_for_token(user_id: int, csrf: str, settings: Settings, *, now: datetime) -> str:
    """The RENDERED_FOR value of a form shown now to `user_id` in the session of `csrf`."""
    value = f"{user_id}.{int(now.timestamp())}"
    return f"{value}.{_signature(f'rendered-for:{value}:{csrf}', settings)}"


def rendered_for(token: str, csrf: str, settings: Settings, *, now: datetime) -> int | None:
    """The user a signed-in form was shown to, from its RENDERED_FOR and csrf_token as posted;
    None unless we signed them together, less than RENDERED_FOR_AGE ago."""
    value, _, mark = token.rpartition(".")
    user, _, at = value.partition(".")
    user_id, stamp = whole_number(user), whole_number(at, max_digits=12)
    if user_id is None or stamp is None or not csrf:
        return None
    expected = _signature(f"rendered-for:{value}:{csrf}", settings)
    if not hmac.compare_digest(expected.encode(), mark.encode()):
        return None
    age = now.timestamp() - stamp
    return user_id if -60 <= age <= RENDERED_FOR_AGE.total_seconds() else None


def csrf_token(request: Request, settings: Settings) -> str:
    """The hidden token for a form on this page: the session's CSRF value when signed in,
    else the HMAC of the form cookie (which issue_form_cookie then sets if it is new)."""
    if session_value := _session_csrf(request, settings):
        return session_value
    cookie = request.cookies.get(FORM_COOKIE) or getattr(request.state, "form_cookie", None)
    if not cookie:
        cookie = secrets.token_urlsafe(24)
        request.state.form_cookie = cookie
    return _form_token(cookie, settings)


def issue_form_cookie(request: Request, response: R, settings: Settings) -> R:
    """Set the form cookie when csrf_token made a new one for this response."""
    if cookie := getattr(request.state, "form_cookie", None):
        response.set_cookie(
            FORM_COOKIE,
            cookie,
            httponly=True,
            samesite="lax",
            secure=secure_cookies(request, settings),
        )
    return response


def check_csrf(request: Request, settings: Settings, sent: str | None) -> None:
    """The posted token matches the session's CSRF value when signed in, else the form
    cookie's HMAC; 403 otherwise.

    Signed in, only the session's value will do: anyone who can set a cookie for the site (a
    sibling subdomain, a network on plain HTTP) can choose the form cookie, and with it the
    token, and so could post a staff member's forms for them."""
    sent = sent or ""
    expected: list[str | None] = [_session_csrf(request, settings)]
    if expected[0] is None and (cookie := request.cookies.get(FORM_COOKIE)):
        expected.append(_form_token(cookie, settings))
    if not sent or not any(
        value and secrets.compare_digest(sent.encode(), value.encode()) for value in expected
    ):
        if sign_in_ended(request, settings):
            raise SignInEnded(came_from(request))
        raise CsrfFailed


def sign_in_ended(request: Request, settings: Settings) -> bool:
    """A signed-in page's form posted with no live sign-in (SignInEnded, unless its token is
    good for a form anyone may send)."""
    return _session_csrf(request, settings) is None and request.url.path not in PUBLIC_FORMS


def came_from(request: Request) -> str | None:
    """The page of this site the form was on (its Referer), to go back to after signing in."""
    referer = urlsplit(request.headers.get("referer", ""))
    if referer.netloc and referer.netloc != request.url.netloc:
        return None
    path = referer.path + (f"?{referer.query}" if referer.query else "")
    return safe_next(path) if referer.path else None


def safe_next(raw: str | None) -> str | None:
    """`raw` if it is a path on this site ("/cook/?x=1"), else None: no scheme or host, no
    "//" or backslash (also percent-encoded), no control characters or spaces, no "." or ".."
    segment (a browser resolves "/.//evil.example" to "//evil.example": an outside check)."""
    if not raw or len(raw) > MAX_NEXT_LENGTH or not raw.startswith("/"):
        return None
    decoded = raw
    for _ in range(3):  # "%255C" is "%5C" once decoded, then "\"
        decoded = unquote(decoded)
    for candidate in (raw, decoded):
        if candidate.startswith("//") or UNSAFE_IN_PATH.search(candidate):
            return None
        parts = urlsplit(candidate)
        if parts.scheme or parts.netloc or {".", ".."} & set(parts.path.split("/")):
            return None
    return raw


def minutes_of(seconds: float) -> str:
    """A wait in whole minutes, rounded up: "1 minute", "25 minutes"."""
    minutes = math.ceil(seconds / 60)
    return "1 minute" if minutes == 1 else f"{minutes} minutes"


def too_many_tries(exc: TooManyRequests) -> str:
    """Beside the password field, when sign-ins from here are limited for a while."""
    return f"You have tried too many times. Wait {minutes_of(exc.retry_after_s)}, then try again"


def whole_number(raw: str, *, max_digits: int = 9) -> int | None:
    """`raw` as a number when it is 1 to `max_digits` ASCII digits, else None. Not
    str.isdigit(), which takes "²" and "١" that int() then refuses (or reads)."""
    if not raw or len(raw) > max_digits or not raw.isascii() or not raw.isdigit():
        return None
    return int(raw)


MAX_REASON = 500  # a reason a cook or a carer gives, as the API's ReasonIn


def reason_problem(reason: str, *, what: str) -> str | None:
    """The message for a typed reason (`what`: "Your reason", "The reason"): too long, or text
    the API refuses; else None. The one check of the decline, stop and leave forms."""
    if len(reason) > MAX_REASON:
        return f"{what} must be {MAX_REASON} characters or fewer"
    return text_rule_problem(reason, what=what, lines=True)


def typed_text(raw: object) -> str:
    """A text box's answer as typed, trimmed, each line break one character: a browser sends
    two ("\\r\\n"), which the character count and the API count as one."""
    return str(raw).replace("\r\n", "\n").strip()


def text_rule_problem(value: str, *, what: str, lines: bool = False) -> str | None:
    """The field's message when `value` breaks the API's rule for its text (SINGLE_LINE, or
    MULTI_LINE with `lines`: no control or format characters, such as NUL or U+202E), else
    None. `what` names the field: "Your name"."""
    try:
        (LINES_RULE if lines else ONE_LINE_RULE).validate_python(value)
    except ValidationError:
        if UNREADABLE in value:  # bytes the browser sent that were not UTF-8 (app/schemas.py)
            return f"{what} has a character that could not be read: type it again"
        # The character cannot be seen, so naming the rule ("ordinary text, without hidden
        # characters") left the person nothing to act on (a newcomer's walk): say where such
        # characters come from and what to do.
        return f"{what} has a hidden character, perhaps from copying and pasting: type it again"
    return None


def email_problem(email: str) -> str | None:
    """GOV.UK's messages for an email address field."""
    if not email:
        return "Enter your email address"
    if len(email) > 320 or not EMAIL.match(email) or text_rule_problem(email, what="Email"):
        return "Enter an email address in the correct format, like name@example.com"
    try:  # the API's own check (EmailStr): a page took "staff\u200d@..." that it refuses
        validate_email(email)
    except PydanticCustomError:
        return "Enter an email address in the correct format, like name@example.com"
    return None


def render_page(
    request: Request,
    session: Session,
    settings: Settings,
    name: str,
    context: Mapping[str, Any] | None = None,
    *,
    status_code: int = 200,
    auth: Auth | None = None,
) -> HTMLResponse:
    """A page for whoever asks: the header knows who is signed in, a form gets its token."""
    auth = auth or signed_in(request, session, settings)
    values = {"csrf_token": csrf_token(request, settings), **(context or {})}
    session_csrf = _session_csrf(request, settings)
    if auth is not None and auth.user.id is not None and session_csrf:
        now = datetime.now(UTC)
        values[RENDERED_FOR] = rendered_for_token(auth.user.id, session_csrf, settings, now=now)
    restored = getattr(request.state, ANSWERS_RESTORED, False)
    values["answers_kept"] = restored  # the notice above the form (shared/_answers-kept.html)
    role = auth.user.role if auth else ""
    response = render(request, name, values, status_code=status_code, role=role)
    if restored:
        response.delete_cookie(KEPT_COOKIE)
    return issue_form_cookie(request, response, settings)
