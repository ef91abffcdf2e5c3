"""The page templates: one Jinja2 environment with the GOV.UK Frontend macros, and render().

Templates live in frontend/templates; the macros of the `govuk-frontend-jinja` package are
imported as "govuk_frontend_jinja/components/<name>/macro.html". They target GOV.UK Frontend
6.3.0; the stylesheet served is the vendored 6.6.0 (a test checks that every class the pages
use is defined in it).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from fastapi import Request
from starlette.responses import HTMLResponse

if TYPE_CHECKING:
    from fastapi.templating import Jinja2Templates

TEMPLATES_DIR = Path(__file__).resolve().parents[2] / "frontend" / "templates"
SERVICE_NAME = "Extra Portion"
HOME_OF_ROLE = {"cook": "/cook/", "carer": "/carer/", "staff": "/staff/", "admin": "/admin/"}
NAV_OF_ROLE: dict[str, list[tuple[str, str]]] = {
    "": [
        ("/", "Home"),
        ("/cook/start", "Cook for a neighbour"),
        ("/carer/start", "Register a relative"),
        ("/sign-in", "Sign in"),
    ],
    "cook": [("/cook/", "My cooking"), ("/account/password", "Change password")],
    "carer": [("/carer/", "My relatives"), ("/account/password", "Change password")],
    # Staff work across these all day: one line on a desk, one scrolling row on a phone.
    "staff": [
        ("/staff/", "Home"),
        ("/staff/cooks", "Cooks"),
        ("/staff/diners", "Diners"),
        ("/staff/matching", "Matching"),
        ("/staff/concerns", "Concerns"),
        ("/staff/reports", "Reports"),
    ],
    "admin": [("/admin/", "Councils"), ("/account/password", "Change password")],
}
FOOTER_LINKS = [
    ("/privacy", "Privacy"),
    ("/accessibility", "Accessibility"),
    ("/cookies", "Cookies"),
    ("/contact", "Contact"),
    ("/about.html", "About, and the data we use"),
]


@cache
def templates() -> Jinja2Templates:
    """The one environment, made (and Jinja imported) when the first page is rendered: the
    health check, the API and the first request to them need none of it."""
    from fastapi.templating import Jinja2Templates
    from jinja2 import ChoiceLoader, Environment, FileSystemLoader, PackageLoader, PrefixLoader

    env = Environment(
        loader=ChoiceLoader(
            [
                FileSystemLoader(TEMPLATES_DIR),
                PrefixLoader({"govuk_frontend_jinja": PackageLoader("govuk_frontend_jinja")}),
            ]
        ),
        autoescape=True,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters["paragraphs"] = paragraphs
    return Jinja2Templates(env=env)


def paragraphs(text: str) -> list[list[str]]:
    """Text as typed, as paragraphs of lines: a blank line (or several, or one of spaces)
    between them, as a person writes them; for `<p>`s of lines with `<br>`s between, escaped
    by the template."""
    found = (part.strip("\n") for part in re.split(r"\n[^\S\n]*\n\s*", text.strip()))
    return [part.split("\n") for part in found if part.strip()]


# What makes a list's address another page of it: its page, search and filters (a banner's
# ?done= or ?saved= leaves the page what it is).
LIST_PARAMS = frozenset(
    ("page", "q", "sort", "status", "area", "needs", "cook", "diner", "checks", "location")
)


def _current(href: str, path: str, params: Iterable[str]) -> str | None:
    """A link's aria-current: "page" on the very page it opens; "true" on the other pages of
    its section ("/staff/cooks" on "/staff/cooks/7", or on a search or second page of it: two
    links were the current page there, the section's and the pagination's); else None."""
    if href == path:
        return "true" if LIST_PARAMS.intersection(params) else "page"
    return "true" if not href.endswith("/") and path.startswith(href + "/") else None


def home_of(role: str) -> str:
    """Where a signed-in person's own pages start."""
    return HOME_OF_ROLE.get(role, "/")


def landing(role: str, next_path: str | None) -> str:
    """Where someone goes once signed in: `next_path` (already checked to be ours), unless it
    is among another role's pages, which would only say "You cannot do this" (a carer sent on
    from a staff page: a newcomer's walk); else their own home. Its path is what counts:
    "/staff?from=email" is the staff pages too."""
    path = urlsplit(next_path).path if next_path else ""
    for other, home in HOME_OF_ROLE.items():
        if other != role and path and (path.startswith(home) or path == home[:-1]):
            return home_of(role)
    return next_path or home_of(role)


def csp_nonce(request: Request) -> str | None:
    """The nonce RequestMiddleware gave this response's Content-Security-Policy, if any."""
    return getattr(request.state, "csp_nonce", None)


def render(
    request: Request,
    name: str,
    context: Mapping[str, Any] | None = None,
    *,
    status_code: int = 200,
    role: str = "",
) -> HTMLResponse:
    """A page in the layout: `errors` (field → message, in form order) make the title start
    with "Error: " and fill the error summary; `role` picks the header's navigation."""
    values: dict[str, Any] = {"errors": {}, "values": {}, **(context or {})}
    values["error_list"] = [
        {"text": message, "href": f"#{field}"} for field, message in values["errors"].items()
    ]
    values.update(
        csp_nonce=csp_nonce(request),
        service_name=SERVICE_NAME,
        nav=[
            {
                "href": href,
                "text": text,
                "current": _current(href, request.url.path, request.query_params.keys()),
            }
            for href, text in NAV_OF_ROLE.get(role, NAV_OF_ROLE[""])
        ],
        signed_in=bool(role),
        nav_role=role or "public",
        footer_links=FOOTER_LINKS,
    )
    return templates().TemplateResponse(request, name, values, status_code=status_code)
