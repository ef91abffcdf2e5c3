"""Accounts: registration, sign-in with failure limits, sessions, passwords, who someone is.

Argon2 runs outside any database transaction (on SQLite a transaction holds the database-wide
write lock from its first query) and lends its request's database slot to others meanwhile
(`slot_lent`), and at most HASH_SLOTS hashes run at once.
"""

from __future__ import annotations

import hashlib
import logging
import math
import secrets
from collections import Counter
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from datetime import datetime, timedelta

from pydantic import ValidationError
from sqlalchemy import delete, func, update
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from app.accounts.hash_turns import busy_if_refused, request_turn
from app.accounts.passwords import (
    HashingBusy,
    hash_password,
    hashing_slot,
    needs_rehash,
    parameters_named,
    password_problem,
    verify_password,
)
from app.accounts.schemas import AccountNames
from app.accounts.tokens import TokenClaims, TokenKind, issue_token
from app.audit import record_audit
from app.config import Settings
from app.db import (
    begin_reads,
    check_sign_in_again,
    end_reads,
    in_route,
    own_transaction,
    slot_lent,
    utcnow,
)
from app.errors import (
    Conflict,
    NotFound,
    RuleBroken,
    RulesBroken,
    ServiceBusy,
    TooManyRequests,
    Unauthorized,
)
from app.models import (
    AuthSession,
    Cook,
    Council,
    Diner,
    EmailChange,
    LoginFailure,
    PasswordReset,
    RegistrationAttempt,
    ResetRequest,
    User,
)
from app.notifications import messages
from app.notifications.outbox import enqueue, tell
from app.schemas import one_space

BAD_CREDENTIALS = "Incorrect email or password"
RESET_LIFETIME = timedelta(hours=1)
RESETS_PER_ADDRESS_HOUR = 3  # then no further message until the first is an hour old
REGISTRATION_WINDOW = timedelta(hours=1)
# Logged when a route hashes without declaring `deps.HASH_TURN`; the tests fail on it.
HASHED_WITHOUT_TURN = "a route hashed a password without deps.HASH_TURN"

log = logging.getLogger("portion.accounts")


# An email's key is kept in 320 characters, as the address is (RFC 5321's most). Lowercase
# can be longer than the address ("İ" is two characters): a 262-character address answered
# 500 on PostgreSQL (an outside check). Two addresses alike in their first 320 are one.
KEY_LENGTH = 320


def email_key(email: str) -> str:
    return email.strip().lower()[:KEY_LENGTH]


# --- hashing, outside transactions and limited ---------------------------------------------


@contextmanager
def _hashing(session: Session) -> Iterator[None]:
    """A request's turn to hash, taken before its database slot (`deps.HASH_TURN`), or else
    one of the HASH_SLOTS, waited for here (keeping the database slot, if any); then the
    database slot lent to others while Argon2 runs. Either way at most HASH_SLOTS requests of
    each kind are out of their slot at once, each holding a worker thread (`HeldSlot.lent`)."""
    if (turn := request_turn()) is not None:
        # Given back after the hash, not when the route ends: sign-ins go through the turns
        # as fast as they hash. A request that hashes twice (a password change; a sign-in that
        # renews an old hash) does both in one block: a second turn would be waited for here,
        # holding the database slot.
        with turn.only_for(), slot_lent(session):
            yield
        return
    if in_route(session):
        # Correct, but the request waits for a hashing slot here, holding its database slot
        # and its worker thread: what the turns are for. Said once per hash, so that a route
        # added without the declaration fails every test that exercises it.
        log.warning(HASHED_WITHOUT_TURN)
    with ExitStack() as held:
        try:
            held.enter_context(hashing_slot())
        except HashingBusy:
            raise ServiceBusy("The service is busy: try again in a moment") from None
        held.enter_context(slot_lent(session))
        yield


def _hash(session: Session, password: str) -> str:
    with _hashing(session):
        return hash_password(password)


# --- registration ---------------------------------------------------------------------------


