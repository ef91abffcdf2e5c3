"""Input the pages get from odd links and odd typing: each gets the page's own clear answer
(not found, the field's error, or the filter left off), never a 500, on both databases."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient
from sqlmodel import Session

from app.accounts.service import start_session
from app.config import Settings
from app.deps import SESSION_COOKIE
from app.models import Cook, Council, Diner, User
from tests.factories import approved_cook, create_user, registered_diner

TWO = "\u00b2"  # "²": str.isdigit() says yes, int() refuses it


def sign_in(client: TestClient, session: Session, settings: Settings, user: User) -> str:
    """The browser signed in as `user` (a page session); returns the forms' CSRF token."""
    cookie, claims = start_session(session, user=user, kind="session", settings=settings)
    session.commit()
    client.cookies.set(SESSION_COOKIE, cookie)
    return claims.csrf


# (who is signed in, method, address, form, the answer the page gives a non-number)
NOT_A_NUMBER = [
    (None, "GET", f"/carer/relative.html?id={TWO}", None, 303),
    (None, "GET", f"/staff/diner.html?id={TWO}", None, 303),
    (None, "GET", f"/staff/cook.html?id={TWO}", None, 303),
    ("staff", "GET", f"/staff/cooks?page={TWO}", None, 200),
    ("staff", "GET", f"/staff/diners?page={TWO}", None, 200),
    ("staff", "GET", f"/staff/cooks?area={TWO}", None, 200),
    ("staff", "GET", f"/staff/diners?area={TWO}", None, 200),
    ("staff", "GET", f"/staff/concerns?cook={TWO}", None, 200),
    ("staff", "GET", f"/staff/concerns?diner={TWO}", None, 200),
    ("staff", "GET", f"/staff/diners/{TWO}/match", None, 404),
    ("staff", "POST", "/staff/diners/{diner}/match", {"cook_id": TWO}, 404),
    ("carer", "GET", f"/concerns/new?diner={TWO}", None, 404),
    ("carer", "POST", "/concerns/new", {"diner": TWO, "kind": "other"}, 404),
    ("cook", "POST", "/cook/away", {"from-day": TWO, "from-month": "1", "from-year": "2030"}, 422),
    ("cook", "POST", "/cook/profile/reach", {"walk_radius_m": TWO}, 422),
]


@pytest.mark.parametrize(("role", "method", "address", "form", "status"), NOT_A_NUMBER)
def test_a_unicode_digit_gets_the_answer_for_a_non_number_when_a_page_reads_a_number(
    client: TestClient,
    session: Session,
    settings: Settings,
    staff: User,
    role: str | None,
    method: str,
    address: str,
    form: dict[str, str] | None,
    status: int,
):
    """A superscript two passed str.isdigit(), then int() raised: a 500 on each one before."""
    _, diner_id = registered_diner(client, session, settings)
    users = {
        "staff": staff,
        "carer": create_user(session, role="carer"),
        "cook": approved_cook(client, session, settings, staff)[0],
    }
    csrf = sign_in(client, session, settings, users[role]) if role else ""
    address = address.replace("{diner}", str(diner_id))
    data = {**form, "csrf_token": csrf} if form is not None else None
    answer = client.request(method, address, data=data, follow_redirects=False)
    assert answer.status_code == status, answer.text
    if status == 422:  # the field's own error, in the summary and beside the field
        assert "govuk-error-summary" in answer.text and "govuk-error-message" in answer.text


# --- the availability grid's days --------------------------------------------------------------


def test_a_day_that_is_not_a_weekday_is_left_out_when_a_carer_changes_the_times(
    client: TestClient, session: Session, settings: Settings, barnet: Council
):
    """check_times passed over "x" but availability() read it with int(): a 500."""
    carer, diner_id = registered_diner(client, session, settings)
    csrf = sign_in(client, session, settings, carer)
    form = {"days": ["3", "x"], "start-3": "17:30", "end-3": "19:00", "frequency": "weekly"}
    sent = client.post(
        f"/carer/relatives/{diner_id}/change/times",
        data={**form, "csrf_token": csrf},
        follow_redirects=False,
    )
    assert sent.status_code == 303, sent.text
    diner = session.get(Diner, diner_id)
    assert diner is not None
    session.refresh(diner)
    assert [w["weekday"] for w in diner.availability] == [3]


def test_a_day_that_is_not_a_weekday_is_left_out_when_a_cook_checks_and_sends_the_profile(
    client: TestClient, session: Session, settings: Settings, staff: User
):
    """The times step kept "x" in the cook's draft; check your answers then read it with int():
    a 500 on every visit until the draft expired."""
    cook_user, cook_id = approved_cook(client, session, settings, staff)
    csrf = sign_in(client, session, settings, cook_user)
    form = {"days": ["1", "x", "3"], "start-1": "17:00", "end-1": "19:00"}
    times = client.post(
        "/cook/profile/times",
        data={**form, "start-3": "18:00", "end-3": "19:30", "csrf_token": csrf},
        follow_redirects=False,
    )
    assert times.headers["location"] == "/cook/profile/check", times.text
    check = client.get("/cook/profile/check")
    assert check.status_code == 200
    assert "Tuesday, 17:00 to 19:00" in check.text and "Thursday, 18:00 to 19:30" in check.text
    sent = client.post("/cook/profile/check", data={"csrf_token": csrf}, follow_redirects=False)
    assert sent.status_code == 303, sent.text
    cook = session.get(Cook, cook_id)
    assert cook is not None
    session.refresh(cook)
    assert [w["weekday"] for w in cook.availability] == [1, 3]
