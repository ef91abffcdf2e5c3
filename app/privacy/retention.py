"""How long records kept only to run the service are kept: forgotten by `portion run-jobs`.

What a council decides to keep (people's records, meals, pairings, concerns, the audit log) is
not here: that goes by erasure (app/privacy/service.py). These are the service's own traces,
which no one asks to erase because no one sees them: failed sign-ins and reset requests, ended
sign-ins, used or expired links, and the words of messages sent long ago. SECURITY.md and the
privacy notice give the same periods.
"""

from __future__ import annotations

import datetime as dt
from datetime import timedelta

from sqlalchemy import CursorResult, Delete, Update, or_
from sqlmodel import Session, col, delete, select, update

from app.models import (
    AuthSession,
    EmailChange,
    FormDraft,
    LoginFailure,
    Notification,
    PasswordReset,
    RegistrationAttempt,
    ResetRequest,
)
from app.models.draft import KEPT_ANSWERS_FOR, KEPT_JOURNEY

# Failed sign-ins, registrations and reset requests are counted over 15 minutes or an hour: a
# day is kept to look into an attack, then they go (the typed address and the network address
# with them).
ATTEMPTS_KEPT = timedelta(days=1)
# A sign-in's times ("when you signed in"), kept after it ended for questions about an account.
SIGN_INS_KEPT = timedelta(days=90)
# A reset link or a new address to confirm, after it was used or ran out.
LINKS_KEPT = timedelta(days=1)
# Answers a page journey kept between pages (app/pages/drafts.py forgets them at 7 days too).
DRAFTS_KEPT = timedelta(days=7)
# A sent or failed message's words (names, needs, times, a letter's address); that it was sent,
# to whom and when stays, as does every message still to go.
MESSAGE_WORDS_KEPT = timedelta(days=365)
FORGOTTEN_SUBJECT = "A message from Extra Portion"
FORGOTTEN_BODY = "The words of this message are no longer kept (a year after it was sent)."


def forget_old_records(session: Session, *, now: dt.datetime) -> int:
    """Delete or blank what has been kept long enough; returns how many rows it touched."""
    statements: list[Delete | Update] = [
        delete(LoginFailure).where(col(LoginFailure.at) < now - ATTEMPTS_KEPT),
        delete(RegistrationAttempt).where(col(RegistrationAttempt.at) < now - ATTEMPTS_KEPT),
        delete(ResetRequest).where(col(ResetRequest.at) < now - ATTEMPTS_KEPT),
        delete(AuthSession).where(
            or_(
                col(AuthSession.expires_at) < now - SIGN_INS_KEPT,
                col(AuthSession.revoked_at) < now - SIGN_INS_KEPT,
            )
        ),
        delete(FormDraft).where(col(FormDraft.updated_at) < now - DRAFTS_KEPT),
        # A form's answers kept when its sign-in had ended (app/pages/kept_answers.py): hours.
        delete(FormDraft).where(
            col(FormDraft.journey).startswith(KEPT_JOURNEY),
            col(FormDraft.updated_at) < now - KEPT_ANSWERS_FOR,
        ),
    ]
    for link in (PasswordReset, EmailChange):
        statements.append(
            delete(link).where(
                or_(
                    col(link.expires_at) < now - LINKS_KEPT,
                    col(link.used_at) < now - LINKS_KEPT,
                )
            )
        )
    statements.append(
        update(Notification)
        .where(
            # Found by when they were made (ix_notification_created_at): by their status, every
            # message ever sent would be read each hour (a review).
            col(Notification.id).in_(
                select(Notification.id).where(
                    col(Notification.created_at) < now - MESSAGE_WORDS_KEPT
                )
            ),
            col(Notification.status).in_(("sent", "failed", "withdrawn")),
            col(Notification.body) != FORGOTTEN_BODY,  # not again
        )
        # A letter's or a text's recipient without an account (an address, a number) goes too.
        .values(subject=FORGOTTEN_SUBJECT, body=FORGOTTEN_BODY, recipient=None)
    )
    touched = 0
    for statement in statements:
        result = session.execute(statement)
        assert isinstance(result, CursorResult)
        touched += result.rowcount
    return touched
