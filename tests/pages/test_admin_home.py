"""The administrator's page: the councils, their staff and sizes, and how to add one (an admin
who signed in landed on the public home page, with nothing of theirs: a browser walk)."""

from __future__ import annotations

import re

from fastapi.testclient import TestClient
from sqlmodel import Session

from app.models import Council, User
from tests.factories import create_council, create_user, registered_diner
from tests.pages.helpers import sign_in, title


def test_an_admin_lands_on_the_councils_with_their_staff_and_sizes(
    client: TestClient, session: Session, settings, barnet: Council, staff: User
):
    create_council(session, slug="reigate", lad_codes=["E07000211"])
    registered_diner(client, session, settings)
    admin = create_user(session, role="admin", council=None)

    landing = sign_in(client, admin)
    page = client.get(landing)

    assert landing == "/admin/"
    assert title(page) == "Councils on this installation – Extra Portion"
    rows = re.findall(r'<tr class="govuk-table__row">\s*<th scope="row".*?</tr>', page.text, re.S)
    assert len(rows) == 2
    barnet_row = next(r for r in rows if "barnet: E09000003" in r)
    assert staff.email in barnet_row and ">1</td>" in barnet_row  # one diner
    assert "None yet" in next(r for r in rows if "reigate" in r)
    assert "portion create-council" in page.text
    assert 'href="/admin/"' in page.text  # in the header's navigation


def test_the_admin_page_is_refused_to_staff_and_sends_the_signed_out_to_sign_in(
    client: TestClient, session: Session, staff: User
):
    assert client.get("/admin/", follow_redirects=False).status_code in (302, 303)
    sign_in(client, staff)
    assert client.get("/admin/").status_code == 403
