"""The browser session's two cookies, set and cleared the same way by the API and the pages."""

from __future__ import annotations

from fastapi import Request, Response

from app.config import Settings
from app.deps import CSRF_COOKIE, SESSION_COOKIE


def secure_cookies(request: Request, settings: Settings) -> bool:
    """Cookies go only over HTTPS when the request came so (a trusted proxy's
    ``X-Forwarded-Proto``) or when people reach the service at an https address: a proxy left
    out of ``--forwarded-allow-ips`` no longer makes them plain (an outside check)."""
    return request.url.scheme == "https" or settings.public_url.lower().startswith("https://")


def set_session_cookies(
    response: Response, request: Request, *, token: str, csrf: str, settings: Settings
) -> None:
    """The session (HttpOnly) and its CSRF value (readable by the scripts that echo it)."""
    secure = secure_cookies(request, settings)
    max_age = settings.session_hours * 3600
    response.set_cookie(
        SESSION_COOKIE, token, max_age=max_age, httponly=True, samesite="lax", secure=secure
    )
    response.set_cookie(CSRF_COOKIE, csrf, max_age=max_age, samesite="strict", secure=secure)


def clear_session_cookies(response: Response) -> None:
    response.delete_cookie(SESSION_COOKIE)
    response.delete_cookie(CSRF_COOKIE)
