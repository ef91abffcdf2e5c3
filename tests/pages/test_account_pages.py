"""Account pages with JavaScript off: sign in and out, forgotten, reset and change password."""

from __future__ import annotations

import re

import pytest
from fastapi.testclient import TestClient
from sqlmodel import Session, col, select

from app.db import utcnow
from app.deps import CSRF_COOKIE, SESSION_COOKIE
from app.models import Notification, PasswordReset, User
from app.pages.account import RESET_WAIT
from app.pages.forms import signed
from tests.conftest import TEST_SETTINGS
from tests.factories import DEFAULT_PASSWORD, create_council, create_user
from tests.pages.helpers import form_token, title
from tests.support.hash_turns import every_hashing_turn_taken

NEW_PASSWORD = "walnut lantern meadow 88"


def post_form(client: TestClient, path: str, data: dict[str, str], page: str | None = None):
    """Post a form the way a browser does: with the token from the page that shows it."""
    token = form_token(client, page or path)
    return client.post(path, data={**data, "csrf_token": token}, follow_redirects=False)


def sign_in(client: TestClient, email: str, password: str = DEFAULT_PASSWORD, next: str = ""):
    return post_form(client, "/sign-in", {"email": email, "password": password, "next": next})


def summary_links(html: str) -> list[tuple[str, str]]:
    summary = re.search(r'class="govuk-error-summary.*?</ul>', html, re.DOTALL)
    assert summary, "no error summary"
    return re.findall(r'<a href="(#[^"]+)">([^<]+)</a>', summary.group())


# --- sign in --------------------------------------------------------------------------------


def test_sign_in_shows_the_error_and_keeps_the_email_when_credentials_are_wrong(
    client: TestClient, session: Session
):
    user = create_user(session, email="ada@example.org")
    response = sign_in(client, user.email, "not the password at all")
    assert response.status_code == 422
    assert title(response) == "Error: Sign in – Extra Portion"
    assert summary_links(response.text) == [
        ("#email", "Enter the email address and password of your account: these do not match")
    ]
    assert 'value="ada@example.org"' in response.text
    assert "not the password at all" not in response.text
    assert SESSION_COOKIE not in response.cookies


def test_sign_in_lists_every_error_at_once_when_both_fields_are_empty(client: TestClient):
    response = sign_in(client, "", "")
    assert response.status_code == 422
    assert summary_links(response.text) == [
        ("#email", "Enter your email address"),
        ("#password", "Enter your password"),
    ]
    assert 'id="email-error"' in response.text and 'id="password-error"' in response.text


def test_sign_in_asks_for_the_right_format_when_the_email_is_malformed(client: TestClient):
    response = sign_in(client, "ada.example.org", "whatever it is")
    assert summary_links(response.text) == [
        ("#email", "Enter an email address in the correct format, like name@example.com")
    ]
    assert 'value="ada.example.org"' in response.text


@pytest.mark.parametrize(("role", "home"), [("cook", "/cook/"), ("carer", "/carer/")])
def test_sign_in_sets_the_api_session_cookies_and_goes_home_when_credentials_are_right(
    client: TestClient, session: Session, role: str, home: str
):
    user = create_user(session, role=role)
    response = sign_in(client, user.email)
    assert response.status_code == 303 and response.headers["location"] == home
    assert SESSION_COOKIE in response.cookies and CSRF_COOKIE in response.cookies
    me = client.get("/api/me")  # the cookie works for the API as a browser sign-in does
    assert me.status_code == 200 and me.json()["email"] == user.email


def test_sign_in_sends_staff_to_the_staff_pages_when_credentials_are_right(
    client: TestClient, session: Session
):
    user = create_user(session, role="staff", council=create_council(session))
    assert sign_in(client, user.email).headers["location"] == "/staff/"


def test_sign_in_follows_next_when_it_is_a_path_of_this_site(client: TestClient, session: Session):
    user = create_user(session, role="carer")
    response = sign_in(client, user.email, next="/carer/relative.html?id=3")
    assert response.headers["location"] == "/carer/relative.html?id=3"


