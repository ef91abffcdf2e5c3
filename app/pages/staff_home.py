"""Staff pages: home, "what needs doing today". Counts (app/reports/today.py, the filters they
link to are named there) each link to the list that shows them; the invitations, quiet
pairings, cover and missed meals, and carers' requests to be erased, are listed on this page
itself, below the counts."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from app.councils.rules import council_today
from app.councils.service import staff_council
from app.db import utcnow
from app.deps import SessionDep, SettingsDep
from app.pages.cook_forms import WEEKDAYS, long_date
from app.pages.staff_common import StaffAuth, render_staff, staff_auth
from app.privacy.erasure_requests import ErasureWaiting, erasures_waiting
from app.reports import today
from app.reports.today import TodayCounts
from app.routing import DeferredRoute

router = APIRouter(include_in_schema=False, route_class=DeferredRoute)


@dataclass(frozen=True)
class Todo:
    """One count on the home page: "48 cooks waiting for checks", linked where it can be seen."""

    number: int
    words: str
    href: str
    detail: str | None = None


def _plural(n: int, one: str, many: str) -> str:
    return one if n == 1 else many


def _days(n: int) -> str:
    return f"{n} {_plural(n, 'day', 'days')}"


def _waited(days: int | None) -> str | None:
    if days is None:
        return None
    return f"The longest has waited {_days(days) if days else 'less than a day'}"


def _todo_groups(c: TodayCounts) -> list[tuple[str, list[Todo]]]:
    """The counts in the page's order: cooks, diners, meals, concerns."""
    concern_detail = []
    if c.concerns_serious:
        concern_detail.append(f"{c.concerns_serious} serious")
    if c.concerns_week_old:
        concern_detail.append(
            f"{c.concerns_week_old} raised {today.CONCERN_OLD_DAYS} or more days ago"
        )
    if c.concern_oldest_days is not None and not c.concerns_week_old:
        concern_detail.append(f"the oldest raised {_days(c.concern_oldest_days)} ago")
    return [
        (
            "Cooks",
            [
                Todo(
                    c.cooks_pending,
                    _plural(c.cooks_pending, "cook waiting for checks", "cooks waiting for checks"),
                    "/staff/cooks?status=pending&sort=oldest",
                    _waited(c.pending_days),
                ),
                Todo(
                    c.checks_expiring,
                    _plural(
                        c.checks_expiring,
                        f"DBS check runs out within {today.EXPIRING_DAYS} days",
                        f"DBS checks run out within {today.EXPIRING_DAYS} days",
                    ),
                    "/staff/cooks?status=approved&checks=expiring",
                    f"{c.checks_run_out} {_plural(c.checks_run_out, 'has', 'have')} run out already"
                    if c.checks_run_out
                    else None,
                ),
                Todo(
                    c.location_review,
                    _plural(
                        c.location_review,
                        "cook moved: check where they live now",
                        "cooks moved: check where they live now",
                    ),
                    "/staff/cooks?location=review",
                    "Not offered to diners until you confirm" if c.location_review else None,
                ),
            ],
        ),
        (
            "Diners and pairings",
            [
                Todo(
                    c.diners_waiting,
                    _plural(
                        c.diners_waiting, "diner waiting for a cook", "diners waiting for a cook"
                    ),
                    "/staff/diners?status=waiting&sort=longest",
                ),
                Todo(
                    c.invitations_unanswered,
                    _plural(
                        c.invitations_unanswered,
                        f"invitation unanswered for more than {today.INVITATION_DAYS} days",
                        f"invitations unanswered for more than {today.INVITATION_DAYS} days",
                    ),
                    "#invitations",
                ),
                Todo(
                    c.pairings_paused_for_safety,
                    _plural(
                        c.pairings_paused_for_safety,
                        "pairing paused: the cook can no longer meet the diner's needs",
                        "pairings paused: the cooks can no longer meet the diners' needs",
                    ),
                    "#paused",
                    "Only a change back, or you ending them, lets them go on"
                    if c.pairings_paused_for_safety
                    else None,
                ),
                Todo(
                    c.pairings_quiet,
                    _plural(
                        c.pairings_quiet,
                        "pairing with no meal delivered for twice its interval",
                        "pairings with no meal delivered for twice their interval",
                    ),
                    "#quiet",
                ),
            ],
        ),
        (
            "Meals",
            [
                Todo(
                    c.cover_needed,
                    _plural(
                        c.cover_needed,
                        f"meal needs a cover cook in the next {today.COVER_DAYS} days",
                        f"meals need a cover cook in the next {today.COVER_DAYS} days",
                    ),
                    "#cover",
                ),
                Todo(
                    c.missed_this_week,
                    _plural(c.missed_this_week, "meal missed this week", "meals missed this week"),
                    "#missed",
                ),
            ],
        ),
        (
            "Concerns",
            [
                Todo(
                    c.concerns_open,
                    _plural(
                        c.concerns_open,
                        "new concern nobody has looked at yet",
                        "new concerns nobody has looked at yet",
                    ),
                    "/staff/concerns?status=open",
                    ("; ".join(concern_detail).capitalize() or None) if c.concerns_open else None,
                ),
                Todo(
                    c.concerns_investigating,
                    _plural(
                        c.concerns_investigating,
                        "concern being looked into",
                        "concerns being looked into",
                    ),
                    "/staff/concerns?status=investigating",
                ),
            ],
        ),
    ]


def _erasure_group(erasures: list[ErasureWaiting]) -> tuple[str, list[Todo]]:
    """Requests to erase a carer's data: the law gives a month from the first ask."""
    due = f"The first is due by {long_date(erasures[0].due_on)}" if erasures else None
    words = _plural(
        len(erasures), "request to erase a carer's data", "requests to erase carers' data"
    )
    return ("Data protection", [Todo(len(erasures), words, "#erasure", due)])


def _day_words(this_year: int) -> Callable[[date | None], str]:
    """A table's dates, short enough for a phone: "Wed 2 Dec" (the year only when not this
    year's)."""

    def words(day: date | None) -> str:
        if day is None:
            return ""
        year = f" {day.year}" if day.year != this_year else ""
        return f"{WEEKDAYS[day.weekday()][:3]} {day.day} {day:%b}{year}"

    return words


@router.get("/staff/index.html")
def old_home() -> RedirectResponse:
    return RedirectResponse("/staff/", status_code=301)


@router.get("/staff", include_in_schema=False)
def no_slash() -> RedirectResponse:
    return RedirectResponse("/staff/", status_code=301)


@router.get("/staff/", response_class=HTMLResponse)
def home(request: Request, session: SessionDep, settings: SettingsDep) -> Response:
    sa = staff_auth(request, session, settings)
    if not isinstance(sa, StaffAuth):
        return sa
    council = staff_council(session, sa.user)
    now = utcnow()
    counts = today.todays_counts(session, council=council, now=now)
    lists = today.todays_lists(session, council=council, now=now)
    erasures = erasures_waiting(session, council_id=council.id or 0)
    context = {
        "title": "Staff home",
        "full_name": sa.user.full_name,
        "council_name": council.name,
        "groups": [*_todo_groups(counts), _erasure_group(erasures)],
        "erasures": erasures,
        "counts": counts,
        "lists": lists,
        "limit": today.LIST_LIMIT,
        "invitation_days": today.INVITATION_DAYS,
        "cover_days": today.COVER_DAYS,
        "day_words": _day_words(council_today(council, now).year),
    }
    return render_staff(request, session, settings, "staff/home.html", context, staff=sa)
