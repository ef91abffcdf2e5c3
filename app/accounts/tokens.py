"""Signed, expiring tokens: bearer access tokens and browser session cookies."""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Literal

import jwt

ALGORITHM = "HS256"
TokenKind = Literal["access", "session"]


@dataclass(frozen=True)
class TokenClaims:
    user_id: int
    kind: TokenKind
    csrf: str | None  # sessions only: the double-submit value the browser echoes back


def issue_token(
    *, user_id: int, kind: TokenKind, secret: str, lifetime: timedelta, now: datetime | None = None
) -> tuple[str, TokenClaims]:
    """A signed token for the user; sessions also carry a fresh CSRF value."""
    issued = now or datetime.now(UTC)
    csrf = secrets.token_urlsafe(24) if kind == "session" else None
    payload: dict[str, object] = {
        "sub": str(user_id),
        "typ": kind,
        "iat": int(issued.timestamp()),
        "exp": int((issued + lifetime).timestamp()),
    }
    if csrf:
        payload["csrf"] = csrf
    return jwt.encode(payload, secret, algorithm=ALGORITHM), TokenClaims(user_id, kind, csrf)


def read_token(token: str, *, kind: TokenKind, secret: str) -> TokenClaims | None:
    """The claims of a valid, unexpired token of this kind, else None."""
    try:
        payload = jwt.decode(
            token, secret, algorithms=[ALGORITHM], options={"require": ["exp", "sub", "typ"]}
        )
    except jwt.PyJWTError:
        return None
    if payload.get("typ") != kind:
        return None
    try:
        user_id = int(payload["sub"])
    except (TypeError, ValueError):
        return None
    return TokenClaims(user_id, kind, payload.get("csrf"))
