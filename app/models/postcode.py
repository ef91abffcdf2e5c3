"""Unit postcode positions a council imported from the ONS Postcode Directory."""

from __future__ import annotations

from sqlmodel import Field, SQLModel


class PostcodeUnit(SQLModel, table=True):
    __tablename__ = "postcode_unit"

    postcode: str = Field(primary_key=True, max_length=8)  # normalised, "N3 1AA"
    latitude: float
    longitude: float
    lad_code: str | None = Field(default=None, max_length=9)
