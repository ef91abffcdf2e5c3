"""Input the pages get from odd links and odd typing: each gets the page's own clear answer
(not found, the field's error, or the filter left off), never a 500, on both databases."""

from __future__ import annotations

import re
from datetime import timedelta
from html import unescape
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlmodel import Session, select

from app.accounts.service import start_session
from app.config import Settings
from app.councils.rules import council_today
from app.deps import SESSION_COOKIE
from app.models import (
    AuditEntry,
    Concern,
    Cook,
    Council,
    Diner,
    Meal,
    MealFeedback,
    Notification,
    Pairing,
    PasswordReset,
    User,
)
from tests.factories import (
    active_pairing,
    approved_cook,
    create_user,
    proposed_pairing,
    registered_diner,
)
from tests.pages.helpers import form_token

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
    # Ten digits pass as a number, and overflowed the date itself: a 500 before.
    (
        "cook",
        "POST",
        "/cook/away",
        {"from-day": "9" * 10, "from-month": "1", "from-year": "2031"},
        422,
    ),
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


# --- text: the API's rules on every page's text field ------------------------------------------

PASSWORD = "walnut lantern meadow 88"
NUL, START_OF_HEADING, RIGHT_TO_LEFT, LINE_SEPARATOR = "\x00", "\x01", "\u202e", "\u2028"
ONE_LINE = LINES = "has a hidden character, perhaps from copying and pasting: type it again"
EMAIL_FORMAT = "Enter an email address in the correct format, like name@example.com"
DATES = {
    f"{end}-{part}": f"{{{part}}}" for end in ("from", "to") for part in ("day", "month", "year")
}
CARER = {"password": PASSWORD, "phone": "07911 123456", "contact_preference": "email"}
RELATIVE = "/carer/relatives/{diner}"


def case(who: str | None, address: str, form: dict[str, str], field: str, message: str) -> Any:
    """Who posts (signed in, or the postcode step first, or nobody), where, what: the field
    and its message in the error summary."""
    return pytest.param(who, address, form, field, message, id=f"{address}:{field}")


HIDDEN_CHARACTERS = [
    case("carer", f"{RELATIVE}/pause", {"reason": f"Away{START_OF_HEADING}", **DATES}, "reason",
         f"The reason {LINES}"),
    case("carer", f"{RELATIVE}/change-cook", {"reason": f"Late {RIGHT_TO_LEFT}often"}, "reason",
         f"The reason {LINES}"),
    case("carer", f"{RELATIVE}/leave", {"reason": f"Moving{START_OF_HEADING}"}, "reason",
         f"The reason {LINES}"),
    case("carer", f"{RELATIVE}/meals/{{meal}}/rating", {"rating": "5", "comment": RIGHT_TO_LEFT},
         "comment", f"Your message to the cook {LINES}"),
    case("carer", f"{RELATIVE}/change/access", {"access_notes": f"Ring{LINE_SEPARATOR}twice"},
         "access_notes", f"How the cook gets in {LINES}"),
    case("carer", "/carer/account/email", {"email": f"a{NUL}b@example.org", "password": PASSWORD},
         "email", EMAIL_FORMAT),
    # What the API's EmailStr refuses, the page refused too late: a joiner, quotes and a tag.
    case("carer", "/account/email", {"email": "staff.barnet\u200d@example.org",
         "password": PASSWORD}, "email", EMAIL_FORMAT),
    case("carer", "/account/email", {"email": 'a"<b>@example.org', "password": PASSWORD},
         "email", EMAIL_FORMAT),
    case("carer", "/concerns/new", {"diner": "{diner}", "kind": "other",
         "description": f"Odd {RIGHT_TO_LEFT}"}, "description", f"What happened {LINES}"),
    case("invited_cook", "/cook/invitations/{invitation}/decline", {"reason": f"Busy{NUL}"},
         "reason", f"Your reason {LINES}"),
    case("cook", "/cook/profile/name", {"display_name": f"Priya{RIGHT_TO_LEFT}",
         "phone": "020 7946 0018"}, "display_name", f"Your name {ONE_LINE}"),
    case("staff", "/staff/concerns/{concern}", {"status": "investigating",
         "note": f"Called{RIGHT_TO_LEFT}"}, "note", f"The note {LINES}"),
    case("staff", "/staff/cooks/{cook}/suspend", {"reason": f"Told{LINE_SEPARATOR}twice"},
         "suspend-reason", f"The reason {LINES}"),
    case("staff", "/staff/diners/{diner}/pairing/{pairing}/end", {"end": "yes",
         "reason": f"Moved{NUL}away"}, "end-reason", f"The reason {LINES}"),
    case(None, "/sign-in", {"email": f"a{NUL}b@example.org", "password": PASSWORD}, "email",
         EMAIL_FORMAT),
    case(None, "/forgotten-password", {"email": f"a{NUL}b@example.org"}, "email", EMAIL_FORMAT),
    case("carer_start", "/carer/sign-up", {"full_name": f"Bob {RIGHT_TO_LEFT}evil",
         "email": "bob@example.org", **CARER}, "full_name", f"Full name {ONE_LINE}"),
    case("carer_start", "/carer/sign-up", {"full_name": "Bob Brown",
         "email": f"x{START_OF_HEADING}y@example.org", **CARER}, "email", EMAIL_FORMAT),
    case("cook_start", "/cook/sign-up", {"full_name": f"Priya{NUL} Shah",
         "email": "priya@example.org", "password": PASSWORD}, "full_name", f"Full name {ONE_LINE}"),
]  # fmt: skip


