"""Staff pages: one meal's cover (`/staff/meals/{id}/cover`), linked from each meal the staff
home lists as needing a cover cook. A newcomer's walk found those meals listed with nothing to
do about them: the platform asks the best few cooks itself and alerts the coordinator two days
before if nobody has taken the meal, and then the coordinator picks up the phone. The page
gives them the meal, the diner's needs and every cook who could take it (phone, distance,
met before, asked already), and records that a cook they spoke to agreed: the cook then has
the meal as if they had taken it from their own page.

Reads and writes through app.meals.staff_cover (cover_plan, arrange_cover). A meal that no
longer needs cover (taken meanwhile, the regular cook back, its time come) says so on the
page, and a form sent for one leads there (post / redirect / get); success leads to the
diner's record with a banner."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response
from sqlmodel import Session

from app.config import Settings
from app.councils.service import staff_council
from app.deps import SessionDep, SettingsDep
from app.errors import Conflict, RuleBroken
from app.geo.distance import staff_distance_text
from app.meals.staff_cover import CoverPlan, arrange_cover, cover_plan
from app.names import first_name
from app.pages.cook_forms import ALLERGENS, DIETS, TEXTURES, label_of, labels_of, redirect
from app.pages.forms import FormDep, check_csrf, whole_number
from app.pages.staff_common import StaffAuth, render_staff, staff_auth
from app.pages.staff_words import MEAL_WORDS, date_words
from app.routing import DeferredRoute
from app.schemas import PathId, national_phone
from app.vocab import other_foods

router = APIRouter(include_in_schema=False, route_class=DeferredRoute)

CHOOSE = "Choose the cook who agreed to bring the meal"
AGREED = "Tick to confirm that you have spoken to the cook and they agreed"
NO_PHONE_HINT = "no phone number given"


def _candidate_words(plan: CoverPlan) -> list[dict[str, Any]]:
    """Each candidate as the page words them."""
    first = first_name(plan.diner.full_name)
    # Whole words with or without a number: the list and the choice read "phone Not given"
    # (a review).
    return [
        {
            "cook_id": c.cook_id,
            "name": c.full_name,
            "phone": national_phone(c.phone) if c.phone else "No phone number given",
            "phone_hint": f"phone {national_phone(c.phone)}" if c.phone else NO_PHONE_HINT,
            "distance": staff_distance_text(c.distance_m),
            "met": f"Yes, {first} knows them" if c.met else "No",
            "asked": "Yes, sent a request" if c.asked else "No",
            "asked_yes": c.asked,
        }
        for c in plan.candidates
    ]


def _page(
    request: Request,
    session: Session,
    settings: Settings,
    sa: StaffAuth,
    plan: CoverPlan,
    *,
    errors: dict[str, str] | None = None,
    values: dict[str, str] | None = None,
) -> Response:
    council = staff_council(session, sa.user)
    when = date_words(council)
    diner, meal = plan.diner, plan.meal
    values = values or {}
    candidates = _candidate_words(plan)
    context = {
        "title": f"Cover for {diner.full_name}’s meal",
        "errors": errors or {},
        "values": values,
        "plan": plan,
        "meal": meal,
        "diner": diner,
        "first": first_name(diner.full_name),
        "when": f"{when(meal.date, weekday=True)} at {meal.start}",
        "status_words": MEAL_WORDS,
        "needs": {
            "diets": ", ".join(labels_of(DIETS, diner.diets)) or "No special diet",
            "allergies": ", ".join(labels_of(ALLERGENS, diner.allergies)) or "None",
            "other_foods": ", ".join(other_foods(diner.other_allergies)) or "None",
            "texture": label_of(TEXTURES, diner.texture),
        },
        "candidates": candidates,
        "cook_items": [
            {
                "value": str(c["cook_id"]),
                "text": c["name"],
                "hint": {"text": f"{c['distance']} away, {c['phone_hint']}"},
                "checked": values.get("cook_id") == str(c["cook_id"]),
            }
            for c in candidates
        ],
    }
    return render_staff(
        request,
        session,
        settings,
        "staff/cover.html",
        context,
        staff=sa,
        status_code=422 if errors else 200,
    )


@router.get("/staff/meals/{meal_id}/cover", response_class=HTMLResponse)
def cover_page(
    meal_id: PathId, request: Request, session: SessionDep, settings: SettingsDep
) -> Response:
    sa = staff_auth(request, session, settings)
    if not isinstance(sa, StaffAuth):
        return sa
    plan = cover_plan(session, staff=sa.user, meal_id=meal_id)  # 404 for another council's
    return _page(request, session, settings, sa, plan)


@router.post("/staff/meals/{meal_id}/cover", response_class=HTMLResponse)
def record_cover(
    meal_id: PathId,
    request: Request,
    session: SessionDep,
    settings: SettingsDep,
    form: FormDep,
) -> Response:
    """Record that the cook the coordinator spoke to agreed to bring the meal."""
    check_csrf(request, settings, str(form.get("csrf_token", "")))
    sa = staff_auth(request, session, settings)
    if not isinstance(sa, StaffAuth):
        return sa
    here = f"/staff/meals/{meal_id}/cover"
    values = {"cook_id": str(form.get("cook_id", "")), "agreed": str(form.get("agreed", ""))}
    errors: dict[str, str] = {}
    cook_id = whole_number(values["cook_id"])
    if cook_id is None:
        errors["cook_id"] = CHOOSE
    if values["agreed"] != "yes":
        errors["agreed"] = AGREED
    try:
        if cook_id is not None and not errors:
            meal = arrange_cover(session, staff=sa.user, meal_id=meal_id, cook_id=cook_id)
            return redirect(f"/staff/diners/{meal.diner_id}?covered=1")
    except Conflict:  # taken meanwhile, or its time came: the page says which
        return redirect(here)
    except RuleBroken as broken:  # no longer (or never) one who may cover it
        errors["cook_id"] = broken.message
    plan = cover_plan(session, staff=sa.user, meal_id=meal_id)  # 404 for another council's
    if not plan.needs_cover:
        return redirect(here)
    return _page(request, session, settings, sa, plan, errors=errors, values=values)
