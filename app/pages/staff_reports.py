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
from app.routing import DeferredRoute

router = APIRouter(include_in_schema=False, route_class=DeferredRoute)

Now = Annotated[datetime, Depends(report_time)]
WEEKS = service.WEEKS_DEFAULT
CASSEROLE_CLUB_FRIEND_SHARE = 0.70  # Casserole Club's published "the cook is a friend" share
CSV_LINKS = [
    ("/api/staff/reports/summary.csv", "At a glance (CSV)"),
    (f"/api/staff/reports/weekly.csv?weeks={WEEKS}", "Figures for each week (CSV)"),
    # Not those offered a cook who has not answered yet (the page's count has them): said,
    # as its total was 3 short of the page's (a browser walk).
    ("/api/staff/reports/unmatched.csv", "Waiting diners with no cook offered, by district (CSV)"),
]
# Why no cook fits a waiting diner (the engine's unmatched_reason), and what would help.
REASONS = {
    "no_cook_in_reach": ("no cook lives close enough", "Recruit cooks who live there."),
    "no_shared_time": (
        "no nearby cook is free at the times they asked for",
        "Recruit cooks there who are free at other times.",
    ),
    "no_cook_for_diet": (
        "no nearby cook can cook for their diet",
        "Recruit cooks there who cook for special diets.",
    ),
    "no_cook_for_allergy": (
        "no nearby cook can cook free of their allergy",
        "Recruit cooks there who can keep allergens out.",
    ),
    "no_cook_for_texture": (
        "no nearby cook can cook the texture they need",
        "Recruit cooks there who can cook soft or puréed food.",
    ),
    "no_capacity": (
        "the nearby cooks have no room for another diner",
        "Ask cooks there to take one more, or recruit more.",
    ),
}
PROPOSABLE = "proposable"  # no unmatched_reason: a cook could be proposed now
INVITED = "invited"  # a proposal the cook has not answered yet
WORDS = {
    **REASONS,
    PROPOSABLE: ("a cook could be proposed now", "Run matching."),
    INVITED: ("offered a cook who has not answered yet", "Wait for the cook’s answer."),
}


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
    unit: str = ""  # shown smaller after the value ("133" "days")


def _figures(s: SummaryOut) -> dict[str, list[Figure]]:
    days = s.median_pairing_days
    invited = (
        f" Of them, {plural(s.waiting_diners_invited, 'has', 'have')} been offered a cook who "
        "has not answered yet."
        if s.waiting_diners_invited
        else ""
    )
    # Held out of matching (app/diners/erasure_hold.py): the diners page lists them as waiting,
    # marked, so the page says why its count is the larger.
    held = (
        f" Not counted: {plural(s.held_for_erasure, 'diner')} whose carer asked for their data "
        "to be erased; no cook is looked for meanwhile."
        if s.held_for_erasure
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
                "meet." + invited + held,
            ),
            Figure(
                "approved_cooks",
                "Approved cooks",
                str(s.approved_cooks),
                "Cooks who have passed their checks and can be paired: the service’s capacity.",
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
                "Meals brought by the diner’s regular cook",
                s.continuity_rate,
                "Of all meals delivered, the share brought by the diner’s own cook rather than "
                "someone covering: how rarely cover is needed.",
                "No meals yet",
            ),
            _share(
                "main_cook_share",
                "Meals brought by each diner’s main cook, last 12 weeks",
                s.main_cook_share,
                "On average over "
                + (
                    plural(s.continuity_diners, "diner")
                    if s.continuity_diners
                    else "the diners with meals"
                )
                + ", the share of a diner’s meals brought by the cook they see most: near 100% "
                "means diners keep the same cook, lower means they are passed between cooks.",
                "No meals in the last 12 weeks",
            ),
            _number(
                "median_same_cook_run",
                "Meals in a row with the same cook, last 12 weeks",
                s.median_same_cook_run,
                "meal",
                "No meals in the last 12 weeks",
                "The typical (median) number of meals a diner has in a row from the same cook "
                "before cover or a new cook breaks the run: longer runs mean steadier "
                "relationships.",
            ),
            _number(
                "median_pairing_days",
                "How long pairings last",
                days,
                "day",
                "No pairings started yet",
                "Half the pairings ever started have lasted longer than this (those still "
                "running count to today): how long cooks and diners stay together.",
                extra=_weeks(days),
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
                + (f"the {plural(s.friend_answers, 'diner')}" if s.friend_answers else "the diners")
                + " whose carer answered the quarterly question, the share whose latest answer "
                "says the cook has become a friend: whether meals turn into friendships.",
                "No answers in the last 12 months",
                extra=friend_extra,
            ),
        ],
    }


def _weeks(days: float | None) -> str:
    if days is None:
        return ""
    return "Less than a week." if days < 7 else f"About {plural(round(days / 7), 'week')}."


def _number(
    key: str, label: str, value: float | None, unit: str, empty: str, explains: str, extra: str = ""
) -> Figure:
    """13.0 -> "13" days, 4.5 -> "4.5" meals, 1.0 -> "1" meal; None -> the words for nothing."""
    if value is None:
        return Figure(key, label, empty, explains, known=False)
    return Figure(
        key, label, f"{value:g}", explains, extra=extra, unit=unit + ("" if value == 1 else "s")
    )


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
    reasons: list[tuple[int, str, str]] = field(default_factory=list)  # (diners, key, words)


def _districts(invited: Counter[str], unmatched: list[UnmatchedOut]) -> list[District]:
    """The waiting diners by postcode district: the unmatched report's groups (no cook
    proposed) and those offered a cook, most diners first."""
    rows: defaultdict[str, District] = defaultdict(lambda: District(""))
    for g in unmatched:
        key = g.reason or PROPOSABLE
        why = WORDS[key][0] if key in WORDS else key.replace("_", " ")
        rows[g.district].waiting += g.diners
        rows[g.district].reasons.append((g.diners, key, why))
    for name, n in invited.items():
        rows[name].waiting += n
        rows[name].reasons.append((n, INVITED, WORDS[INVITED][0]))
    for name, row in rows.items():
        row.name = name
    return sorted(rows.values(), key=lambda r: (-r.waiting, r.name))


def _helps(districts: list[District]) -> list[tuple[str, str]]:
    """What would help, once for each reason the table gives (in the engine's order)."""
    seen = {key for d in districts for _, key, _ in d.reasons}
    return [
        (why[0].upper() + why[1:], helps[0].lower() + helps[1:])
        for key, (why, helps) in WORDS.items()
        if key in seen
    ]


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
    districts = _districts(invited, unmatched)
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
        "districts": districts,
        "helps": _helps(districts),
        "unproposed": summary.waiting_diners_unproposed,
        "csv_links": CSV_LINKS,
        "island": island,
        "plural": plural,
    }
    return render_staff(request, session, settings, "staff/reports.html", context, staff=sa)
