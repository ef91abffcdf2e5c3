"""A cook declines an invitation, optionally saying why: the coordinator hears the reason."""

from __future__ import annotations

from sqlmodel import Session

from app.diners.service import alert_recipients
from app.models import Cook, Diner, Pairing
from app.names import first_name
from app.notifications import messages
from app.notifications.outbox import enqueue
from app.pairings.service import decline_pairing


def decline_with_reason(session: Session, *, pairing: Pairing, reason: str | None) -> Pairing:
    """decline_pairing (the API's: the next best cook is proposed), then the diner's coordinator
    (else the council's staff) is told, with the cook's reason when they gave one."""
    decline_pairing(session, pairing=pairing)
    diner, cook = session.get(Diner, pairing.diner_id), session.get(Cook, pairing.cook_id)
    assert diner is not None and cook is not None
    declined = messages.pairing_declined(
        cook_name=cook.display_name, diner_name=first_name(diner.full_name), reason=reason
    )
    for to in alert_recipients(session, diner):  # the coordinator, else the council's staff
        enqueue(
            session,
            event=declined.event,
            to=to,
            subject=declined.subject,
            body=declined.body,
            dedupe_key=f"pairing:{pairing.id}:declined",
            about_diner_id=diner.id,
        )
    session.flush()
    return pairing
