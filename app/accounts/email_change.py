"""A new sign-in address, in two steps: asked for with the password, then confirmed by a link
sent to the new address. Until the link is opened nothing changes: a mistyped address would
otherwise take every message (a missed meal, a reset link) to a stranger's mailbox or nowhere.

Only the SHA-256 of a link's token is kept; a link works once, for a day, and a newer request
(or a new password, or the change itself) voids the older ones."""

from __future__ import annotations

import hashlib
import secrets
from datetime import timedelta

from sqlmodel import Session, col, func, select

from app.accounts.service import (
    confirm_password,
    count_address_claim,
    email_key,
    revoke_sessions,
    void_email_changes,
    void_reset_links,
)
from app.audit import record_audit
from app.config import Settings
from app.db import utcnow
from app.errors import Conflict, RuleBroken
from app.models import EmailChange, User
from app.notifications import messages
from app.notifications.outbox import enqueue

LINK_LIFETIME = timedelta(hours=24)  # long enough to find the message in another mailbox
# Links an account may have sent in an hour: each goes to an address nobody has confirmed, so
# without a limit the service would mail anyone, as often as asked (a review).
LINKS_PER_HOUR = 3

INVALID = "This link has expired or was already used: ask for the change again"


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def _address_free(session: Session, *, user: User, key: str) -> None:
    taken = session.exec(select(User.id).where(User.email_key == key, User.id != user.id)).first()
    if taken is not None:
        raise Conflict("An account with this email address already exists")


def request_email_change(
    session: Session,
    *,
    user: User,
    new_email: str,
    password: str,
    client: str,
    settings: Settings,
) -> EmailChange:
    """Send a link to `new_email` that makes it the address `user` signs in with; their
    password confirms it is them. 422 naming `password` when it is wrong (counted and limited as
    a sign-in: 429 after too many), 409 when another account has the address. Nothing else
    changes until the link is opened. 422 naming `email` after ``LINKS_PER_HOUR`` links in an
    hour."""
    confirm_password(
        session,
        user=user,
        password=password,
        client=client,
        settings=settings,
        field="password",
        wrong="Enter your current password: this one is not right",
    )
    new_email = new_email.strip()
    count_address_claim(session, client=client, settings=settings)  # 429 past the hour's
    _address_free(session, user=user, key=email_key(new_email))
    assert user.id is not None
    sent = session.exec(
        select(func.count()).where(
            EmailChange.user_id == user.id, EmailChange.created_at > utcnow() - timedelta(hours=1)
        )
    ).one()
    if sent >= LINKS_PER_HOUR:
        raise RuleBroken(
            "too_many_links",
            ["email"],
            f"You have asked for {LINKS_PER_HOUR} links in the last hour: open the newest, or "
            "ask again later",
        )
    void_email_changes(session, user_id=user.id)
    token, now = secrets.token_urlsafe(32), utcnow()
    change = EmailChange(
        user_id=user.id,
        new_email=new_email,
        token_hash=_digest(token),
        created_at=now,
        expires_at=now + LINK_LIFETIME,
    )
    session.add(change)
    session.flush()
    link = settings.link(f"/account/email/confirm?token={token}")
    confirm = messages.confirm_new_email(link=link)
    # Under the prefix erasure looks for: the message names an address of theirs.
    _mail(
        session,
        confirm,
        address=new_email,
        dedupe_key=f"email_changed:{user.id}:request:{change.id}",
    )
    record_audit(
        session,
        actor_id=user.id,
        council_id=user.council_id,
        action="account.email_change_requested",
        subject_type="user",
        subject_id=user.id,
    )
    session.flush()
    return change


def _mail(session: Session, told: messages.Message, *, address: str, dedupe_key: str) -> None:
    """An email to an address, not to the account (whose usual channel may be texts): the new
    address to confirm, the old one to tell."""
    enqueue(
        session,
        event=told.event,
        recipient=address,
        channel="email",
        subject=told.subject,
        body=told.body,
        dedupe_key=dedupe_key,
        fresh=True,
    )


def waiting_change(session: Session, *, user_id: int) -> EmailChange | None:
    """The person's newest change of address still waiting for its link, if any."""
    return session.exec(
        select(EmailChange)
        .where(
            EmailChange.user_id == user_id,
            col(EmailChange.used_at).is_(None),
            EmailChange.expires_at > utcnow(),
        )
        .order_by(col(EmailChange.id).desc())
    ).first()


def pending_change(session: Session, *, token: str) -> EmailChange | None:
    """The change a link's token confirms, while it can still be confirmed (unused, in its day,
    for an account that can sign in); else None."""
    change = session.exec(
        select(EmailChange).where(EmailChange.token_hash == _digest(token))
    ).first()
    if change is None or change.used_at is not None or change.expires_at <= utcnow():
        return None
    user = session.get(User, change.user_id)
    if user is None or not user.is_active or user.anonymised_at is not None:
        return None
    return change


def confirm_email_change(
    session: Session, *, token: str, browser: tuple[int, str] | None = None
) -> User:
    """Make the new address the one the person signs in with. As a new password does, it ends
    every sign-in but the browser's that opened the link (`browser`: its user id and sign-in),
    when it is theirs, and
    every reset link still out, and the old address is told (someone who had the password
    could otherwise take the account over unseen). 422 naming `token` for a dead link, 409 when
    another account took the address meanwhile. The audit entry names the account, never an
    address."""
    change = pending_change(session, token=token)
    if change is None:
        raise RuleBroken("invalid_token", ["token"], INVALID)
    # Claim the link under a lock (read afresh): of two requests with the same link, one wins.
    change = session.exec(
        select(EmailChange).where(EmailChange.id == change.id).with_for_update(key_share=True)
    ).one()
    if change.used_at is not None:
        raise RuleBroken("invalid_token", ["token"], INVALID)
    user = session.get(User, change.user_id)
    assert user is not None and user.id is not None
    key = email_key(change.new_email)
    _address_free(session, user=user, key=key)
    now = utcnow()
    change.used_at = now
    session.add(change)
    old_email = user.email
    user.email, user.email_key = change.new_email, key
    session.add(user)
    void_reset_links(session, user_id=user.id)
    void_email_changes(session, user_id=user.id)
    keep = browser[1] if browser is not None and browser[0] == user.id else None
    revoked = revoke_sessions(session, user_id=user.id, keep=keep)
    told = messages.email_changed(full_name=user.full_name, new_email=user.email, day=now.date())
    _mail(session, told, address=old_email, dedupe_key=f"email_changed:{user.id}:{now.isoformat()}")
    record_audit(
        session,
        actor_id=user.id,
        council_id=user.council_id,
        action="account.email_changed",
        subject_type="user",
        subject_id=user.id,
        data={"sessions_revoked": revoked},
    )
    session.flush()
    return user