def summary(html: str) -> list[tuple[str, str]]:
    """The error summary's links: (the field's id, the message)."""
    found = re.search(r'class="govuk-error-summary.*?</ul>', html, re.DOTALL)
    assert found, "no error summary"
    links = re.findall(r'<a href="(#[^"]+)">([^<]+)</a>', found.group())
    return [(href, unescape(text)) for href, text in links]


def stored(session: Session) -> list[dict[str, object]]:
    """Every row a refused form could have written (but the record of a view of an address:
    a page shown again with its errors shows the address again, and that view is recorded)."""
    session.expire_all()
    tables = (User, Cook, Diner, Pairing, Meal, MealFeedback, Concern, Notification, AuditEntry,
              PasswordReset)  # fmt: skip
    return [
        row.model_dump()
        for table in tables
        for row in session.exec(select(table)).all()
        if not (isinstance(row, AuditEntry) and row.action == "diner.address_viewed")
    ]


def address_views(session: Session) -> int:
    return len(
        session.exec(select(AuditEntry).where(AuditEntry.action == "diner.address_viewed")).all()
    )


@pytest.fixture
def world(client: TestClient, session: Session, settings: Settings, staff: User) -> dict[str, Any]:
    """A cook and a diner paired, a meal delivered, a concern raised; another cook invited."""
    paired = active_pairing(client, session, settings, staff)
    meal = session.exec(select(Meal).where(Meal.pairing_id == paired.pairing_id)).first()
    assert meal is not None
    council = session.get(Council, staff.council_id)
    assert council is not None
    today = council_today(council)
    meal.status, meal.date = "delivered", today - timedelta(days=1)
    session.add(meal)
    concern = client.post(
        "/api/concerns",
        json={"diner_id": paired.diner_id, "kind": "other", "description": "Seemed low"},
        headers=paired.carer_headers,
    )
    assert concern.status_code == 201, concern.text
    invited = proposed_pairing(client, session, settings, staff)
    pause = today + timedelta(days=7)
    return {
        "users": {"carer": paired.carer, "cook": paired.cook, "invited_cook": invited.cook},
        "names": {
            "diner": paired.diner_id,
            "pairing": paired.pairing_id,
            "meal": meal.id,
            "cook": paired.cook_id,
            "invitation": invited.pairing_id,
            "concern": concern.json()["id"],
            "day": pause.day,
            "month": pause.month,
            "year": pause.year,
        },
    }