def register_user(
    session: Session,
    *,
    email: str,
    password: str,
    full_name: str,
    role: str,
    password_hash: str,
    council_id: int | None = None,
) -> User:
    """Create an account; the email must be free in any letter case. The caller hashes the
    password first, outside any transaction and, in a route, in its turn (`_hash`): hashing
    here would hold SQLite's write lock through Argon2 and bypass the turns."""
    if problem := password_problem(password, email=email, full_name=full_name):
        raise RuleBroken("weak_password", ["password"], f"Password {problem}")
    key = email_key(email)
    if session.exec(select(User.id).where(User.email_key == key)).first() is not None:
        raise Conflict("An account with this email already exists")
    user = User(
        email=email.strip(),
        email_key=key,
        # One space between words, as the API's schema keeps it, however the account is made:
        # the sign-up pages stored "  Priya   Shah " as typed, and emails greeted
        # "Priya   Shah" (a newcomer's walk).
        full_name=one_space(full_name),
        password_hash=password_hash,
        role=role,
        council_id=council_id,
    )
    try:
        with session.begin_nested():  # the caller's work stays if this insert fails
            session.add(user)
    except IntegrityError as exc:  # the same email registered at the same moment
        raise Conflict("An account with this email already exists") from exc
    return user


def checked_names(*, email: str, full_name: str) -> AccountNames:
    """The email and name checked as a registration checks them: 422 naming the field."""
    try:
        return AccountNames(email=email, full_name=full_name)
    except ValidationError as exc:
        error = exc.errors()[0]
        raise RuleBroken(str(error["type"]), [str(error["loc"][0])], error["msg"]) from exc


def create_admin(session: Session, *, email: str, password: str, full_name: str) -> User:
    """An admin account of the installation (from the CLI; the password hashed before the first
    query: on SQLite the transaction holds the write lock from there)."""
    names = checked_names(email=email, full_name=full_name)
    password_hash = hash_password(password)
    return register_user(
        session,
        email=names.email,
        password=password,
        full_name=names.full_name,
        role="admin",
        password_hash=password_hash,
    )


def register_from_client(
    session: Session,
    *,
    email: str,
    password: str,
    full_name: str,
    role: str,
    client: str,
    settings: Settings,
) -> User:
    """A self-service registration: counted per client address (in a transaction of its own),
    hashed outside any transaction, then created in the caller's."""
    if problem := password_problem(password, email=email, full_name=full_name):
        raise RuleBroken("weak_password", ["password"], f"Password {problem}")
    busy_if_refused()  # before the registration counts
    count_address_claim(session, client=client, settings=settings)
    taken = session.exec(select(User.id).where(User.email_key == email_key(email))).first()
    end_reads(session)
    if taken is not None:
        raise Conflict("An account with this email already exists")
    password_hash = _hash(session, password)
    return register_user(
        session,
        email=email,
        password=password,
        full_name=full_name,
        role=role,
        password_hash=password_hash,
    )


def count_address_claim(session: Session, *, client: str, settings: Settings) -> None:
    """Refuse a client over its hourly claims of an email address (429), else count this one
    (kept even when the claim fails). A registration claims one, and so does a change of
    address: each answers 409 when another account holds it, so each is limited alike, or
    either would tell anyone, unlimited, which addresses have an account."""
    now = utcnow()
    count, oldest = session.exec(
        select(func.count(), func.min(RegistrationAttempt.at)).where(
            RegistrationAttempt.client == client, RegistrationAttempt.at > now - REGISTRATION_WINDOW
        )
    ).one()
    if count >= settings.registrations_per_client_hour and oldest is not None:
        raise TooManyRequests(
            "Too many new accounts or new email addresses from this connection: try again later",
            _seconds_until(oldest + REGISTRATION_WINDOW, now),
            field="email",
        )
    own_transaction(session, "registration_attempt", RegistrationAttempt(client=client, at=now))


# --- sign-in --------------------------------------------------------------------------------