@pytest.mark.parametrize(
    ("role", "next_", "lands"),
    [
        ("carer", "/staff/", "/carer/"),
        ("carer", "/staff", "/carer/"),
        ("carer", "/staff?from=email", "/carer/"),
        ("cook", "/carer/relatives/3", "/cook/"),
        ("carer", "/cookies", "/cookies"),  # a page for everyone, though it starts "/cook"
        ("staff", "/staff/diners?status=waiting", "/staff/diners?status=waiting"),
    ],
)
def test_sign_in_goes_home_rather_than_to_another_roles_pages(
    client: TestClient, session: Session, role: str, next_: str, lands: str
):
    # A carer sent on from a staff page landed on "You cannot do this" (a newcomer's walk).
    council = create_council(session) if role == "staff" else None
    user = create_user(session, role=role, council=council)
    response = sign_in(client, user.email, next=next_)
    assert response.status_code == 303 and response.headers["location"] == lands


@pytest.mark.parametrize(
    "next_",
    [
        "//evil.example/",
        "/\\evil.example",
        "/%5Cevil.example",
        "/%5c%5cevil.example",
        "/%255C%255Cevil.example",
        "/\t/evil.example",
        "/%09/evil.example",
        "https://evil.example/",
        "javascript:alert(1)",
        "/%2F%2Fevil.example",
        "evil.example",
        # a browser resolves the dot segments to "//evil.example" (an outside check)
        "/.//evil.example",
        "/%2e%2e//evil.example",
        "/a/../..//evil.example",
    ],
)
def test_sign_in_goes_to_the_role_home_when_next_would_leave_the_site(
    client: TestClient, session: Session, next_: str
):
    user = create_user(session, role="cook")
    response = sign_in(client, user.email, next=next_)
    assert response.status_code == 303 and response.headers["location"] == "/cook/"


def test_a_form_posted_after_the_sign_in_ended_goes_to_sign_in_and_back_not_to_403(
    client: TestClient, session: Session
):
    """An outside check: a carer whose 8 hours ran out pressed Continue and read "You cannot do
    this. This form has expired"; pressing "Sign out" on a page left open did the same."""
    user = create_user(session, role="carer")
    assert sign_in(client, user.email).status_code == 303
    token = form_token(client, "/carer/register/about")
    client.cookies.clear()  # the browser dropped the session cookie at its Max-Age
    page = "http://testserver/carer/register/about"

    sent = client.post(
        "/carer/register/about",
        data={"csrf_token": token, "full_name": "Edna Smith"},
        headers={"Referer": page},
        follow_redirects=False,
    )
    signed_out = client.post(
        "/sign-out", data={"csrf_token": token}, headers={"Referer": page}, follow_redirects=False
    )
    public = client.post("/check-your-area", data={"csrf_token": token, "postcode": "N3 1HA"})

    assert sent.status_code == 303
    assert sent.headers["location"] == "/sign-in?done=ended&next=%2Fcarer%2Fregister%2Fabout"
    notice = client.get(sent.headers["location"]).text
    assert "Your sign-in had ended, so nothing was saved. Sign in to carry on." in notice
    assert 'value="/carer/register/about"' in notice  # back there once signed in
    # News, not a success (it was green, titled "Success": a newcomer's walk).
    assert "govuk-notification-banner--success" not in notice and "Important" in notice
    assert "govuk-notification-banner--success" in client.get("/sign-in?done=signed-out").text
    assert (signed_out.status_code, signed_out.headers["location"]) == (
        303,
        "/sign-in?done=signed-out",
    )
    assert public.status_code == 403  # a form anyone may send keeps its own refusal
    # Another site's page is not gone back to.
    elsewhere = client.post(
        "/cook/away",
        data={"csrf_token": "x"},
        headers={"Referer": "https://evil.example/cook/away"},
        follow_redirects=False,
    )
    assert elsewhere.headers["location"] == "/sign-in?done=ended"


def test_a_pages_link_to_the_api_followed_after_the_sign_in_ended_goes_to_sign_in(
    client: TestClient,
):
    """An outside check: "Print a label" showed {"detail":"Not signed in"} as a page, and
    "Download my data" failed without a word."""
    browser = {"Accept": "text/html,application/xhtml+xml,*/*;q=0.8"}
    for path in ("/api/meals/7/label", "/api/me/export"):
        followed = client.get(path, headers=browser, follow_redirects=False)
        assert followed.status_code == 303
        assert followed.headers["location"].startswith("/sign-in?done=again&next=%2Fapi%2F")
        assert client.get(path, headers={"Accept": "*/*"}).status_code == 401  # API clients
    page = client.get("/sign-in?done=again&next=%2Fapi%2Fme%2Fexport").text
    assert "Your sign-in has ended. Sign in to carry on." in page


