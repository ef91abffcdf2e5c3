"""GOV.UK's date input on our pages: three boxes read as typed, a date or what is wrong with it,
and the error summary's link to the first box to fix. The carer's, the cook's and the staff's
pages share it (the macro is frontend/templates/shared/_date-input.html)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from typing import Any

from app.pages.forms import whole_number

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
