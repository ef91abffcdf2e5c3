"""Where a person is: postcode → position, council and neighbourhood (or the waiting list)."""

from __future__ import annotations

from dataclasses import dataclass

from sqlmodel import Session, col, select

from app.config import Settings
from app.db import own_transaction
from app.errors import RuleBroken
from app.geo.geocoding import Location, build_geocoder
from app.geo.postcodes import InvalidPostcode, Postcode, parse_postcode
from app.models import AreaDemand, Council, Neighbourhood, PostcodeUnit


@dataclass(frozen=True)
class Place:
    postcode: Postcode
    location: Location
    council: Council
    neighbourhood: Neighbourhood | None


class OutsideServiceArea(RuleBroken):
    def __init__(self, loc: list[str | int]) -> None:
        super().__init__(
            "outside_service_area",
            loc,
            "We don't run here yet: no council on Extra Portion covers this postcode. "
            "We have noted the area so councils can see the demand.",
        )


def locate_place(
    session: Session,
    *,
    raw_postcode: str,
    role: str,
    settings: Settings,
    loc: list[str | int] | None = None,
    note_outside: bool = True,
) -> Place:
    """The council and neighbourhood covering a postcode; outside every area → 422, noted
    (unless `note_outside` is False: a page that only shows again what was checked, noted then)."""
    loc = loc or ["postcode"]
    try:
        postcode = parse_postcode(raw_postcode)
    except InvalidPostcode as exc:
        raise RuleBroken("invalid_postcode", loc, f"Not a valid UK postcode: {exc}") from exc
    location = _geocode(session, postcode, settings)
    if location is None:
        raise RuleBroken("unknown_postcode", loc, "This postcode does not exist")
    council = _council_for(session, location.lad_code)
    if council is None:
        if note_outside:
            note_demand(session, district=postcode.district, role=role)
        raise OutsideServiceArea(loc)
    return Place(postcode, location, council, neighbourhood_for(session, council, postcode.sector))


def note_demand(session: Session, *, district: str, role: str) -> None:
    """Keep the district of an out-of-area sign-up, in a transaction of its own: it stays
    though the request fails, and commits nothing else the request did."""
    own_transaction(session, "out_of_area_demand", AreaDemand(district=district, role=role))


def neighbourhood_for(session: Session, council: Council, sector: str) -> Neighbourhood | None:
    hoods = session.exec(select(Neighbourhood).where(Neighbourhood.council_id == council.id)).all()
    return next((hood for hood in hoods if sector in hood.sectors), None)


def _council_for(session: Session, lad_code: str | None) -> Council | None:
    if lad_code is None:
        return None
    # A handful of councils per installation: matching in Python keeps the JSON column portable.
    councils = session.exec(select(Council).order_by(col(Council.id))).all()
    return next((c for c in councils if lad_code in c.lad_codes), None)


def _geocode(session: Session, postcode: Postcode, settings: Settings) -> Location | None:
    def imported_unit(full: str) -> tuple[float, float, str | None] | None:
        row = session.get(PostcodeUnit, full)
        return (row.latitude, row.longitude, row.lad_code) if row else None

    geocoder = build_geocoder(
        settings.geocoder,
        postcodes_io_url=settings.postcodes_io_url,
        nominatim_domain=settings.nominatim_domain,
        timeout=settings.geocoder_timeout_s,
        extra_units=imported_unit,
    )
    return geocoder.locate(postcode)
