"""Streaming reader for a council's extract of the ONS Postcode Directory (ONSPD) CSV (pure).

Only the columns the app needs are read, by name, so the directory's other columns and their
order do not matter: pcds (the postcode), lat, long, doterm (termination date) and the local
authority code, which older releases call oslaua and newer ones ladYYcd (e.g. lad25cd).

Skipped rows, counted in OnspdStats: terminated postcodes (doterm set) and postcodes without a
grid reference, which ONSPD places at lat 99.999999 / long 0. Anything else that does not parse
stops the import with OnspdFormatError naming the line and field, so a council never ends up
with a half-imported file it believes is complete (the caller wraps the import in a
transaction).

ONSPD's Northern Ireland (BT) rows are not covered by the Open Government Licence; see
data/ATTRIBUTION.md.
"""

import csv
import math
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass

from app.geo.bounds import UK_MAX_LAT, UK_MAX_LON, UK_MIN_LAT, UK_MIN_LON, in_uk_box
from app.geo.postcodes import InvalidPostcode, parse_postcode

# ONSPD's "no grid reference" latitude is 99.999999; anything at or above 90 is not a place.
_NO_GRID_LAT = 90.0
_LAD_COLUMN = re.compile(r"lad\d{2}cd")
# Pseudo codes such as E99999999 / L99999999 mean "no LAD" (e.g. Channel Islands).
_PSEUDO_CODE = re.compile(r"[A-Z]99999999")


class OnspdFormatError(ValueError):
    """The file is not a usable ONSPD extract; the message says where and why."""


@dataclass(frozen=True, slots=True)
class OnspdRow:
    postcode: str
    latitude: float
    longitude: float
    lad_code: str | None


@dataclass(slots=True)
class OnspdStats:
    """Counts filled in while read_onspd() runs."""

    rows: int = 0
    terminated: int = 0
    no_grid: int = 0

    @property
    def imported(self) -> int:
        """Rows yielded: live postcodes with a position."""
        return self.rows - self.terminated - self.no_grid


def _lad_column(header: list[str]) -> str | None:
    if "oslaua" in header:
        return "oslaua"
    candidates = sorted(name for name in header if _LAD_COLUMN.fullmatch(name))
    # The newest year wins if a file carries several (e.g. lad24cd and lad25cd).
    return candidates[-1] if candidates else None


def _indexes(header: list[str]) -> tuple[int, int, int, int, int | None]:
    header = [name.strip().lstrip("\ufeff").lower() for name in header]
    lad = _lad_column(header)
    missing = [name for name in ("pcds", "lat", "long") if name not in header]
    if lad is None:
        missing.append("oslaua (or ladYYcd)")
    if missing:
        raise OnspdFormatError(
            f"not an ONS Postcode Directory file: missing column(s) {', '.join(missing)}"
        )
    assert lad is not None
    doterm = header.index("doterm") if "doterm" in header else None
    return (
        header.index("pcds"),
        header.index("lat"),
        header.index("long"),
        header.index(lad),
        doterm,
    )


def _number(text: str, line: int, field: str) -> float:
    try:
        value = float(text)
    except ValueError:
        value = math.nan
    if not math.isfinite(value):
        raise OnspdFormatError(f"line {line}: {field} is not a number ({text[:20]!r})")
    return value


def read_onspd(lines: Iterable[str], stats: OnspdStats | None = None) -> Iterator[OnspdRow]:
    """Yield the live, geocoded postcodes of an ONSPD CSV, one at a time.

    `lines` is any iterable of text lines (an open file, or a decoded upload stream); nothing is
    held in memory beyond the current row. Pass `stats` to learn how many rows were skipped.
    """
    stats = stats if stats is not None else OnspdStats()
    reader = csv.reader(lines)
    header = next(reader, None)
    if header is None:
        raise OnspdFormatError("the file is empty (expected an ONSPD header line)")
    pcds, lat, long, lad, doterm = _indexes(header)
    width = max(i for i in (pcds, lat, long, lad, doterm) if i is not None) + 1
    for row in reader:
        line = reader.line_num
        if not row or (len(row) == 1 and not row[0].strip()):
            continue  # blank line, e.g. at the end of the file
        if len(row) < width:
            raise OnspdFormatError(f"line {line}: too few fields ({len(row)}, expected {width})")
        stats.rows += 1
        if doterm is not None and row[doterm].strip():
            stats.terminated += 1
            continue
        try:
            postcode = parse_postcode(row[pcds])
        except InvalidPostcode:
            raise OnspdFormatError(
                f"line {line}: pcds is not a UK postcode ({row[pcds][:12]!r})"
            ) from None
        latitude = _number(row[lat], line, "lat")
        longitude = _number(row[long], line, "long")
        if latitude >= _NO_GRID_LAT:
            stats.no_grid += 1
            continue
        if not in_uk_box(latitude, longitude):
            raise OnspdFormatError(
                f"line {line}: lat/long {latitude}, {longitude} is outside the UK "
                f"({UK_MIN_LAT}..{UK_MAX_LAT}, {UK_MIN_LON}..{UK_MAX_LON})"
            )
        lad_code = row[lad].strip() or None
        if lad_code is not None and _PSEUDO_CODE.fullmatch(lad_code):
            lad_code = None
        yield OnspdRow(postcode.full, latitude, longitude, lad_code)
