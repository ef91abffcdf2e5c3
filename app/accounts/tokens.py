"""Signed, expiring tokens: bearer access tokens and browser session cookies.

Every token names its sign-in by a random `sid`, the id of an AuthSession row that the
server can revoke (the signature alone would keep a token valid until it expires).
"""

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
    sid: str | None  # the AuthSession this token belongs to (None: a token without one)
    csrf: str | None  # sessions only: the double-submit value the browser echoes back
    expires_at: datetime


def new_sid() -> str:
    """A random session id (43 characters)."""
    return secrets.token_urlsafe(32)


def issue_token(
    *,
    user_id: int,
    kind: TokenKind,
    secret: str,
    lifetime: timedelta,
    sid: str | None = None,
    now: datetime | None = None,
) -> tuple[str, TokenClaims]:
    """A signed token for the user with a fresh `sid` (unless given); sessions also carry a
    fresh CSRF value."""
    issued = now or datetime.now(UTC)
    expires = issued + lifetime
    sid = sid or new_sid()
    csrf = secrets.token_urlsafe(24) if kind == "session" else None
    payload: dict[str, object] = {
        "sub": str(user_id),
        "typ": kind,
        "sid": sid,
        "iat": int(issued.timestamp()),
        "exp": int(expires.timestamp()),
    }
    if csrf:
        payload["csrf"] = csrf
    token = jwt.encode(payload, secret, algorithm=ALGORITHM)
    return token, TokenClaims(user_id, kind, sid, csrf, expires)


def read_token(
    token: str, *, kind: TokenKind, secret: str, now: datetime | None = None
) -> TokenClaims | None:
    """The claims of a valid, unexpired token of this kind, else None.

    A token's signature is checked once per process (`_verified`): each signed-in request
    sends the same token again, and decoding it anew cost about as much as a tenth of a small
    request. Its expiry is checked on every call; whether its sign-in is still live is the
    caller's question (app/deps.py reads the AuthSession on every request)."""
    claims = _verified(token, secret)
    if claims is None or claims.kind != kind:
        return None
    if claims.expires_at <= (now or datetime.now(UTC)):  # as PyJWT: expired at `exp`
        return None
    return claims


# Tokens whose signature was valid, and their claims (immutable): a token is the key, so a
# changed byte or another secret misses. Bounded: emptied when full (a few thousand sign-ins
# are live at once at most). Invalid tokens are never kept.
_VERIFIED_MAX = 4096
_verified_tokens: dict[tuple[str, str], TokenClaims] = {}


def _verified(token: str, secret: str) -> TokenClaims | None:
    key = (token, secret)
    claims = _verified_tokens.get(key)
    if claims is None:
        claims = _decode(token, secret)
        if claims is not None:
            if len(_verified_tokens) >= _VERIFIED_MAX:
                _verified_tokens.clear()
            _verified_tokens[key] = claims
    return claims


def _decode(token: str, secret: str) -> TokenClaims | None:
    """The claims of a token signed with `secret`, whatever its expiry (see read_token)."""
    try:
        payload = jwt.decode(
            token,
            secret,
            algorithms=[ALGORITHM],
            options={"require": ["exp", "sub", "typ"], "verify_exp": False},
        )
    except jwt.PyJWTError:
        return None
    kind = payload.get("typ")
    if kind not in ("access", "session"):
        return None
    try:
        user_id = int(payload["sub"])
        expires = datetime.fromtimestamp(int(payload["exp"]), UTC)
    except (TypeError, ValueError, OverflowError):
        return None
    sid = payload.get("sid")
    csrf = payload.get("csrf")
    return TokenClaims(
        user_id,
        kind,
        sid if isinstance(sid, str) else None,
        csrf if isinstance(csrf, str) else None,
        expires,
    )
