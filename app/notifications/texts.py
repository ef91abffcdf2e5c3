"""Text messages: how long a text is in SMS fragments, and a text that fits one (pure).

GSM-7 carries 160 characters in one fragment (153 per fragment when split); one character
outside its alphabet (a name like "Zoë") sends the whole text as UCS-2: 70 (67 when split),
counted in UTF-16 code units. GSM-7's extension characters (€ [ ] { } ^ ~ | \\ and form feed)
take two places.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

GSM7_BASIC = frozenset(
    "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?"
    "¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà"
)
GSM7_EXTENSION = frozenset("^{}\\[~]|€\f")
LIMITS = {"GSM-7": (160, 153), "UCS-2": (70, 67)}  # (one fragment, each of several)
ELLIPSIS = "..."

# Messages that go by text to people who prefer texts (others stay email: long, or a link).
TEXT_EVENTS = frozenset(
    {
        "meal_reminder",
        "cover_request",
        "cover_arranged",
        "cover_cancelled",
        "meal_missed",
        "diner_paused",
        "cook_suspended",  # do not come to the door, from now
        "cover_fell_through",  # the meal the carer was told of may not come
        # Do not bring the next meal (for safety, a concern, the end), or bring it after all: a
        # cook who chose texts had these only by email (an outside check of the messages).
        "pairing_needs_changed",
        "concern_pause",
        "pairing_ended",
        "meal_back_on",
        # What the meal must now be, and a new day or time: an allergy added that the cook can
        # still keep out reached a cook who chose texts only by email (an outside check).
        "diner_changed",
        "pairing_moved",
        # Would you cook for ...?, who will knock and when, and that a concern reached us: a
        # carer who chose texts had each only by email (an outside check of the product rules).
        "proposal",
        "pairing_accepted",
        "concern_received",
        # And what follows them, by the same way (a review: an invitation by text, its
        # withdrawal by email; "you will hear from us" by text, then email).
        "invitation_withdrawn",
        "concern_status",
        # A cook will come to the door after a pause: the carer who chose texts needs it in time.
        "pause_ending",
        # The council's answer to a cook's offer: their waiting page says "We tell you as soon
        # as you are approved, the way you chose", and a cook who chose texts had it by email
        # (a newcomer's walk).
        "cook_approved",
        "cook_rejected",
    }
)
# Texts that must fit one fragment, shortened when needed.
ONE_FRAGMENT_EVENTS = frozenset({"meal_reminder"})


@dataclass(frozen=True)
class SmsLength:
    encoding: Literal["GSM-7", "UCS-2"]
    units: int  # GSM-7 septets or UTF-16 code units
    fragments: int


def sms_length(text: str) -> SmsLength:
    """How a text would be sent: its encoding, its length in that encoding, its fragments."""
    if all(c in GSM7_BASIC or c in GSM7_EXTENSION for c in text):
        encoding: Literal["GSM-7", "UCS-2"] = "GSM-7"
        units = sum(2 if c in GSM7_EXTENSION else 1 for c in text)
    else:
        encoding = "UCS-2"
        units = len(text.encode("utf-16-le")) // 2
    single, each = LIMITS[encoding]
    fragments = 1 if units <= single else -(-units // each)
    return SmsLength(encoding, units, fragments)


def fits_one_fragment(text: str) -> bool:
    return sms_length(text).fragments == 1


def shorten_to_one_fragment(candidates: Sequence[str]) -> str:
    """The first candidate that fits one fragment; else the last one cut to fit, with "..."."""
    for text in candidates:
        if fits_one_fragment(text):
            return text
    text = candidates[-1]
    cut = len(text)
    while cut > 0 and not fits_one_fragment(text[:cut].rstrip() + ELLIPSIS):
        cut -= 1
    return text[:cut].rstrip() + ELLIPSIS


def sms_text(event: str, subject: str, body: str) -> str:
    """A message as one text: its subject and body; a reminder shortened to one fragment."""
    subject, body = " ".join(subject.split()), " ".join(body.split())
    joined = f"{subject} {body}" if subject.endswith((".", "?", "!")) else f"{subject}. {body}"
    if event in ONE_FRAGMENT_EVENTS:
        return shorten_to_one_fragment([joined, subject])
    return joined
