"""How a person wants to be reached: their phone (E.164) and email-or-text preference."""

from __future__ import annotations

from typing import TYPE_CHECKING, Literal, get_args

from sqlmodel import Session

from app.errors import RuleBroken
from app.lazy_import import LazyModule
from app.models import User

if TYPE_CHECKING:
    import phonenumbers
else:  # imported at the first phone number checked (start-up: app/lazy_import.py)
    phonenumbers = LazyModule("phonenumbers", globals(), "phonenumbers")

ContactPreference = Literal["email", "sms"]
CONTACT_PREFERENCES: tuple[str, ...] = get_args(ContactPreference)


# Ofcom keeps 07700 900000 to 07700 900999 for drama and examples, and every hint of ours shows
# 07700 900 982: nobody can be reached on them (phonenumbers calls them not in use). Someone who
# types one is told so, not asked for a number "like 07700 900 982".
_EXAMPLE_MOBILES = range(7_700_900_000, 7_700_901_000)


class ExampleNumber(ValueError):
    """One of Ofcom's numbers for drama and examples, given as a phone number."""

    def __init__(self) -> None:
        super().__init__("That is an example number, not one in use: enter your own phone number")


def e164_phone(raw: str) -> str:
    """A UK phone number as E.164 (+447700900123); ValueError naming what is wrong."""
    text = raw.strip()
    if len(text) > 30:
        raise ValueError("Enter a phone number, like 07700 900 982")
    try:
        number = phonenumbers.parse(text, "GB")
    except phonenumbers.NumberParseException as exc:
        raise ValueError("Enter a phone number, like 07700 900 982") from exc
    if number.country_code == 44 and number.national_number in _EXAMPLE_MOBILES:
        raise ExampleNumber
    if number.country_code != 44 or not phonenumbers.is_valid_number(number):
        raise ValueError("Enter a UK phone number, like 07700 900 982")
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def can_take_texts(e164: str) -> bool:
    """Whether an E.164 number is a mobile (a text sent to a landline is lost)."""
    kind = phonenumbers.number_type(phonenumbers.parse(e164, None))
    return kind in (
        phonenumbers.PhoneNumberType.MOBILE,
        phonenumbers.PhoneNumberType.FIXED_LINE_OR_MOBILE,
    )


def set_contact(
    session: Session,
    *,
    user: User,
    phone: str | None,
    contact_preference: str,
    loc_prefix: tuple[str, ...] = (),
) -> User:
    """Set a person's phone and contact preference; 422 naming the field when either is wrong.

    An empty phone clears it. Texts need a mobile number. loc_prefix places the field names
    inside a larger body (e.g. ("carer",)) in the error's loc.
    """
    if contact_preference not in CONTACT_PREFERENCES:
        raise RuleBroken(
            "contact_preference",
            [*loc_prefix, "contact_preference"],
            "Choose how we should contact you: email or text message",
        )
    number: str | None = None
    if phone is not None and phone.strip():
        try:
            number = e164_phone(phone)
        except ValueError as exc:
            raise RuleBroken("phone", [*loc_prefix, "phone"], str(exc)) from exc
    if contact_preference == "sms":
        if number is None:
            raise RuleBroken(
                "phone", [*loc_prefix, "phone"], "Enter a mobile number to get text messages"
            )
        if not can_take_texts(number):
            raise RuleBroken(
                "phone",
                [*loc_prefix, "phone"],
                "Enter a mobile number to get text messages, like 07700 900 982",
            )
    user.phone = number
    user.contact_preference = contact_preference
    session.add(user)
    session.flush()
    return user
