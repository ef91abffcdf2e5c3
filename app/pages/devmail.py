"""/dev/mail: the development mailbox as a page (404 unless PORTION_ENV=development, and to
any client but this machine)."""

from __future__ import annotations

import ipaddress
from urllib.parse import urlsplit

from fastapi import APIRouter, Request
from starlette.responses import HTMLResponse

from app.deps import SessionDep, SettingsDep, client_address
from app.errors import NotFound
from app.notifications.channels import chosen_provider, describe_delivery
from app.notifications.mailbox import read_mailbox
from app.pages.forms import render_page
from app.routing import DeferredRoute

router = APIRouter(include_in_schema=False, route_class=DeferredRoute)

SHOWN = 50
CHANNEL_NAMES = {"email": "Email", "sms": "Text message", "letter": "Letter"}


LOOPBACK_NAMES = frozenset({"localhost", "127.0.0.1", "::1"})


def _from_this_machine(request: Request, public_url: str) -> bool:
    """The mailbox holds every password reset link sent: a development server started on
    0.0.0.0 must not show them to the rest of the network, nor to a page of another site that
    points its own name at 127.0.0.1 (DNS rebinding: the browser sends that name as Host)."""
    if request.url.hostname not in LOOPBACK_NAMES | {urlsplit(public_url).hostname}:
        return False
    try:
        return ipaddress.ip_address(client_address(request)).is_loopback
    except ValueError:  # no address, or a name
        return False


@router.get("/dev/mail", response_class=HTMLResponse)
def dev_mail(request: Request, session: SessionDep, settings: SettingsDep) -> HTMLResponse:
    if settings.env != "development" or not _from_this_machine(request, settings.public_url):
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
