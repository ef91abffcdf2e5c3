"""/dev/mail: the development mailbox as a page (404 unless PORTION_ENV=development)."""

from __future__ import annotations

from fastapi import APIRouter, Request
from starlette.responses import HTMLResponse

from app.deps import SessionDep, SettingsDep
from app.errors import NotFound
from app.notifications.channels import chosen_provider, describe_delivery
from app.notifications.mailbox import read_mailbox
from app.pages.forms import render_page
from app.routing import DeferredRoute

router = APIRouter(include_in_schema=False, route_class=DeferredRoute)

SHOWN = 50
CHANNEL_NAMES = {"email": "Email", "sms": "Text message", "letter": "Letter"}


@router.get("/dev/mail", response_class=HTMLResponse)
def dev_mail(request: Request, session: SessionDep, settings: SettingsDep) -> HTMLResponse:
    if settings.env != "development":
        raise NotFound("Page not found")
    messages = read_mailbox(settings.mailbox_dir, limit=SHOWN)
    context = {
        "title": "Mail sent in development",
        "messages": messages,
        "shown": SHOWN,
        "channel_names": CHANNEL_NAMES,
        "delivery": describe_delivery(settings),
        "uses_mailbox": chosen_provider(settings) == "mailbox",
        "mailbox_dir": str(settings.mailbox_dir),
    }
    return render_page(request, session, settings, "dev/mail.html", context)
