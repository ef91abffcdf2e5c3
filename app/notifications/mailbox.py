"""The development mailbox: each message a JSON file under var/mail, read at /dev/mail or
with `portion mail`. Nothing leaves the machine."""

from __future__ import annotations

import json
import os
import secrets
from dataclasses import asdict, dataclass
from datetime import datetime
from pathlib import Path

from app.notifications.sender import Outgoing

LOCAL_MAILBOX = "local mailbox"


@dataclass(frozen=True)
class MailboxMessage:
    reference: str
    channel: str  # email | sms | letter
    to: str  # an address, a phone number, or a letter's address lines (one per line)
    subject: str
    body: str
    event: str
    at: str  # ISO 8601, UTC


@dataclass(frozen=True)
class MailboxChannel:
    """Delivers every channel into `directory`: one file per message, named by its reference,
    so a retried message replaces its own file instead of appearing twice."""

    directory: Path
    provider: str = "mailbox"

    def deliver(self, item: Outgoing, now: datetime) -> str:
        self.directory.mkdir(parents=True, exist_ok=True)
        message = MailboxMessage(
            reference=item.reference,
            channel=item.channel,
            to=item.to,
            subject=item.subject,
            body=item.text if item.channel == "sms" else item.body,
            event=item.event,
            at=now.isoformat(),
        )
        path = self._path(item.reference)
        draft = path.with_name(f".{path.name}.{os.getpid()}.{secrets.token_hex(4)}")
        draft.write_text(json.dumps(asdict(message), ensure_ascii=False, indent=1), "utf-8")
        os.replace(draft, path)  # appears whole, or not at all
        return path.name

    def find(self, item: Outgoing) -> str | None:
        path = self._path(item.reference)
        return path.name if path.is_file() else None

    def _path(self, reference: str) -> Path:
        return self.directory / f"{reference}.json"


def read_mailbox(directory: Path, *, limit: int = 50) -> list[MailboxMessage]:
    """The newest `limit` messages in the mailbox, newest first (none if it does not exist)."""
    messages = []
    for path in directory.glob("*.json") if directory.is_dir() else ():
        try:
            data = json.loads(path.read_text("utf-8"))
            messages.append(MailboxMessage(**data))
        except (OSError, ValueError, TypeError):  # half-deleted, or not one of ours
            continue
    messages.sort(key=lambda m: (m.at, m.reference), reverse=True)
    return messages[:limit]
