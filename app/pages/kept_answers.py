"""A signed-in form posted after its sign-in had ended keeps its answers for the person it was
shown to: once they have signed in again, in the same browser, the form shows what they typed,
with a notice that nothing has been sent yet. The answers are never acted on: only the person,
signed in, pressing the form's button again sends them.

Who the person was, without the session cookie (the browser dropped it): the form carries whom
it was rendered for (forms.RENDERED_FOR), signed with the time and the session's CSRF value,
which it posts too. Another site cannot make one for someone else (it knows no CSRF value of
theirs), and a post that the browser says came from another site is not kept at all (the
browser sends such a post no SameSite cookie, which is why it looks like an ended sign-in).

Where: server-side, in a FormDraft row owned by the person ("user:<id>", so erased with them),
its journey "kept:" and the hash of a random key that only this browser holds (KEPT_COOKIE,
HttpOnly, for KEPT_ANSWERS_FOR). Someone else signing in on the same computer finds nothing.
Only the fields the form names are kept (never its token or a password), up to MAX_BYTES.
They are shown once: the page forgets the browser's key as it shows them, and the row, which
nothing reaches any more, goes at KEPT_ANSWERS_FOR (app/privacy/retention.py).
"""

from __future__ import annotations

import hashlib
import json
import secrets
from collections.abc import Collection, Mapping
from urllib.parse import urlsplit

from fastapi import Request, Response
from sqlmodel import Session, select
from starlette.datastructures import FormData

from app.accounts.cookies import secure_cookies
from app.config import Settings
from app.db import own_transaction, utcnow
from app.deps import Auth
from app.models import FormDraft
from app.models.draft import KEPT_ANSWERS_FOR, KEPT_JOURNEY, user_owner
from app.pages.drafts import MAX_BYTES
from app.pages.forms import (
    ANSWERS_RESTORED,
    CSRF_FIELD,
    KEPT_COOKIE,
    RENDERED_FOR,
    SignInEnded,
    came_from,
    rendered_for,
    safe_next,
    sign_in_ended,
)

MAX_KEY = 64  # our keys are 32 characters: a longer cookie is not one of ours


def keep_if_sign_in_ended(
    request: Request,
    session: Session,
    settings: Settings,
    form: FormData,
    *,
    fields: Collection[str],
    back_to: str | None = None,
) -> None:
    """Before check_csrf: when this form's sign-in has ended, keep its answers (`fields` only)
    for the person it was shown to and send them to sign in, saying so (SignInEnded, then back
    to `back_to` or the page the form was on). Otherwise nothing: check_csrf decides, as ever."""
    if not sign_in_ended(request, settings) or not _from_this_site(request):
        return
    token, csrf = str(form.get(RENDERED_FOR, "")), str(form.get(CSRF_FIELD, ""))
    user_id = rendered_for(token, csrf, settings, now=utcnow())
    answers = [
        [name, value]
        for name, value in form.multi_items()
        if name in fields and name not in (CSRF_FIELD, RENDERED_FOR) and isinstance(value, str)
    ]
    data = {"action": request.url.path, "answers": answers}
    if user_id is None or not answers or _size(data) > MAX_BYTES:
        return  # check_csrf: to sign in, "nothing was saved"
    key = secrets.token_urlsafe(24)
    row = FormDraft(
        owner=user_owner(user_id), journey=_journey(key), data=data, updated_at=utcnow()
    )
    # Its own transaction: the request's is rolled back by the SignInEnded below.
    own_transaction(session, "kept_answers", row)
    back = safe_next(back_to) or came_from(request)
    raise SignInEnded(back, kept_cookie=_cookie(request, settings, key))


def kept_answers(
    request: Request,
    session: Session,
    auth: Auth,
    *,
    action: str,
    where: Mapping[str, str] | None = None,
) -> FormData | None:
    """The answers kept for this person, in this browser, from their form that posts to
    `action` (and whose hidden fields are `where`: the same diner); None when there are none.
    The page fills its form with them as if they had been posted, and render_page shows the
    notice and forgets the browser's key."""
    key = request.cookies.get(KEPT_COOKIE, "")
    if not key or len(key) > MAX_KEY or auth.user.id is None:
        return None
    row = session.exec(
        select(FormDraft).where(
            FormDraft.owner == user_owner(auth.user.id), FormDraft.journey == _journey(key)
        )
    ).first()
    if row is None or row.updated_at < utcnow() - KEPT_ANSWERS_FOR:
        return None
    if row.data.get("action") != action:
        return None  # another form's
    answers = FormData([(str(name), str(value)) for name, value in row.data.get("answers", [])])
    if any(answers.get(name) != value for name, value in (where or {}).items()):
        return None  # the same form about someone else
    setattr(request.state, ANSWERS_RESTORED, True)
    return answers


def _from_this_site(request: Request) -> bool:
    """Not a post the browser says another site made (Fetch metadata, Origin): those are
    refused as ever, and plant nothing. A browser that says neither is taken at its form."""
    site = request.headers.get("sec-fetch-site")
    if site is not None and site != "same-origin":
        return False
    origin = request.headers.get("origin")
    return origin is None or urlsplit(origin).netloc == request.url.netloc


def _journey(key: str) -> str:
    # Hashed: the table never holds the browser's key itself (as drafts.owner_of).
    return KEPT_JOURNEY + hashlib.sha256(key.encode()).hexdigest()[:26]


def _size(data: Mapping[str, object]) -> int:
    return len(json.dumps(data, ensure_ascii=False).encode())


def _cookie(request: Request, settings: Settings, key: str) -> str:
    """The Set-Cookie of the browser's key to the answers kept."""
    carrier = Response()
    carrier.set_cookie(
        KEPT_COOKIE,
        key,
        max_age=int(KEPT_ANSWERS_FOR.total_seconds()),
        httponly=True,
        samesite="lax",
        secure=secure_cookies(request, settings),
    )
    return carrier.headers["set-cookie"]
