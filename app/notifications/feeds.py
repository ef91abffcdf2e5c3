"""A cook's private calendar feed: its secret token, and the meals it shows."""

from __future__ import annotations

import re
import secrets
from datetime import datetime, timedelta

from sqlmodel import Session, col, select

from app.calendar_feed import FeedMeal, cook_calendar
from app.cooks.service import get_own_profile
from app.councils.rules import council_today
from app.db import utcnow
from app.errors import NotFound
from app.models import Cook, Council, Diner, Meal, User
from app.vocab import CookStatus, MealStatus

PAST_DAYS = 28  # recent meals stay visible for a few weeks
FUTURE_DAYS = 366
_FEED_STATUSES = (CookStatus.pending, CookStatus.approved)
# What secrets.token_urlsafe makes (the column holds 64): anything else is no token, and is
# never sent to the database (PostgreSQL refuses a NUL in text: a 500, not a 404).
_TOKEN_SHAPE = re.compile(r"[A-Za-z0-9_-]{1,64}")


FEED_PATH = "/api/calendar/{token}.ics"  # the route's (app/notifications/router.py)


def feed_url(public_url: str, token: str | None) -> str | None:
    """The feed's secret address, on PORTION_PUBLIC_URL, never on a request's Host: a secret
    URL must not be handed out under whatever host a client or a misconfigured proxy names."""
    return f"{public_url.rstrip('/')}{FEED_PATH.format(token=token)}" if token else None


def rotate_calendar_token(session: Session, *, user: User) -> str:
    """Give the cook a new feed token; the old feed URL stops working."""
    cook = get_own_profile(session, user=user)
    cook.calendar_token = secrets.token_urlsafe(32)  # 43 characters, 256 bits
    session.add(cook)
    session.flush()
    return cook.calendar_token


def revoke_calendar_token(session: Session, *, user: User) -> None:
    """Turn the cook's feed off."""
    cook = get_own_profile(session, user=user)
    cook.calendar_token = None
    session.add(cook)
    session.flush()


def calendar_for_token(session: Session, *, token: str, now: datetime | None = None) -> bytes:
    """The feed for a secret token; NotFound for an unknown token or a cook no longer active."""
    if not _TOKEN_SHAPE.fullmatch(token):
        raise NotFound("No such calendar")
    cook = session.exec(select(Cook).where(Cook.calendar_token == token)).first()
    if cook is None or cook.status not in _FEED_STATUSES:
        raise NotFound("No such calendar")
    council = session.get(Council, cook.council_id)
    assert council is not None
    now = now or utcnow()
    today = council_today(council, now)  # meals are dated in the council's days
    rows = session.exec(
        select(Meal, Diner)
        .join(Diner, col(Diner.id) == col(Meal.diner_id))
        .where(
            Meal.cook_id == cook.id,
            Meal.status != MealStatus.cancelled,
            Meal.date >= today - timedelta(days=PAST_DAYS),
            Meal.date <= today + timedelta(days=FUTURE_DAYS),
        )
        .order_by(col(Meal.date), col(Meal.id))
    ).all()
    meals = [
        FeedMeal(
            id=meal.id,
            date=meal.date,
            start=meal.start,
            status=meal.status,
            diner_name=None if diner.anonymised_at else diner.full_name,
            is_cover=meal.is_cover,
        )
        for meal, diner in rows
        if meal.id is not None
    ]
    return cook_calendar(meals, cook_display_name=cook.display_name, tz=council.timezone, stamp=now)
