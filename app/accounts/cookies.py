"""The browser session's two cookies, set and cleared the same way by the API and the pages."""

from __future__ import annotations

from fastapi import Request, Response

from app.config import Settings
from app.deps import CSRF_COOKIE, SESSION_COOKIE


def set_session_cookies(
    response: Response, request: Request, *, token: str, csrf: str, settings: Settings
) -> None:
    """The session (HttpOnly) and its CSRF value (readable by the scripts that echo it)."""
    secure = request.url.scheme == "https"
    max_age = settings.session_hours * 3600
    response.set_cookie(
        SESSION_COOKIE, token, max_age=max_age, httponly=True, samesite="lax", secure=secure
    )
    response.set_cookie(CSRF_COOKIE, csrf, max_age=max_age, samesite="strict", secure=secure)


def clear_session_cookies(response: Response) -> None:
    response.delete_cookie(SESSION_COOKIE)
    response.delete_cookie(CSRF_COOKIE)
