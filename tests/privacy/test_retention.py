"""The service's own traces are forgotten when kept long enough (app/privacy/retention.py), and
nothing younger, or still to be sent, with them."""

from __future__ import annotations

from datetime import timedelta

from sqlmodel import Session, select

from app.db import utcnow
from app.models import (
    AuthSession,
    EmailChange,
    FormDraft,
    LoginFailure,
    Notification,
    PasswordReset,
    RegistrationAttempt,
    ResetRequest,
    User,
)
from app.models.draft import user_owner
from app.privacy.retention import FORGOTTEN_BODY, forget_old_records
from tests.factories import create_user

LONG_AGO = timedelta(days=400)
LATELY = timedelta(hours=2)


def _traces(session: Session, user: User, age: timedelta, tag: str) -> None:
    at = utcnow() - age
    assert user.id is not None
    session.add_all(
        [
            LoginFailure(at=at, email_key=f"{tag}@example.org", client="192.0.2.1"),
            RegistrationAttempt(at=at, client=f"192.0.2.{len(tag)}"),
            ResetRequest(at=at, email_key=f"{tag}@example.org"),
            AuthSession(
                id=f"sid-{tag}",
                user_id=user.id,
                kind="session",
                created_at=at,
                expires_at=at + timedelta(hours=8),
            ),
            PasswordReset(
                user_id=user.id,
                token_hash=f"r-{tag}",
                created_at=at,
                expires_at=at + timedelta(hours=1),
            ),
            EmailChange(
                user_id=user.id,
                new_email=f"{tag}@example.net",
                token_hash=f"e-{tag}",
                created_at=at,
                expires_at=at + timedelta(hours=24),
            ),
            FormDraft(
                owner=user_owner(user.id), journey=f"j-{tag}", data={"name": tag}, updated_at=at
            ),
            Notification(
                dedupe_key=f"n-{tag}",
                event="meal_reminder",
                to_user_id=None,
                recipient=f"{tag}, 3 Quiet Close, N3 1QX",
                subject=f"About {tag}",
                body=f"Edna {tag} is allergic to peanuts",
                message_id=f"<{tag}@x>",
                status="sent",
                created_at=at,
            ),
            Notification(
                dedupe_key=f"p-{tag}",
                event="meal_reminder",
                to_user_id=user.id,
                subject=f"Pending {tag}",
                body=f"Still to go {tag}",
                message_id=f"<p{tag}@x>",
                status="pending",
                created_at=at,
            ),
        ]
    )


def test_old_traces_are_forgotten_and_recent_ones_kept(session: Session):
    """A data protection review: failed sign-ins (with the typed address), ended sign-ins, used
    links and the words of every message sent were kept for ever, though the privacy notice
    promised a limit."""
    user = create_user(session, role="carer")
    _traces(session, user, LONG_AGO, "old")
    _traces(session, user, LATELY, "new")
    session.commit()

    touched = forget_old_records(session, now=utcnow())
    session.commit()
    session.expire_all()

    assert touched == 8
    assert [f.email_key for f in session.exec(select(LoginFailure))] == ["new@example.org"]
    assert len(session.exec(select(RegistrationAttempt)).all()) == 1
    assert [r.email_key for r in session.exec(select(ResetRequest))] == ["new@example.org"]
    assert [s.id for s in session.exec(select(AuthSession))] == ["sid-new"]
    assert [r.token_hash for r in session.exec(select(PasswordReset))] == ["r-new"]
    assert [c.new_email for c in session.exec(select(EmailChange))] == ["new@example.net"]
    assert [d.journey for d in session.exec(select(FormDraft))] == ["j-new"]
    old, new = (
        session.exec(select(Notification).where(Notification.dedupe_key == k)).one()
        for k in ("n-old", "n-new")
    )
    assert (old.body, old.recipient, old.status) == (FORGOTTEN_BODY, None, "sent")
    assert "old" not in old.subject
    assert new.body == "Edna new is allergic to peanuts" and new.recipient
    still_to_go = session.exec(select(Notification).where(Notification.dedupe_key == "p-old"))
    assert still_to_go.one().body == "Still to go old"  # a message not yet sent keeps its words

    assert forget_old_records(session, now=utcnow()) == 0  # nothing twice
