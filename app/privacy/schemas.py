"""Request bodies of the data protection routes."""

from __future__ import annotations

from pydantic import Field, StrictBool

from app.schemas import StrictModel


class EraseIn(StrictModel):
    """An erasure cannot be undone, so a client says it means it, as the pages' tick box does
    (a fuzzing run of the API erased 52 records with empty POSTs)."""

    confirm: StrictBool = Field(
        default=False,  # left out: refused by the route with its own words, as false is
        description="true: the person, or someone acting for them, asked for their personal "
        "details to be erased",
    )
