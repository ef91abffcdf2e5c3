"""What every staff page shares: the signed-in staff member (with their council), the page
render in the staff layout, and paging for lists.

A staff page is for council staff only: nobody signed in goes to the sign-in page (and back
here after), another role gets 403. Every record a page reads is scoped to the staff member's
council by the services it calls; a record of another council is a 404, as in the API."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

from fastapi import Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlmodel import Session

from app.config import Settings
from app.deps import Auth
from app.errors import Forbidden
from app.models import User
from app.pages.cook_forms import to_sign_in
from app.pages.forms import render_page, signed_in, whole_number

PER_PAGE = 25
MAX_SEARCH = 100


@dataclass(frozen=True)
class StaffAuth:
    auth: Auth

    @property
    def user(self) -> User:
        return self.auth.user

    @property
    def council_id(self) -> int:
        return self.auth.user.council_id or 0


def staff_auth(request: Request, session: Session, settings: Settings) -> StaffAuth | Response:
    """The signed-in staff member, or the sign-in page's redirect (403 for another role)."""
    auth = signed_in(request, session, settings)
    if auth is None:
        return to_sign_in(request)
    if auth.user.role != "staff":
        raise Forbidden("These pages are for council staff")
    return StaffAuth(auth)


def render_staff(
    request: Request,
    session: Session,
    settings: Settings,
    name: str,
    context: Mapping[str, Any],
    *,
    staff: StaffAuth,
    status_code: int = 200,
) -> HTMLResponse:
    """A page in the staff layout (frontend/templates/staff/base.html): full width, the staff
    navigation in the header."""
    return render_page(
        request, session, settings, name, context, status_code=status_code, auth=staff.auth
    )


def search_text(request: Request) -> str:
    """What a list's search box asked for (?q=): its first 100 characters, the words
    single-spaced, without control or format characters (they match nothing, and PostgreSQL
    refuses a NUL)."""
    typed = request.query_params.get("q", "")[:MAX_SEARCH]
    return " ".join("".join(c for c in typed if c.isprintable() or c.isspace()).split())


@dataclass(frozen=True)
class Paging:
    """One page of a list: `page` counts from 1; `links` feeds GOV.UK's pagination macro."""

    page: int
    per_page: int = PER_PAGE

    @property
    def offset(self) -> int:
        return (self.page - 1) * self.per_page

    @classmethod
    def from_request(cls, request: Request, per_page: int = PER_PAGE) -> Paging:
        page = whole_number(request.query_params.get("page", "1"), max_digits=5) or 1
        return cls(page=page, per_page=per_page)

    def last_page(self, total: int) -> int:
        """How many pages `total` rows fill (an empty list has one page)."""
        return max(1, -(-total // self.per_page))

    def window_title(self, title: str, total: int, *, filtered: bool) -> str:
        """A list's title in the browser: how many a search or filter found, and which page
        (what a screen reader says first: a keyboard walk heard every search and page of a
        list titled alike)."""
        parts = [title]
        if filtered:
            parts.append(f"{total} found")
        if self.page > 1:
            parts.append(f"page {self.page} of {self.last_page(total)}")
        return ", ".join(parts)

    def past_the_end(self, request: Request, total: int) -> Response | None:
        """To the last page (303), the search, filters and sort kept, when this page is past it
        (a stale link, a list that shrank): rather than an empty list "showing 2451 to 2450"."""
        pages = self.last_page(total)
        if self.page <= pages:
            return None
        kept = [(k, v) for k, v in request.query_params.multi_items() if k != "page"]
        query = urlencode([*kept, *([("page", str(pages))] if pages > 1 else [])])
        return RedirectResponse(f"{request.url.path}{'?' + query if query else ''}", 303)

    def links(self, request: Request, total: int) -> dict[str, Any] | None:
        """The pagination macro's parameters (None when everything fits on one page): the
        other query parameters (search, filters, sort) are kept in every link."""
        pages = self.last_page(total)
        if pages == 1:
            return None
        kept = [(k, v) for k, v in request.query_params.multi_items() if k != "page"]

        def href(n: int) -> str:
            return f"{request.url.path}?{urlencode([*kept, ('page', str(n))])}"

        shown = sorted({1, pages, *range(max(1, self.page - 1), min(pages, self.page + 1) + 1)})
        items: list[dict[str, Any]] = []
        for i, n in enumerate(shown):
            if i and n - shown[i - 1] > 1:
                items.append({"ellipsis": True})
            items.append({"number": n, "href": href(n), "current": n == self.page})
        result: dict[str, Any] = {"items": items, "landmarkLabel": "Pages of this list"}
        if self.page > 1:
            result["previous"] = {"href": href(self.page - 1)}
        if self.page < pages:
            result["next"] = {"href": href(self.page + 1)}
        return result
