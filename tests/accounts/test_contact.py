"""A person's phone (E.164) and contact preference, set through app/accounts/contact.py."""

from __future__ import annotations

import pytest
from sqlmodel import Session

from app.accounts.contact import set_contact
from app.errors import RuleBroken
from tests.factories import create_user


def test_phone_is_stored_as_e164_when_set_with_text_preference(session: Session):
    user = create_user(session)

    set_contact(session, user=user, phone=" 07911 123456 ", contact_preference="sms")

    assert (user.phone, user.contact_preference) == ("+447911123456", "sms")


def test_empty_phone_clears_it_when_email_is_preferred(session: Session):
    user = create_user(session)
    set_contact(session, user=user, phone="07911 123456", contact_preference="sms")

    set_contact(session, user=user, phone="", contact_preference="email")

    assert (user.phone, user.contact_preference) == (None, "email")


@pytest.mark.parametrize(
    ("phone", "preference", "field"),
    [
        ("not a number", "email", "phone"),
        ("+33 1 23 45 67 89", "email", "phone"),  # not a UK number
        ("", "sms", "phone"),  # texts need a number
        ("020 7946 0018", "sms", "phone"),  # a landline cannot take texts
        ("07911 123456", "pigeon", "contact_preference"),
    ],
)
def test_contact_is_refused_with_the_field_named_when_invalid(
    session: Session, phone: str, preference: str, field: str
):
    user = create_user(session)

    with pytest.raises(RuleBroken) as raised:
        set_contact(session, user=user, phone=phone, contact_preference=preference)

    assert raised.value.status_code == 422
    [detail] = raised.value.detail()
    assert detail["loc"] == ["body", field]
    assert (user.phone, user.contact_preference) == (None, "email")  # nothing changed


@pytest.mark.parametrize("example", ["07700 900 982", "+44 7700 900000", "07700900999"])
def test_an_example_number_is_refused_saying_so_when_given_as_a_phone(
    session: Session, example: str
):
    """Ofcom keeps 07700 900000 to 900999 for examples, and every hint shows 07700 900 982:
    someone who types it is told it is an example, not asked for a number "like" it."""
    user = create_user(session)

    with pytest.raises(RuleBroken) as raised:
        set_contact(session, user=user, phone=example, contact_preference="email")

    [detail] = raised.value.detail()
    assert detail["loc"] == ["body", "phone"]
    assert detail["msg"] == "That is an example number, not one in use: enter your own phone number"
    with pytest.raises(RuleBroken) as next_door:  # past the range: no example, not in use either
        set_contact(session, user=user, phone="07700 901 000", contact_preference="email")
    assert next_door.value.detail()[0]["msg"] == "Enter a UK phone number, like 07700 900 982"
