"""HTTP routes for meals, absences, cover and the end of pairings (API.md "Cooks", "Diners")."""

from __future__ import annotations

from datetime import timedelta
from typing import Annotated

from fastapi import APIRouter, Query
from fastapi.responses import HTMLResponse
from sqlmodel import Session, col, select

from app.cooks.service import get_own_profile
from app.councils.rules import council_today
from app.deps import CarerUser, CookUser, SessionDep
from app.diners import service as diners
from app.diners.schemas import ReasonIn
from app.errors import RuleBroken
from app.models import Council, Diner, Meal
from app.names import first_name
from app.pairings import cover, feedback, lifecycle, meals
from app.pairings.labels import meal_label
from app.pairings.schemas import AwayIn, FeedbackIn, MealList, MealOut, OutcomeIn, PairingOut
from app.pairings.views import pairing_out
from app.schemas import IsoDate, PathId

router = APIRouter(tags=["meals"])


def meal_out(session: Session, meal: Meal) -> MealOut:
    return meals_out(session, [meal])[0]


def meals_out(session: Session, listed: list[Meal]) -> list[MealOut]:
    """The meals as the cook sees them, with their diners' names read in one query."""
    diner_ids = {m.diner_id for m in listed}
    names = dict(
        session.exec(select(Diner.id, Diner.full_name).where(col(Diner.id).in_(diner_ids))).all()
        if diner_ids
        else []
    )
    out = []
    for meal in listed:
        assert meal.id is not None and meal.diner_id in names
        out.append(
            MealOut(
                id=meal.id,
                pairing_id=meal.pairing_id,
                cook_id=meal.cook_id,
                date=meal.date,
                start=meal.start,
                status=meal.status,
                is_cover=meal.is_cover,
                diner_first_name=first_name(names[meal.diner_id]),
            )
        )
    return out


@router.get("/api/cooks/me/meals", response_model=MealList)
def my_meals(
    user: CookUser,
    session: SessionDep,
    from_: Annotated[IsoDate | None, Query(alias="from")] = None,
    to: Annotated[IsoDate | None, Query()] = None,
) -> MealList:
    cook = get_own_profile(session, user=user)
    council = session.get(Council, cook.council_id)
    assert council is not None
    start = from_ or council_today(council)
    end = to or start + timedelta(days=meals.HORIZON_DAYS)
    if end < start:
        raise RuleBroken("invalid_range", ["query", "to"], "to must be on or after from")
    items = meals_out(session, meals.list_cook_meals(session, cook=cook, from_=start, to=end))
    return MealList(items=items, total=len(items))


@router.post("/api/meals/{meal_id}/delivered", response_model=MealOut)
def delivered(meal_id: PathId, user: CookUser, session: SessionDep) -> MealOut:
    meal, _ = meals.own_meal(session, user=user, meal_id=meal_id)
    meals.record_outcome(session, meal=meal, outcome="delivered")
    session.commit()
    return meal_out(session, meal)


@router.post("/api/meals/{meal_id}/missed", response_model=MealOut)
def missed(meal_id: PathId, user: CookUser, session: SessionDep) -> MealOut:
    meal, _ = meals.own_meal(session, user=user, meal_id=meal_id)
    meals.record_outcome(session, meal=meal, outcome="missed")
    session.commit()
    return meal_out(session, meal)


@router.get("/api/meals/{meal_id}/label", response_class=HTMLResponse)
def label(meal_id: PathId, user: CookUser, session: SessionDep) -> HTMLResponse:
    meal, _ = meals.own_meal(session, user=user, meal_id=meal_id)
    diner = session.get(Diner, meal.diner_id)
    assert diner is not None
    html = meal_label(
        first_name=first_name(diner.full_name),
        allergies=diner.allergies,
        texture=diner.texture,
        cooked_on=meal.date,
    )
    return HTMLResponse(html)


@router.post("/api/cooks/me/away", response_model=MealList)
def away(body: AwayIn, user: CookUser, session: SessionDep) -> MealList:
    cook = get_own_profile(session, user=user)
    affected = meals.mark_away(session, cook=cook, from_=body.from_, to=body.to)
    session.commit()
    items = [meal_out(session, m) for m in affected]
    return MealList(items=items, total=len(items))


@router.get("/api/cooks/me/cover-requests", response_model=MealList)
def cover_requests(user: CookUser, session: SessionDep) -> MealList:
    items = meals_out(session, cover.cover_requests_for(session, user=user))
    return MealList(items=items, total=len(items))


@router.post("/api/meals/{meal_id}/cover", response_model=MealOut)
def take_cover(meal_id: PathId, user: CookUser, session: SessionDep) -> MealOut:
    meal = cover.take_cover(session, user=user, meal_id=meal_id)
    session.commit()
    return meal_out(session, meal)


@router.post("/api/cooks/me/stop")
def stop(body: ReasonIn, user: CookUser, session: SessionDep) -> dict[str, str]:
    cook = lifecycle.stop_cooking(
        session, cook=get_own_profile(session, user=user), reason=body.reason
    )
    session.commit()
    return {"status": cook.status}


@router.post("/api/diners/{diner_id}/change-request", response_model=PairingOut)
def change_request(
    diner_id: PathId, body: ReasonIn, user: CarerUser, session: SessionDep
) -> PairingOut:
    diner = diners.get_carers_diner(session, carer=user, diner_id=diner_id)
    pairing = lifecycle.request_change(session, diner=diner)
    diner.status_reason = body.reason
    session.add(diner)
    session.commit()
    from app.models import Cook

    cook = session.get(Cook, pairing.cook_id)
    assert cook is not None
    return pairing_out(pairing, diner=diner, cook=cook, viewer_role="carer")


@router.post("/api/meals/{meal_id}/feedback", status_code=201)
def rate(meal_id: PathId, body: FeedbackIn, user: CarerUser, session: SessionDep) -> dict[str, int]:
    saved = feedback.rate_meal(
        session, carer=user, meal_id=meal_id, rating=body.rating, comment=body.comment
    )
    session.commit()
    return {"id": saved.id or 0, "rating": saved.rating}


@router.post("/api/diners/{diner_id}/outcome", status_code=201)
def outcome(
    diner_id: PathId, body: OutcomeIn, user: CarerUser, session: SessionDep
) -> dict[str, object]:
    diner = diners.get_carers_diner(session, carer=user, diner_id=diner_id)
    answer = feedback.answer_outcome(
        session, carer=user, diner=diner, considers_friend=body.considers_friend
    )
    session.commit()
    return {"id": answer.id, "considers_friend": answer.considers_friend}
