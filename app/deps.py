"""Dependencies every router uses: the session, who is asking, and role checks."""

from __future__ import annotations

import secrets
from collections.abc import Callable, Coroutine
from dataclasses import dataclass
from typing import Annotated, Any

from fastapi import Depends, Request
from fastapi.security import OAuth2PasswordBearer
from sqlalchemy import Connection, RowMapping, Table, bindparam, event, inspect
from sqlalchemy import select as core_select
from sqlalchemy.orm.attributes import set_committed_value
from sqlmodel import Session, col, select

from app.accounts.hash_turns import hash_turn
from app.accounts.tokens import TokenClaims, read_token
from app.config import Settings, get_settings
from app.db import (
    READ_ONLY,
    SAFE_METHODS,
    SIGN_IN,
    SIGN_IN_TO_CHECK,
    begin_reads,
    check_sign_in_again,
    end_reads,
    unit_of_work,
    utcnow,
)
from app.errors import Forbidden, Unauthorized
from app.models import AuthSession, User

SESSION_COOKIE = "portion_session"
CSRF_COOKIE = "portion_csrf"
CSRF_HEADER = "X-CSRF-Token"

# The request's unit of work, ended before the response is sent (scope "function").
SessionDep = Annotated[Session, Depends(unit_of_work, scope="function")]
# A turn to hash a password (app/accounts/hash_turns.py), for a route's `dependencies`: FastAPI
# solves those before its parameters', so the turn is waited for before the database slot.
HASH_TURN = Depends(hash_turn, scope="function")


def settings_for(request: Request) -> Settings:
    """What ``Depends(get_settings)`` gives (an override of ``get_settings``, as tests set,
    included), read directly: the sign-in check asks for it on every request, and each
    dependency FastAPI solves costs more than this."""
    override = request.app.dependency_overrides.get(get_settings)
    return override() if override is not None else get_settings()


async def current_settings(request: Request) -> Settings:
    """`settings_for` as a dependency, without a worker thread (FastAPI runs every sync
    dependency in one)."""
    return settings_for(request)


SettingsDep = Annotated[Settings, Depends(current_settings)]
_bearer = OAuth2PasswordBearer(tokenUrl="/api/auth/token", auto_error=False)


@dataclass(frozen=True)
class Auth:
    """Who is asking, and the sign-in (AuthSession id) their token or cookie belongs to."""

    user: User
    session_id: str


def get_current_auth(
    request: Request,
    session: SessionDep,
    bearer: Annotated[str | None, Depends(_bearer)],
) -> Auth:
    """The signed-in user, by bearer token or by session cookie (then CSRF-checked), whose
    sign-in is neither revoked nor expired: one read by primary key, no write.

    Every signed-in request solves it, so it asks FastAPI for little (each dependency solved
    costs CPU on every request): the settings are read here, not through `SettingsDep`."""
    settings = settings_for(request)
    if bearer is not None:
        claims = read_token(bearer, kind="access", secret=settings.secret_key)
    elif cookie := request.cookies.get(SESSION_COOKIE):
        claims = read_token(cookie, kind="session", secret=settings.secret_key)
        if claims and request.method not in SAFE_METHODS:
            sent = request.headers.get(CSRF_HEADER, "")
            if not claims.csrf or not secrets.compare_digest(sent, claims.csrf):
                raise Forbidden("Missing or wrong CSRF token")
    else:
        raise Unauthorized("Not signed in")
    if claims is None:
        raise Unauthorized("Invalid or expired credentials")
    return auth_for_claims(session, claims)


# Built once (with a parameter), so a request neither builds the statement nor its cache key.
_ITS_USER = col(AuthSession.user_id) == User.id
_UNREVOKED = (col(AuthSession.id) == bindparam("sid"), col(AuthSession.revoked_at).is_(None))
_LIVE_SIGN_IN = (
    select(User, AuthSession.user_id, AuthSession.kind, AuthSession.expires_at)
    .join(AuthSession, _ITS_USER)
    .where(*_UNREVOKED)
)


def auth_for_claims(session: Session, claims: TokenClaims) -> Auth:
    """The live sign-in a token's claims name: one read by primary key, no write."""
    if claims.sid is None:
        raise Unauthorized("Invalid or expired credentials")
    # On SQLite a request that writes reads its sign-in apart, before its own transaction: that
    # begins with the write lock, which it would otherwise hold from here, through the hop to
    # its route's thread, rather than from its route's first query. Its transaction then checks
    # the sign-in again (`_still_signed_in`). PostgreSQL has no such lock: there the sign-in is
    # the first read of the request's transaction, as a GET's is.
    apart = session.get_bind().dialect.name == "sqlite" and begin_reads(session)
    row = session.execute(_LIVE_SIGN_IN, {"sid": claims.sid}).first()
    if apart:
        end_reads(session)
    if row is None:  # unknown or revoked
        raise Unauthorized("Invalid or expired credentials")
    user, user_id, kind, expires_at = row
    if (
        user_id != claims.user_id
        or kind != claims.kind
        or expires_at <= utcnow()
        or not user.is_active
    ):
        raise Unauthorized("Invalid or expired credentials")
    if not session.info.get(READ_ONLY):
        session.info[SIGN_IN] = _SignIn(claims.sid, user, user.id, user.role, user.council_id)
        if apart and not session.in_transaction():
            check_sign_in_again(session)  # the route's transaction checks it
    return Auth(user=user, session_id=claims.sid)


