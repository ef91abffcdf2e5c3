"""Offline geocoding from the data shipped in app/geo/data (pure: no database, no network).

The index is parsed once per process by load_offline_index() (cached) and then only read, so it
is safe to share between threads. Parsing the shipped files takes 0.2-0.4 s; call the loader
at start-up to keep that off the first request.
"""

import time
from collections.abc import Mapping
from dataclasses import dataclass
from functools import cache
from typing import NamedTuple

from app.geo import datafiles
from app.geo.location import ExtraUnits, Location
from app.geo.postcodes import Postcode


class Point(NamedTuple):
    latitude: float
    longitude: float
    lad_code: str | None


class Lad(NamedTuple):
    """A local authority district with the mean position of its postcodes."""

    name: str
    latitude: float
    longitude: float


@dataclass(frozen=True, slots=True)
class OfflineIndex:
    """Positions by key: units "N3 1AA", sectors "N3 1", districts "N3" (GB and NI)."""

    units: Mapping[str, Point]
    sectors: Mapping[str, Point]
    districts: Mapping[str, Point]
    lads: Mapping[str, Lad]
    load_seconds: float = 0.0

    def sectors_in_lad(self, lad_code: str) -> list[str]:
        """Sectors whose postcodes lie mostly in the LAD (to seed a council's neighbourhoods)."""
        return sorted(key for key, point in self.sectors.items() if point.lad_code == lad_code)


def _points(name: str, key: str, lad_column: str | None) -> dict[str, Point]:
    if lad_column is None:
        return {
            code: Point(float(lat), float(lon), None)
            for code, lat, lon in datafiles.read_columns(name, key, "latitude", "longitude")
        }
    return {
        code: Point(float(lat), float(lon), lad or None)
        for code, lat, lon, lad in datafiles.read_columns(
            name, key, "latitude", "longitude", lad_column
        )
    }


@cache
def load_offline_index() -> OfflineIndex:
    """Parse the shipped data once; later calls return the same index."""
    started = time.perf_counter()
    units = _points(datafiles.UNITS_FILE, "postcode", "lad_code")
    sectors = _points(datafiles.SECTORS_FILE, "sector", "main_lad_code")
    districts = _points(datafiles.DISTRICTS_FILE, "district", "main_lad_code")
    # NI district positions are approximate and carry no LAD (see data/ATTRIBUTION.md).
    districts.update(_points(datafiles.NI_DISTRICTS_FILE, "district", None))
    lads = {
        code: Lad(name, float(lat), float(lon))
        for code, name, lat, lon in datafiles.read_columns(
            datafiles.LAD_CENTROIDS_FILE, "lad_code", "lad_name", "latitude", "longitude"
        )
    }
    return OfflineIndex(units, sectors, districts, lads, time.perf_counter() - started)


class OfflineGeocoder:
    """Unit position when known (council imports first), else sector centre, else district."""

    def __init__(self, index: OfflineIndex, extra_units: ExtraUnits | None = None) -> None:
        self._index = index
        self._extra_units = extra_units

    def locate(self, postcode: Postcode) -> Location | None:
        # Errors from extra_units (a database lookup) propagate: hiding them would quietly
        # downgrade every imported postcode to a sector centre.
        extra = self._extra_units(postcode.full) if self._extra_units is not None else None
        if extra is not None:
            latitude, longitude, lad_code = extra
            return Location(latitude, longitude, "unit", lad_code or self._area_lad(postcode))
        unit = self._index.units.get(postcode.full)
        if unit is not None:
            # A few units (PO boxes placed at their sector mean) have no LAD of their own.
            lad_code = unit.lad_code or self._area_lad(postcode)
            return Location(unit.latitude, unit.longitude, "unit", lad_code)
        sector = self._index.sectors.get(postcode.sector)
        if sector is not None:
            return Location(sector.latitude, sector.longitude, "sector", self._area_lad(postcode))
        district = self._index.districts.get(postcode.district)
        if district is not None:
            return Location(district.latitude, district.longitude, "district", district.lad_code)
        return None

    def _area_lad(self, postcode: Postcode) -> str | None:
        """The sector's main LAD, else the district's (five PO-box sectors have none)."""
        for point in (
            self._index.sectors.get(postcode.sector),
            self._index.districts.get(postcode.district),
        ):
            if point is not None and point.lad_code is not None:
                return point.lad_code
        return None
