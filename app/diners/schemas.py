"""Diner shapes (API.md "Diners" and the staff routes)."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated

from pydantic import (
    AfterValidator,
    BaseModel,
    Field,
    StrictBool,
    StringConstraints,
    ValidationInfo,
    field_validator,
)

from app.cooks.schemas import UNIQUE_ITEMS, PositionOut
from app.schemas import (
    MULTI_LINE,
    AddressLine,
    Availability,
    IsoDate,
    Name,
    Notes,
    Postcode,
    Reason,
    StrictModel,
    UKPhone,
    Window,
    range_end,
    unique,
)
from app.vocab import (
    Allergen,
    Diet,
    DinerStatus,
    Frequency,
    MealStatus,
    PairingStatus,
    PauseReason,
    Texture,
)

OTHER_ALLERGIES_MAX = 300  # a few foods, a line or three: not a diet history


def _none_if_blank(value: str) -> str | None:
    # Blank means none, so the cook's pages and the label never show an empty "also avoid".
    return value or None


# Other foods that make the diner ill, beyond the 14 allergens: free text, kept to a few lines
# (line breaks only, no hidden characters, as access notes).
OtherAllergies = Annotated[
    str,
    StringConstraints(strip_whitespace=True, max_length=OTHER_ALLERGIES_MAX),
    MULTI_LINE,
    AfterValidator(_none_if_blank),
]


def _must_consent(value: bool) -> bool:
    if value is not True:
        raise ValueError("consent must be given (true) to register a diner")
    return value


class DinerIn(StrictModel):
    full_name: Name
    address_line: AddressLine
    postcode: Postcode
    phone: UKPhone | None = None
    # Required, even empty: a client that forgot `allergies` must not register a diner as
    # having none (the matching trusts them to keep the diner safe).
    diets: Annotated[list[Diet], UNIQUE_ITEMS, AfterValidator(unique)]
    allergies: Annotated[list[Allergen], UNIQUE_ITEMS, AfterValidator(unique)]
    other_allergies: OtherAllergies | None = None
    texture: Texture
    availability: Availability
    frequency: Frequency
    access_notes: Notes | None = None
    consent: Annotated[StrictBool, AfterValidator(_must_consent)]


class DinerUpdate(StrictModel):
    """PATCH /api/diners/{id}: any of these, each validated as at registration.

    The defaults only type the fields: what was not sent is left out (exclude_unset), and
    sending null is refused except for access_notes and other_allergies (null clears them).
    """

    diets: Annotated[list[Diet], UNIQUE_ITEMS, AfterValidator(unique)] = []
    allergies: Annotated[list[Allergen], UNIQUE_ITEMS, AfterValidator(unique)] = []
    other_allergies: OtherAllergies | None = None
    texture: Texture = Texture.regular
    availability: Availability = []
    frequency: Frequency = Frequency.weekly
    access_notes: Notes | None = None
    address_line: AddressLine = ""
    postcode: Postcode = ""


class DinerChangeOnPages(DinerUpdate):
    """A diner's change made on the pages (the carer's, the staff's): PATCH's fields, and the
    name and phone number, which API.md's PATCH does not take. A newcomer's walk found no way
    to correct a name or a number typed wrong at registration, for the carer or for staff."""

    full_name: Name = ""
    phone: UKPhone | None = None


class PauseIn(StrictModel):
    from_: IsoDate = Field(alias="from")
    to: IsoDate
    reason: Reason | None = None

    @field_validator("to")
    @classmethod
    def _ordered(cls, to: date, info: ValidationInfo) -> date:
        return range_end(to, info, longest="a pause lasts at most a year")


class ReasonIn(StrictModel):
    reason: Reason


class CookRef(BaseModel):
    display_name: str
    id: int | None = None  # staff only


class PairingSummary(BaseModel):
    id: int
    status: PairingStatus
    weekday: int
    start: str
    frequency: Frequency
    # The carer sees the cook's display name once the pairing is active; staff always, with id.
    cook: CookRef | None
    pause_reason: PauseReason | None = None  # while paused


class MealSummary(BaseModel):
    id: int
    date: date
    start: str
    status: MealStatus
    cover_cook: str | None = None  # the display name of a cook covering this meal


class RecentMeal(BaseModel):
    id: int
    date: date
    start: str
    status: MealStatus
    rating: int | None


class OutcomeSummary(BaseModel):
    considers_friend: bool
    answered_at: datetime


class DinerOut(BaseModel):
    """The full record: for the diner's carer and their council's staff only."""

    id: int
    status: DinerStatus
    full_name: str
    address_line: str
    postcode: str
    phone: str | None
    position: PositionOut | None = None  # staff only: null for the carer
    council: str
    neighbourhood: str | None
    diets: list[Diet]
    allergies: list[Allergen]
    other_allergies: str | None
    texture: Texture
    availability: list[Window]
    frequency: Frequency
    access_notes: str | None
    paused_from: date | None
    paused_to: date | None
    status_reason: str | None
    consent_at: datetime
    referred_by_staff: bool
    created_at: datetime
    pairing: PairingSummary | None = None
    upcoming_meals: list[MealSummary] = []
    recent_meals: list[RecentMeal] = []  # the last 8 weeks' delivered meals, to rate
    outcome: OutcomeSummary | None = None  # the latest answer to the friendship question


class DinerListItem(BaseModel):
    """Lists never carry coordinates or access notes."""

    id: int
    status: DinerStatus
    full_name: str
    postcode: str
    neighbourhood: str | None
    diets: list[Diet]
    allergies: list[Allergen]
    texture: Texture
    frequency: Frequency
    paused_from: date | None
    paused_to: date | None
    created_at: datetime