@dataclass(frozen=True, slots=True)
class _SignIn:
    """A writing request's sign-in as it was read (the ids as they were: an expired object's
    attributes would be loaded through the session while it begins a transaction)."""

    sid: str
    user: User
    user_id: int | None
    role: str
    council_id: int | None


_USER_TABLE: Table = User.__table__  # type: ignore[attr-defined]
# The same sign-in with every column of its person, to read them again into the request's.
_STILL_LIVE = (
    core_select(_USER_TABLE, col(AuthSession.expires_at))
    .join(AuthSession, _ITS_USER)
    .where(*_UNREVOKED)
)


@event.listens_for(Session, "after_begin")
def _still_signed_in(session: Session, _transaction: Any, connection: Connection) -> None:
    """A writing request's sign-in, checked again as a later transaction of it begins: its
    route's, after the sign-in was read apart (SQLite), and the one after a password is hashed
    with no transaction open (`confirm_password`, through `check_sign_in_again`). A sign-out, a
    password reset or a suspension committed meanwhile stops the request (it went ahead on what
    it had read, an outside review found), and it sees the person as they are now (their
    password hash, for one). A role or council changed meanwhile ends it too: its role was
    checked against the old one."""
    if not session.info.pop(SIGN_IN_TO_CHECK, False):
        return
    read: _SignIn = session.info[SIGN_IN]
    found = connection.execute(_STILL_LIVE, {"sid": read.sid}).mappings().first()
    row = _still_live(found, read, as_now=(read.role, read.council_id))
    changing = inspect(read.user).committed_state  # set by the request, not yet written
    for column in _USER_TABLE.columns:
        if column.key not in changing:
            set_committed_value(read.user, column.key, row[column.key])


# The same, its rows locked until the transaction ends (FOR SHARE): a sign-out or a change of
# the person committed after this read waits for the request's own commit.
_STILL_LIVE_HELD = _STILL_LIVE.with_for_update(read=True)


@event.listens_for(Session, "before_commit")
def _still_signed_in_as_it_commits(session: Session) -> None:
    """PostgreSQL: a writing request's sign-in, checked again as its transaction commits.

    Its sign-in was read in its own transaction, unlocked: at READ COMMITTED that read holds
    nothing, and a write that waited on a row lock meanwhile (another request's, a foreign
    key's) went on after every sign-in of the account was revoked, or as staff after the person
    was made a carer (a security review). Read again here with the rows held, a sign-out or a
    change committed before now stops it (401, nothing written), and one after waits for it.
    SQLite needs none of this: a writing transaction there holds the database's write lock from
    its first statement, where its sign-in is checked (`_still_signed_in`).

    Against the person as the request itself left them: its own changes (a cook's move to
    another council) are not someone else's. A request that ends its own sign-in (a sign-out,
    an erasure of the account) is let finish."""
    read: _SignIn | None = session.info.get(SIGN_IN)
    if read is None or session.get_bind().dialect.name != "postgresql":
        return
    user = read.user
    own = session.identity_map.get(session.identity_key(AuthSession, read.sid))
    if not user.is_active or (isinstance(own, AuthSession) and own.revoked_at is not None):
        return
    found = session.connection().execute(_STILL_LIVE_HELD, {"sid": read.sid}).mappings().first()
    _still_live(found, read, as_now=(user.role, user.council_id))


def _still_live(
    row: RowMapping | None, read: _SignIn, *, as_now: tuple[str, int | None]
) -> RowMapping:
    """The sign-in read again (`row`); 401 unless it is still `read`'s, unexpired, its person
    active and with the role and council the request goes on with (`as_now`)."""
    if (
        row is None
        or row["id"] != read.user_id
        or row["expires_at"] <= utcnow()
        or not row["is_active"]
        or (row["role"], row["council_id"]) != as_now
    ):
        raise Unauthorized("Invalid or expired credentials")
    return row


CurrentAuth = Annotated[Auth, Depends(get_current_auth)]


async def get_current_user(auth: CurrentAuth) -> User:
    """The signed-in user (see get_current_auth). Async, like the role checks: no thread hop
    for what needs no database."""
    return auth.user


CurrentUser = Annotated[User, Depends(get_current_user)]


def _role(*roles: str) -> Callable[[Auth], Coroutine[None, None, User]]:
    # On the sign-in itself, not on `get_current_user`: one dependency fewer to solve.
    async def check(auth: CurrentAuth) -> User:
        if auth.user.role not in roles:
            raise Forbidden(f"This needs the role: {' or '.join(roles)}")
        return auth.user

    return check


CookUser = Annotated[User, Depends(_role("cook"))]
CarerUser = Annotated[User, Depends(_role("carer"))]
StaffUser = Annotated[User, Depends(_role("staff"))]
AdminUser = Annotated[User, Depends(_role("admin"))]
StaffOrAdminUser = Annotated[User, Depends(_role("staff", "admin"))]
CarerOrStaffUser = Annotated[User, Depends(_role("carer", "staff"))]
CookOrCarerUser = Annotated[User, Depends(_role("cook", "carer"))]


def client_address(request: Request) -> str:
    """The client's address as the ASGI server reports it (proxy headers are the server's job)."""
    return request.client.host if request.client else "unknown"
