"""Staff pages: the council's reports, server-rendered.

Every figure comes from app.reports.service (the same functions as the API's
``/api/staff/reports/*``), so the page, the API and the CSV files give the same numbers; the
one meaning of "waiting" is ``service.waiting_diners``. Without JavaScript the page shows every
figure, the last 12 weeks as a table and the waiting diners by district as a table; with it,
frontend/js/pages/staff-reports.js draws the weekly charts and the borough map from the JSON
island (`report-data`) the page carries, the very numbers of the tables.

A figure with nothing to compute from says so in words ("No meals yet"), never "null"."""

from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from app.councils.rules import council_today
from app.councils.service import staff_council
from app.deps import SessionDep, SettingsDep
from app.pages.staff_common import render_staff, staff_auth
from app.reports import figures, service
from app.reports.router import report_time
from app.reports.schemas import SummaryOut, UnmatchedOut, WeekOut

router = APIRouter(include_in_schema=False)

Now = Annotated[datetime, Depends(report_time)]
WEEKS = service.WEEKS_DEFAULT
CASSEROLE_CLUB_FRIEND_SHARE = 0.70  # Casserole Club's published "the cook is a friend" share
CSV_LINKS = [
    ("/api/staff/reports/summary.csv", "At a glance (CSV)"),
    (f"/api/staff/reports/weekly.csv?weeks={WEEKS}", "Figures for each week (CSV)"),
    ("/api/staff/reports/unmatched.csv", "Waiting diners by district (CSV)"),
]
# Why no cook fits a waiting diner (the engine's unmatched_reason), and what would help.
REASONS = {
    "no_cook_in_reach": ("no cook lives close enough", "recruit cooks who live there"),
    "no_shared_time": (
        "no nearby cook is free at the times they asked for",
        "recruit cooks free at other times",
    ),
    "no_cook_for_diet": (
        "no nearby cook can cook for their diet",
        "recruit cooks who cook for special diets",
    ),
    "no_cook_for_allergy": (
        "no nearby cook can cook free of their allergy",
        "recruit cooks who can keep allergens out",
    ),
    "no_cook_for_texture": (
        "no nearby cook can cook the texture they need",
        "recruit cooks who can cook soft or puréed food",
    ),
    "no_capacity": (
        "the nearby cooks have no room for another diner",
        "ask cooks there to take one more, or recruit more",
    ),
}
NO_REASON = ("a cook could be proposed now", "run matching")
INVITED = ("offered a cook who has not answered yet", "wait for the cook's answer")


def percent(value: float) -> str:
    return f"{value:.0%}"


def plural(n: int, one: str, many: str | None = None) -> str:
    return f"{n} {one if n == 1 else (many or one + 's')}"


def short_date(day: date) -> str:
    return f"{day.day} {day:%b %Y}"


@dataclass(frozen=True)
class Figure:
    """One card: what it counts, its value (or the words for nothing to count), and one
    sentence saying what it tells a council."""

    key: str  # the summary's field, so tests can find the card
    label: str
    value: str
    explains: str
    known: bool = True
    extra: str = ""


def _figures(s: SummaryOut) -> dict[str, list[Figure]]:
    days = s.median_pairing_days
    invited = (
        f" Of them, {plural(s.waiting_diners_invited, 'has', 'have')} been offered a cook who "
        "has not answered yet."
        if s.waiting_diners_invited
        else ""
    )
    friend_extra = f"Casserole Club publishes {percent(CASSEROLE_CLUB_FRIEND_SHARE)}."
    return {
        "now": [
            Figure(
                "waiting_diners",
                "Diners waiting for a cook",
                str(s.waiting_diners),
                "People signed up for meals, not paused, with no cook yet: the demand still to "
                "meet." + invited,
            ),
            Figure(
                "approved_cooks",
                "Approved cooks",
                str(s.approved_cooks),
                "Cooks who have passed their checks and can be paired: the service's capacity.",
            ),
            Figure(
                "pending_cooks",
                "Cooks waiting for checks",
                str(s.pending_cooks),
                "Cooks who have signed up and still need their checks: the vetting work in hand.",
            ),
            Figure(
                "active_pairings",
                "Active pairings",
                str(s.active_pairings),
                "A cook and a diner sharing meals now (paused pairings are not counted): how "
                "many people the service reaches today.",
            ),
            Figure(
                "meals_delivered",
                "Meals delivered",
                str(s.meals_delivered),
                "Meals a cook has brought to a diner since the service began.",
            ),
            Figure(
                "meals_missed",
                "Meals missed",
                str(s.meals_missed),
                "Meals that were due but did not arrive since the service began: a sign of "
                "cooks under strain.",
            ),
        ],
        "lasting": [
            _share(
                "continuity_rate",
                "Meals brought by the diner's regular cook",
                s.continuity_rate,
                "Of all meals delivered, the share brought by the diner's own cook rather than "
                "someone covering: how rarely cover is needed.",
                "No meals yet",
            ),
            _share(
                "main_cook_share",
                "Meals brought by each diner's main cook, last 12 weeks",
                s.main_cook_share,
                "On average over "
                + plural(s.continuity_diners, "diner")
                + ", the share of a diner's meals brought by the cook they see most: near 100% "
                "means diners keep the same cook, lower means they are passed between cooks.",
                "No meals in the last 12 weeks",
            ),
            Figure(
                "median_same_cook_run",
                "Meals in a row with the same cook, last 12 weeks",
                plural_number(s.median_same_cook_run, "meal") or "No meals in the last 12 weeks",
                "The typical (median) number of meals a diner has in a row from the same cook "
                "before cover or a new cook breaks the run: longer runs mean steadier "
                "relationships.",
                known=s.median_same_cook_run is not None,
            ),
            Figure(
                "median_pairing_days",
                "How long pairings last",
                plural_number(days, "day") or "No pairings started yet",
                "Half the pairings ever started have lasted longer than this (those still "
                "running count to today): how long cooks and diners stay together.",
                known=days is not None,
                extra=f"About {plural(round(days / 7), 'week')}." if days is not None else "",
            ),
            Figure(
                "regular_cooks_per_diner",
                "Regular cooks per diner",
                f"{s.regular_cooks_per_diner:.2f}"
                if s.regular_cooks_per_diner is not None
                else "No pairings started yet",
                "The average number of regular cooks each matched diner has had: 1.00 means "
                "nobody has had to change cook.",
                known=s.regular_cooks_per_diner is not None,
            ),
            _share(
                "friend_share",
                "Diners who say the cook is a friend, last 12 months",
                s.friend_share,
                "Of "
                + plural(s.friend_answers, "diner")
                + " whose carer answered the quarterly question, the share whose latest answer "
                "says the cook has become a friend: whether meals turn into friendships.",
                "No answers in the last 12 months",
                extra=friend_extra,
            ),
        ],
    }


