"""What page tests share: reading a form's hidden token, the title and the scripts of a page."""

from __future__ import annotations

import re
from html import unescape

from fastapi.testclient import TestClient
from httpx import Response

PUBLIC_PAGES = ["/", "/privacy", "/accessibility", "/cookies", "/contact"]


def form_token(client: TestClient, path: str) -> str:
    """The CSRF token of the form on the page at `path` (the GET also sets the form cookie)."""
    page = client.get(path)
    assert page.status_code == 200, page.text
    match = re.search(r'name="csrf_token" value="([^"]+)"', page.text)
    assert match, f"no CSRF token on {path}"
    return match.group(1)


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