@pytest.mark.parametrize(("who", "address", "form", "field", "message"), HIDDEN_CHARACTERS)
def test_a_control_or_format_character_is_refused_naming_the_field_when_a_page_form_is_sent(
    client: TestClient,
    session: Session,
    settings: Settings,
    staff: User,
    world: dict[str, Any],
    who: str | None,
    address: str,
    form: dict[str, str],
    field: str,
    message: str,
):
    """Pages took text the API refuses (422): stored as typed, or a 500 (a NUL on PostgreSQL,
    PauseIn's own ValidationError)."""
    users = {**world["users"], "staff": staff}
    names = world["names"]
    if who in users:
        csrf = sign_in(client, session, settings, users[who])
    else:
        if who in ("carer_start", "cook_start"):  # the postcode, before the account
            start = f"/{who.removesuffix('_start')}/start"
            postcode = {"postcode": "N3 1QX", "csrf_token": form_token(client, start)}
            assert client.post(start, data=postcode, follow_redirects=False).status_code == 303
        csrf = form_token(client, address)
    before, views = stored(session), address_views(session)
    data = {name: value.format(**names) for name, value in form.items()}
    refused = client.post(
        address.format(**names), data={**data, "csrf_token": csrf}, follow_redirects=False
    )
    assert refused.status_code == 422, refused.text
    assert summary(refused.text) == [(f"#{field}", message)]
    assert stored(session) == before
    assert address_views(session) - views <= 1  # the page shown again, at most once


@pytest.mark.parametrize(
    ("who", "address", "field", "message"),
    [
        ("carer", f"{RELATIVE}/change/access", "access_notes",
         "How the cook gets in has a character that could not be read: type it again"),
        ("cook", "/cook/profile/name", "display_name",
         "Your name has a character that could not be read: type it again"),
    ],
)  # fmt: skip
def test_bytes_that_are_not_utf8_are_refused_beside_the_field_when_a_page_form_is_sent(
    client: TestClient,
    session: Session,
    settings: Settings,
    world: dict[str, Any],
    who: str,
    address: str,
    field: str,
    message: str,
):
    """The form parser turns bytes that are not UTF-8 into U+FFFD, and pages saved them: a
    name stored as "Priya \ufffd\ufffd" (a fuzzer). Refused beside the field, nothing saved."""
    csrf = sign_in(client, session, settings, world["users"][who])
    before = stored(session)
    others = "&phone=020+7946+0018" if field == "display_name" else ""
    body = f"csrf_token={csrf}&{field}=Ring%FF%FEtwice{others}"
    refused = client.post(
        address.format(**world["names"]),
        content=body,
        headers={"Content-Type": "application/x-www-form-urlencoded"},
        follow_redirects=False,
    )
    assert refused.status_code == 422, refused.text
    assert summary(refused.text) == [(f"#{field}", message)]
    assert stored(session) == before


# --- a NUL in an address: PostgreSQL refuses it in text -----------------------------------------


def test_a_concern_reference_with_a_nul_is_not_found_when_its_page_is_asked_for(
    client: TestClient, session: Session, settings: Settings
):
    sign_in(client, session, settings, create_user(session, role="carer"))
    page = client.get("/concerns/EP-%00")
    assert page.status_code == 404 and "Page not found" in page.text


@pytest.mark.parametrize("listed", ["cooks", "diners"])
def test_a_search_drops_control_and_format_characters_when_a_staff_list_is_searched(
    client: TestClient, session: Session, settings: Settings, staff: User, listed: str
):
    """A NUL in ?q= went to the database: a 500 on PostgreSQL."""
    sign_in(client, session, settings, staff)
    page = client.get(f"/staff/{listed}?q=Ed%00na%E2%80%AE")
    assert page.status_code == 200
    assert re.search(r'name="q"[^>]*value="Edna"', page.text), "the search box keeps the rest"


def test_reloading_an_address_only_a_form_posts_to_says_so_not_page_not_found(
    client: TestClient, session: Session, settings: Settings, staff: User
):
    """A browser walk reloaded the page a refused staff form had answered (its address is the
    form's) and read "Page not found"."""
    sign_in(client, session, settings, staff)

    page = client.get("/staff/cooks/1/approve", headers={"Accept": "text/html"})

    assert page.status_code == 405
    assert "This address is only for sending a form" in page.text
    assert "Go back to the page with the form" in page.text and "Page not found" not in page.text
