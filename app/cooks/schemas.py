"""Cook profile shapes (API.md "Cooks")."""

from __future__ import annotations

from datetime import date
from typing import Annotated

from pydantic import AfterValidator, BaseModel, Field, StrictInt

from app.schemas import (
    AddressLine,
    Availability,
    Postcode,
    ShortText,
    StrictModel,
    UKPhone,
    Window,
    unique,
)
from app.vocab import Allergen, CookStatus, DbsLevel, Diet, Frequency, Texture

MIN_RADIUS_M, MAX_RADIUS_M, RADIUS_STEP_M = 100, 5000, 100
# The schema's word for what `unique` checks (each value once).
UNIQUE_ITEMS = Field(json_schema_extra={"uniqueItems": True})


class CookProfileIn(StrictModel):
    display_name: ShortText = Field(description="The name diners and carers will know you by")
    phone: UKPhone
    address_line: AddressLine
    postcode: Postcode
    # Multiples of 100 m: a finer radius would let a cook narrow a diner's distance (API.md).
    # Every field required, as API.md lists them: the profile is replaced whole, so a field
    # left out would silently reset what the cook offers.
    walk_radius_m: StrictInt = Field(ge=MIN_RADIUS_M, le=MAX_RADIUS_M, multiple_of=RADIUS_STEP_M)
    max_diners: StrictInt = Field(ge=1, le=5)
    frequencies: Annotated[
        list[Frequency], Field(min_length=1), UNIQUE_ITEMS, AfterValidator(unique)
    ]
    diets: Annotated[list[Diet], UNIQUE_ITEMS, AfterValidator(unique)]
    allergen_free: Annotated[list[Allergen], UNIQUE_ITEMS, AfterValidator(unique)]
    textures: Annotated[list[Texture], Field(min_length=1), UNIQUE_ITEMS, AfterValidator(unique)]
    availability: Availability


class PositionOut(BaseModel):
    latitude: float
    longitude: float
    precision: str


class CookProfileOut(BaseModel):
    """The cook's own view (and staff's): includes their address, phone and position."""

    id: int
    status: CookStatus
    status_reason: str | None
    status_council: str | None = Field(
        description="The council that suspended or rejected the cook: only it lifts that"
    )
    location_review: bool = Field(
        description="Moved since approval: not proposed or offered cover until staff confirm"
    )
    council: str
    neighbourhood: str | None
    display_name: str
    phone: str
    address_line: str
    postcode: str
    position: PositionOut
    walk_radius_m: int
    effective_radius_m: int = Field(description="walk_radius_m capped by the council's maximum")
    max_diners: int
    frequencies: list[Frequency]
    diets: list[Diet]
    allergen_free: list[Allergen]
    textures: list[Texture]
    availability: list[Window]
    dbs_checked_on: date | None
    dbs_level: DbsLevel | None
    checks_expire_on: date | None
