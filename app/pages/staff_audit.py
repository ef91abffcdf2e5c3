"""Staff pages: the audit log. The council's entries newest first, a page at a time, each with
who did it (by name), what, and the record it is about linked to its page
(app/moderation/audit_log.py reads them through the service behind GET /api/staff/audit)."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from app.councils.service import staff_council
from app.deps import SessionDep, SettingsDep
from app.moderation.audit_log import audit_page
from app.pages.forms import whole_number
from app.pages.staff_common import Paging, StaffAuth, render_staff, staff_auth
from app.routing import DeferredRoute

router = APIRouter(include_in_schema=False, route_class=DeferredRoute)


@router.get("/staff/audit.html")
def old_audit(page: str = "") -> RedirectResponse:
    query = f"?page={page}" if whole_number(page, max_digits=5) is not None else ""
    return RedirectResponse(f"/staff/audit{query}", status_code=301)


@router.get("/staff/audit", response_class=HTMLResponse)
def audit(request: Request, session: SessionDep, settings: SettingsDep) -> Response:
    sa = staff_auth(request, session, settings)
    if not isinstance(sa, StaffAuth):
        return sa
    tz = ZoneInfo(staff_council(session, sa.user).timezone)
    paging = Paging.from_request(request)
    lines, total = audit_page(session, staff=sa.user, limit=paging.per_page, offset=paging.offset)
    if moved := paging.past_the_end(request, total):
        return moved
    pages = paging.last_page(total)

    def when(at: datetime) -> str:
        local = at.astimezone(tz)
        return f"{local.day} {local:%b %Y}, {local:%H:%M}"

    context = {
        "title": "Audit log" if paging.page == 1 else f"Audit log, page {paging.page} of {pages}",
        "lines": lines,
        "total": total,
        "first": paging.offset + 1,
        "last": paging.offset + len(lines),
        "page": paging.page,
        "pages": pages,
        "pagination": paging.links(request, total),
        "when": when,
    }
    return render_staff(request, session, settings, "staff/audit.html", context, staff=sa)
