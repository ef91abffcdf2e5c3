"""GOV.UK Notify: email, text messages and letters through `notifications-python-client`.

One generic template per channel, set up in Notify once: an email template whose subject is
((subject)) and whose body is ((body)); a text template ((body)); a letter template with the
heading ((subject)) and the body ((body)) (Notify takes the address from address_line_1..7).
Notify's `reference` carries our stable message id, so a message whose fate is unknown is
looked up by it before it is sent again.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import requests
from notifications_python_client.errors import APIError
from notifications_python_client.notifications import NotificationsAPIClient
from urllib3.exceptions import ConnectTimeoutError, NewConnectionError

from app.notifications.sender import MailerUnavailable, MessageRejected, Outgoing

DEFAULT_BASE_URL = "https://api.notifications.service.gov.uk"
MAX_ADDRESS_LINES = 7
# Notify's statuses for a message it took but could not send: sending it again is right.
RESEND_STATUSES = frozenset({"technical-failure"})


def letter_personalisation(item: Outgoing) -> dict[str, str]:
    """The address lines (3 to 7, the last a postcode) and our text, for a letter."""
    lines = [line.strip() for line in item.to.splitlines() if line.strip()]
    if not 3 <= len(lines) <= MAX_ADDRESS_LINES:
        raise MessageRejected(f"letter address has {len(lines)} lines", permanent=True)
    values = {f"address_line_{i}": line for i, line in enumerate(lines, start=1)}
    return values | {"subject": item.subject, "body": item.body}


@dataclass(frozen=True)
class NotifyChannel:
    """Sends one channel's messages through Notify with that channel's generic template."""

    api_key: str = field(repr=False)
    template_ids: Mapping[str, str]  # channel -> template id
    base_url: str = DEFAULT_BASE_URL
    timeout_s: float = 10.0
    provider: str = "notify"

    def _client(self) -> NotificationsAPIClient:
        # The client keeps a requests.Session and is not thread-safe: one per call.
        return NotificationsAPIClient(self.api_key, base_url=self.base_url, timeout=self.timeout_s)

    def deliver(self, item: Outgoing, now: datetime) -> str | None:
        template_id = self.template_ids[item.channel]
        client = self._client()
        try:
            if item.channel == "sms":
                response = client.send_sms_notification(
                    phone_number=item.to,
                    template_id=template_id,
                    personalisation={"body": item.text},
                    reference=item.reference,
                )
            elif item.channel == "letter":
                response = client.send_letter_notification(
                    template_id=template_id,
                    personalisation=letter_personalisation(item),
                    reference=item.reference,
                )
            else:
                response = client.send_email_notification(
                    email_address=item.to,
                    template_id=template_id,
                    personalisation={"subject": item.subject, "body": item.body},
                    reference=item.reference,
                )
        except APIError as exc:
            raise _failure(exc) from exc
        return _notification_id(response)

    def find(self, item: Outgoing) -> str | None:
        try:
            found = self._client().get_all_notifications(
                template_type=item.channel, reference=item.reference
            )
        except APIError as exc:
            failure = _failure(exc)
            # Not knowing whether it was sent, it must not be sent: try again later.
            if isinstance(failure, MessageRejected):
                failure = MailerUnavailable(f"lookup failed: {failure.reason}")
            raise failure from exc
        for notification in (found or {}).get("notifications", []):
            if (
                notification.get("reference") == item.reference
                and notification.get("status") not in RESEND_STATUSES
            ):
                return _notification_id(notification)
        return None


def _notification_id(response: Any) -> str | None:
    value = response.get("id") if isinstance(response, dict) else None
    return str(value)[:64] if value else None


def _failure(exc: APIError) -> MailerUnavailable | MessageRejected:
    """What a failed call means for the outbox. Reasons hold codes and class names only (Notify's
    own messages can quote the phone number or address)."""
    if exc.response is None:
        cause = exc.__cause__
        if _never_connected(cause):
            return MailerUnavailable(f"Notify unreachable ({type(cause).__name__})")
        # Sent, perhaps, and the answer lost (a timeout, a dropped connection).
        return MessageRejected(f"Notify outcome unknown ({type(cause).__name__})", permanent=False)
    status = exc.status_code
    errors = _error_names(exc)
    reason = f"Notify {status} {errors}".strip()
    if status in (401, 403, 429) or status >= 502:
        return MailerUnavailable(reason)  # our key, our rate, or Notify itself: not the message
    if status >= 500:
        return MessageRejected(reason, permanent=False)
    return MessageRejected(reason, permanent=True)  # 400: this message is wrong for Notify


def _never_connected(cause: BaseException | None) -> bool:
    if isinstance(cause, requests.exceptions.ConnectTimeout):
        return True
    if isinstance(cause, requests.exceptions.ConnectionError) and cause.args:
        reason = getattr(cause.args[0], "reason", None)
        return isinstance(reason, (NewConnectionError, ConnectTimeoutError))
    return False


def _error_names(exc: APIError) -> str:
    try:
        body = exc.response.json() if exc.response is not None else {}
    except ValueError:
        return ""
    names = sorted({str(e.get("error", "")) for e in body.get("errors", []) if isinstance(e, dict)})
    return ",".join(n for n in names if n)[:100]
