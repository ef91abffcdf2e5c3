"""The staff layout (frontend/templates/staff/base.html): GOV.UK's order on a page with errors."""

from __future__ import annotations

import re

from fastapi.testclient import TestClient

from app.models import User
from tests.pages.helpers import form_token, sign_in


def test_the_back_link_comes_before_the_error_summary_when_a_staff_form_has_errors(
    client: TestClient, staff: User
):
    sign_in(client, staff)
    refused = client.post("/staff/refer", data={"csrf_token": form_token(client, "/staff/refer")})
    assert refused.status_code == 422
    page = refused.text
    back, summary = page.find('class="govuk-back-link'), page.find('class="govuk-error-summary')
    assert back != -1 and summary != -1
    assert back < summary < page.find("<h1")
    assert page.count('class="govuk-back-link') == 1  # in its block only, not again in the page


def test_a_record_not_found_keeps_the_staff_header_and_its_sign_out(
    client: TestClient, staff: User
):
    """An error page showed the public header (Sign in, Cook for a neighbour) to someone signed
    in, as if the old link had signed them out."""
    sign_in(client, staff)

    page = client.get("/staff/diners/99999999")

    assert page.status_code == 404 and "Page not found" in page.text
    header = page.text[page.text.find('<nav class="ep-nav') : page.text.find("</nav>")]
    assert 'href="/staff/matching"' in header and "Sign out" in header
    assert 'href="/sign-in"' not in header
    token = re.search(r'name="csrf_token" value="([^"]+)"', header)
    assert token
    signed_out = client.post(
        "/sign-out", data={"csrf_token": token.group(1)}, follow_redirects=False
    )
    assert signed_out.status_code in (302, 303)
    after = client.get("/staff/diners", follow_redirects=False)
    assert after.headers.get("location", "").startswith("/sign-in")
