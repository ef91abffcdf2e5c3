"""Shapes of the council's reports (API.md "Staff"; definitions in app.reports.service)."""

from __future__ import annotations

from datetime import date

from pydantic import BaseModel, Field


class SummaryOut(BaseModel):
    approved_cooks: int
    pending_cooks: int
    waiting_diners: int = Field(
        description="not matched, not left, not paused today, not held for an erasure (the "
        "one meaning of waiting)"
    )
    active_pairings: int
    meals_delivered: int
    meals_missed: int
    continuity_rate: float | None = Field(description="0 to 1; null with no delivered meal")
    median_pairing_days: float | None = Field(description="null with no accepted pairing")
    regular_cooks_per_diner: float | None = Field(
        description="distinct regular cooks per diner ever matched; 1.0 = no one changed cook"
    )
    waiting_diners_invited: int = Field(
        description="of waiting_diners, those with a proposal the cook has not answered yet"
    )
    waiting_diners_unproposed: int = Field(
        description="of waiting_diners, those with no cook proposed (the unmatched report's)"
    )
    main_cook_share: float | None = Field(
        description="last 12 weeks: per diner, the share of their delivered meals brought by "
        "their most frequent cook, averaged over diners; null with no delivered meal"
    )
    median_same_cook_run: float | None = Field(
        description="last 12 weeks: the median length of runs of consecutive delivered meals "
        "brought by the same cook; null with no delivered meal"
    )
    continuity_diners: int = Field(description="diners with a delivered meal in those weeks")
    friend_share: float | None = Field(
        description="last 12 months: of the diners whose carer answered the quarterly "
        "question, the share whose latest answer says the cook is a friend; null: no answer"
    )
    friend_answers: int = Field(description="diners counted in friend_share")
    held_for_erasure: int = Field(
        description="diners not matched, not left, not paused today, whose carer asked for "
        "their data to be erased: no cook is looked for until staff erase it, so they are not "
        "in waiting_diners"
    )


class WeekOut(BaseModel):
    week: str = Field(description="ISO week, e.g. 2025-W04")
    week_start: date = Field(description="its Monday")
    week_end: date = Field(description="its Sunday")
    meals_delivered: int
    meals_missed: int
    new_cooks: int
    waiting_diners: int = Field(description="at the end of the week (now for this week)")
    continuity_rate: float | None


class WeeklyOut(BaseModel):
    """The last ``weeks`` ISO weeks, oldest first, ending with the current week."""

    items: list[WeekOut]
    total: int


class UnmatchedOut(BaseModel):
    district: str = Field(description="postcode district, e.g. N3")
    reason: str | None = Field(
        description="the unmatched_reason; null: a cook could be proposed now (run matching)"
    )
    diners: int


class MapPoint(BaseModel):
    latitude: float
    longitude: float


class MapOut(BaseModel):
    """Positions rounded to about 100 m: enough for a borough map, not to find a door."""

    cooks: list[MapPoint]
    waiting_diners: list[MapPoint]
