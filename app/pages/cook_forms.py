"""What the cook's pages share: who the signed-in cook is, labels, and field checks that speak
GOV.UK (say what went wrong and how to fix it, name the day)."""

from __future__ import annotations

import re
from collections.abc import Mapping
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
from app.pages.forms import signed_in, text_rule_problem, whole_number
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


def phone_problem(raw: str, message: str) -> str | None:
    """None for a UK number in use; else the page's `message`, or why one of Ofcom's example
    numbers (the one our hints show among them) is refused."""
    try:
        e164_phone(raw)
    except ExampleNumber as exc:
        return str(exc)
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


DATE_PARTS = ("day", "month", "year")


@dataclass(frozen=True)
class DateProblem:
    """What is wrong with a three-field date: GOV.UK's message and the boxes to mark, in the
    page's order (all three when the date as a whole is wrong, as a rule's is)."""

    message: str
    parts: tuple[str, ...] = DATE_PARTS


def date_errors(problems: Mapping[str, DateProblem]) -> dict[str, str]:
    """The error summary's entries for dates (prefix → problem): each links to the first box
    to fix, the month box when only the month is wrong (it always went to the day box)."""
    return {f"{prefix}-{problem.parts[0]}": problem.message for prefix, problem in problems.items()}


def date_fields(form: Any, prefix: str) -> dict[str, str]:
    """A GOV.UK date input's three fields as typed: {"day", "month", "year"}."""
    return {part: str(form.get(f"{prefix}-{part}", "")).strip()[:10] for part in DATE_PARTS}


# GOV.UK's date input takes a month's name, in full or shortened ("Dec", "sept"), as people
# write it: "December" was refused as not a real date (a newcomer's walk).
MONTHS = {
    name: number
    for number, full in enumerate(
        ("january", "february", "march", "april", "may", "june", "july", "august",
         "september", "october", "november", "december"),
        start=1,
    )
    for name in {full, full[:3], full[:4]}
}  # fmt: skip


def parse_date(parts: dict[str, str], *, what: str) -> tuple[date | None, DateProblem | None]:
    """The date of a three-field input, or GOV.UK's message naming what is missing or wrong
    with the boxes it is about."""
    subject = what[0].upper() + what[1:]
    missing = tuple(name for name in DATE_PARTS if not parts[name])
    if len(missing) == len(DATE_PARTS):
        return None, DateProblem(f"Enter {what}")
    if missing:
        return None, DateProblem(f"{subject} must include a {' and '.join(missing)}", missing)
    day, year = (whole_number(parts[name], max_digits=10) for name in ("day", "year"))
    month = MONTHS.get(parts["month"].lower().rstrip(".")) or whole_number(
        parts["month"], max_digits=10
    )
    # The boxes that cannot be right whatever the others hold (a day of 32, a month of 13).
    impossible = tuple(
        name
        for name, number, most in (("day", day, 31), ("month", month, 12), ("year", year, 9999))
        if number is None or not 1 <= number <= most
    )
    if day is None or month is None or year is None:
        return None, DateProblem(f"{subject} must be a real date", impossible)
    if len(parts["year"]) != 4:
        # Which date's year: two on a page read the same twice (a newcomer's walk).
        return None, DateProblem(f"The year of {what} must include 4 numbers", ("year",))
    try:
        return date(year, month, day), None
    except (ValueError, OverflowError):  # 9999999999 for a day overflows before it is checked
        # 31 June: no box is wrong alone, so the date as a whole is.
        return None, DateProblem(f"{subject} must be a real date", impossible or DATE_PARTS)
