"""The staff layout (frontend/templates/staff/base.html): GOV.UK's order on a page with errors."""

from __future__ import annotations

from fastapi.testclient import TestClient

from app.models import User
from tests.pages.helpers import form_token
from tests.pages.test_staff_diners import sign_in


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