def test_sign_in_is_refused_when_the_csrf_token_is_missing(client: TestClient, session: Session):
    user = create_user(session)
    form_token(client, "/sign-in")
    data = {"email": user.email, "password": DEFAULT_PASSWORD}
    response = client.post("/sign-in", data=data, follow_redirects=False)
    assert response.status_code == 403
    assert SESSION_COOKIE not in response.cookies


def test_sign_in_is_refused_when_the_token_comes_without_its_cookie(
    client: TestClient, session: Session
):
    user = create_user(session)
    token = form_token(client, "/sign-in")
    client.cookies.clear()  # another site's form: the browser sends no cookie of ours with it
    data = {"email": user.email, "password": DEFAULT_PASSWORD, "csrf_token": token}
    assert client.post("/sign-in", data=data, follow_redirects=False).status_code == 403


# --- sign out -------------------------------------------------------------------------------


def test_sign_out_ends_the_session_when_posted_with_its_token(client: TestClient, session: Session):
    user = create_user(session)
    sign_in(client, user.email)
    old_cookie = client.cookies[SESSION_COOKIE]
    response = post_form(client, "/sign-out", {}, page="/")
    assert response.status_code == 303
    assert response.headers["location"] == "/sign-in?done=signed-out"
    client.cookies.clear()
    client.cookies[SESSION_COOKIE] = old_cookie
    assert client.get("/api/me").status_code == 401


def test_sign_out_is_refused_when_the_token_is_missing(client: TestClient, session: Session):
    user = create_user(session)
    sign_in(client, user.email)
    assert client.post("/sign-out", follow_redirects=False).status_code == 403
    assert client.get("/api/me").status_code == 200


def test_the_sign_out_address_opened_directly_offers_the_button_and_signs_out_with_it(
    client: TestClient, session: Session
):
    """Typed or bookmarked, /sign-out was a 405 titled "Page not found": it is a page with the
    button now (a GET changes nothing), and the button signs out."""
    user = create_user(session)
    sign_in(client, user.email)
    page = client.get("/sign-out")
    assert page.status_code == 200 and title(page) == "Sign out – Extra Portion"
    assert user.email in page.text
    assert client.get("/api/me").status_code == 200  # opening it signed nobody out
    done = post_form(client, "/sign-out", {}, page="/sign-out")  # its own form's token
    assert (done.status_code, done.headers["location"]) == (303, "/sign-in?done=signed-out")
    assert client.get("/api/me").status_code == 401
    signed_out = client.get("/sign-out", follow_redirects=False)
    assert (signed_out.status_code, signed_out.headers["location"]) == (303, "/sign-in")


# --- forgotten and reset password -----------------------------------------------------------


def reset_link_token(session: Session, user: User) -> str:
    message = session.exec(
        select(Notification)
        .where(Notification.to_user_id == user.id, Notification.event == "password_reset")
        .order_by(col(Notification.id).desc())
    ).first()
    assert message is not None, "no reset message queued"
    match = re.search(r"/reset-password\?token=([\w-]+)", message.body)
    assert match
    return match.group(1)


def test_forgotten_password_asks_for_the_email_when_it_is_empty(client: TestClient):
    response = post_form(client, "/forgotten-password", {"email": ""})
    assert response.status_code == 422
    assert title(response).startswith("Error: ")
    assert summary_links(response.text) == [("#email", "Enter your email address")]


def test_forgotten_password_sends_a_link_and_says_so_when_the_account_exists(
    client: TestClient, session: Session
):
    user = create_user(session)
    response = post_form(client, "/forgotten-password", {"email": user.email.upper()})
    assert response.status_code == 303
    assert response.headers["location"] == "/forgotten-password/sent"
    assert session.exec(select(PasswordReset).where(PasswordReset.user_id == user.id)).first()
    assert reset_link_token(session, user)
    assert client.get("/forgotten-password/sent").status_code == 200


def test_forgotten_password_answers_the_same_when_no_account_has_the_email(
    client: TestClient,
):
    response = post_form(client, "/forgotten-password", {"email": "nobody@example.org"})
    assert response.status_code == 303
    assert response.headers["location"] == "/forgotten-password/sent"