def authenticate(
    session: Session, *, email: str, password: str, client: str, settings: Settings
) -> User:
    """The user with these credentials; failures are counted and limited (API.md)."""
    if "\x00" in email or "\x00" in password:  # never a real account; the database refuses NUL
        raise Unauthorized(BAD_CREDENTIALS)
    busy_if_refused()
    key = email_key(email)
    begin_reads(session)  # no write lock while it holds its turn to hash
    _refuse_when_limited(session, key=key, client=client, settings=settings)
    user = session.exec(select(User).where(User.email_key == key)).first()
    end_reads(session)
    stored = user.password_hash if user else None
    with _hashing(session):
        valid = verify_password(stored, password)
        # A hash made with other Argon2 parameters (PORTION_PASSWORD_* changed since) is made
        # again with the settings', now that the password is known, in the same turn.
        renewed = (
            hash_password(password)
            if valid and user is not None and user.is_active and needs_rehash(user.password_hash)
            else None
        )
    if user is None or not valid or not user.is_active:
        _record_failure(session, key=key, client=client)
        raise Unauthorized(BAD_CREDENTIALS)
    if not _still_as_read(session, user=user, verified=stored, key=key):
        # The password changed (a reset), the sign-in address changed or the account was
        # suspended while it hashed, in the transaction it read in before: that password (at
        # that address) no longer signs in. Not counted as a failure: it was right when typed.
        raise Unauthorized(BAD_CREDENTIALS)
    if renewed is not None:
        keep_renewed_hash(session, user=user, verified=user.password_hash, renewed=renewed)
    return user


def _still_as_read(session: Session, *, user: User, verified: str | None, key: str) -> bool:
    """Whether the account is still active, at the address signed in with, with the password
    hash a sign-in verified, read in the transaction that writes the sign-in (the row locked on
    PostgreSQL until it commits, so a password or address change waits for it and then ends it
    with the others). A confirmed change of address ends every sign-in: one by the old address
    that hashed meanwhile was let in after it (a security review)."""
    row = session.exec(
        select(User.password_hash, User.is_active, User.email_key)
        .where(User.id == user.id)
        .with_for_update()
    ).first()
    return row is not None and row[0] == verified and row[1] and row[2] == key


def hashes_by_parameters(session: Session) -> Counter[str | None]:
    """How many accounts' password hashes have which Argon2 parameters (None: an erased
    account's, which no password matches)."""
    return Counter(
        parameters_named(password_hash)
        for password_hash in session.exec(select(User.password_hash)).yield_per(1000)
    )


def keep_renewed_hash(session: Session, *, user: User, verified: str, renewed: str) -> None:
    """Store a sign-in's renewed hash, only if the stored one is still the one it verified: a
    password changed meanwhile stays changed."""
    session.execute(
        update(User)
        .where(col(User.id) == user.id, col(User.password_hash) == verified)
        .values(password_hash=renewed)
    )


def _record_failure(session: Session, *, key: str, client: str) -> None:
    """Count a failed sign-in in a transaction of its own: it stays though the request fails."""
    own_transaction(session, "failed_sign_in", LoginFailure(email_key=key, client=client))


def _refuse_when_limited(session: Session, *, key: str, client: str, settings: Settings) -> None:
    """429 when this account has failed too often from this client (a delay doubling with each
    further failure, from the latest), or this client has failed too often overall."""
    window = timedelta(minutes=settings.login_window_minutes)
    now = utcnow()
    since = now - window
    count, latest = session.exec(
        select(func.count(), func.max(LoginFailure.at)).where(
            LoginFailure.email_key == key, LoginFailure.client == client, LoginFailure.at > since
        )
    ).one()
    limit = settings.login_max_failures_per_account
    if count >= limit and latest is not None:
        doublings = min(count - limit, 20)
        delay = min(settings.login_lockout_base_s * 2**doublings, window.total_seconds())
        retry_at = latest + timedelta(seconds=delay)
        if retry_at > now:
            raise TooManyRequests(
                "Too many failed sign-ins: try again later", _seconds_until(retry_at, now)
            )
    count, oldest = session.exec(
        select(func.count(), func.min(LoginFailure.at)).where(
            LoginFailure.client == client, LoginFailure.at > since
        )
    ).one()
    if count >= settings.login_max_failures_per_client and oldest is not None:
        raise TooManyRequests(
            "Too many failed sign-ins: try again later", _seconds_until(oldest + window, now)
        )


def _seconds_until(moment: datetime, now: datetime) -> int:
    return max(1, math.ceil((moment - now).total_seconds()))


# --- sessions -------------------------------------------------------------------------------


