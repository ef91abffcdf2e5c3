"""What every response does, whatever the endpoint: body cap, security headers, request log."""

from __future__ import annotations

import logging
import re
from collections.abc import Iterator
from datetime import date
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from uvicorn.middleware.proxy_headers import ProxyHeadersMiddleware

from app.meals.labels import meal_label
from app.middleware import inline_style_hashes, relative_location

FRONTEND = Path(__file__).resolve().parent.parent / "frontend"
MIB = 1024 * 1024


def _directives(policy: str) -> dict[str, list[str]]:
    parts = (d.split() for d in policy.split(";") if d.strip())
    return {words[0]: words[1:] for words in parts}


def test_body_over_1_mib_is_413_when_content_length_declares_it(client: TestClient):
    response = client.post(
        "/api/auth/register",
        content=b"{" + b" " * (2 * MIB) + b"}",
        headers={"Content-Type": "application/json"},
    )
    assert response.status_code == 413
    assert response.json() == {"detail": "The request body is larger than 1 MiB"}
    assert response.headers["x-content-type-options"] == "nosniff"


def test_body_over_1_mib_is_413_when_streamed_without_content_length(client: TestClient):
    def chunks() -> Iterator[bytes]:
        yield b'{"email": "'
        for _ in range(32):
            yield b"a" * (64 * 1024)
        yield b'"}'

    response = client.post(
        "/api/auth/register", content=chunks(), headers={"Content-Type": "application/json"}
    )
    assert response.request.headers.get("transfer-encoding") == "chunked"
    assert "content-length" not in response.request.headers
    assert response.status_code == 413
    assert response.json() == {"detail": "The request body is larger than 1 MiB"}


def test_a_form_over_1_mib_from_a_browser_gets_the_error_page_not_json(client: TestClient):
    """A 1.2 MB note pasted into a staff form showed the browser raw JSON (an outside check)."""
    response = client.post(
        "/staff/concerns/5",
        content=b"note=" + b"a" * (MIB + 200_000),
        headers={
            "Content-Type": "application/x-www-form-urlencoded",
            "Accept": "text/html,application/xhtml+xml",
        },
    )

    assert response.status_code == 413
    assert response.headers["content-type"].startswith("text/html")
    assert '<h1 class="govuk-heading-l">What you sent is too large</h1>' in response.text
    assert "shorten what you typed and send it again" in response.text
    assert "content-security-policy" in response.headers


def test_body_just_under_the_cap_is_validated_as_usual_when_posted(client: TestClient):
    padded = b'{"email": "' + b"a" * (MIB - 100) + b'"}'
    response = client.post(
        "/api/auth/register", content=padded, headers={"Content-Type": "application/json"}
    )
    assert response.status_code == 422


@pytest.mark.parametrize("path", ["/healthz", "/api/nothing-here", "/api/me"])
def test_api_response_carries_security_headers_when_answered(client: TestClient, path: str):
    response = client.get(path)
    assert response.headers["x-content-type-options"] == "nosniff"
    assert response.headers["referrer-policy"] in ("strict-origin-when-cross-origin", "same-origin")
    assert len(response.headers["x-request-id"]) == 32


@pytest.mark.parametrize("path", ["/sign-in", "/healthz", "/api/me", "/reset-password?token=x"])
def test_pages_and_answers_are_not_kept_by_the_browser_when_served(client: TestClient, path: str):
    """A security review: pages with people's addresses and one-time links had no caching
    rule, so a shared computer's browser (or a proxy) could keep a copy."""
    assert client.get(path).headers.get_list("cache-control") == ["no-store"]


def test_static_files_keep_their_caching_when_served(client: TestClient):
    css = client.get("/css/app.css")
    assert css.status_code == 200 and "no-store" not in css.headers.get("cache-control", "")


@pytest.mark.parametrize(
    ("path", "to"), [("/cook", "/cook/"), ("/api/staff/cooks/", "/api/staff/cooks")]
)
def test_an_added_or_dropped_slash_redirects_on_the_site_whatever_host_the_client_names(
    client: TestClient, path: str, to: str
):
    # Starlette builds this redirect from the Host header: a cache or proxy passing any Host
    # could keep a redirect to another site (an outside check).
    for host in ("evil.example", "testserver"):
        response = client.get(path, headers={"Host": host}, follow_redirects=False)
        assert response.status_code == 307
        assert response.headers["location"] == to


def test_a_redirect_elsewhere_keeps_its_address_when_it_names_another_host():
    assert relative_location(b"https://other.example/x", b"site.example") == (
        b"https://other.example/x"
    )
    assert relative_location(b"http://site.example.evil/x", b"site.example") == (
        b"http://site.example.evil/x"
    )
    assert relative_location(b"http://Site.example:8000", b"site.example:8000") == b"/"


@pytest.mark.parametrize("scheme", ["https", "wss", "ws"])
def test_a_slash_redirect_stays_relative_whatever_scheme_a_trusted_proxy_names(
    client: TestClient, scheme: str
):
    # uvicorn takes X-Forwarded-Proto from a trusted proxy as the scheme, "wss" too: such a
    # Location kept the client's Host (an outside check).
    behind_proxy = TestClient(ProxyHeadersMiddleware(client.app, trusted_hosts="*"))
    headers = {"Host": "evil.example", "X-Forwarded-Proto": scheme}
    response = behind_proxy.get("/cook", headers=headers, follow_redirects=False)
    assert response.status_code == 307 and response.headers["location"] == "/cook/"


