"""What page tests share: signing in through the page, reading a form's hidden token, the title
and the scripts of a page."""

from __future__ import annotations

import re
from html import unescape
from html.parser import HTMLParser

from fastapi.testclient import TestClient
from httpx import Response

from app.models import User
from tests.factories import DEFAULT_PASSWORD, PairingWorld, cook_payload

PUBLIC_PAGES = ["/", "/privacy", "/accessibility", "/cookies", "/contact"]


def form_token(client: TestClient, path: str) -> str:
    """The CSRF token of the form on the page at `path` (the GET also sets the form cookie)."""
    page = client.get(path)
    assert page.status_code == 200, page.text
    match = re.search(r'name="csrf_token" value="([^"]+)"', page.text)
    assert match, f"no CSRF token on {path}"
    return match.group(1)


def sign_in(client: TestClient, user: User) -> str:
    """`user` signed in through the sign-in page (the client keeps the cookie); returns where
    the sign-in sends them."""
    token = form_token(client, "/sign-in")
    done = client.post(
        "/sign-in",
        data={"email": user.email, "password": DEFAULT_PASSWORD, "csrf_token": token},
        follow_redirects=False,
    )
    assert done.status_code == 303, done.text
    return str(done.headers["location"])


def text_of(html: str) -> str:
    """The page's words, tags dropped and spaces collapsed (what a person reads)."""
    return " ".join(unescape(re.sub(r"<[^>]+>", " ", html)).split())


def moved_to_tower_hamlets(client: TestClient, world: PairingWorld) -> None:
    """The pairing's cook moves to Tower Hamlets (E14 5AB, a new phone number), as they do:
    their own profile saved with the new postcode."""
    moved = client.put(
        "/api/cooks/me",
        json=cook_payload(postcode="E14 5AB", phone="020 7946 0999"),
        headers=world.cook_headers,
    )
    assert moved.status_code == 200 and moved.json()["council"] == "tower-hamlets"


def every_link_opens(client: TestClient, html: str) -> list[str]:
    """Follow each of the page's links within the site as its viewer, and return them: each
    must answer 200 (a link to a record the viewer may not see answers 404)."""
    links = sorted({unescape(href) for href in re.findall(r'<a [^>]*href="(/[^"#]*)', html)})
    for link in links:
        assert client.get(link).status_code == 200, link
    return links


def title(response: Response) -> str:
    match = re.search(r"<title[^>]*>(.*?)</title>", response.text, flags=re.DOTALL)
    assert match, "no <title>"
    return " ".join(match.group(1).split())


def textarea(html: str, name: str) -> str:
    """The text a page's <textarea name=`name`> holds, unescaped."""
    found = re.search(rf'<textarea[^>]*name="{name}"[^>]*>(.*?)</textarea>', html, re.DOTALL)
    assert found, f"no textarea {name}"
    return unescape(found.group(1)).lstrip("\n")  # a newline after the tag is not text


def marked_boxes(html: str) -> list[str]:
    """The ids of the inputs styled as wrong (govuk-input--error), in the page's order."""
    return re.findall(r'<input class="[^"]*\bgovuk-input--error\b[^"]*" id="([^"]+)"', html)


def inline_scripts_without_the_nonce(response: Response) -> list[str]:
    """Every <script> tag with a body that does not carry the response's CSP nonce."""
    policy = response.headers.get("content-security-policy", "")
    nonce = re.search(r"'nonce-([^']+)'", policy)
    bad = []
    for tag, body in re.findall(r"(<script[^>]*>)(.*?)</script>", response.text, re.DOTALL):
        if "src=" in tag:
            continue
        if not nonce or f'nonce="{nonce.group(1)}"' not in tag or not body.strip():
            bad.append(tag + body)
    return bad


class _FormAnswers(HTMLParser):
    """What a browser would send for the page's forms as they stand: text inputs' values,
    ticked boxes and chosen radios, selected options and textareas (no hidden csrf_token)."""

    def __init__(self) -> None:
        super().__init__()
        self.answers: list[tuple[str, str]] = []
        self._select: str | None = None
        self._textarea: str | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {k: v or "" for k, v in attrs}
        name = a.get("name", "")
        if tag == "input" and name and name != "csrf_token":
            kind = a.get("type", "text")
            if kind in ("checkbox", "radio"):
                if "checked" in a:
                    self.answers.append((name, a.get("value", "on")))
            elif kind not in ("submit", "button"):
                self.answers.append((name, a.get("value", "")))
        elif tag == "select":
            self._select = name
        elif tag == "option" and self._select and "selected" in a:
            self.answers.append((self._select, a.get("value", "")))
        elif tag == "textarea" and name:
            self._textarea = name
            self.answers.append((name, ""))

    def handle_endtag(self, tag: str) -> None:
        if tag == "select":
            self._select = None
        elif tag == "textarea":
            self._textarea = None

    def handle_data(self, data: str) -> None:
        if self._textarea is not None:
            name, text = self.answers[-1]
            self.answers[-1] = (name, text + data)


def form_answers(html: str) -> dict[str, str | list[str]]:
    """The answers the page's form holds (a field given more than once: a list)."""
    reader = _FormAnswers()
    reader.feed(html)
    found: dict[str, str | list[str]] = {}
    for name, value in reader.answers:
        if name in found:
            before = found[name]
            found[name] = [*(before if isinstance(before, list) else [before]), value]
        else:
            found[name] = value
    return found