def _main(html: str) -> str:
    found = re.search(r"<main.*?</main>", html, re.DOTALL)
    assert found
    return found.group()


def test_forgotten_password_says_when_to_ask_again_when_three_links_went_this_hour(
    client: TestClient, session: Session
):
    """It said "ask for a new link" after the third, which sent none; it reads the same, word
    for word, whether or not an account has the address."""
    pages = []
    for email in (create_user(session).email, "nobody@example.org"):
        for _ in range(3):
            sent = post_form(client, "/forgotten-password", {"email": email})
            assert sent.headers["location"] == "/forgotten-password/sent"
        assert 'href="/forgotten-password"' in _main(client.get("/forgotten-password/sent").text)

        fourth = post_form(client, "/forgotten-password", {"email": email})

        assert fourth.status_code == 303
        page = _main(client.get(fourth.headers["location"]).text)
        assert "You can ask for a new link in 60 minutes." in page
        assert 'href="/forgotten-password"' not in page  # none can be sent yet
        assert "ask for a new link</a>" not in page
        pages.append(page)
    assert pages[0] == pages[1]


def _wait_mark(at: int) -> str:
    return signed(str(at), purpose=RESET_WAIT, settings=TEST_SETTINGS)


def test_forgotten_password_offers_a_new_link_when_the_time_given_has_passed(client: TestClient):
    past = int(utcnow().timestamp()) - 1
    page = _main(client.get("/forgotten-password/sent", params={"again": _wait_mark(past)}).text)
    assert 'href="/forgotten-password"' in page
    assert "You can ask for a new link in" not in page


def test_a_wait_on_the_reset_page_that_we_did_not_give_is_not_shown(client: TestClient):
    """A diff review: anyone could send a link saying "ask again in 16,600,000,000 minutes"
    (`?again=999999999999`); only our own signed time is read, and never past an hour."""
    soon = int(utcnow().timestamp()) + 600
    signed_soon = _wait_mark(soon)
    for forged in ("999999999999", f"{soon + 86_400}.{signed_soon.split('.')[1]}", "x.y", "."):
        page = _main(client.get("/forgotten-password/sent", params={"again": forged}).text)
        assert "You can ask for a new link in" not in page, forged
        assert 'href="/forgotten-password"' in page
    shown = _main(client.get("/forgotten-password/sent", params={"again": signed_soon}).text)
    assert "You can ask for a new link in 10 minutes." in shown
    later = _wait_mark(soon + 86_400)  # ours, yet more than the hour a link lasts
    shown = _main(client.get("/forgotten-password/sent", params={"again": later}).text)
    assert "You can ask for a new link in 60 minutes." in shown


def test_reset_password_sets_the_new_password_when_the_link_is_fresh(
    client: TestClient, session: Session
):
    user = create_user(session)
    post_form(client, "/forgotten-password", {"email": user.email})
    token = reset_link_token(session, user)
    page = f"/reset-password?token={token}"
    response = post_form(
        client, "/reset-password", {"token": token, "new_password": NEW_PASSWORD}, page=page
    )
    assert response.status_code == 303 and response.headers["location"] == "/sign-in?done=reset"
    assert "Your password has been changed" in client.get("/sign-in?done=reset").text
    assert sign_in(client, user.email, NEW_PASSWORD).status_code == 303


def test_reset_password_keeps_the_link_and_says_why_when_the_password_is_weak(
    client: TestClient, session: Session
):
    user = create_user(session)
    post_form(client, "/forgotten-password", {"email": user.email})
    token = reset_link_token(session, user)
    page = f"/reset-password?token={token}"
    response = post_form(
        client, "/reset-password", {"token": token, "new_password": "short"}, page=page
    )
    assert response.status_code == 422
    assert summary_links(response.text) == [
        ("#new_password", "Password must be at least 10 characters")
    ]
    assert f'name="token" value="{token}"' in response.text


