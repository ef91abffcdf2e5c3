"""HTTP routes for a cook's private calendar feed."""

from __future__ import annotations

from fastapi import APIRouter, Response
from pydantic import BaseModel, Field

from app.deps import CookUser, SessionDep, SettingsDep
from app.notifications import feeds
from app.routing import DeferredRoute

router = APIRouter(tags=["calendar"], route_class=DeferredRoute)

CALENDAR_TYPE = "text/calendar; charset=utf-8"


class CalendarLinkOut(BaseModel):
    url: str = Field(description="Secret subscription URL; anyone holding it sees the meals")


@router.get(
    feeds.FEED_PATH,
    response_class=Response,
    responses={
        200: {
            "description": "The cook's meals as an iCalendar feed (RFC 5545)",
            "content": {"text/calendar": {"schema": {"type": "string"}}},
        },
        404: {"description": "Unknown or revoked token"},
    },
)
def get_calendar_feed(token: str, session: SessionDep) -> Response:
    """A cook's meals, for calendar apps to subscribe to (public, by secret token)."""
    body = feeds.calendar_for_token(session, token=token)
    return Response(
        body,
        media_type=CALENDAR_TYPE,
        headers={"Cache-Control": "private, max-age=300", "Referrer-Policy": "no-referrer"},
    )


@router.post("/api/cooks/me/calendar", response_model=CalendarLinkOut)
def rotate_my_calendar(
    user: CookUser, session: SessionDep, settings: SettingsDep
) -> CalendarLinkOut:
    """Create the cook's feed URL, or replace it (the old URL stops working)."""
    url = feeds.feed_url(settings.public_url, feeds.rotate_calendar_token(session, user=user))
    assert url is not None
    return CalendarLinkOut(url=url)


@router.delete("/api/cooks/me/calendar", status_code=204)
def revoke_my_calendar(user: CookUser, session: SessionDep) -> None:
    """Turn the cook's feed off."""
    feeds.revoke_calendar_token(session, user=user)
