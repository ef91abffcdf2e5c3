"""What a geocoder answers, and the protocol every geocoder follows (pure)."""

from collections.abc import Callable
from dataclasses import dataclass
from typing import Literal, Protocol

from app.geo.postcodes import Postcode

# How exactly a position places a postcode: the unit itself, or the centre of its sector or
# district. Kept with the position so that matching can say how sure it is.
Precision = Literal["unit", "sector", "district"]

# A lookup of council-imported unit postcodes: "N3 1AA" -> (latitude, longitude, lad_code).
ExtraUnits = Callable[[str], tuple[float, float, str | None] | None]


@dataclass(frozen=True, slots=True)
class Location:
    """Where a postcode is, and which local authority decides the council that covers it.

    lad_code is the postcode's own LAD when the unit is known, otherwise the LAD holding most of
    its sector's (or district's) postcodes; None when unknown (e.g. Northern Ireland districts).
    """

    latitude: float
    longitude: float
    precision: Precision
    lad_code: str | None


class Geocoder(Protocol):
    def locate(self, postcode: Postcode) -> Location | None:
        """The postcode's location, or None when it is not known anywhere."""
        ...
