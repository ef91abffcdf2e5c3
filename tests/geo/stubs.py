"""Test doubles shared by the online geocoder tests."""

from app.geo.location import Location
from app.geo.postcodes import Postcode


class RecordingGeocoder:
    """A fallback that answers a fixed location and remembers what it was asked."""

    def __init__(self, answer: Location | None) -> None:
        self.answer = answer
        self.asked: list[str] = []

    def locate(self, postcode: Postcode) -> Location | None:
        self.asked.append(postcode.full)
        return self.answer


SECTOR_ANSWER = Location(51.603982, -0.195564, "sector", "E09000003")
