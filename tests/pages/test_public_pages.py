"""Public pages: the layout, the "do we run in your area?" check, error pages."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlmodel import Session, select

from app.errors import install_error_handlers
from app.models import AreaDemand, Council
from app.pages.errors import error_page
from app.pages.templating import FOOTER_LINKS
from tests.factories import create_council
from tests.pages.helpers import PUBLIC_PAGES, form_token, inline_scripts_without_the_nonce, title

VENDORED_CSS = (
    Path(__file__).resolve().parents[2] / "frontend/vendor/govuk-frontend/govuk-frontend.min.css"
)
HTML = {"Accept": "text/html,application/xhtml+xml"}


def named_council(session: Session, name: str, **fields: object) -> Council:
    council = create_council(session, **fields)  # type: ignore[arg-type]
    council.name = name
    session.add(council)
    session.flush()
    return council


@pytest.mark.parametrize("path", PUBLIC_PAGES)
def test_public_page_renders_in_the_layout_when_requested(client: TestClient, path: str):
    response = client.get(path)
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/html")
    text = response.text
    assert 'class="govuk-skip-link"' in text and 'href="#main-content"' in text
    assert '<main class="govuk-main-wrapper" id="main-content"' in text
    assert title(response).endswith("– Extra Portion")
    assert not title(response).startswith("Error:")
    for link in ("/privacy", "/accessibility", "/cookies", "/contact"):
        assert f'class="govuk-footer__link" href="{link}"' in text
    assert inline_scripts_without_the_nonce(response) == []
    # The one inline script (GOV.UK's js-enabled line) runs under the page's CSP nonce.
    assert "js-enabled" in text and "'nonce-" in response.headers["content-security-policy"]


@pytest.mark.parametrize("path", ["/index.html", "/sign-in.html"])
def test_a_static_page_has_the_footer_of_the_rendered_ones(client: TestClient, path: str):
    """Files served as they are keep their own copy of the footer: it lacked the privacy
    notice, the accessibility statement, cookies and contact (a browser walk)."""
    text = client.get(path).text
    footer = text[text.index('<footer class="govuk-footer') :]
    links = re.findall(r'class="govuk-footer__link" href="([^"]+)">([^<]+)</a>', footer)
    assert [(href, words) for href, words in links if href != "/"] == FOOTER_LINKS


def test_home_names_the_councils_when_they_run_the_service(client: TestClient, session: Session):
    named_council(session, "Reigate and Banstead", lad_codes=["E07000211"])
    named_council(session, "Barnet Council")
    text = client.get("/").text
    assert "Extra Portion is run by" in text
    assert "<strong>Barnet Council</strong> and <strong>Reigate and Banstead</strong>" in text


def test_area_check_names_the_council_when_postcode_is_in_its_area(
    client: TestClient, session: Session
):
    named_council(session, "Barnet Council", lad_codes=["E09000003"])
    token = form_token(client, "/")
    response = client.post("/check-your-area", data={"postcode": "n31ht", "csrf_token": token})
    assert response.status_code == 200
    assert title(response).startswith("We run in your area")
    expected = 'Barnet Council runs Extra Portion for <strong class="ep-nowrap">N3 1HT</strong>'
    assert expected in response.text
    # A start page linked with the postcode fills it in (it was thrown away: an outside check).
    start = client.get("/cook/start?postcode=N3%201HT").text
    assert 'value="N3 1HT"' in start
    assert 'value="N3 1HT"' in client.get("/carer/start?postcode=N3%201HT").text


def test_area_check_sends_the_browser_to_the_answers_own_address_when_the_postcode_is_good(
    client: TestClient, session: Session
):
    """Answering the POST itself made Back from the next page ask to send the form again, and
    the answer had no address to reload (a newcomer's walk)."""
    named_council(session, "Barnet Council", lad_codes=["E09000003"])
    token = form_token(client, "/")
    sent = client.post(
        "/check-your-area",
        data={"postcode": "n31ht", "csrf_token": token},
        follow_redirects=False,
    )
    assert sent.status_code == 303
    assert sent.headers["location"] == "/check-your-area?postcode=N3+1HT"
    answer = client.get(sent.headers["location"])
    assert answer.status_code == 200
    assert title(answer).startswith("We run in your area")
    assert 'Barnet Council runs Extra Portion for <strong class="ep-nowrap">N3 1HT</strong>' in (
        answer.text
    )


def test_area_answer_notes_the_district_once_when_it_is_shown_again(
    client: TestClient, session: Session
):
    create_council(session, slug="barnet", lad_codes=["E09000003"])
    token = form_token(client, "/")
    client.post("/check-your-area", data={"postcode": "M1 1AE", "csrf_token": token})
    again = client.get("/check-your-area?postcode=M1+1AE")  # Back, or a reload
    assert again.status_code == 200
    assert title(again).startswith("We do not run in your area yet")
    demand = session.exec(select(AreaDemand)).all()
    assert [(d.district, d.role) for d in demand] == [("M1", "visitor")]


def test_area_answer_address_alone_leads_to_the_home_pages_form_when_opened(client: TestClient):
    """It answered 405 "This address is only for sending a form" (a newcomer's walk)."""
    response = client.get("/check-your-area", follow_redirects=False)
    assert response.status_code == 303 and response.headers["location"] == "/"


def test_area_answer_shows_the_error_beside_the_field_when_its_address_has_a_bad_postcode(
    client: TestClient,
):
    response = client.get("/check-your-area?postcode=12345")
    assert response.status_code == 422
    assert title(response).startswith("Error: ")
    summary = re.search(r'<div class="govuk-error-summary.*?</ul>', response.text, re.DOTALL)
    assert summary and '<a href="#postcode">Enter a real postcode, like N3 1HT</a>' in (
        summary.group()
    )
    assert 'value="12345"' in response.text


def _start_form(html: str) -> tuple[str, dict[str, str], list[tuple[str, str]]]:
    """The answer page's form: its action, its hidden fields, and each button's words and the
    address it sends the form to."""
    form = re.search(r'<form method="post" action="([^"]+)"[^>]*>(.*?)</form>', html, re.DOTALL)
    assert form, "no form on the answer page"
    hidden = dict(re.findall(r'<input type="hidden" name="([^"]+)" value="([^"]*)">', form[2]))
    buttons = []
    for tag, words in re.findall(r"(<button[^>]*>)(.*?)</button>", form[2], re.DOTALL):
        target = re.search(r'formaction="([^"]+)"', tag)
        buttons.append((" ".join(words.split()), target[1] if target else form[1]))
    return form[1], hidden, buttons


def test_area_answer_starts_each_sign_up_with_the_postcode_checked_when_a_button_is_pressed(
    client: TestClient, session: Session
):
    """Its "Sign up to cook" led to a start page that asked for the postcode again (a newcomer's
    walk): each button sends the postcode checked, and the sign-up goes on from there."""
    named_council(session, "Barnet Council", lad_codes=["E09000003"])
    answer = client.get("/check-your-area?postcode=N3+1HT").text
    _, hidden, buttons = _start_form(answer)
    assert hidden["postcode"] == "N3 1HT"
    assert buttons == [
        ("Sign up to cook for a neighbour", "/cook/start"),
        ("Register an older relative for meals", "/carer/start"),
    ]
    for (_, target), following in zip(buttons, ["/cook/sign-up", "/carer/sign-up"], strict=True):
        sent = client.post(target, data=hidden, follow_redirects=False)
        assert sent.status_code == 303 and sent.headers["location"] == following
        assert "N3 1HT" in client.get(following).text


def test_area_answer_offers_each_waiting_list_with_the_postcode_when_we_do_not_run_there(
    client: TestClient, session: Session
):
    create_council(session, slug="barnet", lad_codes=["E09000003"])
    answer = client.get("/check-your-area?postcode=M1+1AE").text
    _, hidden, buttons = _start_form(answer)
    assert hidden["postcode"] == "M1 1AE"
    assert buttons == [
        ("Join as someone who would cook", "/cook/start"),
        ("Join for an older relative", "/carer/start"),
    ]
    for (_, target), following in zip(buttons, ["/cook/not-yet", "/carer/not-yet"], strict=True):
        sent = client.post(target, data=hidden, follow_redirects=False)
        assert sent.status_code == 303 and sent.headers["location"] == following


def test_area_check_says_not_yet_and_notes_the_district_when_outside_every_area(
    client: TestClient, session: Session
):
    create_council(session, slug="barnet", lad_codes=["E09000003"])
    token = form_token(client, "/")
    response = client.post("/check-your-area", data={"postcode": "M1 1AE", "csrf_token": token})
    assert response.status_code == 200
    assert title(response).startswith("We do not run in your area yet")
    assert '<strong class="ep-nowrap">M1 1AE</strong>' in response.text
    demand = session.exec(select(AreaDemand)).all()
    assert [(d.district, d.role) for d in demand] == [("M1", "visitor")]


@pytest.mark.parametrize("path", ["/", "/cook/start", "/carer/start"])
def test_postcode_check_reads_a_postcode_pasted_with_an_invisible_character(
    client: TestClient, session: Session, path: str
):
    """ "\u200bN3 1HT " (a zero-width space copied along) was answered "Enter a real postcode,
    like N3 1HT", which the person could not act on (a newcomer's walk)."""
    named_council(session, "Barnet Council", lad_codes=["E09000003"])
    token = form_token(client, path)
    sent = client.post(
        "/check-your-area" if path == "/" else path,
        data={"postcode": "\u200bN3\u00a01HT\ufeff ", "csrf_token": token},
        follow_redirects=False,
    )
    assert sent.status_code == 303, sent.text
    assert sent.headers["location"] in (
        "/check-your-area?postcode=N3+1HT",
        "/cook/sign-up",
        "/carer/sign-up",
    )
    assert "N3 1HT" in client.get(sent.headers["location"]).text


@pytest.mark.parametrize(
    ("typed", "message"),
    [
        ("", "Enter a postcode"),
        ("12345", "Enter a real postcode, like N3 1HT"),
        ("N3" * 30, "Enter a real postcode, like N3 1HT"),
    ],
)
def test_area_check_shows_the_error_and_keeps_the_text_when_postcode_is_wrong(
    client: TestClient, typed: str, message: str
):
    token = form_token(client, "/")
    response = client.post("/check-your-area", data={"postcode": typed, "csrf_token": token})
    assert response.status_code == 422
    assert title(response).startswith("Error: ")
    summary = re.search(r'<div class="govuk-error-summary.*?</ul>', response.text, re.DOTALL)
    assert summary and f'<a href="#postcode">{message}</a>' in summary.group()
    assert f'<span class="govuk-visually-hidden">Error:</span> {message}' in response.text
    assert f'value="{typed}"' in response.text or not typed


def test_area_check_is_refused_when_the_csrf_token_is_missing_or_wrong(client: TestClient):
    form_token(client, "/")  # the form cookie is set: only the token is missing
    assert client.post("/check-your-area", data={"postcode": "N3 1HT"}).status_code == 403
    response = client.post("/check-your-area", data={"postcode": "N3 1HT", "csrf_token": "x"})
    assert response.status_code == 403


def test_area_check_is_refused_when_the_form_cookie_is_missing(client: TestClient):
    token = form_token(client, "/")
    client.cookies.clear()
    response = client.post("/check-your-area", data={"postcode": "N3 1HT", "csrf_token": token})
    assert response.status_code == 403


def test_missing_page_is_an_html_page_in_the_layout_when_path_is_not_api(client: TestClient):
    response = client.get("/no-such-page", headers=HTML)
    assert response.status_code == 404
    assert response.headers["content-type"].startswith("text/html")
    assert title(response) == "Page not found – Extra Portion"
    assert "If you typed the web address, check it is correct." in response.text


def test_missing_api_path_stays_json_when_a_browser_asks(client: TestClient):
    response = client.get("/api/no-such-thing", headers=HTML)
    assert response.status_code == 404
    assert response.json() == {"detail": "Not Found"}


def test_missing_page_is_json_when_the_client_asks_for_json(client: TestClient):
    response = client.get("/no-such-page", headers={"Accept": "application/json"})
    assert response.status_code == 404 and response.json() == {"detail": "Not Found"}


def _app_with_a_bug() -> FastAPI:
    app = FastAPI()
    install_error_handlers(app, error_page=error_page)

    @app.get("/broken")
    def broken() -> None:
        raise RuntimeError("a bug")

    @app.get("/api/broken")
    def api_broken() -> None:
        raise RuntimeError("a bug")

    return app


def test_bug_is_an_html_500_page_without_details_when_path_is_a_page():
    client = TestClient(_app_with_a_bug(), raise_server_exceptions=False)
    response = client.get("/broken", headers=HTML)
    assert response.status_code == 500
    assert title(response) == "Sorry, there is a problem with the service – Extra Portion"
    assert "a bug" not in response.text
    api = client.get("/api/broken", headers=HTML)
    assert api.status_code == 500 and api.json() == {"detail": "Internal Server Error"}


def test_every_govuk_class_the_pages_use_is_in_the_vendored_stylesheet(client: TestClient):
    """The macros target GOV.UK Frontend 6.3.0; the stylesheet is 6.6.0: nothing goes missing."""
    css = VENDORED_CSS.read_text()
    pages = [client.get(path).text for path in PUBLIC_PAGES]
    token = form_token(client, "/")
    pages.append(client.post("/check-your-area", data={"postcode": "", "csrf_token": token}).text)
    pages.append(client.get("/no-such-page", headers=HTML).text)
    used = set()
    for text in pages:
        for classes in re.findall(r'class="([^"]*)"', text):
            used |= {c for c in classes.split() if c.startswith("govuk-")}
    # Hooks and page-level classes GOV.UK Frontend sets without styling them itself.
    unstyled = {"govuk-template__body", "govuk-table__body", "govuk-table__row"}
    missing = sorted(c for c in used - unstyled if f".{c}" not in css)
    assert missing == []


def test_cookies_page_names_the_session_csrf_and_form_cookies_when_shown(client: TestClient):
    text = client.get("/cookies").text
    for name in ("portion_session", "portion_csrf", "portion_form"):
        assert f'<th scope="row" class="govuk-table__header">{name}</th>' in text
    assert text.count('data-label="Purpose"') == 3 and text.count('data-label="Expires"') == 3


def test_page_templates_are_not_served_when_asked_for_by_path(client: TestClient):
    for path in ("/templates/base.html", "/templates/pages/home.html", "/templates/../index.html"):
        response = client.get(path)
        assert "{%" not in response.text and "{{" not in response.text, path
    assert client.get("/templates/base.html").status_code == 404


def test_vendored_stylesheet_names_no_brand_font_file_when_shipped():
    # The GDS Transport files are not shipped: a face pointing at them would be fetched (and
    # 404) whenever a page renders before app.css has replaced it.
    assert "/assets/fonts/" not in VENDORED_CSS.read_text()
