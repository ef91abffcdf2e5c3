"""Schema pieces several domains share: times, weekly windows, phones, names, pages."""

from __future__ import annotations

import itertools
import re
import unicodedata
from datetime import date
from typing import TYPE_CHECKING, Annotated, Generic, TypeVar

from fastapi import Path
from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    StrictInt,
    StringConstraints,
    ValidationInfo,
    model_validator,
)

from app.geo.postcodes import without_invisibles
from app.lazy_import import LazyModule

if TYPE_CHECKING:
    import phonenumbers
else:  # imported at the first phone number checked (start-up: app/lazy_import.py)
    phonenumbers = LazyModule("phonenumbers", globals(), "phonenumbers")

T = TypeVar("T")

# Text fields (API.md "Limits"). Unicode categories Cc (control), Cf (format), Cs (surrogates,
# which no database can store), Zl and Zp (U+2028, U+2029) break a line or hide text; only the
# joiners that real names need (ZWJ, ZWNJ) are let through.
_REFUSED_CATEGORIES = frozenset({"Cc", "Cf", "Cs", "Zl", "Zp"})
_JOINERS = frozenset({"\u200c", "\u200d"})
# U+FFFD stands where bytes could not be read as UTF-8: a browser's form that sent invalid
# bytes had them turned into it by the form parser, and the page saved "Ruth \ufffd" as a name
# (a fuzzer). No real text holds it, so it is refused as what it is, with a way on.
UNREADABLE = "\ufffd"
_UNREADABLE_TEXT = (
    "contains a character that could not be read (U+FFFD), often from text copied from a "
    "damaged file: type the text again"
)


def _first_refused(value: str, *, allowed: frozenset[str] = frozenset()) -> str | None:
    for char in value:
        if char == UNREADABLE or (
            char not in allowed
            and char not in _JOINERS
            and unicodedata.category(char) in _REFUSED_CATEGORIES
        ):
            return char
    return None


def _single_line(value: object) -> object:
    # Checked before surrounding spaces are dropped: a separator at the end is refused too.
    if isinstance(value, str) and (char := _first_refused(value)) is not None:
        raise ValueError(
            _UNREADABLE_TEXT
            if char == UNREADABLE
            else "must be one line of text without control or format characters "
            f"(found U+{ord(char):04X})"
        )
    return value


def _multi_line(value: object) -> object:
    if not isinstance(value, str):
        return value  # the str validator names the wrong type
    value = value.replace("\r\n", "\n")
    if (char := _first_refused(value, allowed=frozenset("\n"))) is not None:
        raise ValueError(
            _UNREADABLE_TEXT
            if char == UNREADABLE
            else "may contain line breaks but no other control or format characters "
            f"(found U+{ord(char):04X})"
        )
    return value


# Use these two for every text field of a request body, with the field's own length limits:
# `Annotated[str, StringConstraints(...), SINGLE_LINE]`, or the ready-made types below.
SINGLE_LINE = BeforeValidator(_single_line)
MULTI_LINE = BeforeValidator(_multi_line)  # \r\n becomes \n
SingleLine = Annotated[str, StringConstraints(strip_whitespace=True), SINGLE_LINE]
MultiLine = Annotated[str, StringConstraints(strip_whitespace=True), MULTI_LINE]


def one_space(value: str) -> str:
    """The text trimmed, one space between words: "  Priya   Shah " -> "Priya Shah"."""
    # "Ruth  Davies" was kept with its two spaces, shown with one (HTML), and found by no search
    # for "Ruth Davies" (a walk): names and address lines keep one space between words.
    return " ".join(value.split())


ONE_SPACE = AfterValidator(one_space)
ShortText = Annotated[
    str,
    StringConstraints(strip_whitespace=True, min_length=1, max_length=60),
    SINGLE_LINE,
    ONE_SPACE,
]
Name = Annotated[
    str,
    StringConstraints(strip_whitespace=True, min_length=1, max_length=200),
    SINGLE_LINE,
    ONE_SPACE,
]
AddressLine = Name


