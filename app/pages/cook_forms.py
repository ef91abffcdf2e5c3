"""What the cook's pages share: who the signed-in cook is, labels, and field checks that speak
GOV.UK (say what went wrong and how to fix it, name the day)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date
from typing import Any
from urllib.parse import quote

from fastapi import Request
from fastapi.responses import RedirectResponse
from sqlmodel import Session

from app import vocab
from app.accounts.contact import ExampleNumber, e164_phone
from app.config import Settings
from app.cooks.service import find_own_profile
from app.deps import Auth
from app.errors import Forbidden
from app.models import Cook, User
from app.pages.forms import signed_in, text_rule_problem
from app.schemas import national_phone as national_phone  # the pages import it from here
from app.vocab import MealStatus

WEEKDAYS = list(vocab.WEEKDAYS)
# The times offered, as the availability grid always has: 07:00 to 21:00 by half hours.
TIMES = [f"{m // 60:02d}:{m % 60:02d}" for m in range(7 * 60, 21 * 60 + 1, 30)]


def items(pairs: list[tuple[str, str]], chosen: list[str]) -> list[dict[str, Any]]:
    """Radios' or checkboxes' items, the chosen ones checked."""
    return [{"value": v, "text": t, "checked": v in chosen} for v, t in pairs]


def ticked_days(a: dict[str, Any]) -> list[int]:
    """The weekdays ticked in the answers' "days" (0 = Monday), each once, in order. Anything
    else posted, or kept in a draft, is not a day: every reader of the days asks here."""
    ticked = a.get("days")
    return [n for n in range(7) if isinstance(ticked, list) and str(n) in ticked]


def day_rows(a: dict[str, Any]) -> list[dict[str, Any]]:
    """The availability grid's rows: each day ticked or not, with its two times."""
    rows = []
    for number, name in enumerate(WEEKDAYS):
        day = str(number)
        start, end = a.get(f"start-{day}") or "17:00", a.get(f"end-{day}") or "19:00"
        rows.append(
            {
                "day": day,
                "name": name,
                "ticked": day in a.get("days", []),
                "start": start,
                "end": end,
                "start_times": TIMES if start in TIMES else [start, *TIMES],
                "end_times": TIMES if end in TIMES else [*TIMES, end],
            }
        )
    return rows


# The form options (code, label), in the vocabulary's order: app/vocab.py holds the words.
DIETS: list[tuple[str, str]] = list(vocab.DIET_LABELS.items())
ALLERGENS: list[tuple[str, str]] = list(vocab.ALLERGEN_LABELS.items())
TEXTURES: list[tuple[str, str]] = list(vocab.TEXTURE_LABELS.items())
FREQUENCIES: list[tuple[str, str]] = list(vocab.FREQUENCY_LABELS.items())
WALKS = [
    ("500", "Up to 500 metres (about a 6 minute walk)"),
    ("1000", "Up to 1 kilometre (about 12 minutes)"),
    ("1500", "Up to 1.5 kilometres (about 20 minutes)"),
    ("2000", "Up to 2 kilometres (about 25 minutes)"),
    ("3000", "Up to 3 kilometres (about 35 minutes)"),
]
HOW_MANY = [("1", "1 neighbour")] + [(str(n), f"{n} neighbours") for n in range(2, 6)]
MEAL_STATUS = {
    MealStatus.scheduled: ("Planned", "govuk-tag--blue"),
    MealStatus.needs_cover: ("Looking for cover", "govuk-tag--yellow"),
    MealStatus.delivered: ("Delivered", "govuk-tag--green"),
    MealStatus.missed: ("Missed", "govuk-tag--red"),
    MealStatus.cancelled: ("Cancelled", "govuk-tag--grey"),
}
PHONE_EXAMPLE = "Enter a UK phone number, like 07700 900 982 or 020 7946 0018"
TIME = re.compile(r"^(\d{1,2})[:.](\d{2})$")


def label_of(options: list[tuple[str, str]], code: str) -> str:
    return dict(options).get(code, code.replace("_", " "))


def labels_of(options: list[tuple[str, str]], codes: list[str]) -> list[str]:
    return [label_of(options, code) for code in codes]


def weekday_name(day: int) -> str:
    return WEEKDAYS[day]


def long_date(day: date) -> str:
    """GOV.UK's date style with the day's name: "Thursday 3 December 2026"."""
    return f"{WEEKDAYS[day.weekday()]} {day.day} {day:%B %Y}"


def redirect(path: str) -> RedirectResponse:
    return RedirectResponse(path, status_code=303)


def to_sign_in(request: Request) -> RedirectResponse:
    target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
    return redirect("/sign-in?next=" + quote(target, safe=""))


@dataclass
class CookAuth:
    auth: Auth
    cook: Cook | None

    @property
    def user(self) -> User:
        return self.auth.user


def cook_auth(request: Request, session: Session, settings: Settings) -> CookAuth | None:
    """The signed-in cook and their profile (None if nobody is signed in; 403 for another
    role)."""
    auth = signed_in(request, session, settings)
    if auth is None:
        return None
    if auth.user.role != "cook":
        raise Forbidden("These pages are for cooks: you are signed in with another kind of account")
    return CookAuth(auth, find_own_profile(session, user=auth.user))


# --- field checks ----------------------------------------------------------------------------


def uk_phone(raw: str) -> str | None:
    """The number in E.164 if it is a valid UK number, else None."""
    try:
        return e164_phone(raw)
    except ValueError:
        return None


def phone_problem(raw: str, message: str, *, not_in_use: str | None = None) -> str | None:
    """None for a UK number in use; else the page's `message`, or why one of Ofcom's example
    numbers (the one our hints show among them) is refused: the API's words ("enter your own
    phone number"), or `not_in_use` for a number that is not the person's own."""
    try:
        e164_phone(raw)
    except ExampleNumber as exc:
        return not_in_use or str(exc)
    except ValueError:
        return message
    return None


def clock_time(raw: str) -> str | None:
    """ "17:30", "17.30" or "9:05" as "HH:MM", else None."""
    match = TIME.match(raw.strip())
    if not match:
        return None
    hours, mins = int(match.group(1)), int(match.group(2))
    if hours > 23 or mins > 59:
        return None
    return f"{hours:02d}:{mins:02d}"


def text_problem(value: str, *, empty: str, what: str, limit: int) -> str | None:
    """A one-line text field's message: `empty`, too long, or the API's rule for text."""
    if not value:
        return empty
    if len(value) > limit:
        return f"{what} must be {limit} characters or fewer"
    return text_rule_problem(value, what=what)
