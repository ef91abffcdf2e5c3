"""What the public pages read: the councils running the service, a postcode's council."""

from __future__ import annotations

from dataclasses import dataclass

from sqlmodel import Session, col, select

from app.config import Settings
from app.geo.postcodes import parse_postcode
from app.models import Council
from app.places import OutsideServiceArea, locate_place

# The home page's "do we run in your area?" check notes an out-of-area district as demand,
# like a sign-up does; AreaDemand.role tells the two apart.
CHECK_ROLE = "visitor"


@dataclass(frozen=True)
class AreaAnswer:
    postcode: str
    council: str | None  # the council's name; None: we don't run there yet


def running_councils(session: Session) -> list[str]:
    """The names of the councils that run the service here, A to Z."""
    return list(session.exec(select(Council.name).order_by(col(Council.name))).all())


def check_area(
    session: Session, *, postcode: str, settings: Settings, note: bool = True
) -> AreaAnswer:
    """Whether a council on the service covers this postcode; a bad postcode raises RuleBroken
    (rule `invalid_postcode` or `unknown_postcode`). An area we don't run in is noted as
    demand unless `note` is False (the answer's own page, shown again on Back or reload)."""
    try:
        place = locate_place(
            session,
            raw_postcode=postcode,
            role=CHECK_ROLE,
            settings=settings,
            note_outside=note,
        )
    except OutsideServiceArea:  # the postcode parsed: only then is the area looked up
        return AreaAnswer(postcode=parse_postcode(postcode).full, council=None)
    return AreaAnswer(postcode=place.postcode.full, council=place.council.name)