def test_reset_password_says_the_link_expired_when_it_was_already_used(
    client: TestClient, session: Session
):
    user = create_user(session)
    post_form(client, "/forgotten-password", {"email": user.email})
    token = reset_link_token(session, user)
    page = f"/reset-password?token={token}"
    data = {"token": token, "new_password": NEW_PASSWORD}
    assert post_form(client, "/reset-password", data, page=page).status_code == 303
    again = post_form(client, "/reset-password", data, page="/forgotten-password")
    assert again.status_code == 422
    assert "This link has expired or was already used" in again.text
    # Opened again, the link says so at once, not after a new password is typed.
    opened = client.get(page)
    assert "This link has expired or was already used" in opened.text
    assert 'name="new_password"' not in opened.text


@pytest.mark.parametrize("token", ["", "garbage", "a" * 300])
def test_a_reset_link_that_names_no_live_link_says_so_before_asking_for_a_password(
    client: TestClient, token: str
):
    opened = client.get("/reset-password", params={"token": token})

    assert "This link has expired or was already used" in opened.text
    assert 'name="new_password"' not in opened.text


# --- change password ------------------------------------------------------------------------


def test_change_password_sends_to_sign_in_when_not_signed_in(client: TestClient):
    response = client.get("/account/password", follow_redirects=False)
    assert response.status_code == 303
    assert response.headers["location"] == "/sign-in?next=/account/password"


def test_change_password_names_the_field_when_the_current_password_is_wrong(
    client: TestClient, session: Session
):
    user = create_user(session)
    sign_in(client, user.email)
    response = post_form(
        client,
        "/account/password",
        {"current_password": "not my password", "new_password": NEW_PASSWORD},
    )
    assert response.status_code == 422
    assert summary_links(response.text) == [
        ("#current_password", "Your current password is not right")
    ]
    assert NEW_PASSWORD not in response.text


def test_change_password_says_a_wrong_current_and_a_weak_new_password_at_once(
    client: TestClient, session: Session
):
    """An outside check: only "Password must be at least 10 characters" was said; the wrong
    current password came out on the next try."""
    user = create_user(session)
    sign_in(client, user.email)
    response = post_form(
        client,
        "/account/password",
        {"current_password": "not my password", "new_password": "short"},
    )
    assert response.status_code == 422
    assert summary_links(response.text) == [
        ("#current_password", "Your current password is not right"),
        ("#new_password", "Password must be at least 10 characters"),
    ]


def test_change_password_lists_both_errors_when_both_fields_are_empty(
    client: TestClient, session: Session
):
    user = create_user(session)
    sign_in(client, user.email)
    response = post_form(client, "/account/password", {"current_password": "", "new_password": ""})
    assert summary_links(response.text) == [
        ("#current_password", "Enter your current password"),
        ("#new_password", "Enter a new password"),
    ]


def test_change_password_changes_it_and_keeps_this_sign_in_when_the_current_one_is_right(
    client: TestClient, session: Session
):
    user = create_user(session)
    sign_in(client, user.email)
    response = post_form(
        client,
        "/account/password",
        {"current_password": DEFAULT_PASSWORD, "new_password": NEW_PASSWORD},
    )
    assert response.status_code == 303
    assert response.headers["location"] == "/account/password/changed"
    assert client.get("/account/password/changed").status_code == 200
    assert client.get("/api/me").status_code == 200
    client.cookies.clear()
    assert sign_in(client, user.email, NEW_PASSWORD).status_code == 303


def test_change_password_is_refused_when_the_token_is_missing(client: TestClient, session: Session):
    user = create_user(session)
    sign_in(client, user.email)
    data = {"current_password": DEFAULT_PASSWORD, "new_password": NEW_PASSWORD}
    assert client.post("/account/password", data=data).status_code == 403


def test_sign_in_page_shows_its_mistakes_not_busy_when_every_turn_to_hash_is_taken(
    client: TestClient, session: Session
):
    """Refused a turn to hash (a burst of sign-ins), a form with a mistake is shown again
    with it, as when the service is quiet; only a form that needs a hash is told to retry."""
    create_user(session, email="edna@example.org")
    token = form_token(client, "/sign-in")
    with every_hashing_turn_taken(client):
        mistake = client.post("/sign-in", data={"email": "edna@example.org", "csrf_token": token})
        complete = client.post(
            "/sign-in",
            data={"email": "edna@example.org", "password": DEFAULT_PASSWORD, "csrf_token": token},
            follow_redirects=False,
        )
    assert mistake.status_code == 422
    assert summary_links(mistake.text) == [("#password", "Enter your password")]
    assert complete.status_code == 503
    assert complete.headers["Retry-After"]