def start_session(
    session: Session, *, user: User, kind: TokenKind, settings: Settings
) -> tuple[str, TokenClaims]:
    """Issue a token (or session cookie) and record its revocable sign-in (the caller's
    transaction keeps it)."""
    assert user.id is not None
    lifetime = (
        timedelta(minutes=settings.access_token_minutes)
        if kind == "access"
        else timedelta(hours=settings.session_hours)
    )
    token, claims = issue_token(
        user_id=user.id, kind=kind, secret=settings.secret_key, lifetime=lifetime
    )
    assert claims.sid is not None
    session.add(
        AuthSession(id=claims.sid, user_id=user.id, kind=kind, expires_at=claims.expires_at)
    )
    session.flush()
    return token, claims


def end_session(session: Session, *, session_id: str) -> None:
    """Revoke one sign-in (sign-out)."""
    auth_session = session.get(AuthSession, session_id)
    if auth_session is not None and auth_session.revoked_at is None:
        auth_session.revoked_at = utcnow()
        session.add(auth_session)


def revoke_sessions(session: Session, *, user_id: int, keep: str | None = None) -> int:
    """Revoke every live sign-in of the account except `keep`; how many were revoked.

    A cook's calendar address goes too: it is a standing credential (diners' first names and
    visit times) that someone who once held the account could otherwise keep reading after a
    new password or staff ending every sign-in (an outside review). The cook gets a new one
    from their page."""
    now = utcnow()
    for cook in session.exec(
        select(Cook).where(Cook.user_id == user_id, col(Cook.calendar_token).is_not(None))
    ).all():
        cook.calendar_token = None
        session.add(cook)
    query = select(AuthSession).where(
        AuthSession.user_id == user_id,
        col(AuthSession.revoked_at).is_(None),
        AuthSession.expires_at > now,
    )
    if keep is not None:
        query = query.where(AuthSession.id != keep)
    live = session.exec(query).all()
    for auth_session in live:
        auth_session.revoked_at = now
        session.add(auth_session)
    return len(live)


def councils_of(session: Session, user: User) -> set[int]:
    """The councils a person belongs to: their own, their cook profile's, their diners'."""
    found = {user.council_id} if user.council_id is not None else set()
    found.update(session.exec(select(Cook.council_id).where(Cook.user_id == user.id)).all())
    found.update(session.exec(select(Diner.council_id).where(Diner.carer_id == user.id)).all())
    return found


def revoke_sessions_by_staff(session: Session, *, actor: User, user_id: int) -> None:
    """End every sign-in of a person of the actor's council (or anyone, for an admin); audited."""
    person = session.get(User, user_id)
    if person is None or (
        actor.role != "admin" and actor.council_id not in councils_of(session, person)
    ):
        raise NotFound("User not found")
    count = revoke_sessions(session, user_id=user_id)
    record_audit(
        session,
        actor_id=actor.id,
        council_id=actor.council_id,
        action="sessions_revoked",
        subject_type="user",
        subject_id=user_id,
        data={"sessions": count},
    )


# --- passwords ------------------------------------------------------------------------------


def change_password(
    session: Session,
    *,
    user: User,
    current_session_id: str,
    current_password: str,
    new_password: str,
    client: str,
    settings: Settings,
) -> None:
    """Replace the password after checking the current one; every other sign-in ends; audited.
    A wrong current password counts as a failed sign-in."""
    assert user.id is not None
    problem = password_problem(new_password, email=user.email, full_name=user.full_name)
    weak = ("weak_password", "new_password", f"Password {problem}")
    # The current password is checked (and counted when wrong) even when the new one is weak,
    # so that both are said at once: a wrong one was only named after the new one was mended
    # (an outside check). A weak one is not hashed.
    try:
        new_hash = confirm_password(
            session,
            user=user,
            password=current_password,
            client=client,
            settings=settings,
            field="current_password",
            wrong="Your current password is not right",
            new_password=None if problem else new_password,
        )
    except RuleBroken as wrong:
        if problem:
            raise RulesBroken([(wrong.rule, "current_password", wrong.message), weak]) from wrong
        raise
    if problem:
        raise RuleBroken(weak[0], [weak[1]], weak[2])
    assert new_hash is not None
    # After the current password is checked (a wrong one is counted, and named, first): the
    # same one again would end every other sign-in for nothing.
    if new_password == current_password:
        raise RuleBroken(
            "same_password",
            ["new_password"],
            "Enter a new password that is different from the one you use now",
        )
    _set_password(
        session, user=user, new_hash=new_hash, action="password_changed", keep=current_session_id
    )


