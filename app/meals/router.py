"""HTTP routes for meals, absences, cover and feedback (API.md "Cooks", "Diners")."""

from __future__ import annotations

from datetime import timedelta
from typing import Annotated

from fastapi import APIRouter, Query
from fastapi.responses import HTMLResponse

from app.cooks.service import get_own_profile
from app.councils.rules import council_today
from app.deps import CarerUser, CookUser, SessionDep, StaffUser
from app.diners.deps import CarersDiner
from app.errors import NotFound, RuleBroken
from app.meals import away as aways
from app.meals import corrections, cover, feedback, staff_cover
from app.meals import service as meals
from app.meals.deps import OwnCookClock, OwnMeal
from app.meals.labels import meal_label
from app.meals.presenters import meal_out, meal_rows_out, meals_out
from app.meals.schemas import (
    AwayIn,
    CoverArrangedIn,
    CoverRequestList,
    CoverRequestOut,
    FeedbackIn,
    MealList,
    MealOut,
    OutcomeCorrectionIn,
    OutcomeIn,
)
from app.models import Council, Diner
from app.names import first_name
from app.routing import DeferredRoute
from app.schemas import IsoDate, Limit, Offset, PathId
from app.vocab import MealStatus

router = APIRouter(tags=["meals"], route_class=DeferredRoute)


@router.get("/api/cooks/me/meals", response_model=MealList)
def my_meals(
    cook: OwnCookClock,
    session: SessionDep,
    from_: Annotated[IsoDate | None, Query(alias="from")] = None,
    to: Annotated[IsoDate | None, Query()] = None,
    limit: Limit = 50,
    offset: Offset = 0,
) -> MealList:
    cook_id, today = cook
    start = from_ or today
    end = to or start + timedelta(days=meals.HORIZON_DAYS)
    if end < start:
        raise RuleBroken("invalid_range", ["query", "to"], "to must be on or after from")
    rows = meals.cook_meal_rows(session, cook_id=cook_id, from_=start, to=end)
    # A cook's own meals in a range are few (a few a week): paged after reading them all.
    return MealList(items=meal_rows_out(rows[offset : offset + limit]), total=len(rows))


@router.post("/api/meals/{meal_id}/delivered", response_model=MealOut)
def delivered(meal: OwnMeal, session: SessionDep) -> MealOut:
    meals.record_outcome(session, meal=meal, outcome=MealStatus.delivered)
    return meal_out(session, meal)


@router.post("/api/meals/{meal_id}/missed", response_model=MealOut)
def missed(meal: OwnMeal, session: SessionDep) -> MealOut:
    meals.record_outcome(session, meal=meal, outcome=MealStatus.missed)
    return meal_out(session, meal)


@router.post("/api/staff/meals/{meal_id}/outcome", response_model=MealOut)
def correct_outcome(
    meal_id: PathId, body: OutcomeCorrectionIn, user: StaffUser, session: SessionDep
) -> MealOut:
    """Staff record what happened once the meal's time has come (nobody did: 422 before it,
    as for the cook), or put a recorded outcome right (409 when it is already that, or the
    meal is cancelled; another council's meal: 404); those told of the first record are told
    of the correction."""
    meal = corrections.correct_outcome(
        session, staff=user, meal_id=meal_id, outcome=MealStatus(body.outcome)
    )
    return meal_out(session, meal)


@router.get("/api/meals/{meal_id}/label", response_class=HTMLResponse)
def label(meal: OwnMeal, session: SessionDep) -> HTMLResponse:
    """None for a cancelled meal (404, as a read: no GET answers 409): a label saying it was
    cooked on a day it is not (an outside check printed one)."""
    if meal.status == MealStatus.cancelled:
        raise NotFound("This meal is cancelled: there is no label to print")
    diner = session.get(Diner, meal.diner_id)
    assert diner is not None
    html = meal_label(
        first_name=first_name(diner.full_name),
        diets=diner.diets,
        allergies=diner.allergies,
        other_allergies=diner.other_allergies,
        texture=diner.texture,
        cooked_on=meal.date,
    )
    return HTMLResponse(html)


@router.post("/api/cooks/me/away", response_model=MealList)
def away(body: AwayIn, user: CookUser, session: SessionDep) -> MealList:
    cook = get_own_profile(session, user=user)  # after the body's 422, as before
    council = session.get(Council, cook.council_id)
    assert council is not None
    # From today on, as on the pages: a past day's meal is the cook's to record, not to cover.
    # Dates already saved give no meals: each is handed on once (app/meals/away_dates.py).
    saved = aways.add_away(
        session, cook=cook, from_=body.from_, to=body.to, today=council_today(council)
    )
    items = [meal_out(session, m) for m in saved.meals]
    return MealList(items=items, total=len(items))


@router.get("/api/cooks/me/cover-requests", response_model=CoverRequestList)
def cover_requests(
    user: CookUser, session: SessionDep, limit: Limit = 50, offset: Offset = 0
) -> CoverRequestList:
    asked = cover.cover_requests_for(session, user=user)
    page = asked[offset : offset + limit]
    shown = meals_out(session, [meal for meal, _ in page])
    items = [
        CoverRequestOut(**out.model_dump(), distance_m=distance)
        for out, (_, distance) in zip(shown, page, strict=True)
    ]
    return CoverRequestList(items=items, total=len(asked))


@router.post("/api/meals/{meal_id}/cover", response_model=MealOut)
def take_cover(meal_id: PathId, user: CookUser, session: SessionDep) -> MealOut:
    meal = cover.take_cover(session, user=user, meal_id=meal_id)
    return meal_out(session, meal)


@router.post("/api/staff/meals/{meal_id}/cover", response_model=MealOut)
def arrange_cover(
    meal_id: PathId, body: CoverArrangedIn, user: StaffUser, session: SessionDep
) -> MealOut:
    """Staff record that a cook they spoke to agreed to cover a meal needing cover: the meal is
    theirs as if they had taken it (POST /api/meals/{id}/cover), and they are told in writing.
    Another council's meal: 404; no longer needing cover, or its time come: 409; a cook who is
    not one who may cover it now: 422 `not_a_cover_candidate` on `cook_id`."""
    meal = staff_cover.arrange_cover(session, staff=user, meal_id=meal_id, cook_id=body.cook_id)
    return meal_out(session, meal)


@router.post("/api/meals/{meal_id}/feedback", status_code=201)
def rate(meal_id: PathId, body: FeedbackIn, user: CarerUser, session: SessionDep) -> dict[str, int]:
    saved = feedback.rate_meal(
        session, carer=user, meal_id=meal_id, rating=body.rating, comment=body.comment
    )
    return {"id": saved.id or 0, "rating": saved.rating}


@router.post("/api/diners/{diner_id}/outcome", status_code=201)
def outcome(
    diner: CarersDiner, body: OutcomeIn, user: CarerUser, session: SessionDep
) -> dict[str, object]:
    answer = feedback.answer_outcome(
        session, carer=user, diner=diner, considers_friend=body.considers_friend
    )
    return {"id": answer.id, "considers_friend": answer.considers_friend}
