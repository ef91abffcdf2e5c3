"""Schema pieces several domains share: times, weekly windows, phones, names, pages."""

from __future__ import annotations

import itertools
from typing import Annotated, Generic, TypeVar

import phonenumbers
from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    StrictInt,
    StringConstraints,
    model_validator,
)

T = TypeVar("T")

# Plain printable text: no control characters, surrounding spaces dropped.
_PRINTABLE = r"^[^\x00-\x1f\x7f]+$"
ShortText = Annotated[
    str, StringConstraints(strip_whitespace=True, min_length=1, max_length=60, pattern=_PRINTABLE)
]
Name = Annotated[
    str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200, pattern=_PRINTABLE)
]
AddressLine = Name
Reason = Annotated[
    str, StringConstraints(strip_whitespace=True, min_length=1, max_length=500, pattern=_PRINTABLE)
]
Notes = Annotated[str, StringConstraints(strip_whitespace=True, max_length=500)]
HHMM = Annotated[str, StringConstraints(pattern=r"^([01]\d|2[0-3]):[0-5]\d$")]
MAX_WINDOWS = 21  # three a day is plenty; more is a client bug


def minutes(hhmm: str) -> int:
    hours, mins = hhmm.split(":")
    return int(hours) * 60 + int(mins)


def _uk_phone(raw: str) -> str:
    try:
        number = phonenumbers.parse(raw, "GB")
    except phonenumbers.NumberParseException as exc:
        raise ValueError("not a phone number") from exc
    if number.country_code != 44 or not phonenumbers.is_valid_number(number):
        raise ValueError("not a valid UK phone number")
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


UKPhone = Annotated[str, StringConstraints(max_length=30), AfterValidator(_uk_phone)]


class StrictModel(BaseModel):
    """Request bodies: no unknown fields; numbers and booleans use StrictInt / StrictBool so
    that "3" is not 3 and "yes" is not true."""

    model_config = ConfigDict(extra="forbid")


class Window(StrictModel):
    weekday: StrictInt = Field(ge=0, le=6, description="0 = Monday ... 6 = Sunday")
    start: HHMM
    end: HHMM

    @model_validator(mode="after")
    def _end_after_start(self) -> Window:
        if minutes(self.end) - minutes(self.start) < 30:
            raise ValueError("end must be at least 30 minutes after start")
        return self


def check_windows(windows: list[Window]) -> list[Window]:
    """No two windows on the same day overlapping or repeated."""
    by_day = sorted(windows, key=lambda w: (w.weekday, minutes(w.start)))
    for before, after in itertools.pairwise(by_day):
        if before.weekday == after.weekday and minutes(after.start) < minutes(before.end):
            raise ValueError(f"windows overlap on weekday {after.weekday}")
    return windows


Availability = Annotated[
    list[Window], Field(min_length=1, max_length=MAX_WINDOWS), AfterValidator(check_windows)
]


def unique(values: list[T]) -> list[T]:
    if len(set(values)) != len(values):
        raise ValueError("values must not repeat")
    return values


class Page(BaseModel, Generic[T]):
    items: list[T]
    total: int


Limit = Annotated[int, Field(ge=1, le=500)]
Offset = Annotated[int, Field(ge=0)]