def confirm_password(
    session: Session,
    *,
    user: User,
    password: str,
    client: str,
    settings: Settings,
    field: str,
    wrong: str,
    new_password: str | None = None,
) -> str | None:
    """A signed-in person's password, asked again before a change to their account. Limited and
    counted as a sign-in is (429, then a failure): a session left open on a shared computer must
    not let someone guess it. `RuleBroken` naming `field` with the message `wrong` when wrong.
    Ends the session's reads first (call it before writing).

    With `new_password`, returns its hash, made in the same turn to hash when the password is
    right (a password change waits for one turn, not two)."""
    busy_if_refused()
    _refuse_when_limited(session, key=user.email_key, client=client, settings=settings)
    end_reads(session)
    check_sign_in_again(session)  # when it writes, after the hash
    with _hashing(session):
        right = "\x00" not in password and verify_password(user.password_hash, password)
        new_hash = hash_password(new_password) if right and new_password is not None else None
    if not right:
        _record_failure(session, key=user.email_key, client=client)
        raise RuleBroken("wrong_password", [field], wrong)
    return new_hash


# The accounts an operator sets up from the command line, and so may set a password for there:
# a typo at create-staff's prompt left a council's only staff account reachable only through a
# reset link (an operator's walk). Residents use their reset link.
OPERATOR_ROLES = ("staff", "admin")


def set_password_by_operator(session: Session, *, email: str, new_password: str) -> User:
    """A staff or admin account's new password, set from the command line: every sign-in and
    reset link of the account ends, the owner is told, and it is audited."""
    user = session.exec(select(User).where(User.email_key == email_key(email))).first()
    if user is None or user.anonymised_at is not None or user.role not in OPERATOR_ROLES:
        raise NotFound("No staff or admin account has this email")
    if problem := password_problem(new_password, email=user.email, full_name=user.full_name):
        raise RuleBroken("weak_password", ["password"], f"Password {problem}")
    _set_password(
        session,
        user=user,
        new_hash=hash_password(new_password),
        action="password_set_by_operator",
        by_owner=False,
    )
    return user


def _set_password(
    session: Session,
    *,
    user: User,
    new_hash: str,
    action: str,
    keep: str | None = None,
    by_owner: bool = True,
) -> None:
    """Store the new hash, end every sign-in but `keep` and every reset link still out, and
    audit it (ids and counts only)."""
    assert user.id is not None
    user.password_hash = new_hash
    session.add(user)
    void_reset_links(session, user_id=user.id)
    void_email_changes(session, user_id=user.id)
    revoked = revoke_sessions(session, user_id=user.id, keep=keep)
    # The owner learns of it, as of a new email address: someone who knew the password, or
    # read the mailbox, could have changed it (an outside check found nothing was sent).
    now = utcnow()
    told = messages.password_changed(full_name=user.full_name, day=now.date())
    tell(session, told, to=user.id, dedupe_key=f"password_changed:{user.id}:{now.isoformat()}")
    record_audit(
        session,
        # From the command line: no account of the service did it ("The system").
        actor_id=user.id if by_owner else None,
        council_id=user.council_id,
        action=action,
        subject_type="user",
        subject_id=user.id,
        data={"sessions_revoked": revoked},
    )


