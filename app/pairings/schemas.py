"""Pairing shapes (API.md "Conventions": a pairing)."""

from __future__ import annotations

import datetime as dt
from typing import Annotated

from pydantic import BaseModel, Field, StrictBool, StrictInt, StringConstraints, model_validator

from app.schemas import HHMM, MULTI_LINE, BodyId, IsoDate, StrictModel
from app.vocab import Frequency


class PairingCreate(StrictModel):
    diner_id: BodyId
    cook_id: BodyId
    weekday: StrictInt = Field(ge=0, le=6)
    start: HHMM
    frequency: Frequency


class PairingDiner(BaseModel):
    id: int
    first_name: str
    distance_m: int
    diets: list[str]
    allergies: list[str]
    texture: str
    address_line: str | None
    access_notes: str | None


class PairingCook(BaseModel):
    id: int
    display_name: str


class PairingOut(BaseModel):
    id: int
    cook_id: int
    diner_id: int
    status: str
    weekday: int
    start: str
    frequency: str
    end_reason: str | None
    diner: PairingDiner
    cook: PairingCook


class MealOut(BaseModel):
    id: int
    pairing_id: int
    cook_id: int | None
    date: dt.date
    start: str
    status: str
    is_cover: bool
    diner_first_name: str


class MealList(BaseModel):
    items: list[MealOut]
    total: int


class AwayIn(StrictModel):
    from_: IsoDate = Field(alias="from")
    to: IsoDate

    @model_validator(mode="after")
    def _ordered(self) -> AwayIn:
        if self.to < self.from_:
            raise ValueError("to must be on or after from")
        if (self.to - self.from_).days > 366:
            raise ValueError("an absence lasts at most a year")
        return self


class FeedbackIn(StrictModel):
    rating: StrictInt = Field(ge=1, le=5)
    comment: (
        Annotated[str, StringConstraints(strip_whitespace=True, max_length=1000), MULTI_LINE] | None
    ) = None


class OutcomeIn(StrictModel):
    considers_friend: StrictBool