def plural_number(value: float | None, unit: str) -> str | None:
    """13.0 -> "13 days", 4.5 -> "4.5 meals", 1.0 -> "1 meal"; None stays None."""
    if value is None:
        return None
    text = f"{value:g}"
    return f"{text} {unit if value == 1 else unit + 's'}"


def _share(
    key: str, label: str, value: float | None, explains: str, empty: str, extra: str = ""
) -> Figure:
    if value is None:
        return Figure(key, label, empty, explains, known=False, extra=extra)
    return Figure(key, label, percent(value), explains, extra=extra)


@dataclass
class District:
    name: str
    waiting: int = 0
    reasons: list[tuple[int, str, str]] = field(default_factory=list)  # (diners, why, help)


def _districts(invited: Counter[str], unmatched: list[UnmatchedOut]) -> list[District]:
    """The waiting diners by postcode district: the unmatched report's groups (no cook
    proposed) and those offered a cook, most diners first."""
    rows: defaultdict[str, District] = defaultdict(lambda: District(""))
    for g in unmatched:
        row = rows[g.district]
        row.waiting += g.diners
        if g.reason is None:
            why, helps = NO_REASON
        else:
            why, helps = REASONS.get(g.reason, (g.reason.replace("_", " "), "recruit cooks there"))
        row.reasons.append((g.diners, why, helps))
    for name, n in invited.items():
        rows[name].waiting += n
        rows[name].reasons.append((n, *INVITED))
    for name, row in rows.items():
        row.name = name
    return sorted(rows.values(), key=lambda r: (-r.waiting, r.name))


def _week_rows(weeks: list[WeekOut], today: date) -> list[dict[str, Any]]:
    rows = []
    for w in weeks:
        current = w.week_start <= today <= w.week_end
        rows.append(
            {
                "week": w.week,
                "start": w.week_start.isoformat(),
                "label": short_date(w.week_start),
                "current": current,
                "delivered": w.meals_delivered,
                "missed": w.meals_missed,
                "continuity": w.continuity_rate,
                "continuity_text": percent(w.continuity_rate)
                if w.continuity_rate is not None
                else "No meals",
                "new_cooks": w.new_cooks,
                "waiting": w.waiting_diners,
            }
        )
    return rows


@router.get("/staff/reports.html")
def old_reports() -> Response:
    return RedirectResponse("/staff/reports", status_code=301)


@router.get("/staff/reports", response_class=HTMLResponse)
def reports(request: Request, session: SessionDep, settings: SettingsDep, now: Now) -> Response:
    sa = staff_auth(request, session, settings)
    if isinstance(sa, Response):
        return sa
    council = staff_council(session, sa.user)
    today = council_today(council, now)
    summary = service.summarise_council(session, staff=sa.user, now=now)
    weekly = service.weekly_council(session, staff=sa.user, weeks=WEEKS, now=now).items
    unmatched = service.unmatched_by_district(session, staff=sa.user, now=now)
    waiting = service.waiting_diners(session, council=council, today=today)
    invited = Counter(figures.district(w.diner.postcode) for w in waiting if w.invited)
    places = service.council_map(session, staff=sa.user, now=now)
    weeks = _week_rows(weekly, today)
    island = {
        "weeks": weeks,
        "map": {
            "council": council.name,
            "lad_codes": council.lad_codes,
            "cooks": [[p.longitude, p.latitude] for p in places.cooks],
            "diners": [[p.longitude, p.latitude] for p in places.waiting_diners],
        },
    }
    context = {
        "title": "Reports",
        "council": council,
        "today": today,
        "summary": summary,
        "figures": _figures(summary),
        "weeks": weeks,
        "weeks_delivered": sum(w.meals_delivered for w in weekly),
        "weeks_missed": sum(w.meals_missed for w in weekly),
        "first_week": short_date(weekly[0].week_start),
        "last_week": short_date(weekly[-1].week_end),
        "districts": _districts(invited, unmatched),
        "unproposed": summary.waiting_diners_unproposed,
        "csv_links": CSV_LINKS,
        "island": island,
        "plural": plural,
    }
    return render_staff(request, session, settings, "staff/reports.html", context, staff=sa)
