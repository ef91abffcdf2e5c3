"""Meal shapes (API.md "Cooks" and "Diners": meals, absences, feedback)."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Literal

from pydantic import (
    BaseModel,
    Field,
    StrictBool,
    StrictInt,
    StringConstraints,
    ValidationInfo,
    field_validator,
)

from app.schemas import MULTI_LINE, BodyId, IsoDate, StrictModel, range_end
from app.vocab import Allergen, Diet, MealStatus, Texture


class MealOut(BaseModel):
    id: int
    pairing_id: int
    cook_id: int | None
    date: dt.date
    start: str
    status: MealStatus
    is_cover: bool
    diner_first_name: str
    # What the meal must be: a cook covering for another sees this diner's needs nowhere else.
    diets: list[Diet]
    allergies: list[Allergen]
    other_allergies: str | None = None  # other foods they must not have, in the carer's words
    texture: Texture


class MealList(BaseModel):
    items: list[MealOut]
    total: int


class CoverRequestOut(MealOut):
    distance_m: int = Field(description="From the cook to the diner, rounded to 100 m")


class CoverRequestList(BaseModel):
    items: list[CoverRequestOut]
    total: int


class AwayIn(StrictModel):
    from_: IsoDate = Field(alias="from")
    to: IsoDate

    @field_validator("to")
    @classmethod
    def _ordered(cls, to: dt.date, info: ValidationInfo) -> dt.date:
        return range_end(to, info, longest="an absence lasts at most a year")


class FeedbackIn(StrictModel):
    rating: StrictInt = Field(ge=1, le=5)
    comment: (
        Annotated[str, StringConstraints(strip_whitespace=True, max_length=1000), MULTI_LINE] | None
    ) = None


class OutcomeIn(StrictModel):
    considers_friend: StrictBool


class CoverArrangedIn(StrictModel):
    """The cook who agreed with staff (by phone, say) to cover the meal: one of its candidates."""

    cook_id: BodyId


class OutcomeCorrectionIn(StrictModel):
    """What happened to the meal after all."""

    # Plain strings: with the enum's members pydantic answered "Input should be
    # <MealStatus.delivered: 'delivered'> or ..." (a domain review).
    outcome: Literal["delivered", "missed"]
