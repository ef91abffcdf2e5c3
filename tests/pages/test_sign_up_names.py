"""The name a cook or a carer signs up with, as the sign-up pages keep it."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient
from sqlmodel import Session, select

from app.models import Council, User
from tests.pages.helpers import form_token

PASSWORD = "walnut lantern meadow 88"


def post(client: TestClient, path: str, data: dict[str, str]):
    token = form_token(client, path)
    return client.post(path, data={**data, "csrf_token": token}, follow_redirects=False)


@pytest.mark.parametrize("role", ["cook", "carer"])
def test_sign_up_keeps_one_space_between_the_words_of_the_name_when_more_were_typed(
    client: TestClient, session: Session, barnet: Council, role: str
):
    """ "  Priya   Shah " was stored as typed, and emails said "Hello Priya   Shah," (a
    newcomer's walk): the name is kept as the API keeps it, one space between words."""
    assert post(client, f"/{role}/start", {"postcode": "N3 1HT"}).status_code == 303
    answers = {"full_name": "  Priya   Shah ", "email": "priya@example.org", "password": PASSWORD}
    if role == "carer":
        answers |= {"phone": "07911 123456", "contact_preference": "email"}
    done = post(client, f"/{role}/sign-up", answers)
    assert done.status_code == 303, done.text
    user = session.exec(select(User).where(User.email == "priya@example.org")).one()
    assert user.full_name == "Priya Shah"