def _token_digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def request_password_reset(session: Session, *, email: str, settings: Settings) -> datetime | None:
    """Queue a single-use reset link for the account with this email, if there is one; the
    same steps (a token, a lookup, an audit entry) either way. Past the hour's limit for the
    address, no link: returns when it can ask again (known or not, alike)."""
    token = secrets.token_urlsafe(32)
    digest = _token_digest(token)
    now = utcnow()
    key = email_key(email)
    user = session.exec(select(User).where(User.email_key == key)).first()
    asked = session.exec(
        select(ResetRequest.at)
        .where(ResetRequest.email_key == key, ResetRequest.at > now - RESET_LIFETIME)
        .order_by(col(ResetRequest.at))
    ).all()
    # When fewer than the limit are left in the hour: two requests at once can both be let
    # through, so the oldest of the last three, not the first of them all.
    again = (
        asked[-RESETS_PER_ADDRESS_HOUR] + RESET_LIFETIME
        if len(asked) >= RESETS_PER_ADDRESS_HOUR
        else None
    )
    if again is None:
        session.add(ResetRequest(email_key=key, at=now))
    can_reset = user is not None and user.is_active and user.anonymised_at is None and again is None
    if user is not None and user.id is not None and can_reset:
        reset = PasswordReset(
            user_id=user.id, token_hash=digest, created_at=now, expires_at=now + RESET_LIFETIME
        )
        session.add(reset)
        session.flush()
        link = settings.link(f"/reset-password?token={token}")
        reset_message = messages.password_reset(full_name=user.full_name, link=link)
        enqueue(
            session,
            event=reset_message.event,
            to=user,
            subject=reset_message.subject,
            body=reset_message.body,
            dedupe_key=f"password_reset:{reset.id}",
            fresh=True,
        )
    record_audit(
        session,
        actor_id=None,
        council_id=user.council_id if user is not None else None,
        action="password_reset_requested",
        subject_type="user",
        subject_id=user.id if user is not None else None,
        data={"link_queued": can_reset},
    )
    return again


def reset_link_live(session: Session, *, token: str) -> bool:
    """Whether a reset link's token can still set a password (unused, in its hour, for an
    account that can sign in): the page says so before anyone types a new password."""
    reset = session.exec(
        select(PasswordReset).where(PasswordReset.token_hash == _token_digest(token))
    ).first()
    if reset is None or reset.used_at is not None or reset.expires_at <= utcnow():
        return False
    user = session.get(User, reset.user_id)
    return user is not None and user.is_active and user.anonymised_at is None


def reset_password(session: Session, *, token: str, new_password: str) -> None:
    """Set a new password with a reset link's token (once, within its hour); every sign-in of
    the account ends; audited."""
    invalid = RuleBroken(
        "invalid_token", ["token"], "This link has expired or was already used: ask for a new one"
    )
    digest = _token_digest(token)
    reset = session.exec(select(PasswordReset).where(PasswordReset.token_hash == digest)).first()
    if reset is None or reset.used_at is not None or reset.expires_at <= utcnow():
        raise invalid
    user = session.get(User, reset.user_id)
    if user is None or not user.is_active or user.anonymised_at is not None:
        raise invalid
    if problem := password_problem(new_password, email=user.email, full_name=user.full_name):
        raise RuleBroken("weak_password", ["new_password"], f"Password {problem}")
    end_reads(session)
    new_hash = _hash(session, new_password)
    # Claim the link under a lock (read afresh, app.db): of two requests with the same token,
    # one wins.
    reset = session.exec(
        select(PasswordReset).where(PasswordReset.id == reset.id).with_for_update(key_share=True)
    ).one()
    if reset.used_at is not None or reset.expires_at <= utcnow():
        raise invalid
    _set_password(session, user=user, new_hash=new_hash, action="password_reset")
    # Whoever can follow the link owns the account: its failed sign-ins (theirs, or someone's
    # guesses) no longer hold it back. The new password met a lockout (a newcomer's walk).
    session.exec(delete(LoginFailure).where(col(LoginFailure.email_key) == user.email_key))


def void_reset_links(session: Session, *, user_id: int) -> None:
    """Every reset link of the account still out is used up: after a new password, or a new
    sign-in address (a link sent to the old one must not outlive it)."""
    now = utcnow()
    for pending in session.exec(
        select(PasswordReset).where(
            PasswordReset.user_id == user_id, col(PasswordReset.used_at).is_(None)
        )
    ).all():
        pending.used_at = now
        session.add(pending)


def void_email_changes(session: Session, *, user_id: int) -> None:
    """Every link to a new sign-in address still out is used up (app/accounts/email_change.py):
    after a new password, or another change of address."""
    now = utcnow()
    pending = select(EmailChange).where(
        EmailChange.user_id == user_id, col(EmailChange.used_at).is_(None)
    )
    for change in session.exec(pending).all():
        change.used_at = now
        session.add(change)


def council_slug(session: Session, user: User) -> str | None:
    if user.council_id is None:
        return None
    council = session.get(Council, user.council_id)
    return council.slug if council else None