@pytest.mark.parametrize("path", ["/%2Fevil.example%2F..", "/%2Fevil.example/%2E%2E"])
def test_a_slash_redirect_of_a_path_with_encoded_slashes_stays_on_the_site(
    client: TestClient, path: str
):
    # Starlette redirects the decoded path: cut to "//evil.example/../", a browser would go to
    # evil.example (a review of the rewrite above).
    response = client.get(path, follow_redirects=False)
    assert response.status_code == 307
    location = response.headers["location"]
    assert location.startswith("/") and not location.startswith(("//", "/\\")), location


def test_each_request_gets_its_own_id_when_repeated(client: TestClient):
    ids = {client.get("/healthz").headers["x-request-id"] for _ in range(3)}
    assert len(ids) == 3


@pytest.mark.parametrize("path", ["/", "/sign-in.html", "/staff/", "/cook/index.html"])
def test_html_page_has_strict_csp_when_served(client: TestClient, path: str):
    response = client.get(path)
    assert response.status_code == 200 and response.headers["content-type"].startswith("text/html")
    assert response.headers["x-content-type-options"] == "nosniff"
    assert "referrer-policy" in response.headers
    policy = _directives(response.headers["content-security-policy"])
    assert policy["frame-ancestors"] == ["'none'"]
    assert policy["default-src"] == ["'self'"]
    assert policy["script-src"][0] == "'self'" and len(policy["script-src"]) == 2
    assert policy["script-src"][1].startswith("'nonce-")  # only for a rendered page's js-enabled
    assert policy["object-src"] == ["'none'"]
    assert policy["base-uri"] == ["'self'"] and policy["form-action"] == ["'self'"]
    assert "'unsafe-inline'" not in policy["style-src"]


def test_script_nonce_changes_with_every_page_when_served(client: TestClient):
    nonces = {
        _directives(client.get("/").headers["content-security-policy"])["script-src"][1]
        for _ in range(3)
    }
    assert len(nonces) == 3


def test_json_response_has_no_page_policy_when_answered(client: TestClient):
    assert "content-security-policy" not in client.get("/healthz").headers


def test_api_docs_keep_working_with_their_own_unframeable_policy_when_served(client: TestClient):
    response = client.get("/docs")
    assert response.status_code == 200
    policy = _directives(response.headers["content-security-policy"])
    assert policy["frame-ancestors"] == ["'none'"] and policy["object-src"] == ["'none'"]


def test_meal_label_style_is_allowed_by_the_page_policy_when_printed(
    client: TestClient,
):
    label = meal_label(
        first_name="Ada",
        diets=["halal"],
        allergies=["milk"],
        texture="pureed",
        cooked_on=date(2031, 3, 4),
    )
    hashes = inline_style_hashes(label)
    assert hashes, "the label has its own <style>"
    style_src = _directives(client.get("/").headers["content-security-policy"])["style-src"]
    assert set(hashes) <= set(style_src)


@pytest.mark.parametrize(
    "page", sorted(FRONTEND.rglob("*.html")), ids=lambda p: str(p.relative_to(FRONTEND))
)
def test_page_has_nothing_inline_that_the_policy_would_block_when_shipped(page: Path):
    html = page.read_text()
    # A data block (type="application/json", e.g. the reports' figures for the charts) is
    # never run, so the policy does not apply to it; any other inline script would be blocked.
    assert not re.search(r"<script(?![^>]*\bsrc=)(?![^>]*type=\"application/json\")[^>]*>", html), (
        "inline <script>"
    )
    assert "<style" not in html and not re.search(r"\sstyle=", html), "inline style"
    assert not re.search(r"\son[a-z]+=", html), "inline event handler"
    assert "javascript:" not in html


def test_request_log_names_the_route_template_not_the_path_when_logged(
    client: TestClient, caplog: pytest.LogCaptureFixture
):
    with caplog.at_level(logging.INFO, logger="portion.request"):
        client.get("/api/staff/diners/987654?secret=abc")
        client.get("/sign-in.html?next=/private")
    lines = [r.getMessage() for r in caplog.records if r.name == "portion.request"]
    assert lines[0].startswith("GET /api/staff/diners/{diner_id} 401 ")
    assert lines[1].startswith("GET static 200 ")
    assert not any("987654" in line or "secret" in line or "private" in line for line in lines)


@pytest.mark.parametrize(
    ("path", "status"), [("/sign-in", 200), ("/", 200), ("/healthz", 200), ("/api/me", 401)]
)
def test_head_answers_as_get_does_without_the_body(client: TestClient, path: str, status: int):
    # FastAPI gives its routes no HEAD: every page answered 405 with no Allow header, which
    # an uptime monitor reads as down (an outside check).
    got = client.get(path)
    head = client.head(path)
    assert head.status_code == got.status_code == status
    assert head.content == b""
    assert head.headers["content-type"] == got.headers["content-type"]


def test_a_method_a_path_lacks_names_head_among_those_it_has(client: TestClient):
    answered = client.delete("/api/cooks/me/meals")
    assert answered.status_code == 405
    assert answered.headers["allow"] == "GET, HEAD"