def _visible_postcode(value: object) -> object:
    # Copying a postcode brings invisible characters along ("\u200bN3 1HT"): a postcode is
    # letters, digits and spaces, so they are dropped as parse_postcode drops them, not refused
    # as hidden text (a newcomer's walk). Control characters are still refused (SINGLE_LINE).
    return without_invisibles(value) if isinstance(value, str) else value


# Validators before the type run last first: the invisible characters go, then SINGLE_LINE.
Postcode = Annotated[
    str,
    StringConstraints(strip_whitespace=True, max_length=16),
    SINGLE_LINE,
    BeforeValidator(_visible_postcode),
]
# Reasons, notes and other free text keep their line breaks.
Reason = Annotated[
    str, StringConstraints(strip_whitespace=True, min_length=1, max_length=500), MULTI_LINE
]
Notes = Annotated[str, StringConstraints(strip_whitespace=True, max_length=500), MULTI_LINE]
HHMM = Annotated[str, StringConstraints(pattern=r"^([01]\d|2[0-3]):[0-5]\d$")]
MAX_WINDOWS = 21  # three a day is plenty; more is a client bug


def minutes(hhmm: str) -> int:
    hours, mins = hhmm.split(":")
    return int(hours) * 60 + int(mins)


def hhmm(minute: int) -> str:
    """Minutes from midnight as "HH:MM" (the inverse of minutes())."""
    return f"{minute // 60:02d}:{minute % 60:02d}"


def _uk_phone(raw: str) -> str:
    try:
        number = phonenumbers.parse(raw, "GB")
    except phonenumbers.NumberParseException as exc:
        raise ValueError("not a phone number") from exc
    if number.country_code != 44 or not phonenumbers.is_valid_number(number):
        raise ValueError("not a valid UK phone number")
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


UKPhone = Annotated[str, StringConstraints(max_length=30), AfterValidator(_uk_phone)]


def national_phone(e164: str) -> str:
    """A stored number as people write it: "020 7946 0018"."""
    try:
        number = phonenumbers.parse(e164, "GB")
    except phonenumbers.NumberParseException:
        return e164
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.NATIONAL)


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


MAX_ID = 2**31 - 1  # ids are 32-bit on PostgreSQL; a larger one can only be "not found"
Limit = Annotated[int, Field(ge=1, le=500)]
Offset = Annotated[int, Field(ge=0, le=MAX_ID)]
PathId = Annotated[int, Path(ge=1, le=MAX_ID)]
BodyId = Annotated[StrictInt, Field(ge=1, le=MAX_ID)]


def _iso_date_only(value: object) -> object:
    """Dates as YYYY-MM-DD only: pydantic would otherwise read 0 as 1 January 1970."""
    if isinstance(value, str) and not re.fullmatch(r"\d{4}-\d{2}-\d{2}", value):
        raise ValueError("use a date like 2027-03-14 (YYYY-MM-DD)")
    if not isinstance(value, str | date):
        raise ValueError("use a date like 2027-03-14 (YYYY-MM-DD)")
    year = int(value[:4]) if isinstance(value, str) else value.year
    if not 1900 <= year <= 2999:  # also keeps date arithmetic far from date.max
        raise ValueError("the year must be between 1900 and 2999")
    return value


IsoDate = Annotated[date, BeforeValidator(_iso_date_only)]


def range_end(to: date, info: ValidationInfo, *, longest: str) -> date:
    """A `to` date checked against the model's `from_` (when that was valid): on or after it,
    and at most 366 days on (`longest` names the limit). As a validator of `to`, the error
    names `to`, not the whole body."""
    from_ = info.data.get("from_")
    if from_ is None:
        return to
    if to < from_:
        raise ValueError("to must be on or after from")
    if (to - from_).days > 366:
        raise ValueError(longest)
    return to
